"""Opening the DuckDB file while other processes may read it.

DuckDB lets one process write a file, or any number read it: a reader that has the file open (a BI tool, a
`duckdb -readonly` session) makes our open fail for that moment. The receiver holds no connection between
its writes, so the reader never waits on us; we wait on the reader, a short while, then give up (the caller
answers 503 or retries its pull later).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from ..cache_layout import open_cache
from ..errors import SyncError

BUSY_PREFIX = "Cannot open the DuckDB file"  # cache_layout.open_cache's message when the open fails


@contextmanager
def open_when_free(db: Path, wait_seconds: float = 1.5) -> Iterator[Any]:
    """`open_cache(db)`, tried again for up to `wait_seconds` while the file cannot be opened."""
    deadline = time.monotonic() + wait_seconds
    with ExitStack() as stack:
        while True:
            try:
                con = stack.enter_context(open_cache(db))
                break
            except SyncError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        yield con


def is_busy(err: BaseException) -> bool:
    """The error of an open that failed (typically: another process holds the file)."""
    return isinstance(err, SyncError) and str(err).startswith(BUSY_PREFIX)
