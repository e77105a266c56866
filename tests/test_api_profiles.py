"""Issue 12's matrix: the connectors against every API profile of the sandbox (each a shape the Tomorro docs
show or leave open, sandbox/README.md "API profiles"), over a real socket, small data.

Source cells: a first sync equals the ground truth (ids, `updatedAt`, every smart-field value in its typed
column, nothing twice), and an incremental sync after changes reads every change. Destination cells are in
destination-tomorro/integration_tests/test_api_profiles.py. Each profile must be read exactly; a shape no connector can read ends in a
failure naming it (the envelope rules: tests/data/envelope_rules.json).
"""

from __future__ import annotations

import time

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder
from source_tomorro.run import create_source, register_components
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.assumptions import API_PROFILES

API_KEY = "profiles-matrix-key"
# Every profile the sandbox declares, alone, then combinations that take away most at once.
COMBINATIONS = [["envelope-snake", "no-has-next"], ["default-lists-hide-closed", "status-in-refused"], ["envelope-intro", "no-has-next", "slim-contracts", "updated-filter-refused"]]
PROFILES = [[], *([name] for name in API_PROFILES), *COMBINATIONS]
STATUSES = {"contracts": ("draft", "negotiating", "signing", "signed", "canceled"), "counterparties": ("active", "archived")}
INCREMENTAL = ("contracts", "counterparties", "contract_signed_files")
OTHERS = ("members", "fields", "field_options", "contract_types")


def _read(config, state=None):
    catalog = CatalogBuilder()
    for stream in INCREMENTAL:
        catalog.with_stream(stream, SyncMode.incremental)
    for stream in OTHERS:
        catalog.with_stream(stream, SyncMode.full_refresh)
    catalog = catalog.build()
    output = read(create_source(config=config, catalog=catalog, state=state), config, catalog, state)
    assert not output.errors, [e.trace.error.message for e in output.errors]
    records: dict[str, list[dict]] = {}
    for message in output.records:
        records.setdefault(message.record.stream, []).append(message.record.data)
    return output, records


def _columns(sandbox, kind):
    definitions = [f for f in sandbox.records("smart-fields") if f["object"] == kind]
    return {field_id: column for field_id, (column, _) in register_components().custom_field_columns(definitions).items()}


def _assert_exact(sandbox, records, stream, kind):
    got = records.get(stream, [])
    truth = sandbox.records(stream)
    assert len(got) == len({r["id"] for r in got}), f"{stream}: a record emitted twice"
    assert {r["id"]: r["updatedAt"] for r in got} == {r["id"]: r["updatedAt"] for r in truth}, stream
    columns, by_id = _columns(sandbox, kind), {r["id"]: r for r in got}
    for expected in truth:
        values = expected["fields"]
        pairs = ((v["attributeDefinitionId"], v["value"]) for v in values) if isinstance(values, list) \
            else values.items()
        for field_id, value in pairs:
            assert by_id[expected["id"]].get(columns[field_id]) == value, (stream, expected["id"], field_id)


@pytest.fixture(autouse=True)
def _isolated_request_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REQUEST_CACHE_PATH", str(tmp_path / "request_cache"))


@pytest.mark.parametrize("profiles", PROFILES, ids=lambda profiles: "+".join(profiles) or "default")
def test_the_source_reads_every_profile_exactly_then_every_change(profiles):
    with SandboxServer(api_key=API_KEY, port=0, seed=3, contracts=120, counterparties=50, fields=24, members=5,
                       api_profiles=profiles) as sandbox:
        config = {"api_key": API_KEY, "base_url": sandbox.url, "num_workers": 4, "page_size": 20}

        first, records = _read(config)

        _assert_exact(sandbox, records, "contracts", "contract")
        _assert_exact(sandbox, records, "counterparties", "external_party")
        signed = {c["id"] for c in sandbox.records("contracts") if c["status"] == "signed"}
        assert {r["contractId"] for r in records.get("contract_signed_files", [])} <= signed
        for stream, collection in (("members", "members"), ("fields", "smart-fields"),
                                   ("contract_types", "contract-types")):
            assert sorted(r["id"] for r in records[stream]) == sorted(r["id"] for r in sandbox.records(collection))

        state = StateBuilder()
        for message in first.state_messages:
            stream_state = message.state.stream
            state.with_stream_state(stream_state.stream_descriptor.name, dict(stream_state.stream_state.__dict__))
        changed = sandbox.mutate(contracts=12, counterparties=6, create=3)
        if {"status-in-refused", "sort-ignored"} & set(profiles):
            # one list per status, or no order: a read leaves records changed since it began (less a second's
            # margin, a `Date` header's whole second) to the next sync; these changes must predate this one
            time.sleep(2.5)
        sandbox.reset_stats()

        _, second = _read(config, state.build())

        for stream in ("contracts", "counterparties"):
            truth = {r["id"]: r["updatedAt"] for r in sandbox.records(stream)}
            seen = {(r["id"], r["updatedAt"]) for r in second.get(stream, [])}
            for record_id in set(changed[stream]["updated"]) | set(changed[stream].get("created", [])):
                assert (record_id, truth[record_id]) in seen, f"{stream} {record_id}: change not read"
            if "sort-ignored" not in profiles:  # an order to stop on: the cost follows the changes, not the account
                pages = -(-len(second.get(stream, [])) // config["page_size"])
                listed = _requests(sandbox, f"/v2/{stream}")
                # where the API refuses `status=in:`, each status is a list of its own (one request at least each)
                per_status = len(STATUSES[stream]) if "status-in-refused" in profiles else 0
                assert listed <= pages + 3 + (stream == "contracts") + per_status, (stream, listed)  # + signed contracts' page
                # a slim item is fetched once: at most one request per item listed
                assert _requests(sandbox, f"/v2/{stream}/{{id}}") <= listed * config["page_size"]


def _requests(sandbox, path):
    return sum(r["count"] for r in sandbox.stats()["requests"] if r["method"] == "GET" and r["path"] == path)
