"""PyAirbyte, set up for local connectors: offline, no telemetry, logs inside the project.

PyAirbyte reads these settings when it is first imported, so everything that needs it imports
it through `load()` after `configure()` has run.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from types import ModuleType


def configure(log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # never ask the public connector registry
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("AIRBYTE_LOGGING_ROOT", str(log_dir.resolve()))
    # Google client libraries (pulled in by PyAirbyte, unused here) warn about Python 3.11 at import.
    warnings.filterwarnings("ignore", message="You are using a Python version", category=FutureWarning)


def load() -> ModuleType:
    import airbyte

    return airbyte


def failure_message(err: Exception) -> str:
    """The connector's own explanation of a PyAirbyte failure, without PyAirbyte's wrapping."""
    context = getattr(err, "context", None) or {}
    for key in ("failure_reason", "message", "error"):
        if context.get(key):
            return str(context[key])
    log_text = getattr(err, "log_text", None)
    if log_text:
        lines = [line for line in str(log_text).splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return getattr(err, "message", None) or str(err)
