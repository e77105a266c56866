"""Secrets out of everything tomorro-sync prints, logs or writes: one function, `redact`.

A secret leaks in more shapes than its plain value: an HTTP library quotes a bad header with `repr`
(`'tk_live\\n'`), a URL carries it percent-encoded (`tk%2Blive`, `tk+live`), JSON escapes it, Basic
auth base64-encodes `user:password`. `secret_forms` lists each shape of one value; `redact` replaces
every form of every secret registered so far with `****`, longest first.

Where it applies (the choke points, so no message has to remember it):
- `report` (every line tomorro-sync prints) and the files tomorro-sync writes itself;
- `guard_logging`: every `logging` record of this process (any library's log files among them);
- `guard_output`: the process's file descriptors 1 and 2, which child processes inherit (a
  connector's traceback during `discover` goes straight there), in the command line.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

MASK = "****"
# Shorter values are not secrets worth the damage: masking "k" everywhere would garble every message.
MIN_SECRET_LENGTH = 6
_secrets: set[str] = set()
_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None


def secret_forms(secret: str) -> set[str]:
    """Every shape in which a library may print `secret` (its trimmed value too)."""
    forms: set[str] = set()
    for value in {secret, secret.strip()}:
        if len(value.strip()) < MIN_SECRET_LENGTH:
            continue
        encoded = {quote(value, safe=""), quote(value), quote_plus(value)}
        forms |= {
            value,
            repr(value)[1:-1],  # Python repr: \n, \t and \\ escapes
            ascii(value)[1:-1],  # the same with \xe9, \u2019 for what is not ASCII
            json.dumps(value)[1:-1],  # JSON: \n, \" and \uXXXX escapes
            *encoded,
            *(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), form) for form in encoded),
            base64.b64encode(value.encode()).decode(),
        }
    return {form for form in forms if form}


def register(*secrets: str | None) -> None:
    """Mask these values (in every form) from now on, in this process."""
    global _pattern
    with _lock:
        for secret in secrets:
            if secret:
                _secrets.update(secret_forms(secret))
        ordered = sorted(_secrets, key=len, reverse=True)  # a form inside a longer one never half-masks it
        _pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None


def redact(text: str, *secrets: str | None) -> str:
    """`text` without any registered secret, nor any of `secrets`, in any of their forms."""
    if secrets:
        extra = sorted({form for s in secrets if s for form in secret_forms(s)}, key=len, reverse=True)
        for form in extra:
            text = text.replace(form, MASK)
    pattern = _pattern
    return pattern.sub(MASK, text) if pattern is not None else text


def redact_lines(lines: Iterable[str]) -> Iterator[str]:
    return (redact(line) for line in lines)


def guard_logging() -> None:
    """Redact every log record this process creates, before any handler (file or console) sees it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        text = record.getMessage()
        if record.exc_info:  # a traceback may quote the secret: format it now, redacted
            text += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = redact(text), ()
        return record

    factory.redacting = True
    logging.setLogRecordFactory(factory)


@contextmanager
def guard_output() -> Iterator[None]:
    """Route file descriptors 1 and 2 (ours, and every child's that inherits them) through `redact`."""
    with _guard_fd(1), _guard_fd(2):
        yield


@contextmanager
def _guard_fd(fd: int) -> Iterator[None]:
    try:
        saved, sink = os.dup(fd), os.dup(fd)  # to restore; where the redacted lines go
    except OSError:  # no such stream: nothing to guard
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, fd)
    os.close(write_end)

    def pump() -> None:
        with os.fdopen(read_end, "rb") as source, os.fdopen(sink, "wb", buffering=0) as out:
            for line in source:  # a line at a time: a secret never spans two writes of ours
                out.write(redact(line.decode("utf-8", "replace")).encode())

    thread = threading.Thread(target=pump, name=f"redact-fd{fd}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os.dup2(saved, fd)  # closes the pipe's write end: the pump drains it and stops
        os.close(saved)
        thread.join(timeout=2)
