"""Match indexes: the objects already in Tomorro, by canonical matching key (keys.py), read once per
sync on first need and kept up to date with every create and PATCH of the sync.

* Contracts are matched on their CRM identity: `integration.type`, `externalEntity`, `externalId`. No filter can ask for every spelling of an
  identity, so the index lists every contract once per sync, as ranges of createdAt side by side
  (contract_listing.py); slim list items are fetched whole. When Tomorro
  serves contracts without any `integration` key (not even from `GET /contracts/{id}`), the index
  cannot tell whether a key exists: every keyed row is rejected with that reason, none is created.
  Where Tomorro refuses `status=in:` and the contracts that changed status while each status was listed cannot
  be found again with certainty (status_moves.py), rows that find no contract are rejected with that reason
  (`creates_held`): rows that find theirs are written as usual.
* Counterparties are matched on their name or on a smart field. Names are looked up one by one with
  the `name=` filter and a safe term (keys.name_lookup_term) while a batch needs few of them, and
  the whole list is read once when a batch needs more than `LIST_THRESHOLD`, when a look-up has no
  safe term or finds more than `LOOKUP_CAP` candidates, or when matching on a smart field (which
  cannot be filtered). Both paths compare the same canonical names, so they find the same object, and both
  read every status as one listing (counterparty_listing.py): where `status=in:` is refused and the
  counterparties that changed status meanwhile cannot be found again with certainty, no row creates a
  counterparty (`creates_held`, `check_may_create`), as for contracts.
* Several objects with one key: the match is ambiguous, and the row is rejected naming their ids
  (never the oldest, never a guess); contracts are matched by CRM identity (identity.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from .client import MAX_PAGE, TomorroClient
from .contract_listing import list_every_contract
from .counterparty_listing import list_counterparties
from .errors import RowRejected
from .identity import Identity, contract_identity, describe_link
from .keys import MatchKey, counterparty_key, name_key, name_lookup_term
from .status_moves import Listing

logger = logging.getLogger("airbyte")
LIST_THRESHOLD = 20  # distinct counterparty names in one batch above which listing all is cheaper
LOOKUP_CAP = 2 * MAX_PAGE  # candidates of one name look-up above which listing all is cheaper


class ContractIndex:
    """Contracts by CRM identity (identity.py), built by listing every contract once per sync.

    A row matches a contract only when integration type, entity and external id all match (by the
    CRM's rules); a contract linked to another type or entity is another record. Where only one side
    names an entity, or several contracts hold one identity, the match is uncertain: the row is
    rejected naming the contracts, never written to one of them, never created beside them."""

    def __init__(self, client: TomorroClient):
        self.client = client
        self.by_record: dict[tuple[str, str], dict[str, tuple[Identity, dict[str, Any]]]] | None = None
        self.untrusted: str | None = None  # why the index cannot be used to match, if it cannot
        # ids this sync created, recovered or patched: their updatedAt is ours, and create-recovery claims each
        # for one row at most (a recovered create is claimed before it is remembered)
        self.written: set[str] = set()
        self.creates_held: str | None = None  # why a row that finds no contract may not create one, if it may not
        self.lock = threading.Lock()

    def _ensure(self) -> dict[tuple[str, str], dict[str, tuple[Identity, dict[str, Any]]]]:
        with self.lock:
            if self.by_record is None:
                index: dict[tuple[str, str], dict[str, tuple[Identity, dict[str, Any]]]] = {}
                without_link = 0
                listing = list_every_contract(self.client)
                self.creates_held = listing.creates_held
                for contract in listing.items:
                    if "integration" not in contract:
                        without_link += 1
                        continue
                    identity = contract_identity(contract)
                    if identity is not None:
                        index.setdefault(identity.record, {})[contract["id"]] = (identity, contract)
                if without_link:
                    self.untrusted = (f"cannot match contracts on external_id: Tomorro returned {without_link} "
                                      "contracts without an `integration` key, even from GET /contracts/{id}; "
                                      "not creating a contract that may already exist")
                    logger.error(self.untrusted)
                shared = [record for record, held in index.items() if len(held) > 1]
                if shared:
                    logger.warning(f"{len(shared)} external ids are on more than one contract in Tomorro (e.g. "
                                   f"{', '.join(' '.join(r) for r in sorted(shared)[:5])}): rows naming one of them "
                                   "with the same entity are rejected naming the contracts")
                self.by_record = index
                logger.info(f"Indexed {sum(len(v) for v in index.values())} contracts by CRM identity")
            return self.by_record

    def get(self, identity: Identity) -> dict[str, Any] | None:
        """The contract with this identity, or None; raises RowRejected when the index cannot be
        trusted or the match is uncertain (several contracts, or only one side names an entity)."""
        index = self._ensure()
        if self.untrusted:
            raise RowRejected(self.untrusted)
        with self.lock:
            held = list((index.get(identity.record) or {}).values())
        same = [c for i, c in held if identity.matches(i) is True]
        if len(same) > 1:
            raise RowRejected(f"{len(same)} contracts in Tomorro are linked to {identity.describe()}: "
                              f"{', '.join(sorted(c['id'] for c in same))}; not choosing one")
        # a twin whose link may be the same CRM record makes even a sure match uncertain: never written
        unsure = [c for i, c in held if identity.matches(i) is None]
        if unsure:
            raise RowRejected(f"uncertain match: the row links to {identity.describe()} and "
                              f"{'; '.join(describe_link(c) for c in unsure)} has the same id with "
                              f"{'no entity' if identity.entity else 'an entity'}; set integration_entity to "
                              "the entity of the contracts' links, or fix the link in Tomorro")
        if not same and self.creates_held:
            raise RowRejected(self.creates_held)
        return same[0] if same else None

    def remember(self, contract: dict[str, Any], identity: Identity | None) -> None:
        """Record a contract this sync created, recovered or patched, under the row's identity (the
        answer may not echo `integration`)."""
        with self.lock:
            self.written.add(contract["id"])
            if identity is not None and self.by_record is not None:
                self.by_record.setdefault(identity.record, {})[contract["id"]] = (identity, contract)

    def claim(self, contract_id: str) -> bool:
        """Claim a contract found by create-recovery for one row; False when this sync already wrote or claimed
        it (another row's)."""
        with self.lock:
            if contract_id in self.written:
                return False
            self.written.add(contract_id)
            return True


Held = dict[str, dict[str, Any]]  # counterparty id -> counterparty: every one holding a key


def _one(held: Held | None, what: str) -> dict[str, Any] | None:
    """The one counterparty holding a key; several: RowRejected naming them (never a guess)."""
    if not held:
        return None
    if len(held) > 1:
        raise RowRejected(f"{len(held)} counterparties in Tomorro match {what}: {', '.join(sorted(held))}; "
                          "not choosing one (merge them in Tomorro, or match on counterparty_key)")
    return next(iter(held.values()))


class CounterpartyIndex:
    """Counterparties by canonical name and by smart-field key; per-name look-ups or one listing.
    Every counterparty holding a key is kept: a key held by several is ambiguous and rejects."""

    def __init__(self, client: TomorroClient, matches: list[MatchKey]):
        self.client = client
        self.fields = {m.field.id: m for m in matches if m.field is not None}
        self.loaded = False
        self.by_name: dict[str, Held] = {}  # an empty dict: looked up, absent
        self.by_field: dict[str, dict[str, Held]] = {fid: {} for fid in self.fields}
        self.keys_of: dict[str, list[tuple[dict[str, Held], str]]] = {}  # id -> where it is held
        self.written: set[str] = set()  # ids this sync created or patched: their updatedAt is ours
        self.lock = threading.RLock()
        self.name_locks: dict[str, threading.Lock] = {}  # ('name' or 'key', value) -> lock
        self.first_spelling: dict[str, str] = {}  # canonical name -> the spelling of the row that came first
        self.creates_held: str | None = None  # why no counterparty may be created, once a listing says so

    def _read(self, listing: Listing) -> list[dict[str, Any]]:
        """A listing's counterparties; its reason to hold creates kept (the first one: any holds them all)."""
        with self.lock:
            self.creates_held = self.creates_held or listing.creates_held
        return listing.items

    def check_may_create(self) -> None:
        """RowRejected when a listing could not be verified (`creates_held`): the counterparty a row would create
        may exist under a status it moved to while the lists were read."""
        with self.lock:
            if self.creates_held:
                raise RowRejected(self.creates_held)

    def _add(self, cp: dict[str, Any]) -> None:
        """Hold `cp` under its current name and field keys, and nowhere else (a rename moves it)."""
        for where, key in self.keys_of.pop(cp["id"], []):
            where.get(key, {}).pop(cp["id"], None)
        places: list[tuple[dict[str, Held], str]] = []
        name = name_key(cp.get("name"))
        if name:
            places.append((self.by_name, name))
        for fid, match in self.fields.items():
            key = counterparty_key(cp, match)
            if key:
                places.append((self.by_field[fid], key))
        for where, key in places:
            where.setdefault(key, {})[cp["id"]] = cp
        self.keys_of[cp["id"]] = places

    def load_all(self) -> None:
        with self.lock:
            if not self.loaded:
                for cp in self._read(list_counterparties(self.client, whole=bool(self.fields), sort="createdAt")):
                    self._add(cp)
                self.loaded = True
                logger.info(f"Indexed {len(self.by_name)} counterparty names")

    def prepare(self, keys: int, on_field: bool) -> None:
        """Before a batch: list everything when that is cheaper than `keys` look-ups (or needed)."""
        if not self.loaded and (on_field or keys > LIST_THRESHOLD):
            self.load_all()

    def by_exact_name(self, name: str) -> dict[str, Any] | None:
        """The one counterparty with this canonical name, None, or RowRejected naming several."""
        key = name_key(name)
        what = f"the name '{name}'"
        with self.lock:
            if self.loaded or key in self.by_name:
                return _one(self.by_name.get(key), what)
        term = name_lookup_term(name)
        found: list[dict[str, Any]] = []
        if term is not None:
            listing = list_counterparties(self.client, whole=False, cap=LOOKUP_CAP, name=term, sort="createdAt")
            if listing is None:
                term = None
            else:
                found = [cp for cp in self._read(listing) if name_key(cp.get("name")) == key]
        if term is None:  # no safe term, or too many candidates: one listing serves every later look-up
            self.load_all()
            with self.lock:
                return _one(self.by_name.get(key), what)
        with self.lock:
            for cp in found:
                self._add(cp)
            self.by_name.setdefault(key, {})
            return _one(self.by_name.get(key), what)

    def by_key(self, match: MatchKey, key: str) -> dict[str, Any] | None:
        """The one counterparty whose matching smart field holds `key`, None, or RowRejected."""
        self.load_all()
        with self.lock:
            return _one(self.by_field[match.field.id].get(key), f"{match.field.name} '{key}'")

    def keyless_named(self, name: str, match: MatchKey) -> list[str]:
        """Ids of the counterparties with this canonical name whose `match` field holds no key: each may be the
        account a key names, so a counterparty holding the key is not created beside them."""
        self.load_all()
        with self.lock:
            return sorted(cid for cid, cp in (self.by_name.get(name_key(name)) or {}).items()
                          if counterparty_key(cp, match) is None)

    def get(self, name: str | None, key: str | None, match: MatchKey) -> dict[str, Any] | None:
        """The counterparty a row matches, whole (a slim list item is fetched)."""
        found = self.by_exact_name(name or "") if match.field is None else self.by_key(match, key or "")
        if found is None:
            return None
        whole = self.client.full_counterparty(found)
        if whole is not None and whole is not found:
            self.remember(whole)
        return whole

    def remember(self, cp: dict[str, Any]) -> None:
        """Record a counterparty this sync created or patched, as it now is."""
        with self.lock:
            self.written.add(cp["id"])
            self._add(cp)

    @contextlib.contextmanager
    def find_or_create_lock(self, name: str | None, key: str | None) -> Iterator[None]:
        """Held while a counterparty is looked up and maybe created for a name and/or a key: rows sharing either
        wait for each other (a row naming only N and one naming key K with name N must not both create N; two
        rows of key K with two names must not both create K). Taken in one order: no two rows deadlock."""
        with self.lock:
            wanted = ([("name", name_key(name) or "")] if name else []) + ([("key", key)] if key is not None else [])
            locks = [self.name_locks.setdefault(f"{kind}\x00{value}", threading.Lock())
                     for kind, value in sorted(set(wanted))]
        with contextlib.ExitStack() as stack:
            for lock in locks:
                stack.enter_context(lock)
            yield

    def note_spellings(self, names_in_arrival_order: Iterable[str]) -> None:
        """The spelling a counterparty created for a name gets: the first row's, whichever row's thread creates it."""
        with self.lock:
            for name in names_in_arrival_order:
                self.first_spelling.setdefault(name_key(name) or "", name)

    def spelling_of(self, name: str) -> str:
        with self.lock:
            return self.first_spelling.get(name_key(name) or "", name)
