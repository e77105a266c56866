"""Keyset pagination, declared once for every list route (the envelopes are in envelopes.py).

A cursor is base64url(JSON) of the boundary record's sort-key values and id, plus the sort and a
signature of the filters it was made under (a cursor reused with other ones -> 400). Because the
position is found by key, not by offset, a record that did not change between two pages is never
skipped, however many others were updated or created meanwhile.
"""

import base64
import binascii
import hashlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import orjson

from . import assumptions as A
from .collection import Collection
from .errors import BadRequest
from .filters import TIMESTAMP_FIELDS, Predicate, SortSpec, is_uuid, key_component, make_key, sort_string

_AFTER_ALL = (9,)  # greater than any flag (0 or 1): c + _AFTER_ALL follows every key starting with c


@dataclass
class Page:
    ids: list
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    prev_cursor: str | None


def parse_limit(query: dict) -> int:
    raw = query.get("limit")
    if raw is None:
        return A.LIMIT_DEFAULT
    try:
        n = int(raw)
    except ValueError:
        raise BadRequest("limit must be an integer number") from None
    if n < 1:
        raise BadRequest("limit must not be less than 1")
    if n > A.LIMIT_MAX:
        raise BadRequest(f"limit must not be greater than {A.LIMIT_MAX}")
    return n


def filter_signature(preds: list[Predicate]) -> str:
    text = "&".join(sorted(f"{p.param}={p.op}:{','.join(map(str, p.values))}" for p in preds))
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def encode_cursor(values: list, rid: str, spec: SortSpec, fsig: str) -> str:
    payload = {"v": values, "id": rid, "s": sort_string(spec), "f": fsig}
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(raw: str, param: str, spec: SortSpec, fsig: str) -> tuple:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        values, rid = data["v"], data["id"]
        ok = (isinstance(values, list) and len(values) == len(spec) - 1 and is_uuid(rid)
              and all(v is None or isinstance(v, str) for v in values))  # every sort field is a string
        key = make_key(spec, [*values, rid]) if ok else None
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, IndexError):
        ok = False
    if not ok:
        raise BadRequest(f"{param} is not a valid cursor")
    if data.get("s") != sort_string(spec) or data.get("f") != fsig:
        raise BadRequest(f"{param} cursor was issued for a different sort or filter")
    return key


def _bounds(spec: SortSpec, preds: list[Predicate], keys: list) -> tuple[int, int]:
    """Narrow the scan to the key range that a gte/lte filter on the first sort key allows."""
    lo, hi = 0, len(keys)
    field, desc = spec[0]
    for p in preds:
        if p.param != field or p.op not in ("gte", "lte", "eq"):
            continue
        c = key_component(field, desc, p.values[0])
        if p.op == "eq" or (p.op == "gte") != desc:  # comp >= c
            lo = max(lo, bisect_left(keys, c))
        if p.op == "eq" or (p.op == "lte") != desc:  # comp <= c
            hi = min(hi, bisect_right(keys, c + _AFTER_ALL))
    return lo, hi


_SMALL_SHARE = 16  # below 1/16 of the collection, sorting the matches beats scanning the index
_INDEXED_FROM = 2000  # smaller collections are scanned: an index would cost more than it saves


def _keys_and_ids(coll: Collection, spec: SortSpec, preds: list) -> tuple[list, list]:
    """The sorted (keys, ids) to page through: the whole sort index, or, when filters leave few
    records, just those records sorted on the spot. Exact-match filters (counterpartyId=…) are
    answered by a hash index and date ranges on another field than the first sort key
    (updatedAt=gte:… under the default sort) by that field's own sort index; so a page filtered
    down to 40 contracts among 200,000 does not scan the 200,000."""
    idx = coll.index(spec)
    if len(coll) < _INDEXED_FROM:
        return idx.keys, idx.ids
    candidates = None
    for found in _candidate_sets(coll, spec, preds):
        candidates = found if candidates is None else candidates & found
    if candidates is None or len(candidates) * _SMALL_SHARE > len(coll):
        return idx.keys, idx.ids
    recs = coll.records
    pairs = sorted((idx.key(recs[rid]), rid) for rid in candidates)
    return [k for k, _ in pairs], [i for _, i in pairs]


def _candidate_sets(coll: Collection, spec: SortSpec, preds: list):
    for p in preds:
        if p.indexable:
            yield coll.matching(p.param, p.getter, p.values)
    ranged = {p.param for p in preds if p.op in ("gte", "lte") and p.param in TIMESTAMP_FIELDS}
    for field in ranged - {spec[0][0]}:
        ridx = coll.index(((field, False), ("id", False)))
        lo, hi = _bounds(ridx.spec, [p for p in preds if p.param == field], ridx.keys)
        if (hi - lo) * _SMALL_SHARE <= len(coll):  # else a set this big would not narrow anything
            yield set(ridx.ids[lo:hi])


def paginate(coll: Collection, spec: SortSpec, preds: list, limit: int, query: dict) -> Page:
    fsig = filter_signature(preds)
    keys, ids = _keys_and_ids(coll, spec, preds)
    recs = coll.records
    lo, hi = _bounds(spec, preds, keys)

    def match(i: int) -> bool:
        rec = recs[ids[i]]
        return all(p.test(rec) for p in preds)

    def scan(start: int, stop: int, step: int, want: int) -> list:
        out = []
        for i in range(start, stop, step):
            if match(i):
                out.append(i)
                if len(out) == want:
                    break
        return out

    if "before" in query and "after" in query:
        raise BadRequest("after and before cannot be used together")
    if "before" in query:
        pos = max(lo, min(hi, bisect_left(keys, decode_cursor(query["before"], "before", spec, fsig))))
        found = scan(pos - 1, lo - 1, -1, limit + 1)
        has_prev, found = len(found) > limit, found[:limit][::-1]
        has_next = bool(scan(pos, hi, 1, 1))
    else:
        pos = lo
        if "after" in query:
            pos = max(lo, min(hi, bisect_right(keys, decode_cursor(query["after"], "after", spec, fsig))))
        found = scan(pos, hi, 1, limit + 1)
        has_next, found = len(found) > limit, found[:limit]
        has_prev = bool(scan(pos - 1, lo - 1, -1, 1))
    page_ids = [ids[i] for i in found]
    return Page(page_ids, has_next, has_prev,
                _cursor_of(coll, spec, fsig, page_ids[-1]) if has_next and page_ids else None,
                _cursor_of(coll, spec, fsig, page_ids[0]) if has_prev and page_ids else None)


def _cursor_of(coll: Collection, spec: SortSpec, fsig: str, rid: str) -> str:
    rec = coll.records[rid]
    values = [(coll.getters.get(f) or (lambda r, f=f: r.get(f)))(rec) for f, _ in spec[:-1]]
    return encode_cursor(values, rid, spec, fsig)
