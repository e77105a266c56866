"""`tomorro-sync pull --files DIR`: every signed file of `contract_signed_files` kept as DIR/<contractId>/<fileId>.pdf.

- Once: a file is downloaded when it is new, when its contract was signed again since its copy was made
  (`contractSignatureDate`, or `contractUpdatedAt` for a contract without one), or when its copy is missing
  or not the size recorded. Everything else is left alone: a second pull downloads nothing.
- Verified: `_tomorro_signed_files` records a copy (path, sha256, size, the signature it is of) only once it
  is written, hashed, fsynced and renamed (downloads.py). `contract_signed_files` gains `sha256` and
  `local_path` (relative to DIR), set only where the recorded copy is of the current signature: NULL for a
  file not downloaded yet, or re-signed since.
- Resumable: a killed pull leaves only temporary `.<name>.<random>.part` files, which the next one removes
  before downloading what is left. One pull at a time writes into DIR (a lock file).
- Side by side: `num_workers` downloads at once (default 4) within `requests_per_minute`, each streamed to
  disk in 1 MiB chunks, with progress in bytes. A file that cannot be downloaded now is reported and fails
  the pull at the end (exit 1); the metadata is kept, and the next pull tries that file again.
- A mirror: the copy of a file Tomorro no longer lists (removed from its contract, its contract deleted) leaves
  DIR, once the rows saying so are committed; nothing the job did not write is touched (copies.py).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import fcntl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import report
from .cache_layout import SCHEMA, literal, quoted
from .copies import COPIES_DDL, COPIES_TABLE, SAFE_ID, STREAM_TABLE, remove_unlisted
from .downloads import TEMP_SUFFIX, Budget, Fetcher, FileFailed, FileGone, Wanted, parse_instant
from .errors import SyncError

LOCK_NAME = ".tomorro-sync.lock"
PROGRESS_EVERY = 5.0  # seconds between progress lines, and at most between two recordings of copies
RECORD_BATCH = 200  # copies recorded in one commit (a killed pull downloads at most these again)


@dataclass
class FilesSummary:
    downloaded: int = 0  # new files
    replaced: int = 0  # re-signed, or whose copy was missing or damaged
    unchanged: int = 0
    bytes: int = 0
    seconds: float = 0.0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why)
    gone: list[tuple[str, str]] = field(default_factory=list)  # no longer listed by the API
    removed: int = 0  # copies of files Tomorro no longer lists (copies.py), removed from DIR
    left: list[tuple[str, str]] = field(default_factory=list)  # such copies changed since written: left, why


@dataclass
class _Job:
    wanted: Wanted
    signature: str
    replaces: bool


def archive(con: Any, target: Any, root: Path, *, workers: int | None = None) -> FilesSummary:
    """Download what DIR lacks of `contract_signed_files` (see the module's docstring)."""
    started, summary = time.monotonic(), FilesSummary()
    root.mkdir(parents=True, exist_ok=True)
    options = target.source_options
    with _locked(root):
        _remove_temporary(root)
        con.execute(COPIES_DDL)
        removal = remove_unlisted(con, root)  # before the plan: a file listed on another contract since moves
        summary.removed, summary.left = removal.removed, removal.left
        jobs, summary.unchanged, refused = _plan(con, root)
        summary.failed += refused
        if jobs:
            report.note(f"signed files: {len(jobs):,} to download into {root} "
                        f"({summary.unchanged:,} already there)")
            progress = _Progress()
            fetcher = Fetcher(base_url=target.base_url, api_key=target.api_key, root=root,
                              budget=Budget(_count(options.get("requests_per_minute"), None, 1)),
                              max_retries=_count(options.get("max_retries"), 6, 0), progress=progress.add)
            _run(con, jobs, summary, fetcher, progress, workers or _count(options.get("num_workers"), 4, 1))
        refresh_columns(con)
    summary.seconds = time.monotonic() - started
    return summary


def refresh_columns(con: Any) -> None:
    """`sha256` and `local_path` of `contract_signed_files` from the recorded copies: set where the copy is of
    the row's current signature, NULL elsewhere. Every pull calls it (with or without --files), so a row
    re-read after a new signature never keeps the previous file's hash."""
    tables = _columns(con)
    if STREAM_TABLE not in tables or (COPIES_TABLE not in tables and "sha256" not in tables[STREAM_TABLE]):
        return
    con.execute(COPIES_DDL)
    table = f"{SCHEMA}.{quoted(STREAM_TABLE)}"
    con.begin()
    try:
        for column in ("sha256", "local_path"):
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} VARCHAR")
        con.execute(f"UPDATE {table} SET sha256 = NULL, local_path = NULL")
        con.execute(f"UPDATE {table} AS t SET sha256 = c.sha256, local_path = c.local_path "
                    f"FROM {SCHEMA}.{quoted(COPIES_TABLE)} AS c "
                    f"WHERE CAST(t.id AS VARCHAR) = c.id AND c.signature = {_signature_sql(tables[STREAM_TABLE], 't')}")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def files_dir_of(target: Any, option: Path | None, config: Path | None) -> Path | None:
    """--files DIR, else the config's `files_dir` (relative to the config file's directory), else None. The
    key is taken out of the source's config either way: it is this command's, not the connector's."""
    configured = target.source_options.pop("files_dir", None)
    if option is not None:
        return option
    if configured is None or configured == "":
        return None
    if not isinstance(configured, str):
        raise SyncError(f"Config file {config}: `files_dir` must be a directory path (a string), "
                        f"got {type(configured).__name__}")
    path = Path(configured).expanduser()
    return path if path.is_absolute() or config is None else config.resolve().parent / path


def show(summary: FilesSummary) -> None:
    report.note(f"signed files: {summary.downloaded:,} downloaded, {summary.replaced:,} replaced (signed again or "
                f"missing), {summary.unchanged:,} unchanged; {_mb(summary.bytes)} in {summary.seconds:.1f} s")
    if summary.removed:
        report.note(f"signed files: {summary.removed:,} copies of files Tomorro no longer lists removed (a file "
                    "removed from its contract, a contract deleted)")
    for relative, why in summary.left:
        report.note(f"signed file {relative} is no longer listed by Tomorro, but {why}")
    for relative, why in summary.gone:
        report.note(f"signed file {relative} not downloaded: {why}")


def failure(summary: FilesSummary) -> SyncError | None:
    if not summary.failed:
        return None
    shown = "; ".join(f"{relative}: {why}" for relative, why in summary.failed[:5])
    more = f" (and {len(summary.failed) - 5:,} more)" if len(summary.failed) > 5 else ""
    return SyncError(f"{len(summary.failed):,} signed files could not be downloaded, the next pull tries them "
                     f"again: {shown}{more}")


# --- what to download ---------------------------------------------------------------------------------------


def _plan(con: Any, root: Path) -> tuple[list[_Job], int, list[tuple[str, str]]]:
    tables = _columns(con)
    if STREAM_TABLE not in tables:
        return [], 0, []
    columns = tables[STREAM_TABLE]
    optional = {name: (f"t.{name}" if name in columns else "NULL") for name in ("downloadurl", "expiresat")}
    rows = con.execute(
        f"SELECT CAST(t.id AS VARCHAR), CAST(t.contractid AS VARCHAR), {optional['downloadurl']}, "
        f"CAST({optional['expiresat']} AS VARCHAR), {_signature_sql(columns, 't')}, c.signature, c.size "
        f"FROM {SCHEMA}.{quoted(STREAM_TABLE)} AS t LEFT JOIN {SCHEMA}.{quoted(COPIES_TABLE)} AS c "
        "ON c.id = CAST(t.id AS VARCHAR) ORDER BY 2, 1").fetchall()
    jobs, unchanged, refused = [], 0, []
    for fid, cid, url, expires, signature, copied_signature, copied_size in rows:
        if not (isinstance(fid, str) and SAFE_ID.match(fid) and isinstance(cid, str) and SAFE_ID.match(cid)):
            refused.append((f"{cid}/{fid}", "its contract id or file id is not a plain identifier (letters, "
                            "digits, - and _), so it cannot name a file: not written"))
            continue
        relative = f"{cid}/{fid}.pdf"
        path = root / relative
        if copied_signature == signature and path.is_file() and path.stat().st_size == copied_size:
            unchanged += 1
            continue
        expires_at = parse_instant(expires.replace(" ", "T") if expires else None)  # naive: UTC
        jobs.append(_Job(Wanted(fid, cid, url, expires_at, relative), signature, copied_signature is not None))
    return jobs, unchanged, refused


def _signature_sql(columns: set[str], alias: str) -> str:
    """The SQL of a row's signature marker: the contract's signatureDate, else its updatedAt, else ''."""
    parts = [f"CAST({alias}.{c} AS VARCHAR)" for c in ("contractsignaturedate", "contractupdatedat") if c in columns]
    return "COALESCE(" + ", ".join([*parts, "''"]) + ")"


def _columns(con: Any) -> dict[str, set[str]]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       f"WHERE table_catalog = current_database() AND table_schema = {literal(SCHEMA)}").fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


# --- downloading ----------------------------------------------------------------------------------------------


class _Progress:
    """Bytes downloaded so far, added to by every worker."""

    def __init__(self) -> None:
        self.lock, self.total = threading.Lock(), 0

    def add(self, n: int) -> None:
        with self.lock:
            self.total += n


def _run(con: Any, jobs: list[_Job], summary: FilesSummary, fetcher: Fetcher, progress: _Progress,
         workers: int) -> None:
    records: list[tuple] = []  # copies written, not yet recorded: recorded together, one commit per batch
    last_record = time.monotonic()
    with cf.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="signed-file") as pool:
        pending = {pool.submit(fetcher.fetch, job.wanted): job for job in jobs}
        done_count = 0
        try:
            while pending:
                done, _ = cf.wait(pending, timeout=PROGRESS_EVERY, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    done_count += 1
                    _settle(pending.pop(future), future, summary, records)
                if len(records) >= RECORD_BATCH or time.monotonic() - last_record >= PROGRESS_EVERY:
                    _record(con, records)
                    last_record = time.monotonic()
                if not done or (pending and done_count % 100 == 0):
                    report.note(f"signed files: {done_count:,} of {len(jobs):,} done, "
                                f"{_mb(progress.total)} downloaded")
        finally:
            for future in pending:
                future.cancel()
            _record(con, records)  # what was written before an interrupt is recorded too
    summary.bytes = progress.total


def _settle(job: _Job, future: cf.Future, summary: FilesSummary, records: list[tuple]) -> None:
    """One finished download: its record queued, or its failure noted."""
    relative = job.wanted.relative
    try:
        saved = future.result()
    except FileGone as why:
        summary.gone.append((relative, str(why)))
        return
    except FileFailed as why:
        summary.failed.append((relative, str(why)))
        return
    records.append((job.wanted.id, job.wanted.contract_id, relative, saved.sha256, saved.size, job.signature,
                    dt.datetime.now(dt.UTC)))
    if job.replaces:
        summary.replaced += 1
    else:
        summary.downloaded += 1


def _record(con: Any, records: list[tuple]) -> None:
    """The queued copies into `_tomorro_signed_files`, in one transaction (in this thread: the DuckDB
    connection is never shared with the workers)."""
    if not records:
        return
    values = ", ".join("(" + ", ".join(str(v) if isinstance(v, int) else literal(v) for v in row) + ")"
                       for row in records)
    con.execute(f"INSERT OR REPLACE INTO {SCHEMA}.{quoted(COPIES_TABLE)} VALUES {values}")
    records.clear()


# --- the directory --------------------------------------------------------------------------------------------


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    with open(root / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncError(f"another tomorro-sync pull is writing signed files into {root}; wait for it "
                            "to finish") from None
        yield


def _remove_temporary(root: Path) -> None:
    """What a killed pull left: temporary files, never under a final name."""
    for temp in root.glob(f"*/.*{TEMP_SUFFIX}"):
        temp.unlink(missing_ok=True)


def _count(value: Any, default: int | None, least: int) -> int | None:
    """A config count (the source's spec has checked it when it ran); anything else: the default."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= least else default


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"
