"""Rows to push: from a CSV file or a DuckDB table, as dicts of JSON-ready values.

A CSV file is checked whole before the first row is handed out (so a push writes nothing when the
file is broken): every byte must decode as UTF-8, every row must have one value per header column,
no header name may repeat. The error names the line (and the byte) to fix. Reading then streams the
file a second time; should it fail there (the file changed in between), the error is raised from the
iterator, and `push` withholds the closing STATE and fails.

DuckDB values become JSON values (dates as ISO text, decimals as numbers, lists and structs nested).
A value JSON cannot carry (NaN, infinity, bytes, an interval) is passed through as is: `push`
rejects that row itself, naming the column (see feed.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import SyncError


def from_csv(path: Path) -> Iterator[dict[str, Any]]:
    """Each line as a dict; empty cells become null (a CSV cannot tell "" from missing).

    The whole file is checked now, so a wrong path or a broken file fails before anything starts."""
    try:
        with path.open("rb") as handle:
            _check_utf8(path, handle)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for _ in _csv_rows(path, handle):
                pass
    except OSError as err:
        raise SyncError(f"Cannot read CSV file {path}: {err.strerror}") from None
    return _read_csv(path)


def _read_csv(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            yield from _csv_rows(path, handle)
    except UnicodeDecodeError as err:  # the file changed since it was checked
        raise SyncError(f"CSV file {path} is no longer valid UTF-8 ({err.reason}): it changed while being "
                        "pushed") from None
    except OSError as err:
        raise SyncError(f"Cannot read CSV file {path}: {err.strerror}") from None


def _check_utf8(path: Path, handle) -> None:
    for number, line in enumerate(handle, start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as err:
            raise SyncError(f"CSV file {path}, line {number}: byte 0x{line[err.start]:02X} at position "
                            f"{err.start + 1} is not UTF-8 ({err.reason}). Nothing was pushed: save the file "
                            "as UTF-8 and run again.") from None


def _csv_rows(path: Path, handle) -> Iterator[dict[str, Any]]:
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
        if header is None:
            return
        seen: set[str] = set()
        for name in header:
            if name and name in seen:
                raise SyncError(f"CSV file {path}: column {name!r} appears twice in the header")
            seen.add(name)
        for values in reader:
            if not values:  # a blank line
                continue
            if len(values) != len(header):
                raise SyncError(f"CSV file {path}, line {reader.line_num}: {len(values)} values for "
                                f"{len(header)} columns (an unquoted comma or a missing cell?). Nothing was "
                                "pushed: fix that line and run again.")
            row = {}
            for index, (name, value) in enumerate(zip(header, values, strict=True)):
                if not name:
                    if value:
                        raise SyncError(f"CSV file {path}, line {reader.line_num}: column {index + 1} has no "
                                        "name in the header but holds a value")
                    continue
                row[name] = value if value != "" else None
            yield row
    except csv.Error as err:
        raise SyncError(f"CSV file {path}, line {reader.line_num}: {err}") from None


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
                yield {name: json_ready(value) for name, value in zip(names, values, strict=True)}


def _quote(table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def json_ready(value: Any) -> Any:
    """The JSON form of a DuckDB value where one exists; other values are returned unchanged."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return float(value)  # NaN / infinity: rejected by push, naming the column
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value
