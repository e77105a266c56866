"""End to end: a contract that loses its every signed file (sync/tomorro_sync/emptied_files.py), against the sandbox
over a real socket.

Its re-read brings no `contract_signed_files` row at all, so nothing in the read says its old rows are gone: they
leave only once this pull has asked Tomorro for the contract's file list and found them missing, and their copies
under `--files` leave with them. A contract no pull visits keeps its rows; a pull cut short removes nothing; the
two streams read in separate pulls (each keeps its own state) still end with the rows gone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.errors import SyncError
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target

STREAMS = ["contracts", "contract_signed_files"]
REFRESHES = "/v2/contracts/{id}/signed-files"


def _only_files(sb, n: int) -> list[tuple[str, str]]:
    """(contract id, its only signed file id) of `n` contracts holding exactly one signed file."""
    digests = sb.file_digests()
    per_contract = Counter(d["contractId"] for d in digests.values())
    singles = [(d["contractId"], fid) for fid, d in sorted(digests.items()) if per_contract[d["contractId"]] == 1]
    assert len(singles) >= n, "the seed holds too few contracts with one signed file"
    return singles[:n]


def _iso(at: dt.datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _rows(db: Path, cid: str) -> list[str]:
    return [r[0] for r in query(db, f"SELECT id FROM contract_signed_files WHERE contractid = '{cid}' ORDER BY id")]


def _all_rows(db: Path) -> set[tuple]:
    return set(query(db, "SELECT id, contractid, sha256, local_path FROM contract_signed_files"))


def test_a_contract_whose_only_file_is_removed_loses_its_row_and_its_copy_and_an_unvisited_one_keeps_them(tmp_path):
    with SandboxServer(seed=26, contracts=40) as sb:
        db, root = tmp_path / "w.duckdb", tmp_path / "pdfs"
        pull(Target.of_sandbox(sb), db, streams=STREAMS, files_dir=root)
        (emptied, emptied_file), (unvisited, unvisited_file) = _only_files(sb, 2)
        untouched = {r for r in _all_rows(db) if r[1] not in (emptied, unvisited)}
        assert (root / emptied / f"{emptied_file}.pdf").is_file()

        sb.remove_signed_files([emptied_file])  # its contract's updatedAt moves: the next pull re-reads it
        sb.remove_signed_files([unvisited_file], touch=False)  # nothing moves: no pull visits it, nothing proves it
        after = pull(Target.of_sandbox(sb), db, streams=STREAMS, files_dir=root)

        assert _rows(db, emptied) == [] and not (root / emptied).exists()
        assert after.files.removed == 1 and not after.files.left
        assert query(db, f"SELECT count(*) FROM _tomorro_signed_files WHERE contract_id = '{emptied}'") == [(0,)]
        assert _rows(db, unvisited) == [unvisited_file] and (root / unvisited / f"{unvisited_file}.pdf").is_file()
        assert {r for r in _all_rows(db) if r[1] not in (emptied, unvisited)} == untouched
        # one contract asked about, with one request: the emptied one (the unvisited one is never asked)
        assert any("1 re-read contracts brought no signed file; asked Tomorro for their file lists (1 requests): "
                   "1 rows of files no longer listed removed" in line for line in after.changes), after.changes


def test_a_pull_cut_short_removes_nothing_and_the_next_one_does(tmp_path):
    with SandboxServer(seed=26, contracts=40) as sb:
        db, root = tmp_path / "w.duckdb", tmp_path / "pdfs"
        pull(Target.of_sandbox(sb), db, streams=STREAMS, files_dir=root)
        [(cid, fid)] = _only_files(sb, 1)
        before = _all_rows(db)
        sb.remove_signed_files([fid])
        sb.script("GET", REFRESHES, 403)  # the substream's visit of that contract fails the read
        with pytest.raises(SyncError, match="The sync failed"):
            pull(Target.of_sandbox(sb), db, streams=STREAMS, files_dir=root)
        assert _all_rows(db) == before and (root / cid / f"{fid}.pdf").is_file()

        again = pull(Target.of_sandbox(sb), db, streams=STREAMS, files_dir=root)
        assert _rows(db, cid) == [] and not (root / cid).exists() and again.files.removed == 1
        assert _all_rows(db) == {r for r in before if r[1] != cid}


@pytest.mark.parametrize("first", ["contracts", "contract_signed_files"])
def test_the_two_streams_read_in_separate_pulls_still_end_with_the_rows_gone(tmp_path, first):
    """Each stream keeps its own state: whichever reads the change first, the pull that reads both proves it, even
    when that pull's `contracts` read no longer re-reads the contract (its updatedAt is older than the cursor's
    position less its lookback): the substream's listing still starts before it, and visits it."""
    with SandboxServer(seed=26, contracts=40) as sb:
        db = tmp_path / "w.duckdb"
        pull(Target.of_sandbox(sb), db, streams=STREAMS)
        [(cid, fid)] = _only_files(sb, 1)
        sb.set_clock(-86_400)  # the removal a day ago: beyond any lookback of the cursor at its next position
        sb.remove_signed_files([fid])
        sb.set_clock(0)
        alone = pull(Target.of_sandbox(sb), db, streams=[first])
        assert _rows(db, cid) == [fid]  # nothing proved yet: one stream alone cannot tell
        if first == "contract_signed_files":
            assert any("read without contracts" in line for line in alone.changes), alone.changes
        later = next(c["id"] for c in sb.records("contracts") if c["id"] != cid and c["status"] != "signed")
        sb.edit(records={"contracts": [{"id": later, "updatedAt": _iso(dt.datetime.now(dt.UTC))}]})
        pull(Target.of_sandbox(sb), db, streams=[first])  # that stream's position moves to now

        both = pull(Target.of_sandbox(sb), db, streams=STREAMS)
        assert _rows(db, cid) == []
        if first == "contracts":  # only `later` re-read: cid was proved through the substream's listing alone
            assert both.records["contracts"] == 1


def test_a_contract_that_cannot_be_decided_keeps_its_rows_and_the_pull_says_why(tmp_path):
    """Deleted in Tomorro after its re-read: this pull's look at its file list answers 404, which proves no file gone
    (a reconcile proves the deletion, and removes the contract with its files)."""
    with SandboxServer(seed=26, contracts=40) as sb:
        db = tmp_path / "w.duckdb"
        pull(Target.of_sandbox(sb), db, streams=STREAMS)
        [(cid, fid)] = _only_files(sb, 1)
        sb.remove_signed_files([fid])
        pull(Target.of_sandbox(sb), db, streams=["contracts"])  # re-read: to be asked about by the next pull
        sb.delete(contracts=[cid])
        after = pull(Target.of_sandbox(sb), db, streams=STREAMS)
        assert _rows(db, cid) == [fid]
        assert any("the rows of 1 re-read contracts kept, as Tomorro answers 404 for them" in line and cid in line
                   for line in after.changes), after.changes
        pull(Target.of_sandbox(sb), db, streams=STREAMS, reconcile=True)
        assert _rows(db, cid) == []
