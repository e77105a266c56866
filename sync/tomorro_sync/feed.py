"""What `push` sends to destination-tomorro: one RECORD line per row, then one closing STATE.

A row whose values JSON cannot carry (NaN, infinity, bytes, ...) is never sent: JSON has no token for
them and writing `NaN` would make the line invalid. Push rejects such a row itself, naming the column,
and counts and lists it with the destination's rejected rows.

The closing STATE is sent only after every row was read: should reading fail half-way (a CSV file
changed under us, a DuckDB error), feeding stops without it, so the destination acknowledges nothing,
and the error is kept for the main thread (`Feed.error`), which fails the push naming it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator
from typing import IO, Any


class Feed:
    """Rows in, protocol lines out; run in a thread with `run(stdin)`."""

    def __init__(self, rows: Iterable[dict[str, Any]], stream: str, key_column: str) -> None:
        self.rows, self.stream, self.key_column = rows, stream, key_column
        self.rows_read = 0  # rows taken from the input
        self.fed = 0  # rows sent as RECORD messages
        self.rejected: list[dict[str, Any]] = []  # rows push rejected itself (rejected-rows file shape)
        self.state_sent = False
        self.error: BaseException | None = None  # why feeding stopped before the STATE
        self.destination_stopped = False  # the destination closed its input early

    def lines(self) -> Iterator[str]:
        emitted_at = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
        prefix = '{"type":"RECORD","record":{"stream":' + json.dumps(self.stream) + ',"emitted_at":' + str(emitted_at)
        for row in self.rows:
            self.rows_read += 1
            try:
                data = json.dumps(row, allow_nan=False)  # ASCII: no locale can garble it
            except (TypeError, ValueError):
                self.rejected.append(self._rejection(row))
                continue
            self.fed += 1
            yield prefix + ',"data":' + data + "}}"
        # One closing state: the destination echoes it only once every row before it is written.
        yield json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
            "stream_descriptor": {"name": self.stream}, "stream_state": {"pushed_rows": self.fed}}}})
        self.state_sent = True

    def run(self, stdin: IO[str]) -> None:
        try:
            for line in self.lines():
                stdin.write(line + "\n")
        except BrokenPipeError:  # the destination stopped reading; its own output says why
            self.destination_stopped = True
        except BaseException as err:  # noqa: BLE001 - handed to the main thread, never lost
            self.error = err
        finally:
            try:
                stdin.close()
            except BrokenPipeError:
                self.destination_stopped = True

    def _rejection(self, row: dict[str, Any]) -> dict[str, Any]:
        reasons = [f"column {name!r} {_why_not_json(value)}" for name, value in row.items() if not _is_json(value)]
        key = row.get(self.key_column)
        return {"stream": self.stream, "key": None if key is None else str(_printable(key)),
                "reason": "; ".join(reasons or ["a value JSON cannot carry"]) + " (rejected by tomorro-sync push: "
                "fix or drop the value)", "status_code": None, "data": _printable(row)}


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _why_not_json(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"holds {value!r}, which JSON cannot carry"
    if isinstance(value, dict | list):
        return "holds a nested NaN, infinity or binary value, which JSON cannot carry"
    if isinstance(value, bytes | bytearray | memoryview):
        return "holds binary data, which cannot be sent"
    return f"holds a {type(value).__name__} value, which JSON cannot carry"


def _printable(value: Any) -> Any:
    """`value` with whatever JSON cannot carry turned into text, for the rejected-rows file."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(key): _printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)
