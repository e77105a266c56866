"""The write report is the destination's typed contract with the tools driving it (tomorro-sync)."""

import json

import orjson
from airbyte_cdk.models import AirbyteMessageSerializer
from destination_tomorro.report import (
    MAX_REPORTED_ROWS,
    RejectedRow,
    ReportWarning,
    StreamCounts,
    WriteReport,
)


def _wire(report: WriteReport) -> dict:
    """The message as a tool reads it: one stdout line, decoded."""
    return json.loads(orjson.dumps(AirbyteMessageSerializer.dump(report.to_message())))


def test_report_survives_the_wire_unchanged():
    report = WriteReport(
        streams={"crm_accounts": StreamCounts(received=3, created=1, updated=1, rejected=1)},
        rejected_rows=[RejectedRow("crm_accounts", "acme", "name: a counterparty needs a name", 400)],
        rejected_rows_total=1,
        warnings=[ReportWarning("crm_accounts", "unknown_columns", "colour was not sent")],
        states_emitted=2,
    )
    assert WriteReport.from_message(_wire(report)) == report


def test_counts_add_up_only_when_every_row_has_an_outcome():
    counts = StreamCounts(received=4, created=1, unchanged=1, rejected=1)
    assert counts.accounted == 3
    counts.superseded += 1
    assert counts.accounted == counts.received


def test_other_messages_are_not_reports():
    assert WriteReport.from_message({"type": "LOG", "log": {"level": "INFO", "message": "{}"}}) is None
    other = {"type": "TRACE", "trace": {"type": "ANALYTICS", "analytics": {"type": "something_else", "value": "{}"}}}
    assert WriteReport.from_message(other) is None


def test_the_listed_rejected_rows_are_capped_but_the_total_is_kept():
    rows = [RejectedRow("s", str(i), "bad") for i in range(MAX_REPORTED_ROWS + 5)]
    parsed = WriteReport.from_message(_wire(WriteReport(rejected_rows=rows, rejected_rows_total=len(rows))))
    assert len(parsed.rejected_rows) == MAX_REPORTED_ROWS
    assert parsed.rejected_rows_total == MAX_REPORTED_ROWS + 5
