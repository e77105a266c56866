"""`tomorro-sync pull`: source-tomorro into a DuckDB file through PyAirbyte.

We run our console script (`local_executable`), not `source_manifest=`, because PyAirbyte only
passes saved state to executables: that is what makes the second pull incremental.

Connector process starts: one `read` when the stored catalog still holds (see catalog_store.py),
`discover` + `read` otherwise. No separate `spec` or `check`: the connector validates its config
against its spec in `discover` and `read` (so PyAirbyte's own validation is skipped), and the
preflight has already proved the URL and the key.

`--full-refresh` re-reads the chosen streams from scratch (no state is passed) and *replaces* their
tables (PyAirbyte's "replace" write strategy): records deleted in Tomorro disappear. A stream read
whole with no record at all leaves PyAirbyte no table to swap in, so its old rows are deleted here,
once every record read is known to have landed (see `_rows_written_since`). A pull that fails
replaces no table whose stream it had not finished reading. Without `--full-refresh`, tables are
merged on `id`: rows deleted in Tomorro stay until the next full refresh.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import pyairbyte, report
from .catalog_store import CatalogStore
from .connectors import executable
from .errors import SyncError
from .redaction import redact
from .target import Target

SCHEMA = "main"  # PyAirbyte fails when the DuckDB file's stem equals the schema name: never "tomorro"
SOURCE = "source-tomorro"


@dataclass
class PullSummary:
    records: dict[str, int] = field(default_factory=dict)  # rows written this pull, per stream
    records_read: int = 0
    total_seconds: float = 0.0
    requests: int | None = None
    discovered: bool = False  # the catalog was discovered this pull (else the stored one was reused)
    emptied: list[str] = field(default_factory=list)  # full refresh: streams with no record left

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def open_cache(db: Path):
    from airbyte.caches import DuckDBCache

    db.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBCache(db_path=db, schema_name=SCHEMA, cache_dir=db.parent / ".cache")


def query(db: Path, sql: str, params: dict | None = None) -> list[tuple]:
    """Run SQL on the pulled DuckDB file through PyAirbyte's own engine (DuckDB refuses a second
    connection with other settings to a file already open in this process)."""
    from sqlalchemy import text

    with open_cache(db).get_sql_engine().connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params or {}).fetchall()]


def pull(target: Target, db: Path, *, streams: list[str] | None = None, full_refresh: bool = False,
         refresh_catalog: bool = False, source_executable: Path | None = None) -> PullSummary:
    started, started_at = time.monotonic(), dt.datetime.now(dt.UTC)
    smart_fields = None if refresh_catalog else target.smart_fields_fingerprint()  # before the slow import
    before = target.request_count()
    pyairbyte.load()
    cache = open_cache(db)
    store = CatalogStore(cache.get_sql_engine(), SCHEMA, SOURCE)
    fingerprint, stored = store.lookup(target.source_config, smart_fields)
    source = pyairbyte.source(SOURCE, target.source_config, source_executable or executable(SOURCE),
                              None if refresh_catalog else stored)
    try:
        available = source.get_available_streams()
    except Exception as err:
        _forget(store)
        raise SyncError(f"The source could not list its streams: {redact(pyairbyte.failure_message(err))}") from None
    unknown = sorted(set(streams or []) - set(available))
    if unknown:
        raise SyncError(f"--streams: no stream named {', '.join(map(repr, unknown))} (streams: {', '.join(available)})",
                        exit_code=2)
    try:
        source.select_streams(streams or "*")
        result = source.read(cache=cache, force_full_refresh=full_refresh,
                             write_strategy="replace" if full_refresh else "auto", skip_validation=True)
    except Exception as err:
        _forget(store)
        raise SyncError(f"The sync failed: {redact(pyairbyte.failure_message(err))}") from None
    selected = source.get_selected_streams()
    summary = PullSummary(discovered=stored is None or refresh_catalog, records_read=result.processed_records)
    summary.records = _rows_written_since(cache, selected, started_at)
    if full_refresh:
        if summary.total_records != summary.records_read:
            raise SyncError(f"{summary.records_read:,} records were read but {summary.total_records:,} rows landed "
                            "in DuckDB with this pull's extraction time: cannot tell which streams came back "
                            "empty, so no table was emptied. Run the full refresh again.")
        summary.emptied = [name for name in selected if summary.records[name] == 0]
        for name in summary.emptied:
            cache.execute_sql(f'DELETE FROM "{SCHEMA}"."{name}"')
    store.save(fingerprint, source.discovered_catalog.model_dump_json(exclude_none=True))
    summary.total_seconds = time.monotonic() - started
    after = target.request_count()
    summary.requests = after - before if before is not None and after is not None else None
    return summary


def _forget(store: CatalogStore) -> None:
    try:
        store.forget()
    except Exception:  # noqa: BLE001 - the pull's own failure is the message that matters
        pass


def _rows_written_since(cache, streams: list[str], since: dt.datetime) -> dict[str, int]:
    """Rows each stream's table received this pull: PyAirbyte stamps every row it writes with the
    record's extraction time (`_airbyte_extracted_at`, from the message's `emitted_at`)."""
    from sqlalchemy import text

    counts = {}
    with cache.get_sql_engine().connect() as connection:
        for name in streams:
            counts[name] = connection.execute(text(
                f'SELECT count(*) FROM "{SCHEMA}"."{name}" WHERE _airbyte_extracted_at >= :since'),
                {"since": since}).scalar_one()
    return counts


def show(summary: PullSummary, title: str) -> None:
    rows = [(name, count) for name, count in sorted(summary.records.items())]
    report.table(title, ["stream", "records"], rows, footer=["total", summary.total_records])
    requests = "unknown (real API)" if summary.requests is None else f"{summary.requests:,}"
    catalog = "discovered" if summary.discovered else "reused (same config, connector and smart fields)"
    report.note(f"{summary.records_read:,} records read in {summary.total_seconds:.1f} s, API requests: {requests}, "
                f"catalog {catalog}")
    if summary.emptied:
        report.note(f"full refresh: no record left in {', '.join(summary.emptied)}; their tables were emptied")
