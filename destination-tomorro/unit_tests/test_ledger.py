"""ledger.py: every row accounted for, rejected rows and their file, the summary, the report, the ratio."""

import json

from airbyte_cdk.models import Type


def test_rejected_rows_reported_rest_written_and_sync_fails(sb, config, ab, tmp_path, w):
    catalog = ab.catalog(("contracts", "append_dedup"))
    rows = w.deals(4)
    rows[1]["industry"] = "Bakery"  # unknown select label: rejected before any request
    sb.script("POST", "/v2/contracts", "pass", 400)  # D-2, the second create, is refused by the API with a 400
    out, error = w.run({**config, "max_concurrency": 1}, catalog, [ab.record("contracts", r) for r in rows] + [ab.state()])
    assert len(sb.records("contracts")) == 2 and len(w.states(out)) == 0  # over the threshold: the state is withheld
    assert error is not None and error.failure_type.value == "config_error"
    assert "2 of 4 rows were rejected" in error.message and "'Bakery' is not an option" in error.message
    lines = [json.loads(line) for line in open(config["rejected_rows_path"])]
    assert {(r["key"], r["status_code"]) for r in lines} == {("D-1", None), ("D-2", 400)}
    assert all(set(r) == {"stream", "key", "reason", "status_code", "record"} for r in lines)
    assert lines[0]["stream"] == "contracts" and lines[0]["record"]["external_id"] in ("D-1", "D-2")



def test_max_rejected_ratio_lets_the_sync_succeed(config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"))
    rows = w.deals(4)
    rows[0]["status"] = "approved"
    _, error = w.run({**config, "max_rejected_ratio": 0.25}, catalog, [ab.record("contracts", r) for r in rows])
    assert error is None
    _, error = w.run({**config, "max_rejected_ratio": 0.1}, catalog, [ab.record("contracts", r) for r in rows])
    assert error is not None



def test_unknown_columns_reported_once(config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"))
    out, _ = w.run(config, catalog, [ab.record("contracts", {**r, "owner": "x", "_airbyte_meta": {}}) for r in w.deals(3)])
    warnings = [m.log.message for m in out if m.type == Type.LOG and "not sent" in m.log.message]
    assert warnings == ["stream 'contracts': 1 column matching no contract attribute or smart field was not sent: owner"]



def test_tools_read_the_report_not_a_log_line(config, ab, w):
    out, _ = w.run(config, ab.catalog(("counterparties", "append_dedup")), [ab.record("counterparties", {"name": "A"})])
    assert not [m for m in out if m.type == Type.LOG and m.log.message.startswith("tomorro-destination stats")]
    counts = w.report(out).streams["counterparties"]
    assert (counts.received, counts.created, counts.accounted) == (1, 1, 1)


def test_write_ends_with_the_report_every_row_accounted_for(config, ab, w):
    from destination_tomorro.report import WriteReport

    rows = [{"name": "A"}, {"name": "B", "status": "bogus"}, {"name": "A"}]
    messages = [ab.record("counterparties", row) for row in rows] + [ab.state("counterparties", 1)]
    out, _ = w.run(config, ab.catalog(("counterparties", "append_dedup")), messages)
    reports = [WriteReport.from_message(json.loads(json.dumps({"type": "TRACE", "trace": {
        "type": "ANALYTICS", "analytics": {"type": m.trace.analytics.type, "value": m.trace.analytics.value}}})))
        for m in out if m.type == Type.TRACE and m.trace.analytics is not None]
    assert len(reports) == 1
    counts = reports[0].streams["counterparties"]
    assert (counts.received, counts.created, counts.rejected, counts.superseded) == (3, 1, 1, 1)
    assert counts.accounted == counts.received
    assert [r.key for r in reports[0].rejected_rows] == ["B"]
    assert (reports[0].states_emitted, reports[0].states_withheld) == (0, 1)


def test_thousands_of_unknown_columns_make_one_warning(config, ab, w, airbyte_logs):
    row = {**w.deals(1)[0], **{f"col_{i:04d}": i for i in range(5000)}}
    out, error = w.run(config, ab.catalog(("contracts", "append_dedup")), [ab.record("contracts", row)])
    assert error is None
    warnings = [m.log.message for m in out if m.type == Type.LOG and m.log.level.value == "WARN"]
    warnings += [r.getMessage() for r in airbyte_logs if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings[:3]
    assert warnings[0].startswith("stream 'contracts': 5000 columns matching no contract attribute or smart field "
                                  "were not sent: col_0000, col_0001")
    assert warnings[0].endswith("and 4980 more") and len(warnings[0]) < 500
    assert [x.code for x in w.report(out).warnings] == ["unknown_columns"]
