"""PyAirbyte, set up for local connectors: offline, no telemetry, logs inside the project.

PyAirbyte reads these settings when it is first imported, so everything that needs it imports
it through `load()` after `configure()` has run. Importing it costs seconds (its package imports
every cache backend), so nothing imports it before a command really needs it.
"""

from __future__ import annotations

import os
import warnings
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any


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


def source(name: str, config: dict[str, Any], executable: Path, catalog_json: str | None = None):
    """PyAirbyte's Source for our console script; with `catalog_json`, that catalog stands for `discover`.

    PyAirbyte asks its public `discovered_catalog` property for the catalog and runs the connector's
    `discover` the first time; a Source whose property answers from a stored catalog saves that process.
    """
    from airbyte_protocol.models import AirbyteCatalog

    ab = load()
    plain = ab.get_source(name, config=config, local_executable=str(executable))
    stored = AirbyteCatalog.model_validate_json(catalog_json) if catalog_json else None
    return _stored_catalog_source_class()(executor=plain.executor, name=plain.name, config=config,
                                          stored_catalog=stored)


@cache
def _stored_catalog_source_class() -> type:
    from airbyte.sources.base import Source

    class StoredCatalogSource(Source):
        def __init__(self, *, stored_catalog, **kwargs: Any) -> None:
            self.stored_catalog = stored_catalog
            super().__init__(**kwargs)

        @property
        def discovered_catalog(self):
            if self.stored_catalog is None:
                self.stored_catalog = super().discovered_catalog
            return self.stored_catalog

    return StoredCatalogSource


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
