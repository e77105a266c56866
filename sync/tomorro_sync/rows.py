"""Rows to push: from a CSV file or a DuckDB table, as JSON-ready dicts."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import SyncError


def from_csv(path: Path) -> Iterator[dict[str, Any]]:
    """Each line as a dict; empty cells become null (a CSV cannot tell "" from missing).

    The file is opened now, so a wrong path fails before anything starts."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as err:
        raise SyncError(f"Cannot read CSV file {path}: {err.strerror}") from None
    return _csv_rows(handle)


def _csv_rows(handle) -> Iterator[dict[str, Any]]:
    with handle:
        for row in csv.DictReader(handle):
            yield {key: (value if value != "" else None) for key, value in row.items() if key}


def from_duckdb(db: Path, table: str) -> Iterator[dict[str, Any]]:
    """Rows of `table`; the file and table are checked now, rows are read lazily."""
    import duckdb

    if not db.exists():
        raise SyncError(f"DuckDB file not found: {db}")
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(f"SELECT * FROM {_quote(table)}")
    except duckdb.Error as err:
        con.close()
        raise SyncError(f"Cannot read table {table!r} from {db}: {err}") from None
    return _duckdb_rows(con, cursor)


def _duckdb_rows(con, cursor) -> Iterator[dict[str, Any]]:
    with con:
        names = [column[0] for column in cursor.description]
        while batch := cursor.fetchmany(1000):
            for values in batch:
                yield {name: _json_ready(value) for name, value in zip(names, values, strict=True)}


def _quote(table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
