"""Reading the AirbyteMessages of `write` from stdin, strictly.

The CDK's reader logs a line it cannot parse at INFO and goes on, so a corrupt line used to be
skipped and the next STATE acknowledged. Here:

* a UTF-8 byte order mark at the start of a line is harmless and stripped; blank lines are skipped;
* a line that is not UTF-8, not JSON, or JSON that is not an AirbyteMessage fails the sync with a
  message naming the line number (never its content, which is user data). The sync stops there:
  no STATE after it is read, so none is acknowledged;
* JSON's non-standard `NaN`, `Infinity` and `-Infinity` tokens (and numbers too large for a
  double) are read as non-finite floats: the row they are in is rejected naming the column
  (mapping.py), the sync goes on;
* a RECORD whose `data` is not an object yields an `UnreadableRecord`, rejected by the writer
  naming the line, the sync goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

BOM = b"\xef\xbb\xbf"
MESSAGE_TYPES = {"RECORD", "STATE", "LOG", "TRACE", "CONTROL", "SPEC", "CONNECTION_STATUS", "CATALOG",
                 "DESTINATION_CATALOG"}


@dataclass
class UnreadableRecord:
    """A RECORD line of a known stream whose data cannot be a row."""

    stream: str
    namespace: str | None
    line: int
    reason: str


class InputError(AirbyteTracedException):
    """stdin holds something that is not an AirbyteMessage: the sync stops at that line."""

    def __init__(self, line: int, problem: str):
        message = (f"stdin line {line} {problem}; the sync stopped there, so no state after it was "
                   "acknowledged (the platform sends those records again)")
        super().__init__(message=message, internal_message=message, failure_type=FailureType.system_error)


def read_messages(lines: Iterable[bytes]) -> Iterator[AirbyteMessage | UnreadableRecord]:
    for number, raw in enumerate(lines, start=1):
        line = raw[len(BOM):] if raw.startswith(BOM) else raw
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(number, f"is not UTF-8 ({exc.reason} at byte {exc.start + 1})") from None
        yield _message(number, text)


def _message(number: int, text: str) -> AirbyteMessage | UnreadableRecord:
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:  # the standard library reads NaN / Infinity and overflowing numbers (as non-finite floats)
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(number, f"is not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise InputError(number, f"is not an Airbyte message (a JSON {type(obj).__name__}, not an object)")
    kind = obj.get("type")
    if kind not in MESSAGE_TYPES:
        raise InputError(number, "is not an Airbyte message (its `type` is "
                                 + ("missing" if kind is None else f"not one of {', '.join(sorted(MESSAGE_TYPES))}") + ")")
    if kind == "RECORD":
        record = obj.get("record")
        if not isinstance(record, dict) or not isinstance(record.get("stream"), str):
            raise InputError(number, "is a RECORD without a `record.stream`")
        data = record.get("data")
        if not isinstance(data, dict):
            namespace = record.get("namespace") if isinstance(record.get("namespace"), str) else None
            return UnreadableRecord(record["stream"], namespace, number,
                                    f"record on stdin line {number}: its data is "
                                    f"{'missing' if data is None else 'a JSON ' + type(data).__name__}, not an object")
    try:
        return AirbyteMessageSerializer.load(obj)
    except Exception:  # the serializer's error quotes values (user data): name the line only
        raise InputError(number, f"is not a valid {kind} message") from None
