"""Against the sandbox: every status is read even where a list hides some by default (`status=in:` named on
each request, or one read per status where the API refuses `in:`), and every date-time is emitted as a UTC
instant (`...Z`) whatever offset or form the API used."""

from __future__ import annotations

import time

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder
from source_tomorro.run import create_source


@pytest.fixture(autouse=True)
def _restore(sandbox):
    yield
    sandbox.set_api_profiles([])
    sandbox.reset()


def _records(config, streams, state=None):
    builder = CatalogBuilder()
    for stream in streams:
        builder.with_stream(stream, SyncMode.incremental if stream in ("contracts", "counterparties")
                            else SyncMode.full_refresh)
    catalog = builder.build()
    output = read(create_source(config=config, catalog=catalog, state=state), config, catalog, state)
    assert not output.errors, [e.trace.error.message for e in output.errors]
    out: dict = {}
    for message in output.records:
        out.setdefault(message.record.stream, {})[message.record.data["id"]] = message.record.data
    return out, output


@pytest.mark.parametrize("profiles", [["default-lists-hide-closed"],
                                      ["default-lists-hide-closed", "status-in-refused"],
                                      ["default-lists-hide-closed", "status-in-refused", "sort-ignored"]])
def test_given_a_list_that_hides_closed_records_when_read_then_every_status_is_read(sandbox, sandbox_config, profiles):
    sandbox.set_api_profiles(profiles)
    truth = {name: {r["id"]: r["status"] for r in sandbox.records(name)} for name in ("contracts", "counterparties")}
    assert "archived" in truth["counterparties"].values() and "canceled" in truth["contracts"].values()

    records, output = _records(sandbox_config, ["contracts", "counterparties"])

    for name in ("contracts", "counterparties"):
        assert {rid: r["status"] for rid, r in records[name].items()} == truth[name], name
    refused = "status-in-refused" in profiles
    assert any("reading once per status" in m.log.message for m in output.logs) == refused


def test_given_date_times_with_offsets_lowercase_z_or_microseconds_when_read_then_utc_instants(sandbox, sandbox_config):
    contract, counterparty = sandbox.records("contracts")[0], sandbox.records("counterparties")[0]
    sandbox.edit(records={
        "contracts": [{"id": contract["id"], "createdAt": "2024-03-01T10:00:00+05:30", "startAt": "2024-03-02T00:00:00-02:00",
                       "endAt": "2024-03-03T12:00:00.123456Z", "signatureDate": "2024-03-04T08:00:00",
                       "updatedAt": "2024-03-05T09:00:00.000z"}],
        "counterparties": [{"id": counterparty["id"], "createdAt": "2024-03-01T10:00:00.5+01:00"}]})

    records, _ = _records(sandbox_config, ["contracts", "counterparties"])

    got = records["contracts"][contract["id"]]
    assert (got["createdAt"], got["startAt"], got["endAt"], got["signatureDate"], got["updatedAt"]) == (
        "2024-03-01T04:30:00.000Z", "2024-03-02T02:00:00.000Z", "2024-03-03T12:00:00.123456Z",
        "2024-03-04T08:00:00.000Z", "2024-03-05T09:00:00.000Z")
    assert records["counterparties"][counterparty["id"]]["createdAt"] == "2024-03-01T09:00:00.500Z"


@pytest.mark.parametrize("profiles", [["status-in-refused"], ["status-in-refused", "sort-ignored"]])
def test_given_one_list_per_status_when_a_contract_moves_to_a_list_read_already_then_the_next_sync_has_it(
        sandbox, sandbox_config, profiles):
    """Where `in:` is refused, the statuses are read one after the other: a contract moved from one not read yet to
    one read already is in neither list. Records changed since the lists began are left to the next sync, whose
    bound stays before them, rather than a state past a record this sync never saw."""
    sandbox.set_api_profiles(profiles)
    contracts = sandbox.records("contracts")
    moved = next(c for c in contracts if c["status"] == "canceled")  # canceled is read last
    later = next(c for c in contracts if c["status"] == "draft")
    # draft is read first; when the signed list is asked, `moved` goes back to draft, out of every list left
    sandbox.move({"method": "GET", "path": "/v2/contracts", "query": {"status": "signed"}},
                 [{"id": moved["id"], "status": "draft"}])
    # and when the canceled list is asked, another contract changes, newer than `moved`, and is listed there
    sandbox.move({"method": "GET", "path": "/v2/contracts", "query": {"status": "canceled"}},
                 [{"id": later["id"], "status": "canceled"}])
    config = {**sandbox_config, "lookback_window": 0}

    first, output = _records(config, ["contracts"])
    time.sleep(2.5)  # the next sync begins later than the moves by more than CLOCK_MARGIN and a `Date`'s second
    state = StateBuilder().with_stream_state("contracts", dict(output.state_messages[-1].state.stream.stream_state.__dict__))
    second, _ = _records(config, ["contracts"], state.build())

    assert not sandbox.moves()  # both moves happened during the first sync
    assert first["contracts"].get(moved["id"], {}).get("status") != "draft"  # the first sync could not see it
    assert second["contracts"][moved["id"]]["status"] == "draft"
    assert second["contracts"][later["id"]]["status"] == "canceled"
