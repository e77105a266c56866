"""Column and field names: how two names are compared (one rule for columns, fields and keys' columns)."""

from __future__ import annotations

import re


def normalise(name: str) -> str:
    """Column / field name comparison key: case-, space-, `_`- and `-`-insensitive, so
    `external_id`, `externalId` and `External ID` are the same column."""
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def is_meta_column(name: str) -> bool:
    """Airbyte's own columns (`_airbyte_*`, `_ab_*`): never data."""
    return name.startswith("_airbyte_") or name.startswith("_ab_")
