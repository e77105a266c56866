"""writer.py: the STATE / RECORD loop and the batches."""


import json

import pytest
from airbyte_cdk.models import Type
from destination_tomorro import DestinationTomorro


def test_state_is_emitted_only_after_its_records_are_written(sb, config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"))
    seen_at_state = []

    def messages():
        for batch in (w.deals(3), w.deals(2, start=3)):
            for row in batch:
                yield ab.record("contracts", row)
            yield ab.state("contracts", len(seen_at_state))

    for message in DestinationTomorro().write(config, catalog, messages()):
        if message.type == Type.STATE:
            seen_at_state.append((message.state.stream.stream_state.v, len(sb.requests("POST", "/v2/contracts")),
                                  message.state.destinationStats.recordCount))
    assert seen_at_state == [(0, 3, 3.0), (1, 5, 2.0)]



def test_states_keep_their_order_and_count_global_records(config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"), ("counterparties", "append_dedup"))
    messages = [ab.record("counterparties", {"name": "Acme"}), ab.state(value=1),
                ab.record("contracts", w.deals(1)[0]), ab.record("counterparties", {"name": "Beta"}), ab.state(value=2),
                ab.state(value=3)]
    out, error = w.run(config, catalog, messages)
    assert error is None
    assert [(s.state.global_.shared_state.v, s.state.destinationStats.recordCount) for s in w.states(out)] == [
        (1, 1.0), (2, 2.0), (3, 0.0)]



def test_transient_failure_fails_the_sync_and_withholds_the_state(sb, config, ab, w):
    catalog = ab.catalog(("counterparties", "append_dedup"))
    sb.script("POST", "/v2/counterparties", "reset", "reset", "reset")  # 1 try + 2 retries, never landed
    out, error = w.run({**config, "max_concurrency": 1}, catalog,
                     [ab.record("counterparties", {"name": "A"}), ab.state(value=1)])
    assert w.states(out) == [] and error is not None and error.failure_type.value == "transient_error"



def test_duplicate_keys_in_one_batch_later_row_wins(sb, ref, config, ab, w):
    catalog = ab.catalog(("counterparties", "append_dedup"))
    rows = [{"name": "Acme", "siren": "1"}, {"name": "ACME", "siren": "2"}, {"name": "Beta"}]
    out, error = w.run(config, catalog, [ab.record("counterparties", r) for r in rows])
    assert error is None and "created 2, updated 0, unchanged 0, rejected 0, superseded 1" in w.logs(out)
    assert sorted((c["name"], c["fields"].get(ref.cp_field["SIREN"])) for c in sb.records("counterparties")) == [
        ("ACME", "2"), ("Beta", None)]



def test_record_of_a_stream_not_in_the_catalog_is_rejected(sb, config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"))
    _, error = w.run(config, catalog, [ab.record("contracts", w.deals(1)[0]), ab.record("leads", {"x": 1})])
    assert len(sb.records("contracts")) == 1
    assert error is not None and "stream 'leads' is not in the configured catalog" in error.message



@pytest.mark.parametrize("batch_size, expected_flushes", [(2, 3), (100, 1)])
def test_batches_flush_at_batch_size(sb, config, ab, batch_size, expected_flushes, w):
    catalog = ab.catalog(("counterparties", "append_dedup"))
    _, error = w.run({**config, "batch_size": batch_size}, catalog,
                   [ab.record("counterparties", {"name": f"N{i}"}) for i in range(5)])
    assert error is None and len(sb.records("counterparties")) == 5



def test_namespaced_records_route_by_unique_stream_name(sb, config, ab, w):
    from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage

    message = AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(
        stream="counterparties", namespace="crm", data={"name": "Namespaced"}, emitted_at=0))
    _, error = w.run(config, ab.catalog(("counterparties", "append_dedup")), [message])
    assert error is None and [c["name"] for c in sb.records("counterparties")] == ["Namespaced"]


def test_over_the_ratio_at_a_state_the_state_is_withheld_and_the_sync_stops(sb, config, ab, w):
    catalog = ab.catalog(("counterparties", "append_dedup"))
    messages = [ab.record("counterparties", {"name": "A"}), ab.state("counterparties", 1),
                ab.record("counterparties", {"name": "B", "status": "bogus"}), ab.record("counterparties", {"name": "C"}),
                ab.state("counterparties", 2), ab.record("counterparties", {"name": "D"}), ab.state("counterparties", 3)]
    out, error = w.run({**config, "max_rejected_ratio": 0.2}, catalog, messages)
    assert [s.state.stream.stream_state.v for s in w.states(out)] == [1]  # 1 of 3 rejected at state 2: over 0.2
    assert "the next sync sends these rows again" in error.message and error.failure_type.value == "config_error"
    assert sorted(c["name"] for c in sb.records("counterparties")) == ["A", "C"]  # D was never read
    report = w.report(out)
    assert (report.states_emitted, report.states_withheld) == (1, 1)
    assert report.streams["counterparties"].received == 3


def test_under_the_ratio_the_state_moves_on_and_each_rejected_row_is_one_structured_log_line(config, ab, w, airbyte_logs):
    catalog = ab.catalog(("counterparties", "append_dedup"))
    rows = [{"name": f"N{i}"} for i in range(9)] + [{"name": "Bad", "status": "bogus"}]
    out, error = w.run({**config, "max_rejected_ratio": 0.1}, catalog,
                       [ab.record("counterparties", r) for r in rows] + [ab.state("counterparties", 1)])
    assert error is None and len(w.states(out)) == 1
    lines = [r.getMessage() for r in airbyte_logs if r.getMessage().startswith("Rejected a row: ")]
    assert [json.loads(line.removeprefix("Rejected a row: ")) for line in lines] == [
        {"stream": "counterparties", "key": "Bad", "reason": "status: 'bogus' is not one of active, archived",
         "status_code": None}]


def test_a_failed_sync_still_accounts_for_every_row(sb, config, ab, w):
    catalog = ab.catalog(("counterparties", "append_dedup"), ("contracts", "append_dedup"))
    sb.script("POST", "/v2/counterparties", "pass", "reset", "reset", "reset")  # the 2nd create never lands
    rows = [ab.record("counterparties", {"name": n}) for n in ("A", "B")] + [ab.record("contracts", w.deals(1)[0])]
    out, error = w.run({**config, "max_concurrency": 1}, catalog, rows + [ab.state(value=1)])
    assert error is not None and error.failure_type.value == "transient_error" and w.states(out) == []
    report = w.report(out)
    assert (report.streams["counterparties"].created, report.streams["counterparties"].unwritten) == (1, 1)
    assert report.streams["contracts"].unwritten == 1
    for counts in report.streams.values():
        assert counts.accounted == counts.received


def test_a_record_whose_data_is_not_an_object_is_rejected_naming_it(config, ab, w):
    from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage

    bad = AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage.__new__(AirbyteRecordMessage))
    bad.record.stream, bad.record.namespace, bad.record.data, bad.record.emitted_at = "counterparties", None, [1, 2], 0
    out, error = w.run({**config, "max_rejected_ratio": 0.5}, ab.catalog(("counterparties", "append_dedup")),
                       [bad, ab.record("counterparties", {"name": "Fine"})])
    assert error is None
    rejected = w.report(out).rejected_rows
    assert [r.reason for r in rejected] == ["record 1 of the batch: its data is a list, not an object"]
