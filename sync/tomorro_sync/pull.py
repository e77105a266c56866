"""`tomorro-sync pull`: source-tomorro into a DuckDB file through PyAirbyte.

We run our console script (`local_executable`), not `source_manifest=`, because PyAirbyte only
passes saved state to executables: that is what makes the second pull incremental.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import pyairbyte, report
from .connectors import executable, redact
from .errors import SyncError
from .target import Target

SCHEMA = "main"  # PyAirbyte fails when the DuckDB file's stem equals the schema name: never "tomorro"


@dataclass
class PullSummary:
    records: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    requests: int | None = None

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def open_cache(db: Path):
    from airbyte.caches import DuckDBCache

    db.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBCache(db_path=db, schema_name=SCHEMA, cache_dir=db.parent / ".cache")


def query(db: Path, sql: str) -> list[tuple]:
    """Run SQL on the pulled DuckDB file through PyAirbyte's own engine (DuckDB refuses a second
    connection with other settings to a file already open in this process)."""
    from sqlalchemy import text

    with open_cache(db).get_sql_engine().connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql)).fetchall()]


def pull(target: Target, db: Path, *, streams: list[str] | None = None,
         full_refresh: bool = False) -> PullSummary:
    ab = pyairbyte.load()
    source = ab.get_source("source-tomorro", config=target.source_config,
                           local_executable=str(executable("source-tomorro")))
    try:
        source.check()
    except Exception as err:
        raise SyncError(f"Tomorro check failed: {redact(pyairbyte.failure_message(err), target.api_key)}") from None
    source.select_streams(streams or "*")
    before = target.request_count()
    started = time.monotonic()
    try:
        result = source.read(cache=open_cache(db), force_full_refresh=full_refresh)
    except Exception as err:
        raise SyncError(f"The sync failed: {redact(pyairbyte.failure_message(err), target.api_key)}") from None
    # PyAirbyte keeps per-stream counts and timings only on its progress tracker.
    tracker = result._progress_tracker  # noqa: SLF001
    summary = PullSummary(total_seconds=time.monotonic() - started)
    for name in source.get_selected_streams():
        summary.records[name] = tracker.stream_read_counts.get(name, 0)
        start, end = tracker.stream_read_start_times.get(name), tracker.stream_read_end_times.get(name)
        summary.seconds[name] = (end - start) if start and end else 0.0
    after = target.request_count()
    summary.requests = after - before if before is not None and after is not None else None
    return summary


def show(summary: PullSummary, title: str) -> None:
    rows = [(name, count, summary.seconds[name]) for name, count in sorted(summary.records.items())]
    rate = summary.total_records / summary.total_seconds if summary.total_seconds else 0.0
    report.table(title, ["stream", "records", "seconds"], rows,
                 footer=["total", summary.total_records, summary.total_seconds])
    requests = "unknown (real API)" if summary.requests is None else f"{summary.requests:,}"
    report.note(f"{summary.total_records:,} records in {summary.total_seconds:.1f} s "
                f"({rate:,.0f} records/s), API requests: {requests}")
