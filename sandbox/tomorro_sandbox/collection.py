"""A collection of API-shaped records with each record's cached wire bytes, sorted indexes (one
per sort order asked for) and hash indexes (one per exact-match filter), all kept up to date on
writes.

Records are replaced, never mutated in place (`Collection.put` gets a new dict): the old dict is
still needed to find its old position in every sorted index.
"""

from bisect import bisect_left
from collections import OrderedDict

import orjson

from .filters import SortSpec, make_key_fn

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
        self.on_change = None  # called with (old, new) after each write, (old, None) after a delete

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
        if self.on_change is not None:
            self.on_change(old, rec)

    def delete(self, rid: str) -> bool:
        old = self.records.pop(rid, None)
        if old is None:
            return False
        for idx in self._indexes.values():
            idx.remove(old)
        for getter, by_value in self._eq.values():
            by_value[getter(old)].discard(rid)
        self._bytes.pop(rid, None)
        if self.on_change is not None:
            self.on_change(old, None)
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
