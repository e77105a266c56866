"""The source's state and the streams' schemas, kept in the DuckDB file where PyAirbyte keeps them.

`_airbyte_state` holds one row per stream (`table_name` = the stream's name) with the last state
message the source emitted for it, under the source's name (`source-tomorro`); a GLOBAL or LEGACY
state is kept under `_GLOBAL` / `_LEGACY`. A file written by PyAirbyte's pull is read the same way, so
a pull continues incrementally from it. `_airbyte_streams` holds each stream's JSON schema, as
PyAirbyte registers it (under the cache's name, `DuckDBCache`), so PyAirbyte can still open the file.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .cache_layout import SCHEMA, literal
from .errors import SyncError

STATE_TABLE = f'{SCHEMA}."_airbyte_state"'
STREAMS_TABLE = f'{SCHEMA}."_airbyte_streams"'
CACHE_NAME = "DuckDBCache"  # what PyAirbyte writes as `source_name` in _airbyte_streams
SHARED_STATE_NAMES = {"GLOBAL": "_GLOBAL", "LEGACY": "_LEGACY"}


def read_states(con, source_name: str, streams: list[str]) -> list[dict[str, Any]]:
    """The saved state messages of these streams (and a shared one), ready for the source's `--state`."""
    names = [*streams, *SHARED_STATE_NAMES.values()]
    rows = con.execute(f"SELECT stream_name, state_json FROM {STATE_TABLE} WHERE source_name = {literal(source_name)} "
                       f"AND table_name = stream_name AND list_contains({literal(names)}, stream_name) "
                       "ORDER BY stream_name").fetchall()
    return [_state_for_source(name, text) for name, text in rows]


def _state_for_source(name: str, text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except (TypeError, ValueError):
        message = None
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "STREAM":
        stream = message.get("stream")
        descriptor = (stream or {}).get("stream_descriptor") if isinstance(stream, dict) else None
        if isinstance(descriptor, dict) and descriptor.get("name") == name:
            return {"type": "STREAM", "stream": stream}
    elif kind == "GLOBAL" and name == SHARED_STATE_NAMES["GLOBAL"]:
        shared = message.get("global") or message.get("global_")  # PyAirbyte writes the field's Python name
        if isinstance(shared, dict):
            return {"type": "GLOBAL", "global": shared}
    elif kind == "LEGACY" and name == SHARED_STATE_NAMES["LEGACY"]:
        return {"type": "LEGACY", "data": message.get("data")}
    raise SyncError(f"The saved state of stream {name!r} ({STATE_TABLE}, column state_json) is not a state message "
                    "for that stream. Run `tomorro-sync pull --full-refresh` to read it again from scratch.")


def write_state(con, source_name: str, message: dict[str, Any]) -> str:
    """Keep this state message as its stream's (inside the caller's transaction); returns the row's name."""
    name = state_name(message)
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    con.execute(f"DELETE FROM {STATE_TABLE} WHERE table_name = {literal(name)}")
    con.execute(f"INSERT INTO {STATE_TABLE} VALUES ({literal(source_name)}, {literal(name)}, {literal(name)}, "
                f"{literal(text)}, {literal(dt.datetime.now(dt.UTC))})")
    return name


def state_name(message: dict[str, Any]) -> str:
    """The stream a state message belongs to (`_GLOBAL` / `_LEGACY` for the shared kinds)."""
    kind = message.get("type")
    if kind in SHARED_STATE_NAMES:
        return SHARED_STATE_NAMES[kind]
    descriptor = (message.get("stream") or {}).get("stream_descriptor") if kind == "STREAM" else None
    name = descriptor.get("name") if isinstance(descriptor, dict) else None
    if kind != "STREAM" or not isinstance(name, str):
        raise SyncError(f"the source emitted a state message of an unknown shape (type {kind!r}): "
                        "no state was saved from it")
    return name


def register_streams(con, streams: list[dict[str, Any]]) -> None:
    """Record the read streams' JSON schemas (inside the caller's transaction)."""
    for stream in streams:
        name = literal(stream["name"])
        con.execute(f"DELETE FROM {STREAMS_TABLE} WHERE table_name = {name}")
        con.execute(f"INSERT INTO {STREAMS_TABLE} VALUES ({name}, {literal(CACHE_NAME)}, {name}, "
                    f"{literal(json.dumps(stream.get('json_schema')))})")
