"""Where our connectors' console scripts live, and how to hand them their files without leaking secrets."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

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


def write_private(path: Path, content: Any) -> Path:
    """`content` as JSON in a file only its owner can read (a connector's config holds the API key)."""
    path.touch(mode=0o600)
    os.chmod(path, 0o600)
    path.write_text(json.dumps(content))
    return path
