"""End to end: `tomorro-sync push` with hostile input, against a sandbox and the real destination.

Every row is accounted for: a broken CSV writes nothing; rows JSON cannot carry are rejected by push
itself and listed with the destination's rejects; a reader that fails half-way fails the push and
no STATE is acknowledged.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.cli import main
from tomorro_sync.push import push
from tomorro_sync.target import Target

KEY = "tk_live_PUSH_INPUTS_0123456789"


@pytest.fixture(scope="module")
def sandbox(e2e_dir):
    with SandboxServer(seed=13, contracts=10, counterparties=10, fields=16, members=3, api_key=KEY) as sb:
        yield sb


@pytest.fixture
def target(sandbox) -> Target:
    return Target(api_key=KEY, base_url=sandbox.url, sandbox=sandbox)


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.stats()["requests"] if r["method"] in ("POST", "PATCH")]


def cli(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, " ".join((out.out + out.err).split())


def test_given_csv_with_an_undecodable_byte_when_pushed_then_nothing_is_written_and_the_line_is_named(
        e2e_dir, sandbox, tmp_path, capsys):
    csv = tmp_path / "accounts.csv"
    csv.write_bytes(b"name,status\nByte Test One,active\nByte Test Tw\xf6,active\n")
    config = tmp_path / "tomorro.json"
    config.write_text(json.dumps({"api_key": KEY, "base_url": sandbox.url}))
    sandbox.reset_stats()
    code, text = cli(capsys, "push", "--config", str(config), "--csv", str(csv), "--object", "counterparty",
                     "--db", str(e2e_dir / "push-inputs.duckdb"))
    assert code == 1
    assert "accounts.csv, line 3: byte 0xF6 at position 13 is not UTF-8" in text and "Nothing was pushed" in text
    assert writes(sandbox) == []


def test_given_table_with_nan_and_infinity_when_pushed_then_push_rejects_those_rows_naming_the_column(
        e2e_dir, sandbox, target):
    db = e2e_dir / "crm-floats.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE accounts (name VARCHAR, status VARCHAR, score DOUBLE)")
        con.execute("INSERT INTO accounts VALUES ('Float Row Fine', 'active', 1.5), "
                    "('Float Row NaN', 'active', 'nan'::DOUBLE), ('Float Row Inf', 'active', 'inf'::DOUBLE)")
    from tomorro_sync.rows import from_duckdb

    before = {r["name"] for r in sandbox.records("counterparties")}
    summary = push(target, from_duckdb(db, "accounts"), stream="accounts", object_name="counterparty",
                   work_dir=e2e_dir)
    created = {r["name"] for r in sandbox.records("counterparties")} - before
    assert created == {"Float Row Fine"}
    assert summary.rows == 3 and summary.sent == 1
    assert summary.counts["created"] == 1 and summary.counts["rejected"] == 2
    assert summary.rows == sum(summary.counts.values())
    reasons = {r["key"]: r["reason"] for r in summary.rejected}
    assert reasons["Float Row NaN"].startswith("column 'score' holds nan")
    assert reasons["Float Row Inf"].startswith("column 'score' holds inf")
    assert "2 of 3 rows were rejected" in summary.failure  # no --max-rejected-ratio: any reject fails the push
    lines = (e2e_dir / "rejected-accounts.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["key"] for line in lines) == ["Float Row Inf", "Float Row NaN"]


def test_given_a_reader_failing_half_way_when_pushed_then_the_push_fails_and_no_state_is_acknowledged(
        e2e_dir, sandbox, target):
    def rows():
        yield {"name": "Half Way One", "status": "active"}
        yield {"name": "Half Way Two", "status": "active"}
        raise OSError("the CRM export was truncated")

    summary = push(target, rows(), stream="half_way", object_name="counterparty", work_dir=e2e_dir)
    assert not summary.committed
    assert "reading the rows stopped after row 2: the CRM export was truncated" in summary.failure
    assert "The closing STATE was withheld" in summary.failure
    assert summary.counts["created"] + summary.counts["unchanged"] == 2  # the destination still reports them
