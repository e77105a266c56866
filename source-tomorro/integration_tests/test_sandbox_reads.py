"""End to end against the sandbox over a real socket: a full read returns exactly the sandbox's
records for every stream, and an incremental read after `/_sandbox/mutate` returns every changed
record within the O(k / page_size) list-request bound."""

from __future__ import annotations

import math

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import discover, read
from airbyte_cdk.test.state_builder import StateBuilder
from source_tomorro.run import create_source

STREAMS = ["contracts", "counterparties", "fields", "field_options", "members", "contract_types", "clauses",
           "contract_signed_files"]
GROUND_TRUTH = {"contracts": "contracts", "counterparties": "counterparties", "fields": "smart-fields",
                "field_options": "options", "members": "members", "contract_types": "contract-types",
                "clauses": "clauses", "contract_signed_files": "signed-files"}
PAGE_SIZE = 50
VOLATILE = {"downloadUrl", "expiresAt"}  # signed-file URLs are minted per request


def _read(config, streams, sync_mode=SyncMode.full_refresh, state=None):
    builder = CatalogBuilder()
    for stream in streams:
        builder.with_stream(stream, sync_mode)
    catalog = builder.build()
    output = read(create_source(config=config, catalog=catalog, state=state), config, catalog, state)
    assert not output.errors, [e.trace.error.message for e in output.errors]
    return output


def _by_stream(output):
    records: dict[str, list[dict]] = {}
    for message in output.records:
        records.setdefault(message.record.stream, []).append(message.record.data)
    return records


def _list_requests(sandbox, path):
    return sum(r["count"] for r in sandbox.stats()["requests"] if r["method"] == "GET" and r["path"] == path)


@pytest.fixture(scope="module")
def full_read(sandbox):
    config = {"api_key": "sandbox-key", "base_url": sandbox.url, "num_workers": 4}
    return _by_stream(_read(config, STREAMS))


@pytest.mark.parametrize("stream", STREAMS)
def test_full_read_equals_the_sandbox_records(stream, full_read, sandbox):
    truth = sandbox.records(GROUND_TRUTH[stream])
    got = full_read.get(stream, [])

    assert len(got) == len({r["id"] for r in got}), "duplicates in a full read"
    assert {r["id"] for r in got} == {r["id"] for r in truth}
    if "updatedAt" in truth[0]:
        assert {r["id"]: r["updatedAt"] for r in got} == {r["id"]: r["updatedAt"] for r in truth}
    # every value the API returns arrives unchanged (the connector only adds columns)
    by_id = {r["id"]: r for r in got}
    for expected in truth:
        record = by_id[expected["id"]]
        assert {k: record.get(k) for k in expected if k not in VOLATILE} == {
            k: v for k, v in expected.items() if k not in VOLATILE}


def test_full_read_types_every_custom_field_and_fills_join_keys(full_read, sandbox):
    contracts = {r["id"]: r for r in full_read["contracts"]}
    truth = sandbox.records("contracts")
    for expected in truth[:50]:
        record = contracts[expected["id"]]
        assert record["counterpartyId"] == expected["counterparty"]["id"]
        assert record["templateId"] == (expected.get("templateId") or expected["template"]["id"])
        for value in expected["fields"]:
            column = [k for k in record if k.startswith("cf_") and k.endswith(value["attributeDefinitionId"].replace("-", "")[:8])]
            assert len(column) == 1 and record[column[0]] == value["value"]


def test_discovered_schema_has_one_typed_column_per_smart_field(sandbox, sandbox_config):
    catalog = discover(create_source(config=sandbox_config), sandbox_config).catalog.catalog
    schemas = {s.name: s.json_schema["properties"] for s in catalog.streams}
    for stream, kind in (("contracts", "contract"), ("counterparties", "external_party")):
        definitions = [f for f in sandbox.records("smart-fields") if f["object"] == kind]
        columns = [c for c in schemas[stream] if c.startswith("cf_")]
        assert len(columns) == len(definitions) > 0
    assert {s.name: s.default_cursor_field for s in catalog.streams if s.default_cursor_field} == {
        "contracts": ["updatedAt"], "counterparties": ["updatedAt"], "contract_signed_files": ["contractUpdatedAt"]}


def test_incremental_after_mutate_returns_every_change_within_o_k_requests(sandbox, sandbox_config):
    incremental = ["contracts", "counterparties"]
    first = _read(sandbox_config, incremental, SyncMode.incremental)
    state = StateBuilder()
    for message in first.state_messages:
        stream_state = message.state.stream
        state.with_stream_state(stream_state.stream_descriptor.name, dict(stream_state.stream_state.__dict__))
    k = 60
    changed = sandbox.mutate(contracts=k, counterparties=k, create=5)
    sandbox.reset_stats()

    second = _by_stream(_read(sandbox_config, incremental, SyncMode.incremental, state.build()))

    changed_contracts = set(changed["contracts"]["updated"]) | set(changed["contracts"]["created"])
    changed_counterparties = set(changed["counterparties"]["updated"]) | set(changed["counterparties"]["created"])
    assert changed_contracts <= {r["id"] for r in second["contracts"]}
    assert changed_counterparties <= {r["id"] for r in second["counterparties"]}
    # only what changed (plus what shares the lookback window), not the whole collection
    assert len(second["contracts"]) < len(sandbox.records("contracts")) / 2
    bound = math.ceil((k + 5) / PAGE_SIZE) + 2
    assert _list_requests(sandbox, "/v2/contracts") <= bound
    assert _list_requests(sandbox, "/v2/counterparties") <= bound


def test_incremental_with_nothing_changed_re_reads_only_the_watermark_ties(sandbox, sandbox_config):
    incremental = ["contracts", "counterparties"]
    first = _read(sandbox_config, incremental, SyncMode.incremental)
    state = StateBuilder()
    watermarks = {}
    for message in first.state_messages:
        stream_state = message.state.stream
        watermarks[stream_state.stream_descriptor.name] = stream_state.stream_state.__dict__["updatedAt"]
        state.with_stream_state(stream_state.stream_descriptor.name, dict(stream_state.stream_state.__dict__))
    sandbox.reset_stats()

    second = _by_stream(_read({**sandbox_config, "lookback_window": 0}, incremental, SyncMode.incremental, state.build()))

    for stream in incremental:
        # the inclusive bound re-reads the records AT the watermark (sandbox/mutate stamps many at once)
        ties = [r for r in sandbox.records(stream) if r["updatedAt"] == watermarks[stream]]
        assert {r["id"] for r in second.get(stream, [])} == {r["id"] for r in ties}
        assert _list_requests(sandbox, f"/v2/{stream}") <= math.ceil(len(ties) / PAGE_SIZE) + 1


def test_records_updated_while_a_sync_runs_are_caught_by_this_sync_or_the_next(sandbox, sandbox_config):
    import threading

    incremental = ["contracts", "counterparties"]
    sandbox.set_faults(latency_ms=15)  # ~20 list pages: the mutation lands mid-read
    mutated: dict = {}
    timer = threading.Timer(0.12, lambda: mutated.update(sandbox.mutate(contracts=25, counterparties=25)))
    try:
        timer.start()
        first = _read(sandbox_config, incremental, SyncMode.incremental)
        timer.join()
    finally:
        sandbox.set_faults(latency_ms=0)
    state = StateBuilder()
    for message in first.state_messages:
        stream_state = message.state.stream
        state.with_stream_state(stream_state.stream_descriptor.name, dict(stream_state.stream_state.__dict__))
    second = _read(sandbox_config, incremental, SyncMode.incremental, state.build())

    for stream in incremental:
        truth = {r["id"]: r["updatedAt"] for r in sandbox.records(stream)}
        seen = {(m.record.data["id"], m.record.data["updatedAt"]) for out in (first, second) for m in out.records
                if m.record.stream == stream}
        for record_id in mutated[stream]["updated"]:
            assert (record_id, truth[record_id]) in seen, f"{stream} {record_id}: latest version never read"
