"""The source's messages in, DuckDB tables out (the layout of cache_layout.py), checkpoint by checkpoint.

Records are spooled per stream as JSON lines (their properties renamed to columns, the `_airbyte_*`
values added); DuckDB reads a spool with `read_json_auto` and the stream's column types, the way
PyAirbyte's DuckDB cache loads its files, so the typed values are the same.

- merge (a stream with a primary key) and append (no key, a cursor): a stream's spooled records are
  written when the source emits a STATE for that stream, in one transaction with that state: a pull
  killed at any moment keeps every checkpoint whose records were committed, and resumes from it. Two
  copies of a key in one batch: the later one is kept. Records after the last STATE of a failed pull
  are dropped (the saved state still asks for them).
- replace (`--full-refresh`, or a stream with neither key nor cursor): the stream's records are
  spooled until the source reports it COMPLETE (or, lacking that, until a successful end); then the
  table is recreated from them, with the states received so far, in one transaction. A stream not
  finished is never replaced, and its state not advanced.

Every STATE of a stream carries `sourceStats.recordCount`, the records of that stream the source emitted
since its previous STATE (the CDK counts them as it prints them). A STATE whose count differs from the
records received stops the pull before anything of that checkpoint is saved: a record line lost or garbled
on the way (stdout lines that are not JSON are skipped as the connector's noise) never lets a state move
past it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import IO, Any

from .cache_layout import (
    EXTRACTED_AT,
    META,
    RAW_ID,
    SCHEMA,
    RawIds,
    StreamTable,
    column_name,
    literal,
    quoted,
)
from .cache_state import SHARED_STATE_NAMES, state_name, write_state
from .deletions import forget_returned
from .errors import SyncError


class Loader:
    def __init__(self, con, tables: list[StreamTable], *, source_name: str, spool_dir: Path,
                 on_removed=None) -> None:
        """`on_removed(con, stream, ids)`: called in the transaction that replaces a table, with the ids its rows had
        and the new table lacks (records deleted in Tomorro: deletions.py records them)."""
        self.con, self.source_name, self.spool_dir = con, source_name, spool_dir
        self.on_removed = on_removed
        self.tables = {table.stream: table for table in tables}
        self.records_read: Counter[str] = Counter()
        self.checkpoints = 0  # states saved
        self._spools: dict[str, tuple[Path, IO[str]]] = {}
        self._spooled: Counter[str] = Counter()  # records spooled since the stream's last write
        self._since_state: Counter[str] = Counter()  # records received since the stream's last STATE
        self._pending: dict[str, dict[str, Any]] = {}  # replace: the latest state per name, until swapped
        self._replaced: set[str] = set()
        self._columns_of: dict[str, dict[str, str | None]] = {name: {} for name in self.tables}
        self._raw_ids = RawIds()
        self._existing = self._existing_columns()

    def take(self, message: dict[str, Any]) -> list[str]:
        """One RECORD, STATE or TRACE message of the source (other kinds are not ours to act on); returns
        the names of the states it saved."""
        kind = message.get("type")
        if kind == "RECORD":
            self._record(message.get("record") or {})
        elif kind == "STATE":
            return self._state(message.get("state") or {})
        elif kind == "TRACE":
            status = (message.get("trace") or {}).get("stream_status") or {}
            stream = (status.get("stream_descriptor") or {}).get("name")
            if status.get("status") == "COMPLETE" and stream in self.tables:
                table = self.tables[stream]
                if table.method == "replace" and stream not in self._replaced:
                    return self._replace(table)
        return []

    def finish(self, also=None) -> None:
        """After a successful read: write what is left, create the tables of streams without records. `also(con)`
        runs in the transaction of the last write (a reconcile's removals): it commits with it, or not at all."""
        for table in self.tables.values():
            if table.method == "replace" and table.stream not in self._replaced:
                self._replace(table)
        shared = [state for name, state in self._pending.items() if name in SHARED_STATE_NAMES.values()]
        self._commit([t for t in self.tables.values() if t.method != "replace"], shared, also=also)

    def close(self) -> None:
        for _, handle in self._spools.values():
            handle.close()

    def rows_written_since(self, since: dt.datetime) -> dict[str, int]:
        """Rows of each stream's table stamped (extracted) at or after `since` (naive UTC)."""
        return {name: self.con.execute(f"SELECT count(*) FROM {table.qualified} "
                                       f"WHERE {EXTRACTED_AT} >= {literal(since)}").fetchone()[0]
                for name, table in self.tables.items()}

    def _record(self, record: dict[str, Any]) -> None:
        stream, data = record.get("stream"), record.get("data")
        table = self.tables.get(stream)
        if table is None:
            raise SyncError(f"the source sent a record of stream {stream!r}, which this pull did not ask for")
        if stream in self._replaced:
            raise SyncError(f"the source sent a record of stream {stream!r} after reporting the stream complete")
        if not isinstance(data, dict):
            raise SyncError(f"the source sent a record of stream {stream!r} whose data is not an object")
        row: dict[str, Any] = dict.fromkeys(table.properties.values())
        columns = self._columns_of[stream]
        for key, value in data.items():
            column = columns[key] if key in columns else columns.setdefault(key, self._column(table, key))
            if column is not None:
                row[column] = value
        if any(row[column] is None for column in table.primary_key):
            raise SyncError(f"the source sent a record of stream {stream!r} without a value for its primary key "
                            f"({', '.join(table.primary_key)}): it cannot be merged")
        row[RAW_ID] = self._raw_ids.next()
        row[EXTRACTED_AT] = _extracted_at(record.get("emitted_at"))
        row[META] = {}
        self._spool(stream).write(json.dumps(row, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
        self._spooled[stream] += 1
        self._since_state[stream] += 1
        self.records_read[stream] += 1

    def _state(self, state: dict[str, Any]) -> list[str]:
        name = state_name(state)
        shared = name in SHARED_STATE_NAMES.values()
        if not shared and name not in self.tables:
            raise SyncError(f"the source sent a state for stream {name!r}, which this pull did not ask for")
        if not shared:
            self._check_count(name, state)
        covered = list(self.tables.values()) if shared else [self.tables[name]]
        if any(t.method == "replace" and t.stream not in self._replaced for t in covered):
            self._pending[name] = state  # saved with the table that holds its records
            return []
        return self._commit([t for t in covered if t.method != "replace"], [state])

    def _check_count(self, name: str, state: dict[str, Any]) -> None:
        received = self._since_state.pop(name, 0)
        counted = (state.get("sourceStats") or {}).get("recordCount")
        if isinstance(counted, int | float) and counted != received:
            raise SyncError(f"the source sent {counted:,.0f} records of stream {name!r} before its checkpoint and "
                            f"this pull received {received:,}: a record was lost on the way, so the checkpoint is "
                            "not saved (the next pull reads from the last saved one)")

    def _commit(self, tables: list[StreamTable], states: list[dict[str, Any]], also=None) -> list[str]:
        """Write these streams' spooled records, then save the states, in one transaction."""
        import duckdb

        self.con.begin()
        try:
            for table in tables:
                self._write(table)
            saved = [write_state(self.con, self.source_name, state) for state in states]
            if also is not None:
                also(self.con)
            self.con.commit()
        except BaseException as err:  # an interrupt too: nothing of this checkpoint is kept
            self.con.rollback()
            if not isinstance(err, duckdb.Error):
                raise
            names = ", ".join(t.stream for t in tables) or "the state"
            raise SyncError(f"writing {names} into DuckDB failed: {err}") from None
        self.checkpoints += len(saved)
        for table in tables:
            self._reset(table.stream)
        return saved

    def _write(self, table: StreamTable) -> None:
        self._ensure_table(table)
        if not self._spooled[table.stream]:
            return
        batch = self._batch(table)
        columns = ", ".join(quoted(column) for column in table.columns)
        if table.method == "append":
            self.con.execute(f"INSERT INTO {table.qualified} ({columns}) SELECT {columns} FROM ({batch})")
            return
        on = " AND ".join(f"tmp.{quoted(key)} = final.{quoted(key)}" for key in table.primary_key)
        updates = ", ".join(f"{quoted(c)} = tmp.{quoted(c)}" for c in table.columns if c not in table.primary_key)
        values = ", ".join(f"tmp.{quoted(column)}" for column in table.columns)
        self.con.execute(f"MERGE INTO {table.qualified} AS final USING ({batch}) AS tmp ON ({on}) "
                         f"WHEN MATCHED THEN UPDATE SET {updates} "
                         f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})")
        if "id" in table.columns:
            forget_returned(self.con, table.stream, table.qualified)

    def _replace(self, table: StreamTable) -> list[str]:
        """The table made anew from every record of the stream, with its pending state."""
        import duckdb

        state = self._pending.pop(table.stream, None)
        self.con.begin()
        try:
            tracked = self.on_removed is not None and "id" in table.columns and table.table in self._existing
            previous = self._ids(table) if tracked else set()
            self.con.execute(f"CREATE OR REPLACE TABLE {table.qualified} ({table.column_definitions()})")
            if self._spooled[table.stream]:
                self.con.execute(f"INSERT INTO {table.qualified} SELECT * FROM ({self._batch(table)}) "
                                 f"ORDER BY {RAW_ID}")
            if previous:
                self.on_removed(self.con, table.stream, previous - self._ids(table))
            if "id" in table.columns:
                forget_returned(self.con, table.stream, table.qualified)
            if state is not None:
                write_state(self.con, self.source_name, state)
            self.con.commit()
        except BaseException as err:
            self.con.rollback()
            if not isinstance(err, duckdb.Error):
                raise
            raise SyncError(f"replacing table {table.table} in DuckDB failed: {err}") from None
        self._existing[table.table] = set(table.columns)
        self._replaced.add(table.stream)
        self.checkpoints += state is not None
        self._reset(table.stream)
        return [table.stream] if state is not None else []

    def _ids(self, table: StreamTable) -> set[str]:
        return {row[0] for row in self.con.execute(f"SELECT CAST(id AS VARCHAR) FROM {table.qualified}").fetchall()}

    def _batch(self, table: StreamTable) -> str:
        """SELECT of the stream's spooled rows, typed; the last copy of each primary key only."""
        path, handle = self._spools[table.stream]
        handle.flush()
        columns = ", ".join(quoted(column) for column in table.columns)
        types = ", ".join(f"{literal(column)}: {literal(kind)}" for column, kind in table.columns.items())
        select = (f"SELECT {columns} FROM read_json_auto([{literal(str(path))}], format = 'newline_delimited', "
                  f"union_by_name = true, columns = {{{types}}})")
        if table.primary_key:
            keys = ", ".join(quoted(key) for key in table.primary_key)
            select += f" QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {RAW_ID} DESC) = 1"
        return select

    def _ensure_table(self, table: StreamTable) -> None:
        """Create the table, or add the columns the schema gained since it was created."""
        existing = self._existing.get(table.table)
        if existing is None:
            self.con.execute(f"CREATE TABLE {table.qualified} ({table.column_definitions()})")
            self._existing[table.table] = set(table.columns)
            return
        for column, kind in table.columns.items():
            if column not in existing:
                self.con.execute(f"ALTER TABLE {table.qualified} ADD COLUMN {quoted(column)} {kind}")
                existing.add(column)

    def _existing_columns(self) -> dict[str, set[str]]:
        rows = self.con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                f"WHERE table_catalog = current_database() AND table_schema = {literal(SCHEMA)}"
                                ).fetchall()
        existing: dict[str, set[str]] = {}
        for name, column in rows:
            existing.setdefault(name, set()).add(column)
        return existing

    @staticmethod
    def _column(table: StreamTable, key: str) -> str | None:
        """The column of a record's key: its property's, or one whose name it normalizes to."""
        if key in table.properties:
            return table.properties[key]
        try:
            column = column_name(key)
        except SyncError:  # a key with no letter or digit is no column's: dropped like any unknown key
            return None
        return column if column in table.properties.values() else None

    def _spool(self, stream: str) -> IO[str]:
        if stream not in self._spools:
            path = self.spool_dir / f"{self.tables[stream].table}.jsonl"
            self._spools[stream] = (path, path.open("w", encoding="utf-8"))
        return self._spools[stream][1]

    def _reset(self, stream: str) -> None:
        if stream in self._spools:
            handle = self._spools[stream][1]
            handle.seek(0)
            handle.truncate()
        self._spooled[stream] = 0


def _extracted_at(emitted_at: Any) -> str:
    if isinstance(emitted_at, int | float) and not isinstance(emitted_at, bool):
        moment = dt.datetime.fromtimestamp(emitted_at / 1000, tz=dt.UTC)
    else:
        moment = dt.datetime.now(dt.UTC)
    return moment.isoformat()
