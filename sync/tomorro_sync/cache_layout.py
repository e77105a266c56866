"""The DuckDB layout `pull` writes: the one PyAirbyte 0.71.3's `DuckDBCache` writes, so files written by
either, the demo's queries and users' SQL keep working.

- One table per stream in schema `main`, named after the stream; a column per top-level property of the
  stream's JSON schema, lower-cased with every character other than a-z and 0-9 turned into `_` (a name
  starting with a digit gets a leading `_`). Types: string VARCHAR, integer BIGINT, number
  DECIMAL(38, 9), boolean BOOLEAN, date DATE, date-time TIMESTAMP (UTC, no zone), time TIME, objects
  and arrays JSON, anything else VARCHAR. Properties a record has but the schema lacks are dropped.
- Three more columns: `_airbyte_raw_id` (VARCHAR, a UUIDv7 per row written), `_airbyte_extracted_at`
  (TIMESTAMP, the record's `emitted_at`), `_airbyte_meta` (JSON, `{}`).
- `_airbyte_state`: the last state message per stream (`table_name` = stream name), under the source's
  name; `_airbyte_streams`: each stream's JSON schema; `_airbyte_destination_state`: PyAirbyte's table
  for destinations, created empty as PyAirbyte does.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SyncError

SCHEMA = "main"  # never the DuckDB file's stem: PyAirbyte then fails with "Ambiguous reference"
RAW_ID, EXTRACTED_AT, META = "_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta"
METADATA_COLUMNS = {RAW_ID: "VARCHAR", EXTRACTED_AT: "TIMESTAMP", META: "JSON"}

# Each JSON schema type (or `airbyte_type`) and the DuckDB type of its column.
COLUMN_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DECIMAL(38, 9)",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp_with_timezone": "TIMESTAMP",
    "timestamp_without_timezone": "TIMESTAMP",
    "time_with_timezone": "TIME",
    "time_without_timezone": "TIME",
    "object": "JSON",
    "array": "JSON",
}
STRING_FORMATS = {"date": "date", "date-time": "timestamp_with_timezone", "time": "time_without_timezone"}

BOOKKEEPING_TABLES = (
    'CREATE TABLE IF NOT EXISTS main."_airbyte_state" (source_name VARCHAR, stream_name VARCHAR, '
    "table_name VARCHAR NOT NULL PRIMARY KEY, state_json VARCHAR, last_updated TIMESTAMP WITH TIME ZONE)",
    'CREATE TABLE IF NOT EXISTS main."_airbyte_streams" (stream_name VARCHAR, source_name VARCHAR, '
    "table_name VARCHAR NOT NULL PRIMARY KEY, catalog_metadata VARCHAR)",
    'CREATE TABLE IF NOT EXISTS main."_airbyte_destination_state" (destination_name VARCHAR NOT NULL, '
    "source_name VARCHAR NOT NULL, stream_name VARCHAR NOT NULL, state_json VARCHAR, "
    "last_updated TIMESTAMP WITH TIME ZONE, PRIMARY KEY (destination_name, source_name, stream_name))",
)


@contextmanager
def open_cache(db: Path) -> Iterator[Any]:
    """A DuckDB connection to the file (created if missing), with PyAirbyte's bookkeeping tables. Closing it
    checkpoints: the file then stands alone, without a write-ahead log beside it."""
    import duckdb

    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as err:  # another process holds it, or it is not a DuckDB file
        raise SyncError(f"Cannot open the DuckDB file {db}: {err}") from None
    try:
        for statement in BOOKKEEPING_TABLES:
            con.execute(statement)
        yield con
    finally:
        con.close()


def column_name(name: str) -> str:
    """A stream's or property's name as a table or column name."""
    result = re.sub(r"[^A-Za-z0-9]", "_", name.lower())
    if result[:1].isdigit():
        result = "_" + result
    if not result.replace("_", ""):
        raise SyncError(f"the name {name!r} (a stream or a property of the source's catalog) has no letter or "
                        "digit, so it cannot name a DuckDB table or column")
    return result


def column_type(prop: Any) -> str:
    """The DuckDB type of a property's column, from its JSON schema."""
    if not isinstance(prop, dict):
        return "VARCHAR"
    kind = prop.get("airbyte_type")
    if not kind:
        kind = prop.get("type")
        if isinstance(kind, list):
            not_null = [each for each in kind if each != "null"]
            kind = not_null[0] if len(not_null) == 1 else None
        if kind == "string" and prop.get("format") in STRING_FORMATS:
            kind = STRING_FORMATS[prop["format"]]
    if isinstance(kind, str) and kind in COLUMN_TYPES:
        return COLUMN_TYPES[kind]
    # An unknown `airbyte_type`, several types, or none: the plain `type` and `format`, else text.
    plain, fmt = prop.get("type"), prop.get("format")
    if plain == "string" and fmt in ("date", "date-time"):
        return COLUMN_TYPES[STRING_FORMATS[fmt]]
    return "JSON" if plain in ("array", "object") else "VARCHAR"


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A value as a DuckDB SQL literal. Values are written into the SQL rather than bound as parameters:
    binding any parameter makes DuckDB's Python client import pandas, numpy and pyarrow (+0.3 s a pull)."""
    if value is None:
        return "NULL"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMPTZ {literal(value.isoformat())}" if value.tzinfo else f"TIMESTAMP {literal(value.isoformat())}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"  # a DuckDB string literal has no other escape
    raise TypeError(f"no SQL literal for a {type(value).__name__}")


@dataclass(frozen=True)
class StreamTable:
    """Where and how one stream of the configured catalog is written."""

    stream: str
    table: str
    columns: dict[str, str]  # column -> DuckDB type: the schema's properties, then METADATA_COLUMNS
    properties: dict[str, str]  # property name as the source sends it -> column
    primary_key: tuple[str, ...]  # columns
    method: str  # "merge" (on the primary key), "append" or "replace"

    @classmethod
    def of(cls, configured: dict[str, Any], *, replace: bool) -> StreamTable:
        stream = configured["stream"]
        name = stream["name"]
        props = (stream.get("json_schema") or {}).get("properties") or {}
        if not isinstance(props, dict):
            raise SyncError(f"stream {name}: its JSON schema's `properties` is not an object")
        columns: dict[str, str] = {}
        properties: dict[str, str] = {}
        for prop, definition in props.items():
            column = column_name(prop)
            if column in columns or column in METADATA_COLUMNS:
                twin = next((other for other, col in properties.items() if col == column), column)
                raise SyncError(f"stream {name}: properties {twin!r} and {prop!r} would both be column "
                                f"{column!r} in DuckDB (names are lower-cased); rename one of them")
            columns[column] = column_type(definition)
            properties[prop] = column
        columns.update(METADATA_COLUMNS)
        key = []
        for path in configured.get("primary_key") or []:
            if not isinstance(path, list) or len(path) != 1:
                raise SyncError(f"stream {name}: primary key {path!r} is nested; only top-level columns can be "
                                "merged on")
            key.append(column_name(path[0]))
        if any(column not in columns for column in key):
            raise SyncError(f"stream {name}: primary key {key} is not among its schema's properties")
        if replace:
            method = "replace"
        elif key:
            method = "merge"
        else:
            method = "append" if configured.get("cursor_field") else "replace"
        return cls(stream=name, table=column_name(name), columns=columns, properties=properties,
                   primary_key=tuple(key), method=method)

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{quoted(self.table)}"

    def column_definitions(self) -> str:
        return ", ".join(f"{quoted(column)} {kind}" for column, kind in self.columns.items())


class RawIds:
    """`_airbyte_raw_id` values: UUIDv7 (RFC 9562) whose 12-bit counter makes them strictly increasing
    within a pull, so they sort in the order the records arrived (the last of two copies wins)."""

    def __init__(self) -> None:
        self.last_ms, self.counter = 0, 0

    def next(self) -> str:
        ms = time.time_ns() // 1_000_000
        if ms > self.last_ms:
            self.last_ms, self.counter = ms, 0
        else:
            self.counter += 1
            if self.counter > 0xFFF:
                self.last_ms, self.counter = self.last_ms + 1, 0
        value = (self.last_ms << 80) | (0x7 << 76) | (self.counter << 64) | (0b10 << 62) | random.getrandbits(62)
        return str(uuid.UUID(int=value))


def tables_of(con: Any) -> set[str]:
    """The tables of the cache's schema (in this database, not one attached beside it)."""
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                       f"AND table_schema = {literal(SCHEMA)}").fetchall()
    return {row[0] for row in rows}
