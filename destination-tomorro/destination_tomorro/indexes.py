"""Match indexes: the objects already in Tomorro, by canonical matching key (keys.py), read once per
sync on first need and kept up to date with every create and PATCH of the sync.

* Contracts are matched on `integration.externalId`. The list cannot be filtered on it, so the index
  lists every contract once per sync (50 per page); slim list items are fetched whole. When Tomorro
  serves contracts without any `integration` key (not even from `GET /contracts/{id}`), the index
  cannot tell whether a key exists: every keyed row is rejected with that reason, none is created.
* Counterparties are matched on their name or on a smart field. Names are looked up one by one with
  the `name=` filter and a safe term (keys.name_lookup_term) while a batch needs few of them, and
  the whole list is read once when a batch needs more than `LIST_THRESHOLD`, when a look-up has no
  safe term or finds more than `LOOKUP_CAP` candidates, or when matching on a smart field (which
  cannot be filtered). Both paths compare the same canonical names, so they find the same object.
* Several objects with one key (made before this connector matched canonically): the oldest wins,
  whichever order the list came in, and it is logged once.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any

from .client import MAX_PAGE, TomorroClient
from .errors import RowRejected
from .keys import MatchKey, contract_key, counterparty_key, name_key, name_lookup_term

logger = logging.getLogger("airbyte")
LIST_THRESHOLD = 20  # distinct counterparty names in one batch above which listing all is cheaper
LOOKUP_CAP = 2 * MAX_PAGE  # candidates of one name look-up above which listing all is cheaper


def _older(candidate: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """Whether `candidate` should replace `current` under one key: the oldest wins (ISO-8601 UTC
    timestamps compare as text); without timestamps the first seen stays."""
    if current is None:
        return True
    mine, theirs = candidate.get("createdAt"), current.get("createdAt")
    return bool(mine and theirs and mine < theirs)


class ContractIndex:
    """Canonical externalId -> current contract, built by listing every contract once per sync."""

    def __init__(self, client: TomorroClient):
        self.client = client
        self.by_key: dict[str, dict[str, Any]] | None = None
        self.untrusted: str | None = None  # why the index cannot be used to match, if it cannot
        self.claimed: set[str] = set()  # ids created or recovered by this sync: never another row's
        self.lock = threading.Lock()

    def _ensure(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            if self.by_key is None:
                index: dict[str, dict[str, Any]] = {}
                shared: set[str] = set()
                without_link = 0
                for contract in self.client.iter_full_contracts(sort="createdAt"):
                    if "integration" not in contract:
                        without_link += 1
                        continue
                    key = contract_key(contract)
                    if not key:
                        continue
                    if key in index:
                        shared.add(key)
                    if _older(contract, index.get(key)):
                        index[key] = contract
                if without_link:
                    self.untrusted = (f"cannot match contracts on external_id: Tomorro returned {without_link} "
                                      "contracts without an `integration` key, even from GET /contracts/{id}; "
                                      "not creating a contract that may already exist")
                    logger.error(self.untrusted)
                if shared:
                    logger.warning(f"{len(shared)} external ids are on more than one contract in Tomorro "
                                   f"(e.g. {', '.join(sorted(shared)[:5])}): rows with them update the oldest")
                self.by_key = index
                logger.info(f"Indexed {len(index)} contracts by integration.externalId")
            return self.by_key

    def get(self, key: str) -> dict[str, Any] | None:
        """The contract with this canonical key; raises RowRejected when the index cannot be trusted."""
        index = self._ensure()
        if self.untrusted:
            raise RowRejected(self.untrusted)
        with self.lock:
            return index.get(key)

    def remember(self, contract: dict[str, Any], key: str | None) -> None:
        """Record a contract this sync created, recovered or patched, under the row's key (the
        answer may not echo `integration`)."""
        with self.lock:
            self.claimed.add(contract["id"])
            if key and self.by_key is not None:
                self.by_key[key] = contract

    def claim(self, contract_id: str) -> bool:
        """Claim a contract found by create-recovery for one row; False when already claimed."""
        with self.lock:
            if contract_id in self.claimed:
                return False
            self.claimed.add(contract_id)
            return True


class CounterpartyIndex:
    """Counterparties by canonical name and by smart-field key; per-name look-ups or one listing."""

    def __init__(self, client: TomorroClient, matches: list[MatchKey]):
        self.client = client
        self.fields = {m.field.id: m for m in matches if m.field is not None}
        self.loaded = False
        self.by_name: dict[str, dict[str, Any] | None] = {}  # None: looked up, absent
        self.by_field: dict[str, dict[str, dict[str, Any]]] = {fid: {} for fid in self.fields}
        self.lock = threading.RLock()
        self.name_locks: dict[str, threading.Lock] = {}

    def _add(self, cp: dict[str, Any]) -> None:
        name = name_key(cp.get("name"))
        if name and _older(cp, self.by_name.get(name)):
            self.by_name[name] = cp
        for fid, match in self.fields.items():
            key = counterparty_key(cp, match)
            if key and _older(cp, self.by_field[fid].get(key)):
                self.by_field[fid][key] = cp

    def load_all(self) -> None:
        with self.lock:
            if not self.loaded:
                listing = self.client.iter_full_counterparties if self.fields else self.client.iter_counterparties
                for cp in listing(sort="createdAt"):
                    self._add(cp)
                self.loaded = True
                logger.info(f"Indexed {len(self.by_name)} counterparty names")

    def prepare(self, keys: int, on_field: bool) -> None:
        """Before a batch: list everything when that is cheaper than `keys` look-ups (or needed)."""
        if not self.loaded and (on_field or keys > LIST_THRESHOLD):
            self.load_all()

    def by_exact_name(self, name: str) -> dict[str, Any] | None:
        key = name_key(name)
        with self.lock:
            if self.loaded or key in self.by_name:
                return self.by_name.get(key)
        term = name_lookup_term(name)
        found = None
        if term is not None:
            candidates = list(itertools.islice(self.client.iter_counterparties(name=term, sort="createdAt"),
                                               LOOKUP_CAP + 1))
            if len(candidates) > LOOKUP_CAP:
                term = None
            else:
                for cp in candidates:
                    if name_key(cp.get("name")) == key and _older(cp, found):
                        found = cp
        if term is None:  # no safe term, or too many candidates: one listing serves every later look-up
            self.load_all()
            with self.lock:
                return self.by_name.get(key)
        with self.lock:
            if found is not None:
                self._add(found)
            else:
                self.by_name.setdefault(key, None)
            return self.by_name.get(key)

    def get(self, name: str | None, key: str | None, match: MatchKey) -> dict[str, Any] | None:
        """The counterparty a row matches, whole (a slim list item is fetched)."""
        if match.field is None:
            found = self.by_exact_name(name or "")
        else:
            self.load_all()
            with self.lock:
                found = self.by_field[match.field.id].get(key or "")
        if found is None:
            return None
        whole = self.client.full_counterparty(found)
        if whole is not None and whole is not found:
            self.remember(whole)
        return whole

    def remember(self, cp: dict[str, Any]) -> None:
        with self.lock:
            name = name_key(cp.get("name"))
            known = self.by_name.get(name)
            if name and (known is None or known["id"] == cp["id"]):
                self.by_name[name] = cp
            for fid, match in self.fields.items():
                key = counterparty_key(cp, match)
                if key:
                    self.by_field[fid][key] = cp

    def name_lock(self, name: str) -> threading.Lock:
        with self.lock:
            return self.name_locks.setdefault(name_key(name) or "", threading.Lock())
