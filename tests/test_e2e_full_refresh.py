"""End to end: `tomorro-sync pull --full-refresh` reconciles deletes for the streams it refreshes (a deleted
contract's signed files leave with it, and each removal is recorded in `_tomorro_deleted`).

A contract deleted in Tomorro stays in DuckDB after an incremental pull (a cursor-filtered read never
sees a deletion: README says so) and is gone after a full refresh of `contracts`; streams not
refreshed are left as they were; a stream that comes back empty leaves an empty table.
"""

from __future__ import annotations

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target


@pytest.fixture(scope="module")
def sandbox(e2e_dir):
    with SandboxServer(seed=9, contracts=80, counterparties=25, fields=16, members=4) as sb:
        yield sb


def ids(db, table: str) -> set[str]:
    return {row[0] for row in query(db, f"SELECT id FROM main.{table}")}


def test_given_deleted_records_when_full_refresh_then_they_leave_duckdb_only_for_refreshed_streams(e2e_dir, sandbox):
    target = Target.of_sandbox(sandbox, lookback_window=0)
    db = e2e_dir / "reconcile.duckdb"
    streams = ["contracts", "counterparties", "contract_signed_files"]
    pull(target, db, streams=streams)
    with_files = sorted({f["contractId"] for f in sandbox.records("signed-files")})
    gone_contracts = [r["id"] for r in sandbox.records("contracts") if r["id"] not in with_files][:2] + with_files[:1]
    gone_counterparty = next(r["id"] for r in sandbox.records("counterparties")
                             if r["id"] not in {c.get("counterpartyId") for c in sandbox.records("contracts")})
    sandbox.delete(contracts=gone_contracts, counterparties=[gone_counterparty])

    pull(target, db, streams=streams)  # incremental: a deletion is not a change the cursor can see
    assert set(gone_contracts) <= ids(db, "contracts")

    refreshed = pull(target, db, streams=["contracts"], full_refresh=True)
    assert ids(db, "contracts") == {r["id"] for r in sandbox.records("contracts")}
    # a deleted contract's signed files leave with it, and each removal is recorded
    assert {row[0] for row in query(db, "SELECT contractid FROM main.contract_signed_files")} == set(with_files[1:])
    assert set(query(db, "SELECT stream, id, via FROM main._tomorro_deleted")) == {
        ("contracts", cid, "full read") for cid in gone_contracts}
    assert refreshed.records["contracts"] == len(sandbox.records("contracts")) and refreshed.emptied == []
    assert gone_counterparty in ids(db, "counterparties")  # not refreshed: left as it was

    sandbox.delete(counterparties=[r["id"] for r in sandbox.records("counterparties")])
    emptied = pull(target, db, streams=["counterparties"], full_refresh=True)
    assert emptied.emptied == ["counterparties"]
    assert ids(db, "counterparties") == set()
    assert ids(db, "contracts") == {r["id"] for r in sandbox.records("contracts")}
