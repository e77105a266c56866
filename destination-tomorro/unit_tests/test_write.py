"""DestinationTomorro.write against the in-memory fake: ordering, stats, upserts, rejects, dry run."""

import json

import pytest
from airbyte_cdk.models import Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro import DestinationTomorro


def run(config, catalog, messages):
    """Collect everything write() yields; returns (messages, exception or None)."""
    out = []
    try:
        for message in DestinationTomorro().write(config, catalog, iter(messages)):
            out.append(message)
    except AirbyteTracedException as exc:
        return out, exc
    return out, None


def states(out):
    return [m for m in out if m.type == Type.STATE]


def logs(out):
    return "\n".join(m.log.message for m in out if m.type == Type.LOG)


def deals(n, start=0, **extra):
    return [{"external_id": f"D-{i}", "name": f"Deal {i}", "counterparty": f"Company {i % 3}",
             "contract_value": 100 + i, **extra} for i in range(start, start + n)]


def test_state_is_emitted_only_after_its_records_are_written(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"))
    seen_at_state = []

    def messages():
        for batch in (deals(3), deals(2, start=3)):
            for row in batch:
                yield ab.record("contracts", row)
            yield ab.state("contracts", len(seen_at_state))

    for message in DestinationTomorro().write(config, catalog, messages()):
        if message.type == Type.STATE:
            seen_at_state.append((message.state.stream.stream_state.v, fake.calls("POST", "/contracts"),
                                  message.state.destinationStats.recordCount))
    assert seen_at_state == [(0, 3, 3.0), (1, 5, 2.0)]


def test_states_keep_their_order_and_count_global_records(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"), ("counterparties", "append_dedup"))
    messages = [ab.record("counterparties", {"name": "Acme"}), ab.state(value=1),
                ab.record("contracts", deals(1)[0]), ab.record("counterparties", {"name": "Beta"}), ab.state(value=2),
                ab.state(value=3)]
    out, error = run(config, catalog, messages)
    assert error is None
    assert [(s.state.global_.shared_state.v, s.state.destinationStats.recordCount) for s in states(out)] == [
        (1, 1.0), (2, 2.0), (3, 0.0)]


def test_create_then_upsert_then_rerun(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"))
    out, error = run(config, catalog, [ab.record("contracts", r) for r in deals(6)] + [ab.state()])
    assert error is None and len(fake.contracts) == 6 and len(fake.counterparties) == 3
    assert "created 6, updated 0, unchanged 0, rejected 0" in logs(out)
    changed = deals(6)
    changed[0]["contract_value"] = 999
    changed[1]["name"] = "Renamed"
    fake.mocker.reset_mock()
    out, error = run(config, catalog, [ab.record("contracts", r) for r in changed])
    assert error is None
    assert "created 0, updated 2, unchanged 4" in logs(out)
    patches = [r.json() for r in fake.mocker.request_history if r.method == "PATCH"]
    assert sorted(patches, key=str) == sorted([{"fields": [{"fieldId": "f-value", "value": 999}]}, {"name": "Renamed"}], key=str)
    fake.mocker.reset_mock()
    out, error = run(config, catalog, [ab.record("contracts", r) for r in changed])
    assert "created 0, updated 0, unchanged 6" in logs(out) and fake.writes() == 0
    assert len(fake.contracts) == 6 and len(fake.counterparties) == 3


def test_append_creates_but_never_updates_or_duplicates(fake, config, ab):
    catalog = ab.catalog(("contracts", "append"))
    run(config, catalog, [ab.record("contracts", r) for r in deals(2)])
    out, error = run(config, catalog, [ab.record("contracts", {**r, "name": "changed"}) for r in deals(3)])
    assert error is None and "created 1, updated 0, unchanged 2" in logs(out)
    assert len(fake.contracts) == 3 and {c["name"] for c in fake.contracts.values()} == {"Deal 0", "Deal 1", "changed"}


def test_rejected_rows_reported_rest_written_and_sync_fails(fake, config, ab, tmp_path):
    catalog = ab.catalog(("contracts", "append_dedup"))
    rows = deals(4)
    rows[1]["industry"] = "Bakery"  # unknown select label: rejected before any request
    rows[2]["contract_value"] = 666  # refused by the API with a 400
    out, error = run(config, catalog, [ab.record("contracts", r) for r in rows] + [ab.state()])
    assert len(fake.contracts) == 2 and len(states(out)) == 1
    assert error is not None and error.failure_type.value == "config_error"
    assert "2 of 4 rows were rejected" in error.message and "'Bakery' is not an option" in error.message
    lines = [json.loads(line) for line in open(config["rejected_rows_path"])]
    assert {(r["key"], r["status_code"]) for r in lines} == {("D-1", None), ("D-2", 400)}
    assert all(set(r) == {"stream", "key", "reason", "status_code", "record"} for r in lines)
    assert lines[0]["stream"] == "contracts" and lines[0]["record"]["external_id"] in ("D-1", "D-2")


def test_max_rejected_ratio_lets_the_sync_succeed(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"))
    rows = deals(4)
    rows[0]["status"] = "approved"
    _, error = run({**config, "max_rejected_ratio": 0.25}, catalog, [ab.record("contracts", r) for r in rows])
    assert error is None
    _, error = run({**config, "max_rejected_ratio": 0.1}, catalog, [ab.record("contracts", r) for r in rows])
    assert error is not None


def test_dry_run_classifies_and_writes_nothing(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"))
    run(config, catalog, [ab.record("contracts", r) for r in deals(3)])
    fake.mocker.reset_mock()
    rows = deals(5)
    rows[0]["contract_value"] = 1
    rows[4]["status"] = "nope"
    out, error = run({**config, "dry_run": True}, catalog, [ab.record("contracts", r) for r in rows])
    assert fake.writes() == 0
    text = logs(out)
    assert "DRY RUN" in text and "would be created 1, would be updated 1, unchanged 2, rejected 1" in text
    assert error is not None and "1 of 5 rows were rejected" in error.message


def test_ambiguous_create_that_landed_is_not_repeated(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"), ("counterparties", "append_dedup"))
    fake.fail_next = ["landed-exc"]
    out, error = run({**config, "max_concurrency": 1}, catalog,
                     [ab.record("counterparties", {"name": "Solo"}), ab.state()])
    assert error is None and len(fake.counterparties) == 1
    fake.fail_next = ["landed-exc", "exc"]
    out, error = run({**config, "max_concurrency": 1}, catalog,
                     [ab.record("contracts", {"external_id": "X-1", "counterparty_id": next(iter(fake.counterparties))}),
                      ab.record("contracts", {"external_id": "X-2", "counterparty_id": next(iter(fake.counterparties))})])
    assert error is None
    assert sorted(c["integration"]["externalId"] for c in fake.contracts.values()) == ["X-1", "X-2"]


def test_transient_failure_fails_the_sync_and_withholds_the_state(fake, config, ab):
    catalog = ab.catalog(("counterparties", "append_dedup"))
    fake.fail_next = ["exc", "exc", "exc"]  # 1 try + 2 retries, never landed
    out, error = run({**config, "max_concurrency": 1}, catalog,
                     [ab.record("counterparties", {"name": "A"}), ab.state(value=1)])
    assert states(out) == [] and error is not None and error.failure_type.value == "transient_error"


def test_duplicate_keys_in_one_batch_later_row_wins(fake, config, ab):
    catalog = ab.catalog(("counterparties", "append_dedup"))
    rows = [{"name": "Acme", "siren": "1"}, {"name": "ACME", "siren": "2"}, {"name": "Beta"}]
    out, error = run(config, catalog, [ab.record("counterparties", r) for r in rows])
    assert error is None and "created 2, updated 0, unchanged 0, rejected 0, superseded 1" in logs(out)
    assert sorted((c["name"], c["fields"].get("cf-siren")) for c in fake.counterparties.values()) == [
        ("ACME", "2"), ("Beta", None)]


def test_counterparty_by_name_found_case_insensitively_or_created_once(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"))
    fake._new_cp({"name": "Existing Corp"})
    rows = [{"external_id": f"E-{i}", "counterparty": name} for i, name in
            enumerate(["existing corp", "New One", "NEW ONE", "new one", "Existing Corp"])]
    _, error = run({**config, "max_concurrency": 4}, catalog, [ab.record("contracts", r) for r in rows])
    assert error is None
    assert sorted(c["name"] for c in fake.counterparties.values()) == ["Existing Corp", "New One"]
    assert fake.calls("POST", "/counterparties") == 1


def test_match_on_smart_field_lists_once(fake, config, ab):
    catalog = ab.catalog(("accounts", "append_dedup", "counterparty"))
    fake._new_cp({"name": "Old name", "attributes": [{"attributeDefinitionId": "cf-siren", "value": "111"}]})
    out, error = run({**config, "counterparty_match_field": "SIREN"}, catalog,
                     [ab.record("accounts", {"name": "New name", "siren": "111"}),
                      ab.record("accounts", {"name": "Other", "siren": "222"})])
    assert error is None and "created 1, updated 1" in logs(out)
    assert fake.calls("GET", "/counterparties") == 1


def test_unknown_columns_reported_once(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"))
    out, _ = run(config, catalog, [ab.record("contracts", {**r, "owner": "x", "_airbyte_meta": {}}) for r in deals(3)])
    warnings = [m.log.message for m in out if m.type == Type.LOG and "not sent" in m.log.message]
    assert warnings == ["stream 'contracts': columns matching no contract attribute or smart field were not sent: owner"]


def test_record_of_a_stream_not_in_the_catalog_is_rejected(fake, config, ab):
    catalog = ab.catalog(("contracts", "append_dedup"))
    _, error = run(config, catalog, [ab.record("contracts", deals(1)[0]), ab.record("leads", {"x": 1})])
    assert len(fake.contracts) == 1
    assert error is not None and "stream 'leads' is not in the configured catalog" in error.message


@pytest.mark.parametrize("batch_size, expected_flushes", [(2, 3), (100, 1)])
def test_batches_flush_at_batch_size(fake, config, ab, batch_size, expected_flushes):
    catalog = ab.catalog(("counterparties", "append_dedup"))
    _, error = run({**config, "batch_size": batch_size}, catalog,
                   [ab.record("counterparties", {"name": f"N{i}"}) for i in range(5)])
    assert error is None and len(fake.counterparties) == 5


def test_bad_api_key_fails_with_config_error(fake, config, ab):
    fake.mocker.get(f"{config['base_url']}/contracts", status_code=401, json={"statusCode": 401, "message": "no"})
    _, error = run({**config, "api_key": "wrong-key-987"}, ab.catalog(("contracts", "append_dedup")),
                   [ab.record("contracts", deals(1)[0])])
    assert error.failure_type.value == "config_error" and "Tomorro rejected the API key" in error.message
    assert "wrong-key-987" not in error.message


def test_409_on_create_resolves_to_the_existing_contract(fake, config, ab):
    fake.dedup = True
    catalog = ab.catalog(("contracts", "append_dedup"))
    messages = [ab.record("contracts", deals(1)[0]), ab.state(value=1), ab.record("contracts", deals(2)[1])]

    def inject():
        for i, message in enumerate(messages):
            if i == 2:  # someone else created D-1 after our index was built
                cp = next(iter(fake.counterparties.values()))
                fake.contracts["other"] = {"id": "other", "name": "x", "status": "draft", "templateId": "tpl-mutual",
                                           "counterparty": {"id": cp["id"], "name": cp["name"]}, "fields": [],
                                           "integration": {"type": "hubspot", "externalId": "D-1"},
                                           "createdAt": "2020-01-01T00:00:00.000Z", "updatedAt": "x"}
            yield message

    out = list(DestinationTomorro().write(config, catalog, inject()))
    assert [c["integration"]["externalId"] for c in fake.contracts.values()] == ["D-0", "D-1"]
    assert len(states(out)) == 1


def test_unknown_match_field_fails_write_as_config_error(fake, config, ab):
    _, error = run({**config, "counterparty_match_field": "vat number"}, ab.catalog(("counterparties", "append_dedup")),
                   [ab.record("counterparties", {"name": "A"})])
    assert error.failure_type.value == "config_error" and "counterparty_match_field 'vat number'" in error.message
    assert fake.writes() == 0


def test_namespaced_records_route_by_unique_stream_name(fake, config, ab):
    from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage

    message = AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(
        stream="counterparties", namespace="crm", data={"name": "Namespaced"}, emitted_at=0))
    _, error = run(config, ab.catalog(("counterparties", "append_dedup")), [message])
    assert error is None and [c["name"] for c in fake.counterparties.values()] == ["Namespaced"]


def test_machine_readable_stats_line(fake, config, ab):
    out, _ = run(config, ab.catalog(("counterparties", "append_dedup")), [ab.record("counterparties", {"name": "A"})])
    line = next(m.log.message for m in out if m.type == Type.LOG and m.log.message.startswith("tomorro-destination stats "))
    stats = json.loads(line.removeprefix("tomorro-destination stats "))
    assert stats == {"counterparties": {"received": 1, "created": 1, "updated": 0, "unchanged": 0, "rejected": 0,
                                        "superseded": 0, "dry_run": False}}


def test_write_ends_with_the_report_every_row_accounted_for(fake, config, ab):
    from destination_tomorro.report import WriteReport

    rows = [{"name": "A"}, {"name": "B", "status": "bogus"}, {"name": "A"}]
    messages = [ab.record("counterparties", row) for row in rows] + [ab.state("counterparties", 1)]
    out, _ = run(config, ab.catalog(("counterparties", "append_dedup")), messages)
    reports = [WriteReport.from_message(json.loads(json.dumps({"type": "TRACE", "trace": {
        "type": "ANALYTICS", "analytics": {"type": m.trace.analytics.type, "value": m.trace.analytics.value}}})))
        for m in out if m.type == Type.TRACE and m.trace.analytics is not None]
    assert len(reports) == 1
    counts = reports[0].streams["counterparties"]
    assert (counts.received, counts.created, counts.rejected, counts.superseded) == (3, 1, 1, 1)
    assert counts.accounted == counts.received
    assert [r.key for r in reports[0].rejected_rows] == ["b"] and reports[0].states_emitted == 1
