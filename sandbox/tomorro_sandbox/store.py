"""State: collections with cached wire bytes and sorted indexes, the clock, and one lock.

Records are replaced, never mutated in place (`Collection.put` gets a new dict): the old dict is
still needed to find its old position in every sorted index.
"""

import random
import threading
import time
from bisect import bisect_left
from collections import OrderedDict

import orjson

from .filters import SortSpec, make_key_fn
from .seed import SeedData, SeedOptions, generate, iso

_MAX_INDEXES = 12


class SortIndex:
    """Every record's sort key, kept sorted; a page is a bisect plus a short scan."""

    def __init__(self, spec: SortSpec, getters: dict, records: dict):
        self.spec = spec
        self.key = make_key_fn(spec, getters)
        recs = list(records.values())
        keys = [self.key(r) for r in recs]
        order = sorted(range(len(recs)), key=keys.__getitem__)
        self.keys = [keys[i] for i in order]
        self.ids = [recs[i]["id"] for i in order]

    def remove(self, rec: dict) -> None:
        i = bisect_left(self.keys, self.key(rec))
        if i < len(self.ids) and self.ids[i] == rec["id"]:
            del self.keys[i]
            del self.ids[i]

    def add(self, rec: dict) -> None:
        k = self.key(rec)
        i = bisect_left(self.keys, k)
        self.keys.insert(i, k)
        self.ids.insert(i, rec["id"])


class Collection:
    """A dict of API-shaped records plus, per record, its serialized JSON (invalidated on write)."""

    def __init__(self, records: dict, getters: dict | None = None):
        self.records = records
        self.getters = getters or {}
        self._bytes: dict = {}
        self._indexes: OrderedDict = OrderedDict()
        self._eq: dict = {}  # filter param -> (getter, {value: set of ids})

    def __len__(self) -> int:
        return len(self.records)

    def get(self, rid):
        return self.records.get(rid)

    def raw(self, rid: str) -> bytes:
        b = self._bytes.get(rid)
        if b is None:
            b = self._bytes[rid] = orjson.dumps(self.records[rid])
        return b

    def put(self, rec: dict) -> None:
        old = self.records.get(rec["id"])
        for idx in self._indexes.values():
            if old is not None:
                idx.remove(old)
            idx.add(rec)
        for getter, by_value in self._eq.values():
            if old is not None:
                by_value[getter(old)].discard(rec["id"])
            by_value.setdefault(getter(rec), set()).add(rec["id"])
        self.records[rec["id"]] = rec
        self._bytes.pop(rec["id"], None)

    def delete(self, rid: str) -> bool:
        old = self.records.pop(rid, None)
        if old is None:
            return False
        for idx in self._indexes.values():
            idx.remove(old)
        for getter, by_value in self._eq.values():
            by_value[getter(old)].discard(rid)
        self._bytes.pop(rid, None)
        return True

    def matching(self, param: str, getter, values) -> set:
        """Ids whose `getter` value is one of `values`, from a hash index built on first use."""
        entry = self._eq.get(param)
        if entry is None:
            by_value: dict = {}
            for rid, rec in self.records.items():
                by_value.setdefault(getter(rec), set()).add(rid)
            entry = self._eq[param] = (getter, by_value)
        found = [entry[1].get(v, ()) for v in values]
        return set().union(*found) if len(found) > 1 else set(found[0])

    def index(self, spec: SortSpec) -> SortIndex:
        idx = self._indexes.get(spec)
        if idx is None:
            idx = self._indexes[spec] = SortIndex(spec, self.getters, self.records)
            if len(self._indexes) > _MAX_INDEXES:
                self._indexes.popitem(last=False)
        else:
            self._indexes.move_to_end(spec)
        return idx


class Clock:
    """The server clock; `offset` skews it (POST /_sandbox/clock) for stamping and Date headers."""

    def __init__(self):
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def now_iso(self) -> str:
        return iso(self.now())


class Store:
    def __init__(self, opts: SeedOptions, clock: Clock | None = None):
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.load(opts)

    def load(self, opts: SeedOptions) -> None:
        d: SeedData = generate(opts)
        with self.lock:
            self.opts = opts
            self.d = d
            # ids of records created at runtime: the same requests after a (re)seed give the same ids
            self.id_rng = random.Random(f"{opts.seed}-runtime")
            self.members = Collection(d.members)
            self.counterparties = Collection(d.counterparties)
            self.contracts = Collection(d.contracts)
            self.custom_records: dict = {}  # (custom object id, contract id) -> [record]
            self.external_ids: dict = {}  # (integration type, externalId) -> contract id (dedup mode)
            # build the default list orders now, so the first page is not the slow one
            from .listing import CONTRACTS, COUNTERPARTIES, MEMBERS, default_sort

            for coll, spec in ((self.contracts, CONTRACTS), (self.counterparties, COUNTERPARTIES),
                               (self.members, MEMBERS)):
                coll.index(default_sort(spec))
            for c in d.contracts.values():
                if c["integration"]:
                    self.external_ids[(c["integration"]["type"], c["integration"]["externalId"])] = c["id"]

    def template(self, tid: str):
        ctid = self.d.template_type.get(tid)
        if ctid is None:
            return None, None
        ct = self.d.contract_types[ctid]
        return ct, next(t for t in ct["templates"] if t["id"] == tid)

    def field(self, fid: str, obj: str | None = None):
        f = self.d.smart_fields.get(fid)
        if f is None or (obj is not None and f["object"] != obj):
            return None
        return f
