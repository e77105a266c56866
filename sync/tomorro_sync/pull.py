"""`tomorro-sync pull`: the `source-tomorro` console script into a DuckDB file, through our loader.

The source runs as the Airbyte platform runs it (`read --config --catalog [--state]`); loader.py writes
its records in PyAirbyte's DuckDB cache layout (cache_layout.py) and saves its state where PyAirbyte
saves it (cache_state.py), so files written by PyAirbyte's pull continue incrementally. PyAirbyte
itself is not needed at run time: importing it cost ~4.3 s of a pull that reads 20 changes in ~1 s.

Connector process starts: one `read` when the stored catalog still holds (see catalog_store.py),
`discover` + `read` otherwise. No separate `spec` or `check`: the connector validates its config
against its spec in `discover` and `read`, and the preflight has already proved the URL and the key.

Without `--full-refresh`, the saved state is passed, so only what changed is read, and each table of an
incremental stream is merged on its primary key: re-read records replace their row. The reference streams
(read whole every time: fields, field_options, members, clauses, contract_types) replace their tables.
`--full-refresh` passes no state and *replaces* each chosen stream's table once the source has read
the stream whole: records deleted in Tomorro disappear, and a stream that comes back empty leaves an
empty table. A pull that fails replaces no table whose stream it had not finished reading.

A reconcile (reconcile.py: `--reconcile`, or by itself once the last one is older than `reconcile_every`)
removes the contracts and counterparties Tomorro no longer has and re-reads those whose `updatedAt` the cursor
missed. Smart-field renames, retypes and relabelled options are absorbed (schema_changes.py).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import reconcile as reconciling
from . import report, schema_changes
from .cache_layout import SCHEMA, StreamTable, open_cache
from .cache_state import read_states, register_streams
from .catalog_store import CatalogStore
from .connectors import executable
from .deletions import drop_children_gone, remove_deleted
from .emptied_files import FILES, PARENTS, drop_emptied, parent_position
from .errors import SyncError
from .id_listing import Lister
from .loader import Loader
from .signed_files import FilesSummary
from .signed_files import archive as archive_signed_files
from .signed_files import refresh_columns as refresh_file_columns
from .source_run import run_source
from .target import Target

SOURCE = "source-tomorro"
PROGRESS_EVERY = 5.0  # seconds between progress lines during a long read


@dataclass
class PullSummary:
    records: dict[str, int] = field(default_factory=dict)  # rows written this pull, per stream
    records_read: int = 0
    total_seconds: float = 0.0
    requests: int | None = None
    discovered: bool = False  # the catalog was discovered this pull (else the stored one was reused)
    emptied: list[str] = field(default_factory=list)  # full refresh: streams with no record left
    files: FilesSummary | None = None  # --files: the signed files archived this pull
    reconciled: reconciling.Reconcile | None = None
    changes: list[str] = field(default_factory=list)  # what the pull changed beyond the records, and why

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def query(db: Path, sql: str, params: dict | None = None) -> list[tuple]:
    """Run SQL (named parameters as `$name`) on the pulled DuckDB file."""
    with open_cache(db) as con:
        return [tuple(row) for row in con.execute(sql, params or {}).fetchall()]


def pull(target: Target, db: Path, *, streams: list[str] | None = None, full_refresh: bool = False,
         refresh_catalog: bool = False, source_executable: Path | None = None, reconcile: bool = False,
         files_dir: Path | None = None) -> PullSummary:
    started, since = time.monotonic(), dt.datetime.now(dt.UTC).replace(tzinfo=None)
    smart_fields = None if refresh_catalog else target.smart_fields_fingerprint()
    before = target.request_count()
    source = source_executable or executable(SOURCE)
    log_dir = db.resolve().parent / "logs"
    with open_cache(db) as con:
        store = CatalogStore(con, SCHEMA, SOURCE)
        fingerprint, stored = store.lookup(target.source_config, smart_fields)
        catalog = _catalog_or_none(stored)
        summary = PullSummary(discovered=catalog is None)
        try:
            if catalog is None:
                catalog = _discover(source, target.source_config, log_dir)
            available = [stream["name"] for stream in catalog["streams"]]
            unknown = sorted(set(streams or []) - set(available))
            if unknown:
                raise SyncError(f"--streams: no stream named {', '.join(map(repr, unknown))} "
                                f"(streams: {', '.join(available)})", exit_code=2)
            configured = configure(catalog, streams or available, full_refresh=full_refresh)
            run = _Run(con, source, target.source_config, db, log_dir)
            loader = _pull_streams(run, target, configured, summary, full_refresh=full_refresh, reconcile=reconcile)
        except BaseException as err:
            if not (isinstance(err, SyncError) and err.exit_code == 2):  # a usage error is no failed pull
                _forget(store)
            raise
        summary.records_read = loader.records_read.total()
        summary.records = loader.rows_written_since(since)
        if full_refresh:
            summary.emptied = [name for name, count in summary.records.items() if count == 0]
        store.save(fingerprint, json.dumps(catalog))
        # the signed PDFs once their metadata is saved; without --files only the sha256 / local_path columns
        if files_dir is not None:
            summary.files = archive_signed_files(con, target, files_dir)
        else:
            refresh_file_columns(con)
    summary.total_seconds = time.monotonic() - started
    after = target.request_count()
    summary.requests = after - before if before is not None and after is not None else None
    return summary


def configure(catalog: dict[str, Any], streams: list[str], *, full_refresh: bool) -> dict[str, Any]:
    """The configured catalog of a read: incremental where the stream supports it, unless full refresh."""
    configured = []
    for stream in catalog["streams"]:
        if stream["name"] not in streams:
            continue
        modes = stream.get("supported_sync_modes") or ["full_refresh"]
        incremental = "incremental" in modes and not (full_refresh and "full_refresh" in modes)
        key = stream.get("source_defined_primary_key") or []
        configured.append({
            "stream": stream,
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "overwrite" if full_refresh else ("append_dedup" if key else "append"),
            "primary_key": key,
            "cursor_field": (stream.get("default_cursor_field") or []) if incremental else [],
        })
    return {"streams": configured}


def _discover(source: Path, config: dict[str, Any], log_dir: Path) -> dict[str, Any]:
    with run_source(source, "discover", config, log_dir=log_dir) as run:
        catalogs = [message.get("catalog") for message in run.messages() if message.get("type") == "CATALOG"]
    problem = run.failure() or (None if catalogs else "it printed no catalog (see logs/source-tomorro-discover.log)")
    catalog = _catalog_or_none(json.dumps(catalogs[-1])) if catalogs and not problem else None
    if catalog is None:
        raise SyncError(f"The source could not list its streams: {problem or 'its catalog has no valid streams'}")
    return catalog


@dataclass
class _Run:
    con: Any
    source: Path
    config: dict[str, Any]
    db: Path
    log_dir: Path


def _pull_streams(run: _Run, target: Target, configured: dict[str, Any], summary: PullSummary, *,
                  full_refresh: bool, reconcile: bool) -> Loader:
    """One read of the configured streams, with what keeps the tables true: smart-field renames and retypes
    absorbed before it, a reconcile around it, relabelled options re-read after it."""
    con = run.con
    tables = {stream["stream"]["name"]: _table(stream, full_refresh) for stream in configured["streams"]}
    changes = schema_changes.plan(con, list(tables.values()))
    summary.changes += changes.notes()
    if changes.renames:
        schema_changes.rename_columns(con, changes.renames)
    whole = set(changes.retyped)  # read whole, table replaced
    tables.update({name: _table(stream, True) for stream in configured["streams"]
                   if (name := stream["stream"]["name"]) in whole})
    incremental = [name for name, table in tables.items() if table.method != "replace"]
    start_clock = reconciling.unclocked(con, list(tables))
    to_reconcile = [name for name in incremental if name in reconciling.STREAMS] if reconcile else \
        reconciling.due(con, incremental, target.reconcile_every_hours)
    plan = reconciling.prepare(con, target, to_reconcile) if to_reconcile else None
    summary.reconciled = plan
    read_whole = [name for name, table in tables.items() if table.method == "replace"] + start_clock

    read_since = dt.datetime.now(dt.UTC)
    visited_from = parent_position(read_states(con, SOURCE, [FILES])) if FILES in incremental else None

    def finish(con) -> None:
        if plan is not None:
            reconciling.apply(con, plan)
        reconciling.mark_reconciled(con, read_whole)
        for table, count in drop_children_gone(con, read_since).items():
            summary.changes.append(f"{table}: {count:,} rows no longer listed on their re-read parent removed")
        if {FILES, PARENTS} <= set(tables):  # a contract re-read that brought no file at all (emptied_files.py)
            summary.changes += drop_emptied(con, read_since, visited_from, lambda: Lister(target),
                                            reread=tables[PARENTS].method != "replace").notes()
        elif FILES in tables and tables[FILES].method != "replace":
            summary.changes.append(f"{FILES}: read without {PARENTS}, so a contract that lost its every signed file "
                                   f"keeps its rows until a pull reads {PARENTS} too")

    labels_before = schema_changes.option_labels(con)
    loader = _read(run, configured, list(tables.values()), plan=plan, finish=finish)
    relabelled = schema_changes.relabelled_fields(labels_before, schema_changes.option_labels(con))
    again = schema_changes.streams_with_fields(con, [n for n in incremental if n not in whole], relabelled)
    if again:
        summary.changes.append(f"{', '.join(again)}: read whole again and replaced, because options of "
                               f"{len(relabelled)} smart field(s) were relabelled (Tomorro relabels stored values "
                               "without an updatedAt)")
        chosen = {"streams": [s for s in configured["streams"] if s["stream"]["name"] in again]}
        again_loader = _read(run, chosen, [_table(s, True) for s in chosen["streams"]], plan=None,
                             finish=lambda con: reconciling.mark_reconciled(con, again))
        loader.records_read.update(again_loader.records_read)
    return loader


def _removed_by_a_whole_read(con, stream: str, ids: set[str]) -> None:
    """A whole read of contracts or counterparties replaced its table: the rows it lacks were deleted in Tomorro,
    and leave like any deletion (a contract's signed files with it; recorded in _tomorro_deleted)."""
    if stream in reconciling.STREAMS:
        remove_deleted(con, stream, ids, via="full read")


def _table(configured_stream: dict[str, Any], replace: bool) -> StreamTable:
    # a stream read whole every time (no cursor: the reference streams) replaces its table: removed rows go
    return StreamTable.of(configured_stream, replace=replace or configured_stream["sync_mode"] == "full_refresh")


def _read(run: _Run, configured: dict[str, Any], tables: list[StreamTable], *, plan, finish) -> Loader:
    con, source, config, db, log_dir = run.con, run.source, run.config, run.db, run.log_dir
    names = [table.stream for table in tables if table.method != "replace"]
    state = read_states(con, SOURCE, names) if names else []
    if plan is not None and state:
        from source_tomorro.run import register_components

        components = register_components()
        state = reconciling.move_states_back(plan, state, components.parse_instant, components.format_instant)
    con.begin()
    register_streams(con, [stream["stream"] for stream in configured["streams"]])
    con.commit()
    with tempfile.TemporaryDirectory(prefix=".tomorro-pull-", dir=db.resolve().parent) as spool, \
            run_source(source, "read", config, log_dir=log_dir, catalog=configured, state=state or None) as run:
        loader = Loader(con, tables, source_name=SOURCE, spool_dir=Path(spool), on_removed=_removed_by_a_whole_read)
        try:
            next_note = time.monotonic() + PROGRESS_EVERY
            for message in run.messages():
                for name in loader.take(message):
                    run.write_log(f"tomorro-sync: saved the state of {name} with its records "
                                  f"(checkpoint {loader.checkpoints})")
                if time.monotonic() >= next_note:
                    _progress(loader)
                    next_note = time.monotonic() + PROGRESS_EVERY
            failure = run.failure()
            if failure:
                raise SyncError(f"The sync failed: {failure}")
            loader.finish(also=finish)
        finally:
            loader.close()
    return loader


def _progress(loader: Loader) -> None:
    counts = ", ".join(f"{name} {count:,}" for name, count in loader.records_read.most_common())
    report.note(f"{loader.records_read.total():,} records read so far ({counts}); {loader.checkpoints} checkpoints saved")


def _catalog_or_none(text: str | None) -> dict[str, Any] | None:
    """A catalog with at least one well-formed stream, or None (then the source is asked again)."""
    try:
        catalog = json.loads(text) if text else None
    except ValueError:
        return None
    streams = catalog.get("streams") if isinstance(catalog, dict) else None
    if not isinstance(streams, list) or not streams:
        return None
    if not all(isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("json_schema"), dict)
               for s in streams):
        return None
    return catalog


def _forget(store: CatalogStore) -> None:
    try:
        store.forget()
    except Exception:  # noqa: BLE001 - the pull's own failure is the message that matters
        pass


def show(summary: PullSummary, title: str) -> None:
    rows = [(name, count) for name, count in sorted(summary.records.items())]
    report.table(title, ["stream", "records"], rows, footer=["total", summary.total_records])
    requests = "unknown (real API)" if summary.requests is None else f"{summary.requests:,}"
    catalog = "discovered" if summary.discovered else "reused (same config, connector and smart fields)"
    report.note(f"{summary.records_read:,} records read in {summary.total_seconds:.1f} s, API requests: {requests}, "
                f"catalog {catalog}")
    if summary.emptied:
        report.note(f"full refresh: no record left in {', '.join(summary.emptied)}; their tables were emptied")
    for line in summary.changes:
        report.note(line)
    if summary.reconciled is not None:
        for stream, plan in summary.reconciled.streams.items():
            moved = f"; read from {plan.read_from} on" if plan.read_from else ""
            report.note(f"reconcile {stream}: {len(plan.deleted):,} deleted in Tomorro, removed (see _tomorro_deleted); "
                        f"{len(plan.stale):,} listed with an updatedAt the table lacks{moved} "
                        f"({plan.requests:,} list requests)")
            for note in plan.notes:
                report.note(f"reconcile {stream}: {note}")
