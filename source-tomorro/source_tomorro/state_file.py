"""The `--state` file as the console script reads it: every shape a state may come in, or a config error.

The CDK reads the file as a list of per-stream state messages and raises a bare traceback on anything else.
States met in practice also come as one message (not a list), as the legacy `{"<stream>": {...}}` map, or as a
GLOBAL message (its `stream_states`); this connector only ever writes per-stream states, so each of these is
turned into the per-stream list, losslessly. A stream state that is not an object is dropped with a warning:
that stream is read again from `start_date` (duplicates, never a gap); a cursor value that is not a datetime
is handled the same way by the manifest's `SanitizeState`.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

logger = logging.getLogger("airbyte")


def normalized_state_args(args: list[str]) -> list[str]:
    """`args` with `--state <file>` pointing at a per-stream state list (a temporary copy when the file held
    another shape); unchanged when the file already was one, or when there is no `--state`."""
    if "--state" not in args or args.index("--state") + 1 >= len(args):
        return args
    index = args.index("--state") + 1
    path = Path(args[index])
    try:
        raw = json.loads(path.read_text() or "null")
    except (OSError, ValueError) as error:
        raise _state_error(f"the state file {path.name} cannot be read as JSON ({error})") from None
    states = per_stream_states(raw)
    if states == raw:
        return args
    handle, copy = tempfile.mkstemp(prefix="tomorro-state-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(states, out)
    atexit.register(lambda: Path(copy).unlink(missing_ok=True))
    return [*args[:index], copy, *args[index + 1:]]


def per_stream_states(raw: Any) -> list[dict]:
    """Every stream's state in the raw state as a list of STREAM state messages."""
    if raw is None or raw == [] or raw == {}:
        return []
    if isinstance(raw, dict) and "type" not in raw:  # legacy {stream: state}
        return [state for name, value in raw.items() if (state := _stream_message(name, value)) is not None]
    messages = raw if isinstance(raw, list) else [raw]
    states = []
    for message in messages:
        if not isinstance(message, dict):
            raise _state_error(f"a state message that is a {type(message).__name__}, not an object")
        kind = str(message.get("type", "STREAM")).upper()
        if kind == "GLOBAL":
            states += [_stream_message(item.get("stream_descriptor", {}).get("name"), item.get("stream_state"))
                       for item in (message.get("global") or {}).get("stream_states") or []]
        elif kind == "LEGACY":
            states += [_stream_message(name, state) for name, state in (message.get("data") or {}).items()]
        elif kind == "STREAM" and isinstance(message.get("stream"), dict):
            stream = message["stream"]
            states.append(_stream_message(stream.get("stream_descriptor", {}).get("name"), stream.get("stream_state"),
                                          stream.get("stream_descriptor", {}).get("namespace")))
        else:
            raise _state_error(f"a state message of type {kind!r} without a stream")
    return [state for state in states if state is not None]


def _stream_message(name: Any, state: Any, namespace: Any = None) -> dict | None:
    if not isinstance(name, str) or not name:
        raise _state_error("a stream state without a stream name")
    if not isinstance(state, dict):
        logger.warning(f"The saved state of stream `{name}` is {str(state)[:40]!r}, not an object: it is ignored "
                       "and the stream is read from `start_date` (records already synced come again).")
        return None
    descriptor = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"type": "STREAM", "stream": {"stream_descriptor": descriptor, "stream_state": state}}


def _state_error(problem: str) -> AirbyteTracedException:
    message = f"Invalid state: {problem}. Reset the connection's state, or pass a state this connector wrote."
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)
