"""copies.py: a copy of a file `contract_signed_files` no longer lists leaves DIR, then its record; nothing the job
did not write is touched (other files, a copy changed since, a path it would not write); a crash between the
two leaves a record of a missing file, which the next call removes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from tomorro_sync import copies as C


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE contract_signed_files (id VARCHAR, contractid VARCHAR)")
    con.execute("INSERT INTO contract_signed_files VALUES ('f1', 'c1'), ('f3', 'c2')")
    con.execute(C.COPIES_DDL)
    return con


def _copy(con, root: Path, fid: str, cid: str, data: bytes = b"%PDF-1.4 a copy %%EOF") -> Path:
    path = root / cid / f"{fid}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    con.execute(f"INSERT OR REPLACE INTO {C.COPIES_TABLE} VALUES ('{fid}', '{cid}', '{cid}/{fid}.pdf', "
                f"'{hashlib.sha256(data).hexdigest()}', {len(data)}, 's', now())")
    return path


def _recorded(con) -> list[str]:
    return [row[0] for row in con.execute(f"SELECT id FROM {C.COPIES_TABLE} ORDER BY id").fetchall()]


def test_the_copy_of_a_file_no_longer_listed_leaves_with_its_record_and_its_emptied_directory(con, tmp_path):
    kept = _copy(con, tmp_path, "f1", "c1")
    gone = _copy(con, tmp_path, "f2", "c1")  # no row: removed from its contract
    deleted = _copy(con, tmp_path, "f9", "c9")  # its contract's rows left with the contract
    removal = C.remove_unlisted(con, tmp_path)
    assert (removal.removed, removal.left) == (2, [])
    assert kept.exists() and not gone.exists() and not deleted.exists()
    assert (tmp_path / "c1").is_dir() and not (tmp_path / "c9").exists()
    assert _recorded(con) == ["f1"]
    assert C.remove_unlisted(con, tmp_path).removed == 0  # nothing more


def test_files_the_job_did_not_write_are_never_touched(con, tmp_path):
    """A user's file beside a gone copy (the directory stays), a copy changed since it was written (left and
    reported, no longer recorded), a recorded path the job would not write (left)."""
    _copy(con, tmp_path, "f2", "c5")
    notes = tmp_path / "c5" / "notes.txt"
    notes.write_text("mine")
    changed = _copy(con, tmp_path, "f4", "c6")
    changed.write_bytes(b"%PDF-1.4 a COPY %%EOF")  # the same size, the user's own bytes
    outside = tmp_path.parent / f"{tmp_path.name}-outside.pdf"
    outside.write_bytes(b"%PDF-1.4 a copy %%EOF")
    con.execute(f"INSERT INTO {C.COPIES_TABLE} VALUES ('f7', 'c7', '../{outside.name}', "
                f"'{hashlib.sha256(outside.read_bytes()).hexdigest()}', {outside.stat().st_size}, 's', now())")

    removal = C.remove_unlisted(con, tmp_path)

    assert notes.read_text() == "mine" and not (tmp_path / "c5" / "f2.pdf").exists()
    assert changed.read_bytes() == b"%PDF-1.4 a COPY %%EOF"
    assert outside.exists()
    assert removal.removed == 1
    assert dict(removal.left) == {"c6/f4.pdf": "it was changed since tomorro-sync wrote it: left",
                                  f"../{outside.name}": "its recorded path is not one tomorro-sync writes: left"}
    assert _recorded(con) == []


def test_a_copy_whose_file_is_now_listed_on_another_contract_leaves_the_old_directory(con, tmp_path):
    old = _copy(con, tmp_path, "f3", "c1")  # the row says c2 now
    assert C.remove_unlisted(con, tmp_path).removed == 1
    assert not old.exists() and _recorded(con) == []


class _FailsToForget:
    """A connection whose removal of the records fails (a crash after the files went)."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql, *args):
        if sql.startswith("DELETE"):
            raise RuntimeError("killed")
        return self.con.execute(sql, *args)


def test_the_file_goes_before_its_record_so_a_crash_leaves_only_a_record_the_next_call_removes(con, tmp_path):
    gone = _copy(con, tmp_path, "f2", "c1")
    with pytest.raises(RuntimeError, match="killed"):
        C.remove_unlisted(_FailsToForget(con), tmp_path)
    assert not gone.exists() and _recorded(con) == ["f2"]
    assert C.remove_unlisted(con, tmp_path).removed == 1 and _recorded(con) == []


def test_without_the_rows_table_nothing_can_be_proved_gone(tmp_path):
    con = duckdb.connect()
    con.execute(C.COPIES_DDL)
    path = _copy(con, tmp_path, "f1", "c1")
    assert C.remove_unlisted(con, tmp_path).removed == 0 and path.exists()
