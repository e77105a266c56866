"""End to end: `tomorro-sync pull --files DIR` against the sandbox over a real socket.

Every signed file lands in DIR/<contractId>/<fileId>.pdf with the sandbox's bytes; a second pull downloads
nothing; after new signatures, only those; a pull SIGKILLed mid-download leaves no partial file under a final
name, and the next completes the rest; an expired URL (403, or `expiresAt` already past) is fetched again; the
copy of a file Tomorro no longer lists (removed from its contract, its contract deleted) leaves DIR, and nothing
else does."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.cli import main
from tomorro_sync.connectors import executable
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target

DOWNLOADS = "/storage/signed-files/{id}"
REFRESHES = "/v2/contracts/{id}/signed-files"
ONLY = ["contract_signed_files"]  # the one stream the archive reads: faster pulls


def _count(sb, path: str, status: int | None = None) -> int:
    return sum(r["count"] for r in sb.stats()["requests"] if r["path"] == path and status in (None, r["status"]))


def _assert_archive_is_the_sandbox(sb, db: Path, root: Path) -> None:
    digests = sb.file_digests()
    on_disk = {p.relative_to(root).as_posix() for p in root.glob("*/*.pdf")}
    assert on_disk == {f"{d['contractId']}/{fid}.pdf" for fid, d in digests.items()}
    for fid, d in digests.items():
        content = (root / d["contractId"] / f"{fid}.pdf").read_bytes()
        assert hashlib.sha256(content).hexdigest() == d["sha256"], fid
    rows = query(db, "SELECT id, contractid, sha256, local_path FROM contract_signed_files")
    assert {r[0]: (r[2], r[3]) for r in rows} == {
        fid: (d["sha256"], f"{d['contractId']}/{fid}.pdf") for fid, d in digests.items()}
    assert not list(root.glob("*/.*.part"))


def test_files_once_then_nothing_then_only_the_new_signatures(tmp_path, capsys):
    with SandboxServer(seed=21, contracts=90) as sb:
        target, db, root = Target.of_sandbox(sb), tmp_path / "w.duckdb", tmp_path / "pdfs"
        first = pull(target, db, streams=ONLY, files_dir=root)
        assert first.files.downloaded == len(sb.file_digests()) > 10 and not first.files.failed
        _assert_archive_is_the_sandbox(sb, db, root)

        sb.reset_stats()  # the command line, with `files_dir` from the config (relative to the config file)
        config = tmp_path / "tomorro.json"
        config.write_text(json.dumps({"api_key": sb.api_key, "base_url": sb.url, "files_dir": "pdfs"}))
        assert main(["pull", "--config", str(config), "--db", str(db), "--streams", ONLY[0]]) == 0
        assert f"0 downloaded, 0 replaced (signed again or missing), {len(sb.file_digests())} unchanged" in \
            " ".join(capsys.readouterr().out.split())
        assert _count(sb, DOWNLOADS) == 0

        victim = next(root.glob("*/*.pdf"))  # a copy deleted from disk is downloaded again
        victim.unlink()
        restored = pull(Target.of_sandbox(sb), db, streams=ONLY, files_dir=root)
        assert (restored.files.downloaded, restored.files.replaced) == (0, 1) and victim.exists()

        contracts = sb.records("contracts")
        unsigned = [c["id"] for c in contracts if c["status"] != "signed"][:2]
        resigned = next(c["id"] for c in contracts if c["status"] == "signed")
        (root / "stray.txt").write_text("not ours")  # a user's file in DIR is left alone
        sb.sign([*unsigned, resigned])
        sb.reset_stats()
        after = pull(Target.of_sandbox(sb), db, streams=ONLY, files_dir=root)
        resigned_files = sum(1 for d in sb.file_digests().values() if d["contractId"] == resigned)
        assert (after.files.downloaded, after.files.replaced) == (2, resigned_files)
        assert _count(sb, DOWNLOADS) == 2 + resigned_files
        _assert_archive_is_the_sandbox(sb, db, root)
        assert (root / "stray.txt").read_text() == "not ours"


def test_an_expired_url_is_fetched_again_whether_the_server_refuses_it_or_expires_at_has_passed(tmp_path):
    with SandboxServer(seed=23, contracts=40) as sb:
        target = Target.of_sandbox(sb)
        # URLs read now, then the server's clock an hour on: they look valid to us, and it answers 403
        db, root = tmp_path / "a.duckdb", tmp_path / "a"
        pull(target, db, streams=ONLY)
        sb.set_clock(3600)
        sb.reset_stats()
        pull(Target.of_sandbox(sb), db, streams=["members"], files_dir=root)  # the rows keep their URLs
        files = len(sb.file_digests())
        assert _count(sb, DOWNLOADS, 403) == files and _count(sb, DOWNLOADS, 200) == files
        _assert_archive_is_the_sandbox(sb, db, root)

        # URLs read an hour ago by the server's clock: their expiresAt is past, so they are not even tried
        sb.set_clock(-3600)
        db, root = tmp_path / "b.duckdb", tmp_path / "b"
        pull(Target.of_sandbox(sb), db, streams=ONLY)
        sb.set_clock(0)
        sb.reset_stats()
        pull(Target.of_sandbox(sb), db, streams=["members"], files_dir=root)
        assert _count(sb, DOWNLOADS, 403) == 0 and _count(sb, DOWNLOADS, 200) == files
        assert _count(sb, REFRESHES) >= len({d["contractId"] for d in sb.file_digests().values()})
        _assert_archive_is_the_sandbox(sb, db, root)


@pytest.mark.faults
def test_downloads_cut_short_or_failing_are_retried_and_never_recorded_partial(tmp_path):
    with SandboxServer(seed=24, contracts=40) as sb:
        db, root = tmp_path / "w.duckdb", tmp_path / "pdfs"
        pull(Target.of_sandbox(sb), db, streams=ONLY)  # the metadata first, without faults: the source's retries are not ours
        sb.set_faults(malformed_rate=0.25, error_rate=0.1, reset_rate=0.05)
        pulled = pull(Target.of_sandbox(sb, max_retries=10), db, streams=["members"], files_dir=root)
        sb.set_faults(malformed_rate=0, error_rate=0, reset_rate=0)
        assert not pulled.files.failed
        assert _count(sb, DOWNLOADS) > len(sb.file_digests())  # the faults met downloads
        _assert_archive_is_the_sandbox(sb, db, root)


def test_a_pull_killed_mid_download_leaves_no_partial_file_and_the_next_completes(tmp_path):
    with SandboxServer(seed=25, contracts=60, signed_file_bytes=400_000) as sb:
        config = tmp_path / "tomorro.json"
        config.write_text(json.dumps({"api_key": sb.api_key, "base_url": sb.url, "files_dir": "pdfs"}))
        db, root = tmp_path / "w.duckdb", tmp_path / "pdfs"
        process = subprocess.Popen([str(executable("tomorro-sync")), "pull", "--config", str(config), "--db", str(db)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while _count(sb, DOWNLOADS) == 0:  # the source's read is done: slow every body from now on
                assert process.poll() is None and time.monotonic() < deadline, "the pull never downloaded"
                time.sleep(0.01)
            sb.set_faults(slow_body_rate=1.0)
            while not list(root.glob("*/.*.part")):
                assert process.poll() is None and time.monotonic() < deadline, "no download in flight"
                time.sleep(0.01)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        sb.set_faults(slow_body_rate=0)
        digests = sb.file_digests()
        assert list(root.glob("*/.*.part"))  # killed mid-download ...
        for path in root.glob("*/*.pdf"):  # ... and no final name holds a partial file
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digests[path.stem]["sha256"]
        assert len(list(root.glob("*/*.pdf"))) < len(digests)

        resumed = pull(Target.of_sandbox(sb), db, streams=ONLY, files_dir=root)
        assert resumed.files.downloaded + resumed.files.unchanged == len(digests) and resumed.files.downloaded
        _assert_archive_is_the_sandbox(sb, db, root)


def test_a_contract_deleted_in_tomorro_leaves_the_files_directory_at_the_reconcile(tmp_path):
    with SandboxServer(seed=24, contracts=40) as sb:
        target, db, root = Target.of_sandbox(sb), tmp_path / "w.duckdb", tmp_path / "pdfs"
        pull(target, db, files_dir=root)
        victim, other = list(dict.fromkeys(d["contractId"] for d in sb.file_digests().values()))[:2]
        removed_copies = sum(1 for d in sb.file_digests().values() if d["contractId"] in (victim, other))
        assert (root / victim).is_dir()
        (root / other / "signed-by-hand.pdf").write_bytes(b"%PDF-1.4 the user's")  # not the job's: kept
        sb.delete(contracts=[victim, other])
        after = pull(Target.of_sandbox(sb), db, files_dir=root, reconcile=True)
        assert after.files.removed == removed_copies
        assert not (root / victim).exists()
        assert [p.name for p in (root / other).iterdir()] == ["signed-by-hand.pdf"]
        assert query(db, f"SELECT count(*) FROM _tomorro_signed_files WHERE contract_id IN ('{victim}', '{other}')") \
            == [(0,)]
        assert query(db, f"SELECT via FROM _tomorro_deleted WHERE id = '{victim}'") == [("reconcile",)]
        assert query(db, f"SELECT count(*) FROM contract_signed_files WHERE contractid = '{victim}'") == [(0,)]
        (root / other / "signed-by-hand.pdf").unlink()
        _assert_archive_is_the_sandbox(sb, db, root)

def _now_iso() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_a_file_removed_from_its_contract_leaves_the_table_and_the_files_directory_and_nothing_else(tmp_path):
    with SandboxServer(seed=26, contracts=40) as sb:
        target, db, root = Target.of_sandbox(sb), tmp_path / "w.duckdb", tmp_path / "pdfs"
        cid = next(d["contractId"] for d in sb.file_digests().values())
        with sb.app.store.lock:  # a second file on that contract, so that one of two is removed
            second = sb.app.store.files.add(cid, "0b5e2c1e-5c1f-4a59-9d1e-2f2b8c8f7a01", "annex - signed.pdf")["id"]
        sb.edit(records={"contracts": [{"id": cid, "updatedAt": _now_iso()}]})
        pull(target, db, streams=ONLY, files_dir=root)
        _assert_archive_is_the_sandbox(sb, db, root)
        first = next(fid for fid, d in sb.file_digests().items() if d["contractId"] == cid and fid != second)
        mine = root / cid / "my-notes.txt"  # the user's own files, in the contract's directory and beside it
        mine.write_text("mine")
        (root / "index.csv").write_text("mine too")

        sb.remove_signed_files([second])  # the contract stops listing it; its updatedAt moves
        after = pull(Target.of_sandbox(sb), db, streams=ONLY, files_dir=root)

        assert after.files.removed == 1 and not after.files.left
        assert not (root / cid / f"{second}.pdf").exists() and (root / cid / f"{first}.pdf").exists()
        assert query(db, f"SELECT count(*) FROM _tomorro_signed_files WHERE id = '{second}'") == [(0,)]
        assert mine.read_text() == "mine" and (root / "index.csv").read_text() == "mine too"
        _assert_archive_is_the_sandbox(sb, db, root)
