"""The source's discovered catalog, kept in the DuckDB file next to the state, and when it may be reused.

A pull needs the catalog (streams and their JSON schemas, custom smart fields as typed columns). Asking
the source for it (`discover`) costs a connector process start; the catalog only changes when one of
these changes, so a pull reuses the stored one while all three are the same as when it was discovered:
- the source config (a salted SHA-256 of it: the API key is never stored, not even hashed bare);
- the connector (its manifest, components and CDK version);
- the account's smart-field definitions (`Target.smart_fields_fingerprint`, two cheap API requests);
and the last pull that used it succeeded. Anything else (first pull, `--refresh-catalog`, a failed
pull, a field that could not be fingerprinted) discovers again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache_layout import literal

TABLE = "_tomorro_sync_catalog"  # in the cache schema, beside the _airbyte_* tables


@dataclass(frozen=True)
class Fingerprint:
    salt: str
    config: str
    connector: str | None
    smart_fields: str | None

    @property
    def complete(self) -> bool:
        return self.connector is not None and self.smart_fields is not None


class CatalogStore:
    """One row per source name in `TABLE`, read and written through the pull's DuckDB connection."""

    def __init__(self, con, schema: str, source_name: str) -> None:
        self.con, self.source_name = con, source_name
        self.table = f'"{schema}"."{TABLE}"'
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (source_name VARCHAR PRIMARY KEY, salt VARCHAR, "
                    "config_digest VARCHAR, connector_digest VARCHAR, smart_fields_digest VARCHAR, catalog VARCHAR, "
                    "discovered_at TIMESTAMPTZ)")

    def lookup(self, config: dict[str, Any], smart_fields: str | None) -> tuple[Fingerprint, str | None]:
        """This pull's fingerprint, and the stored catalog (JSON) if it was discovered under the same one."""
        row = self._row()
        salt = row["salt"] if row else secrets.token_hex(16)
        current = Fingerprint(salt=salt, config=config_digest(config, salt), connector=connector_digest(),
                              smart_fields=smart_fields)
        if row is None or not current.complete:
            return current, None
        stored = Fingerprint(salt=row["salt"], config=row["config_digest"], connector=row["connector_digest"],
                             smart_fields=row["smart_fields_digest"])
        return current, (row["catalog"] if stored == current else None)

    def save(self, current: Fingerprint, catalog_json: str) -> None:
        values = [self.source_name, current.salt, current.config, current.connector, current.smart_fields,
                  catalog_json, dt.datetime.now(dt.UTC)]
        self.con.begin()
        self.con.execute(f"DELETE FROM {self.table} WHERE source_name = {literal(self.source_name)}")
        self.con.execute(f"INSERT INTO {self.table} VALUES ({', '.join(map(literal, values))})")
        self.con.commit()

    def forget(self) -> None:
        """After a failed pull: the next one discovers again."""
        self.con.execute(f"DELETE FROM {self.table} WHERE source_name = {literal(self.source_name)}")

    def _row(self) -> dict[str, Any] | None:
        cursor = self.con.execute(f"SELECT * FROM {self.table} WHERE source_name = {literal(self.source_name)}")
        row = cursor.fetchone()
        return dict(zip([column[0] for column in cursor.description], row, strict=True)) if row else None


def config_digest(config: dict[str, Any], salt: str) -> str:
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((salt + canonical).encode()).hexdigest()


def connector_digest() -> str | None:
    """What the source's catalog depends on besides config and data; None when it cannot be read."""
    try:
        from source_tomorro.run import COMPONENTS_PATH, MANIFEST_PATH

        digest = hashlib.sha256()
        for path in (Path(MANIFEST_PATH), Path(COMPONENTS_PATH)):
            digest.update(path.read_bytes())
        for package in ("airbyte-cdk", "source-tomorro"):
            digest.update(importlib.metadata.version(package).encode())
        return digest.hexdigest()
    except (ImportError, OSError, importlib.metadata.PackageNotFoundError):
        return None
