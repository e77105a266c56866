"""Query filters (`field=v | in:a,b | ne:v | gte:v | lte:v`) and `sort=field,-field`.

Sort keys are turned into plain tuples that compare ascending in the requested order, so one
sorted list serves keyset pagination with `bisect` (see store.SortIndex).
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from . import assumptions as A
from .errors import BadRequest

TIMESTAMP_FIELDS = frozenset({"createdAt", "updatedAt", "startAt", "endAt", "signatureDate"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]00:?00)?$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
OPERATORS = ("in", "ne", "gte", "lte")


@dataclass(frozen=True)
class FilterDef:
    """How one query parameter filters: `kind` is eq (enum/id), date, partial, bool."""

    kind: str
    getter: Callable
    choices: tuple = ()
    ops: tuple = ("eq", "in", "ne")


def field_getter(name: str) -> Callable:
    return lambda rec: rec.get(name)


def nested_id(name: str) -> Callable:
    def get(rec):
        ref = rec.get(name)
        return ref["id"] if ref else None

    return get


def is_uuid(value) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))


def parse_instant(raw: str, param: str) -> tuple[str, bool]:
    """-> (ISO-ms string comparable with stored timestamps, whether it was a bare date)."""
    if _DATE.match(raw):
        return raw + "T00:00:00.000Z", True
    m = _DATETIME.match(raw)
    if not m:
        raise BadRequest(f"{param} must be a date (YYYY-MM-DD) or an ISO-8601 UTC date-time, got '{raw}'")
    clock = m.group(2)
    if len(clock) == 5:
        clock += ":00"
    secs, _, frac = clock.partition(".")
    return f"{m.group(1)}T{secs}.{(frac + '000')[:3]}Z", False


@dataclass(frozen=True)
class Predicate:
    param: str
    op: str
    values: tuple
    getter: Callable
    indexable: bool = False  # an exact-match filter that a hash index can answer (ids, enums)

    def test(self, rec) -> bool:
        v = self.getter(rec)
        op = self.op
        if op == "eq":
            return v == self.values[0]
        if op == "in":
            return v in self.values
        if op == "ne":
            return v != self.values[0]
        if op == "day":
            return v is not None and v[:10] == self.values[0][:10]
        if op == "partial":
            return v is not None and self.values[0] in v.lower()
        if v is None:
            return False
        return v >= self.values[0] if op == "gte" else v <= self.values[0]


def parse_filters(query: dict, defs: dict) -> list[Predicate]:
    preds, errors = [], []
    for param, fdef in defs.items():
        if param not in query:
            continue
        try:
            preds.append(_parse_one(param, query[param], fdef))
        except BadRequest as e:
            errors.extend(e.message)
    if errors:
        raise BadRequest(errors)
    return preds


def _parse_one(param: str, raw: str, fdef: FilterDef) -> Predicate:
    op, sep, rest = raw.partition(":")
    if not sep or op not in OPERATORS:
        op, rest = "eq", raw
    if op not in fdef.ops:
        raise BadRequest(f"{param}: operator '{op}' is not supported (allowed: {', '.join(fdef.ops)})")
    if fdef.kind == "partial":
        return Predicate(param, "partial", (rest.lower(),), fdef.getter)
    values = tuple(rest.split(",")) if op == "in" else (rest,)
    if fdef.kind == "date":
        parsed = [parse_instant(v, param) for v in values]
        if op == "eq" and parsed[0][1] and A.DATE_EQUALS_MATCHES_WHOLE_DAY:
            return Predicate(param, "day", (parsed[0][0],), fdef.getter)
        return Predicate(param, op, tuple(p for p, _ in parsed), fdef.getter)
    if fdef.kind == "bool":
        if rest not in ("true", "false"):
            raise BadRequest(f"{param} must be a boolean value (true or false)")
        return Predicate(param, op, (rest == "true",), fdef.getter)
    if fdef.choices:
        bad = [v for v in values if v not in fdef.choices]
        if bad:
            raise BadRequest(f"{param} must be one of the following values: {', '.join(fdef.choices)}")
    return Predicate(param, op, values, fdef.getter, indexable=op in ("eq", "in"))


# --- sort ---------------------------------------------------------------------------------

SortSpec = tuple  # ((field, descending), ...) always ending with ("id", ...)


def parse_sort(raw: str | None, allowed: tuple, default: str) -> SortSpec:
    raw = raw or default
    spec, errors = [], []
    for part in raw.split(","):
        desc = part.startswith("-")
        name = part[1:] if desc else part
        if name not in allowed:
            errors.append(f"sort: '{name}' is not a sortable field (allowed: {', '.join(allowed)})")
        spec.append((name, desc))
    if errors:
        raise BadRequest(errors)
    # id is unique: keys after it can never matter, so the order ends at the first id
    ids = [i for i, (name, _) in enumerate(spec) if name == "id"]
    spec = spec[: ids[0] + 1] if ids else spec
    if spec[-1][0] != "id":
        # id is the final tie-breaker, in the direction of the last key, so the order is total
        spec.append(("id", spec[-1][1]))
    return tuple(spec)


def sort_string(spec: SortSpec) -> str:
    return ",".join(("-" if d else "") + f for f, d in spec)


def _neg_str(s: str) -> tuple:
    # descending order on a string: negate the code points; the trailing 1 sorts a longer
    # string before its prefix, as descending order requires
    return (*(-ord(c) for c in s), 1)


def _ms(iso_value: str) -> int:
    # ISO-ms strings of one fixed width: reduce to an integer with the same order. Any other form (an offset, a
    # lowercase z, no fraction: written through POST /_sandbox/edit) is first brought to that form, in UTC.
    if len(iso_value) != 24 or iso_value[-1] != "Z":
        iso_value = _utc_ms(iso_value)
    return int(iso_value[:4] + iso_value[5:7] + iso_value[8:10] + iso_value[11:13]
               + iso_value[14:16] + iso_value[17:19] + iso_value[20:23])


def _utc_ms(value: str) -> str:
    moment = dt.datetime.fromisoformat(value[:-1] + "Z" if value[-1:] == "z" else value)
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _asc(value):
    return (0, "") if value is None else (1, value)


def _asc_bool(value):
    return (0, "") if value is None else (1, int(value))


def _desc_id(value):
    return (1, 0) if value is None else (0, -int(value.replace("-", ""), 16))


@lru_cache(maxsize=1 << 16)  # timestamps sit on a coarse grid: few distinct values
def _desc_ts(value):
    return (1, 0) if value is None else (0, -_ms(value))


def _desc_str(value):
    if value is None:
        return (1, 0)
    return (0, -int(value)) if isinstance(value, bool) else (0, _neg_str(value))


def component_fn(field: str, desc: bool) -> Callable:
    """The function turning one field's value into its key component for this direction.

    None sorts first ascending, last descending. A component is a (flag, value) pair and a key is
    the flat concatenation of its components (flat tuples compare much faster than nested ones);
    flags are 0 or 1, so `c + (9,)` is greater than every key starting with c.
    """
    if not desc:
        return _asc_bool if field == "isPublished" else _asc
    if field == "id":
        return _desc_id
    return _desc_ts if field in TIMESTAMP_FIELDS else _desc_str


def key_component(field: str, desc: bool, value) -> tuple:
    return component_fn(field, desc)(value)


def make_key_fn(spec: SortSpec, getters: dict) -> Callable:
    parts = [(component_fn(f, d), getters.get(f) or field_getter(f)) for f, d in spec]
    if len(parts) == 2 and spec[-1][0] == "id":  # the common case, unrolled: index builds are hot
        (c0, g0), (c1, _) = parts
        return lambda rec: c0(g0(rec)) + c1(rec["id"])
    return lambda rec: sum((c(g(rec)) for c, g in parts), ())


def make_key(spec: SortSpec, values: list) -> tuple:
    """The key of a cursor's values (sort fields then id)."""
    return sum((component_fn(f, d)(v) for (f, d), v in zip(spec, values, strict=True)), ())
