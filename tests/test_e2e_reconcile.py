"""End to end: `pull --reconcile` on an API that makes it hard (lists that hide closed statuses, `status=in:`
refused, `sort` ignored, slim contract items): exactly the deleted records leave, archived and canceled ones
stay, and the listing asks for list pages only; a pull that fails after the listing removes nothing."""

from __future__ import annotations

import math
import threading

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
    own): what no listing can rule out, and what must never delete a record. Counts the questions in flight."""

    def __init__(self, target, missed: set[str]):
        super().__init__(target)
        self.missed, self.in_flight, self.most_in_flight = missed, 0, 0
        self.lock = threading.Lock()

    def list(self, stream, **kwargs):
        listing = super().list(stream, **kwargs)
        for rid in self.missed:
            listing.updated.pop(rid, None)
        return listing

    def exists(self, stream, record_id, listing):
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return super().exists(stream, record_id, listing)
        finally:
            with self.lock:
                self.in_flight -= 1


def _prepare(db, target, lister):
    import duckdb
    from tomorro_sync.reconcile import prepare

    con = duckdb.connect(str(db))
    try:
        return prepare(con, target, ["contracts"], lister=lister).streams["contracts"]
    finally:
        con.close()


def _asked(sb) -> list[str]:
    return sorted(r["path"].rsplit("/", 1)[1] for r in sb.requests("GET", "/v2/contracts/{id}"))


def test_given_a_list_that_leaves_records_out_then_only_ids_tomorro_answers_404_for_are_removed(tmp_path):
    """A mass deletion among ids the list also missed: every missing id asked once, side by side (each answer
    slowed down so that the questions overlap), and only the 404s removed."""
    db = tmp_path / "w.duckdb"
    with SandboxServer(seed=14, contracts=80, counterparties=10, fields=5, members=3) as sb:
        target = Target.of_sandbox(sb, num_workers=4)
        pull(target, db, streams=["contracts"])
        contracts = [c["id"] for c in sb.records("contracts")]
        gone, missed = contracts[:30], set(contracts[30:33])
        sb.delete(contracts=gone)
        sb.reset_stats()
        sb.set_faults(latency_ms=30)
        lister = _ListerThatMisses(target, missed)

        plan = _prepare(db, target, lister)

        assert sorted(plan.deleted) == sorted(gone)
        assert any("3 contracts the list did not return still exist in Tomorro" in note for note in plan.notes)
        assert _asked(sb) == sorted([*gone, *missed])  # one GET per missing id, none for the others
        assert 1 < lister.most_in_flight <= 4


def test_given_the_first_twenty_missing_ids_all_still_there_then_the_rest_are_kept_without_asking(tmp_path):
    """"In a row" is in id order: the 20 smallest missing ids exist, so the larger ones, deleted or not, are kept
    (and reported), as asking one by one would decide."""
    db = tmp_path / "w.duckdb"
    with SandboxServer(seed=15, contracts=60, counterparties=10, fields=5, members=3) as sb:
        target = Target.of_sandbox(sb, num_workers=4)
        pull(target, db, streams=["contracts"])
        contracts = sorted(c["id"] for c in sb.records("contracts"))
        missed, gone = set(contracts[:25]), contracts[-5:]
        sb.delete(contracts=gone)
        sb.reset_stats()

        plan = _prepare(db, target, _ListerThatMisses(target, missed))

        assert plan.deleted == []
        assert _asked(sb) == contracts[:20]
        assert any("20 contracts the list did not return still exist" in note
                   and "10 more missing ids kept without asking" in note for note in plan.notes)


def test_given_an_unreadable_answer_to_one_confirmation_then_the_pull_stops_and_nothing_is_removed(tmp_path):
    db = tmp_path / "w.duckdb"
    with SandboxServer(seed=16, contracts=60, counterparties=10, fields=5, members=3) as sb:
        target = Target.of_sandbox(sb, num_workers=4)
        pull(target, db, streams=["contracts"])
        gone = [c["id"] for c in sb.records("contracts")][:25]
        sb.delete(contracts=gone)
        sb.script("GET", "/v2/contracts/{id}", *["pass"] * 6, 409)  # the 7th question answered 409
        with pytest.raises(SyncError, match=r"Confirming that contracts \S+ was deleted .* HTTP 409 .*nothing was "
                                            "removed") as stopped:
            pull(target, db, streams=["contracts"], reconcile=True)
        assert any(rid in str(stopped.value) for rid in gone)
        assert set(gone) <= ids(db, "contracts")
        assert _recorded_deletions(db) == 0

        pull(target, db, streams=["contracts"], reconcile=True)
        assert not set(gone) & ids(db, "contracts")
