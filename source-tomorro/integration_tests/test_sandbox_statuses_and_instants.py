"""Against the sandbox: every status is read even where a list hides some by default (`status=in:` named on
each request, or one read per status where the API refuses `in:`), and every date-time is emitted as a UTC
instant (`...Z`) whatever offset or form the API used."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
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
