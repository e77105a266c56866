"""End to end: `pull --reconcile` on an API that makes it hard (lists that hide closed statuses, `status=in:`
refused, `sort` ignored, slim contract items): exactly the deleted records leave, archived and canceled ones
stay, and the listing asks for list pages only; a pull that fails after the listing removes nothing."""

from __future__ import annotations

import math

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.errors import SyncError
from tomorro_sync.id_listing import Lister
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target

HARD = ("default-lists-hide-closed", "status-in-refused", "sort-ignored", "slim-contracts")
FAIL_ON_READ = '''
import os, sys
if sys.argv[1] == "read":
    sys.stderr.write("the source stopped\\n")
    sys.exit(1)
os.execv({real!r}, [{real!r}, *sys.argv[1:]])
'''


def ids(db, table: str) -> set[str]:
    return {row[0] for row in query(db, f"SELECT id FROM main.{table}")}


def test_given_hard_lists_when_reconciled_then_exactly_the_deleted_leave_from_list_pages(e2e_dir):
    with SandboxServer(seed=11, contracts=60, counterparties=30, fields=8, members=3, api_profiles=HARD) as sb:
        target = Target.of_sandbox(sb)
        db = e2e_dir / "reconcile-hard.duckdb"
        pull(target, db, streams=["contracts", "counterparties"])
        contracts = sb.records("contracts")
        assert {"canceled"} & {c["status"] for c in contracts}
        gone = [c["id"] for c in contracts if c["status"] != "canceled"][:3]
        sb.delete(contracts=gone)

        sb.reset_stats()
        listing = Lister(target).list("contracts")
        requests: dict[str, int] = {}
        for entry in sb.stats()["requests"]:
            requests[entry["path"]] = requests.get(entry["path"], 0) + entry["count"]
        assert set(listing.updated) == {c["id"] for c in sb.records("contracts")}
        assert requests == {"/v2/contracts": listing.requests}  # list pages only, never /contracts/{id}
        statuses = 5  # one read per status (in: refused), each ceil(n / 50) pages, plus the two refused tries
        assert listing.requests <= statuses * (1 + math.ceil(len(contracts) / 50)) + 2

        summary = pull(target, db, streams=["contracts", "counterparties"], reconcile=True)
        assert set(summary.reconciled.streams["contracts"].deleted) == set(gone)
        assert summary.reconciled.streams["counterparties"].deleted == []
        assert ids(db, "contracts") == {c["id"] for c in sb.records("contracts")}
        assert ids(db, "counterparties") == {c["id"] for c in sb.records("counterparties")}  # archived kept


def _recorded_deletions(db) -> int:
    exists = query(db, "SELECT count(*) FROM information_schema.tables WHERE table_name = '_tomorro_deleted'")[0][0]
    return query(db, "SELECT count(*) FROM main._tomorro_deleted")[0][0] if exists else 0


@pytest.fixture
def failing_source(source_wrapper):
    return source_wrapper(FAIL_ON_READ)


def test_given_a_pull_that_fails_after_the_listing_then_nothing_is_removed(tmp_path, failing_source):
    db = tmp_path / "w.duckdb"
    with SandboxServer(seed=12, contracts=30, counterparties=10, fields=5, members=3) as sb:
        target = Target.of_sandbox(sb)
        pull(target, db, streams=["contracts"])
        before = query(db, "SELECT reconciled_at FROM main._tomorro_reconcile")
        gone = sb.records("contracts")[0]["id"]
        sb.delete(contracts=[gone])
        with pytest.raises(SyncError, match="The sync failed"):
            pull(target, db, streams=["contracts"], reconcile=True, source_executable=failing_source,
                 refresh_catalog=True)
        assert gone in ids(db, "contracts")
        assert _recorded_deletions(db) == 0
        assert query(db, "SELECT reconciled_at FROM main._tomorro_reconcile") == before

        pull(target, db, streams=["contracts"], reconcile=True)
        assert gone not in ids(db, "contracts")


def test_given_a_list_that_ignores_status_then_rows_of_a_status_it_never_returns_are_kept_and_reported(tmp_path):
    db = tmp_path / "w.duckdb"
    with SandboxServer(seed=13, contracts=40, counterparties=30, fields=5, members=3) as sb:
        target = Target.of_sandbox(sb)
        pull(target, db, streams=["counterparties"])
        archived = {c["id"] for c in sb.records("counterparties") if c["status"] == "archived"}
        gone = next(c["id"] for c in sb.records("counterparties") if c["status"] == "active"
                    and c["id"] not in {(k.get("counterparty") or {}).get("id") for k in sb.records("contracts")})
        sb.delete(counterparties=[gone])
        assert archived
        sb.set_api_profiles(["default-lists-hide-closed", "status-ignored"])

        summary = pull(target, db, streams=["counterparties"], reconcile=True)

        plan = summary.reconciled.streams["counterparties"]
        assert plan.deleted == [gone]
        assert archived <= ids(db, "counterparties")
        assert any(f"{len(archived)} rows of status archived kept" in note for note in plan.notes)


class _ListerThatMisses(Lister):
    """A list that leaves records out (an order that moved under the listing, a filter the API applies on its
    own): what no listing can rule out, and what must never delete a record."""

    def __init__(self, target, missed: set[str]):
        super().__init__(target)
        self.missed = missed

    def list(self, stream, **kwargs):
        listing = super().list(stream, **kwargs)
        for rid in self.missed:
            listing.updated.pop(rid, None)
        return listing


def test_given_a_list_that_leaves_records_out_then_only_ids_tomorro_answers_404_for_are_removed(tmp_path):
    import duckdb
    from tomorro_sync.reconcile import prepare

    db = tmp_path / "w.duckdb"
    with SandboxServer(seed=14, contracts=40, counterparties=10, fields=5, members=3) as sb:
        target = Target.of_sandbox(sb)
        pull(target, db, streams=["contracts"])
        contracts = [c["id"] for c in sb.records("contracts")]
        gone, missed = contracts[:2], set(contracts[2:5])
        sb.delete(contracts=gone)
        sb.reset_stats()

        con = duckdb.connect(str(db))
        try:
            plan = prepare(con, target, ["contracts"], lister=_ListerThatMisses(target, missed)).streams["contracts"]
        finally:
            con.close()

        assert sorted(plan.deleted) == sorted(gone)
        assert any("3 contracts the list did not return still exist in Tomorro" in note for note in plan.notes)
        asked = sum(e["count"] for e in sb.stats()["requests"] if e["path"] == "/v2/contracts/{id}")
        assert asked == len(gone) + len(missed)  # one GET per missing id, none for the others

