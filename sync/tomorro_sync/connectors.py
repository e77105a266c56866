"""Where our connectors' console scripts live, and how to run them without leaking secrets."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .errors import SyncError


def executable(name: str) -> Path:
    """The workspace's console script `name` (next to this interpreter, else on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    if found:
        return Path(found)
    raise SyncError(f"Cannot find the `{name}` console script: run `make bootstrap` first.")


def redact(text: str, *secrets: str) -> str:
    """`text` with every secret replaced, for anything we print or log."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return text
