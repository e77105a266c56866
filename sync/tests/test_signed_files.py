"""signed_files: what a pull downloads (new, re-signed, missing or damaged copies), the sha256 / local_path columns
(only for a copy of the current signature), ids that cannot name a file, the DIR lock, leftovers of a killed pull,
`files_dir` from the config (removals: test_copies.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from tomorro_sync import signed_files as S
from tomorro_sync.errors import SyncError

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE contract_signed_files (id VARCHAR, contractid VARCHAR, contractupdatedat TIMESTAMP, "
                "contractsignaturedate TIMESTAMP, downloadurl VARCHAR, expiresat TIMESTAMP)")
    con.execute("INSERT INTO contract_signed_files VALUES "
                "('f1', 'c1', '2025-01-02', '2025-01-01', 'https://s/f1', '2026-01-01 00:15:00'), "
                "('f2', 'c2', '2025-03-01', NULL, 'https://s/f2', NULL)")
    con.execute(S.COPIES_DDL)
    return con


def _copy(con, root: Path, fid: str, cid: str, signature: str, data: bytes = b"%PDF-x") -> None:
    (root / cid).mkdir(parents=True, exist_ok=True)
    (root / cid / f"{fid}.pdf").write_bytes(data)
    con.execute(f"INSERT OR REPLACE INTO {S.COPIES_TABLE} VALUES ('{fid}', '{cid}', '{cid}/{fid}.pdf', 'h-{fid}', "
                f"{len(data)}, '{signature}', now())")


def _planned(con, root):
    jobs, unchanged, refused = S._plan(con, root)
    return {j.wanted.id: j for j in jobs}, unchanged, refused


def test_new_files_are_planned_with_their_url_expiry_and_signature(con, tmp_path):
    jobs, unchanged, refused = _planned(con, tmp_path)
    assert set(jobs) == {"f1", "f2"} and unchanged == 0 and not refused
    assert jobs["f1"].wanted.expires_at == dt.datetime(2026, 1, 1, 0, 15, tzinfo=dt.UTC)
    assert jobs["f1"].signature == "2025-01-01 00:00:00"  # the signature date ...
    assert jobs["f2"].signature == "2025-03-01 00:00:00"  # ... or, without one, the contract's updatedAt
    assert jobs["f1"].wanted.relative == "c1/f1.pdf" and not jobs["f1"].replaces


def test_a_copy_of_the_current_signature_is_left_alone_a_re_signed_or_missing_one_is_replaced(con, tmp_path):
    _copy(con, tmp_path, "f1", "c1", "2025-01-01 00:00:00")
    _copy(con, tmp_path, "f2", "c2", "2025-03-01 00:00:00")
    assert _planned(con, tmp_path)[:2] == ({}, 2)
    con.execute("UPDATE contract_signed_files SET contractsignaturedate = '2025-06-01', contractupdatedat = "
                "'2025-06-01' WHERE id = 'f1'")  # signed again
    (tmp_path / "c2" / "f2.pdf").write_bytes(b"%PDF-damaged, longer")  # not the size recorded
    jobs, unchanged, _ = _planned(con, tmp_path)
    assert set(jobs) == {"f1", "f2"} and all(j.replaces for j in jobs.values()) and unchanged == 0
    (tmp_path / "c2" / "f2.pdf").unlink()
    assert "f2" in _planned(con, tmp_path)[0]


def test_an_update_of_a_signed_contract_that_keeps_its_signature_date_downloads_nothing(con, tmp_path):
    _copy(con, tmp_path, "f1", "c1", "2025-01-01 00:00:00")
    con.execute("UPDATE contract_signed_files SET contractupdatedat = '2025-09-09' WHERE id = 'f1'")
    assert "f1" not in _planned(con, tmp_path)[0]


def test_ids_that_cannot_name_a_file_are_refused_never_written(con, tmp_path):
    con.execute("INSERT INTO contract_signed_files VALUES ('../../etc/x', 'c3', NULL, NULL, 'u', NULL), "
                "('f4', 'a/b', NULL, NULL, 'u', NULL)")
    jobs, _, refused = _planned(con, tmp_path)
    assert set(jobs) == {"f1", "f2"}
    assert [where for where, _ in refused] == ["a/b/f4", "c3/../../etc/x"]
    assert "not a plain identifier" in refused[0][1]


def test_the_columns_hold_a_copy_only_while_it_is_of_the_current_signature(con, tmp_path):
    _copy(con, tmp_path, "f1", "c1", "2025-01-01 00:00:00")
    S.refresh_columns(con)
    rows = dict(con.execute("SELECT id, sha256 FROM contract_signed_files").fetchall())
    assert rows == {"f1": "h-f1", "f2": None}
    assert con.execute("SELECT local_path FROM contract_signed_files WHERE id = 'f1'").fetchone() == ("c1/f1.pdf",)
    con.execute("UPDATE contract_signed_files SET contractsignaturedate = '2025-06-01' WHERE id = 'f1'")
    S.refresh_columns(con)
    assert con.execute("SELECT sha256, local_path FROM contract_signed_files WHERE id = 'f1'").fetchone() == (None, None)


def test_refresh_columns_without_any_archive_adds_nothing():
    con = duckdb.connect()
    con.execute("CREATE TABLE contract_signed_files (id VARCHAR, contractid VARCHAR)")
    S.refresh_columns(con)
    columns = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
    assert columns == {"id", "contractid"}


def test_one_pull_at_a_time_writes_into_a_directory(tmp_path):
    with S._locked(tmp_path), pytest.raises(SyncError, match="another tomorro-sync pull"), S._locked(tmp_path):
        pass


def test_leftovers_of_a_killed_pull_are_removed_final_files_kept(tmp_path):
    (tmp_path / "c1").mkdir()
    (tmp_path / "c1" / ".f1.pdf.0a1b2c.part").write_bytes(b"%PDF-half")
    (tmp_path / "c1" / "f1.pdf").write_bytes(b"%PDF-whole")
    S._remove_temporary(tmp_path)
    assert [p.name for p in (tmp_path / "c1").iterdir()] == ["f1.pdf"]


def test_files_dir_comes_from_the_option_else_the_config_relative_to_it(tmp_path):
    def target(**options):
        return SimpleNamespace(source_options=dict(options))

    config = tmp_path / "conf" / "tomorro.json"
    assert S.files_dir_of(target(files_dir="pdfs"), Path("x"), config) == Path("x")
    t = target(files_dir="pdfs")
    assert S.files_dir_of(t, None, config) == config.resolve().parent / "pdfs" and "files_dir" not in t.source_options
    assert S.files_dir_of(target(files_dir="/abs"), None, config) == Path("/abs")
    assert S.files_dir_of(target(), None, config) is None
    with pytest.raises(SyncError, match="`files_dir` must be a directory path"):
        S.files_dir_of(target(files_dir=3), None, config)


def test_a_failed_file_fails_the_pull_naming_it():
    summary = S.FilesSummary(failed=[(f"c{i}/f{i}.pdf", "HTTP 500") for i in range(7)])
    err = S.failure(summary)
    assert "7 signed files could not be downloaded" in str(err) and "c0/f0.pdf: HTTP 500" in str(err)
    assert "and 2 more" in str(err) and S.failure(S.FilesSummary()) is None
