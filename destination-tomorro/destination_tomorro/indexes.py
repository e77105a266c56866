"""Match indexes: the objects already in Tomorro, by matching key, read once per sync on first need.

* Contracts are matched on `integration.externalId`; the contracts list cannot be filtered on it,
  so the index is built by listing every contract once per sync (50 per page), on first need.
* Counterparties are matched on name (exact, case-insensitive) or on a smart field: per-name
  lookups (`name=` filter) while a batch needs few of them, one full listing once it needs more
  than `LIST_THRESHOLD` (or when matching on a smart field, which cannot be filtered).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .client import TomorroClient
from .keys import MatchKey, contract_key, counterparty_key, name_key
from .mapping import MappedRow

logger = logging.getLogger("airbyte")
LIST_THRESHOLD = 20  # distinct counterparty names in one batch above which listing all is cheaper


class ContractIndex:
    """externalId -> current contract, built by listing every contract once per sync."""

    def __init__(self, client: TomorroClient):
        self.client = client
        self.by_key: dict[str, dict[str, Any]] | None = None
        self.lock = threading.Lock()

    def _ensure(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            if self.by_key is None:
                index: dict[str, dict[str, Any]] = {}
                for contract in self.client.iter_contracts(sort="createdAt"):
                    key = contract_key(contract)
                    if key and key not in index:  # pre-existing duplicates: the oldest wins
                        index[key] = contract
                self.by_key = index
                logger.info(f"Indexed {len(index)} contracts by integration.externalId")
            return self.by_key

    def get(self, key: str) -> dict[str, Any] | None:
        return self._ensure().get(key)

    def remember(self, contract: dict[str, Any]) -> None:
        key = contract_key(contract)
        index = self._ensure()
        if key:
            with self.lock:
                index[key] = contract


class CounterpartyIndex:
    """Counterparties by matching key and by name; per-name lookups or one full listing."""

    def __init__(self, client: TomorroClient, match: MatchKey):
        self.client = client
        self.match = match
        self.loaded = False
        self.by_key: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, dict[str, Any] | None] = {}  # None: looked up, absent
        self.lock = threading.RLock()
        self.name_locks: dict[str, threading.Lock] = {}
        self.would_create: set[str] = set()

    def _add(self, cp: dict[str, Any]) -> None:
        name = name_key(cp.get("name"))
        if name and self.by_name.get(name) is None:
            self.by_name[name] = cp
        key = counterparty_key(cp, self.match)
        if key and key not in self.by_key:
            self.by_key[key] = cp

    def load_all(self) -> None:
        with self.lock:
            if not self.loaded:
                for cp in self.client.iter_counterparties(sort="createdAt"):
                    self._add(cp)
                self.loaded = True
                logger.info(f"Indexed {len(self.by_name)} counterparty names")

    def prepare(self, keys: int) -> None:
        """Before a batch: list everything when that is cheaper than `keys` lookups."""
        if not self.loaded and (not self.match.on_name or keys > LIST_THRESHOLD):
            self.load_all()

    def by_exact_name(self, name: str) -> dict[str, Any] | None:
        lowered = name_key(name)
        with self.lock:
            if self.loaded or lowered in self.by_name:
                return self.by_name.get(lowered)
        found = None
        for cp in self.client.iter_counterparties(name=name.strip(), sort="createdAt"):
            if name_key(cp.get("name")) == lowered:
                found = cp
                break
        with self.lock:
            if found is not None:
                self._add(found)
            else:
                self.by_name.setdefault(lowered, None)
            return self.by_name.get(lowered)

    def get(self, row: MappedRow) -> dict[str, Any] | None:
        if self.match.on_name:
            return self.by_exact_name(row.name or "")
        self.load_all()
        with self.lock:
            return self.by_key.get(row.key or "")

    def remember(self, cp: dict[str, Any]) -> None:
        with self.lock:
            name = name_key(cp.get("name"))
            known = self.by_name.get(name)
            if name and (known is None or known["id"] == cp["id"]):
                self.by_name[name] = cp
            key = counterparty_key(cp, self.match)
            if key:
                self.by_key[key] = cp

    def name_lock(self, name: str) -> threading.Lock:
        with self.lock:
            return self.name_locks.setdefault(name_key(name) or "", threading.Lock())
