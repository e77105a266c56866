"""push accounts for every row from the destination's write report and STATE, never from its log wording."""

from __future__ import annotations

import io
import json
import math

from destination_tomorro.report import REPORT_TYPE, RejectedRow, ReportWarning, StreamCounts, WriteReport
from tomorro_sync.feed import Feed
from tomorro_sync.push import account
from tomorro_sync.push_output import DestinationOutput

STREAM = "crm_accounts"


def fed(rows) -> Feed:
    feed = Feed(rows, STREAM, "name")
    sink = io.StringIO()
    sink.close = lambda: None
    feed.run(sink)
    return feed


def report_line(counts: StreamCounts, rejected=(), warnings=()) -> str:
    report = WriteReport(streams={STREAM: counts}, rejected_rows=list(rejected), rejected_rows_total=len(rejected),
                         warnings=list(warnings), states_emitted=1)
    return json.dumps({"type": "TRACE", "trace": {"type": "ANALYTICS", "emitted_at": 0,
                                                  "analytics": {"type": REPORT_TYPE, "value": report.to_json()}}})


def state_line(rows: int) -> str:
    return json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": STREAM}, "stream_state": {"pushed_rows": rows}}}})


def output_of(*lines: str) -> DestinationOutput:
    output = DestinationOutput(STREAM)
    for line in lines:
        output.read(line + "\n")
    return output


ROWS = [{"name": "Acme"}, {"name": "Globex"}, {"name": "Initech", "amount": math.nan}]


def test_given_every_row_accounted_then_counts_add_up_with_push_own_rejects():
    feed = fed(ROWS)
    output = output_of(state_line(2), report_line(
        StreamCounts(received=2, created=1, rejected=1),
        rejected=[RejectedRow(STREAM, "Globex", "status 'x' is not allowed", 400)],
        warnings=[ReportWarning(STREAM, "unknown_columns", "columns ... were not sent: amount")]))
    summary = account(STREAM, feed, output, 0, [], max_rejected_ratio=0.9)
    assert summary.failure is None
    assert summary.counts == {"created": 1, "updated": 0, "unchanged": 0, "protected": 0, "superseded": 0, "rejected": 2}
    assert summary.rows == sum(summary.counts.values()) == 3
    assert [r["key"] for r in summary.rejected] == ["Initech", "Globex"] and summary.rejected_total == 2
    assert summary.warnings == ["columns ... were not sent: amount"]
    assert summary.committed


def test_given_no_write_report_then_the_push_fails_saying_the_outcome_is_unknown():
    summary = account(STREAM, fed(ROWS[:2]), output_of(state_line(2)), 0, [], None)
    assert "the destination sent no write report: the outcome of the 2 rows sent is unknown" in summary.failure


def test_given_no_state_back_then_the_push_fails_saying_nothing_was_confirmed():
    summary = account(STREAM, fed(ROWS[:2]), output_of(report_line(StreamCounts(received=2, created=2))), 0, [], None)
    assert "no STATE came back" in summary.failure and not summary.committed


def test_given_a_dry_run_then_no_state_is_expected_and_one_that_came_back_fails_the_push():
    report = report_line(StreamCounts(received=2, created=2))
    quiet = account(STREAM, fed(ROWS[:2]), output_of(report), 0, [], None, dry_run=True)
    assert quiet.failure is None and quiet.dry_run and not quiet.committed
    confirmed = account(STREAM, fed(ROWS[:2]), output_of(state_line(2), report), 0, [], None, dry_run=True)
    assert "confirmed a write (STATE) during a dry run" in confirmed.failure


def test_given_fewer_rows_received_than_sent_then_the_push_fails_naming_both_counts():
    output = output_of(state_line(2), report_line(StreamCounts(received=1, created=1)))
    summary = account(STREAM, fed(ROWS[:2]), output, 0, [], None)
    assert "push sent 2 rows but the destination received 1" in summary.failure


def test_given_rows_without_outcome_then_the_push_fails():
    output = output_of(state_line(2), report_line(StreamCounts(received=2, created=1)))
    summary = account(STREAM, fed(ROWS[:2]), output, 0, [], None)
    assert "the destination received 2 rows but reported an outcome for 1" in summary.failure


def test_given_rows_rejected_by_push_only_then_the_ratio_rule_applies_to_them():
    feed = fed(ROWS)
    output = output_of(state_line(2), report_line(StreamCounts(received=2, created=2)))
    assert "1 of 3 rows were rejected" in account(STREAM, feed, output, 0, [], None).failure
    assert account(STREAM, feed, output, 0, [], 0.5).failure is None


def test_given_destination_error_and_warning_logs_then_only_structured_messages_count():
    log = json.dumps({"type": "LOG", "log": {"level": "WARN", "message": "Rejected a row of stream 'x' (key 'k')"}})
    error = json.dumps({"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 0,
                                                   "error": {"message": "Tomorro refused the API key"}}})
    output = output_of(log, error)
    summary = account(STREAM, fed(ROWS[:2]), output, 1, ["Traceback ..."], None)
    assert summary.failure.startswith("Tomorro refused the API key")
    assert summary.warnings == [] and summary.rejected == []


def test_given_a_state_push_did_not_send_then_the_push_fails():
    output = output_of(state_line(5), report_line(StreamCounts(received=2, created=2)))
    assert "covers 5 rows, not the 2 sent" in account(STREAM, fed(ROWS[:2]), output, 0, [], None).failure


def test_given_protected_rows_then_push_counts_them_and_the_counts_still_add_up():
    """Issue 20: a protected row (a signed contract, a newer edit in Tomorro) is its own outcome, not a
    reject: push shows it, and every row is still accounted for."""
    feed = fed(ROWS[:2])
    output = output_of(state_line(2), report_line(StreamCounts(received=2, updated=1, protected=1)))
    summary = account(STREAM, feed, output, 0, [], max_rejected_ratio=0)
    assert summary.failure is None and summary.committed
    assert summary.counts["protected"] == 1 and summary.counts["rejected"] == 0
    assert summary.rows == sum(summary.counts.values()) == 2
