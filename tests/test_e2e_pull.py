"""End to end: `tomorro-sync pull` (the source-tomorro console script into DuckDB) against a sandbox.

A full pull must equal the sandbox's ground truth stream by stream, and a pull after
/_sandbox/mutate must bring exactly the changed records (plus the ties at the saved cursor,
which an inclusive lower bound re-reads on purpose).
"""

from __future__ import annotations

import datetime as dt

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target

# stream -> sandbox ground-truth collection
STREAMS = {
    "contracts": "contracts",
    "counterparties": "counterparties",
    "fields": "smart-fields",
    "field_options": "options",
    "members": "members",
    "contract_types": "contract-types",
    "clauses": "clauses",
    "contract_signed_files": "signed-files",
}


def utc(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


SECRET = "tk_live_E2E_NEVER_LOGGED_42"


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=7, contracts=240, counterparties=70, fields=60, members=8, api_key=SECRET) as sb:
        yield sb


@pytest.fixture(scope="module")
def target(sandbox) -> Target:
    return Target.of_sandbox(sandbox, lookback_window=0)


@pytest.fixture(scope="module")
def first_pull(e2e_dir, target):
    db = e2e_dir / "warehouse.duckdb"
    summary = pull(target, db)
    return db, summary


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_given_first_pull_then_each_table_holds_exactly_the_sandbox_records(first_pull, sandbox, stream):
    db, summary = first_pull
    truth = {record["id"] for record in sandbox.records(STREAMS[stream])}
    pulled = [row[0] for row in query(db, f"SELECT id FROM main.{stream}")]
    assert len(pulled) == len(set(pulled)), f"duplicate ids in {stream}"
    assert set(pulled) == truth
    assert summary.records[stream] == len(truth)


@pytest.mark.parametrize("stream", ["contracts", "counterparties"])
def test_given_first_pull_then_updated_at_matches_the_sandbox(first_pull, sandbox, stream):
    db, _ = first_pull
    truth = {record["id"]: utc(record["updatedAt"]) for record in sandbox.records(stream)}
    pulled = {row[0]: utc(row[1]) for row in query(db, f"SELECT id, updatedat FROM main.{stream}")}
    assert pulled == truth


def test_given_changes_in_tomorro_when_pulled_again_then_exactly_the_changes_arrive(first_pull, sandbox, target):
    db, _ = first_pull
    watermark = {stream: max(utc(r["updatedAt"]) for r in sandbox.records(stream))
                 for stream in ("contracts", "counterparties")}
    changed = sandbox.mutate(contracts=12, counterparties=5, create=3)
    sandbox.reset_stats()

    second = pull(target, db, streams=["contracts", "counterparties"])

    for stream in ("contracts", "counterparties"):
        truth = sandbox.records(stream)
        # inclusive lower bound, no lookback: the changes plus any record tied at the old watermark
        expected = {r["id"] for r in truth if utc(r["updatedAt"]) >= watermark[stream]}
        touched = set(changed[stream]["updated"]) | set(changed[stream].get("created", []))
        assert touched <= expected
        assert second.records[stream] == len(expected), stream
        pulled = {row[0]: utc(row[1]) for row in query(db, f"SELECT id, updatedat FROM main.{stream}")}
        assert pulled == {r["id"]: utc(r["updatedAt"]) for r in truth}, f"{stream} differs after merge"
    # cost: O(changes / page) list requests, not O(all records / page)
    lists = {row["path"]: row["count"] for row in sandbox.stats()["requests"] if row["method"] == "GET"}
    assert lists.get("/v2/contracts", 0) <= 3
    assert lists.get("/v2/counterparties", 0) <= 3


def test_given_pulls_then_no_log_or_file_written_holds_the_api_key(first_pull, e2e_dir):
    """The connector's logs, the spool files and the DuckDB file never hold the key."""
    written = [path for path in e2e_dir.rglob("*") if path.is_file()]
    assert any(path.suffix == ".log" for path in written)  # the check looks at real logs
    leaking = [path for path in written if SECRET.encode() in path.read_bytes()]
    assert leaking == []
