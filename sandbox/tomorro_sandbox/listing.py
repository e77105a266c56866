"""Every list route declared once: its filters, sort fields, default sort, extra parameters and
envelope. `run_list` validates the query against the declaration (unknown parameter -> 400,
NestJS forbidNonWhitelisted [ASSUMED]), paginates, and serves the page in the shape the active API
profiles ask for (envelope, items, filters and sort honoured or not: see profiles.ApiShape)."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import orjson

from . import assumptions as A
from .collection import Collection
from .envelopes import ENVELOPES, PageContext
from .errors import BadRequest
from .filters import FilterDef, Predicate, field_getter, nested_id, parse_filters, parse_sort
from .pagination import paginate, parse_limit
from .profiles import ApiShape
from .wire import Request, Response, raw

_PAGING = ("limit", "after", "before", "sort")
_DATES = ("eq", "gte", "lte")


@dataclass(frozen=True)
class ListSpec:
    path: str  # for links, as the documentation shows them (without /v2)
    filters: dict
    sorts: tuple
    default_sort: str
    envelope: str = "snake"  # the documented envelope (envelopes.py): "snake" or "camel"
    items_key: str = "data"  # the camel envelope's items key
    extra: tuple = field(default=())  # accepted parameters that are not filters (lang)


CONTRACTS = ListSpec(
    "/contracts",
    {
        "status": FilterDef("eq", field_getter("status"), A.CONTRACT_STATUSES),
        "authorId": FilterDef("eq", nested_id("author")),
        "counterpartyId": FilterDef("eq", nested_id("counterparty")),
        "contractTypeId": FilterDef("eq", nested_id("contractType")),
        "referentId": FilterDef("eq", nested_id("referent")),
        "supervisorId": FilterDef("eq", nested_id("supervisor")),
        "folderId": FilterDef("eq", field_getter("folderId")),
        "startAt": FilterDef("date", field_getter("startAt"), ops=_DATES),
        "endAt": FilterDef("date", field_getter("endAt"), ops=_DATES),
        "createdAt": FilterDef("date", field_getter("createdAt"), ops=_DATES),
        "updatedAt": FilterDef("date", field_getter("updatedAt"), ops=_DATES),  # [ASSUMED]
    },
    ("id", "name", "status", "createdAt", "updatedAt", "startAt", "endAt"),  # [ASSUMED]
    "-createdAt",
    "camel",
    A.CONTRACTS_ITEMS_KEY,
)
COUNTERPARTIES = ListSpec(
    "/counterparties",
    {"status": FilterDef("eq", field_getter("status"), A.COUNTERPARTY_STATUSES),
     "name": FilterDef("partial", field_getter("name"), ops=("eq",))},
    ("id", "name", "status", "createdAt", "updatedAt"),
    "-createdAt",
)
MEMBERS = ListSpec(
    "/members",
    {"status": FilterDef("eq", field_getter("status"), A.MEMBER_STATUSES),
     "role": FilterDef("eq", field_getter("role"), A.MEMBER_ROLES)},
    ("id", "role", "status", "createdAt", "updatedAt"),
    "-createdAt",
)
CONTRACT_TYPES = ListSpec(
    "/contract-types",
    {"isPublished": FilterDef("bool", field_getter("isPublished"), ops=("eq",))},
    ("id", "name"),
    "name",
    "camel",
    A.CONTRACT_TYPES_ITEMS_KEY,
)
SMART_FIELDS = ListSpec(
    "/smart-fields",
    {"object": FilterDef("eq", field_getter("object"), A.FIELD_OBJECTS, ops=("eq", "in"))},
    ("id", "name", "type"),
    "name",
    extra=("lang",),
)
OPTIONS = ListSpec(
    "/smart-fields/{id}/options",
    {"term": FilterDef("partial", lambda o: "|".join(t["value"].lower() for t in o["translations"]),
                       ops=("eq",))},
    ("id",),
    "id",
)


def default_orders() -> dict:
    """Store collection name -> the sort order its list serves by default (indexed at load)."""
    return {name: parse_sort(None, spec.sorts, spec.default_sort)
            for name, spec in (("contracts", CONTRACTS), ("counterparties", COUNTERPARTIES), ("members", MEMBERS))}


def check_params(query: dict, allowed) -> None:
    unknown = [k for k in query if k not in allowed]
    if unknown:
        raise BadRequest([f"property {k} should not exist" for k in unknown])


@dataclass(frozen=True)
class _Plan:
    """How one list is served under one ApiShape (computed once per shape: requests only look it up)."""

    allowed: frozenset  # query parameters accepted ("refused" filters are not: 400 as unknown ones)
    filters: dict  # the filters honoured
    sort_honoured: bool
    view: Callable | None  # record -> list item, None when items are served whole
    envelope: Callable
    flags: bool
    default_status: Predicate | None  # applied when the query names no `status`


def _plan(shape: ApiShape, spec: ListSpec) -> _Plan:
    modes = shape.filter_modes(spec.path, spec.filters)
    filters = {p: d for p, d in spec.filters.items() if modes.get(p) in (None, "eq-only")}
    filters.update({p: replace(d, ops=("eq",)) for p, d in filters.items() if modes.get(p) == "eq-only"})
    ignored = [p for p, mode in modes.items() if mode == "ignored"]
    statuses = shape.default_statuses(spec.path)
    default_status = (Predicate("status", "in", tuple(statuses), spec.filters["status"].getter, indexable=True)
                      if statuses else None)
    return _Plan(frozenset((*_PAGING, *filters, *ignored, *spec.extra)), filters, shape.sort_honoured(spec.path),
                 shape.item_view(spec.path), ENVELOPES[shape.envelope(spec.path, spec.envelope)],
                 shape.has_flags(spec.path), default_status)


def run_list(req: Request, spec: ListSpec, coll: Collection, shape: ApiShape, path: str | None = None,
             project=None) -> Response:
    """Validate the query, paginate `coll`, wrap in the envelope the active API profiles ask for.

    `project` turns a record into its wire dict when the stored shape is not the wire shape
    (smart fields carry `object`); otherwise the cached bytes are joined as they are.
    """
    q = req.query
    plan: _Plan = shape.derived(("list", spec.path), lambda: _plan(shape, spec))
    check_params(q, plan.allowed)
    limit = parse_limit(q)
    # an ignored sort is not even validated: the server serves its default order whatever it says
    sort = parse_sort(q.get("sort") if plan.sort_honoured else None, spec.sorts, spec.default_sort)
    predicates = parse_filters(q, plan.filters)
    if plan.default_status is not None and ("status" not in q or "status" not in plan.filters):  # none, or ignored
        predicates.append(plan.default_status)
    page = paginate(coll, sort, predicates, limit, q)
    if project is None and plan.view is None:
        items = [coll.raw(i) for i in page.ids]
    else:
        view = plan.view or _same
        items = [orjson.dumps(view((project or _same)(coll.records[i]))) for i in page.ids]
    return raw(plan.envelope(page, items, PageContext(spec.items_key, path or spec.path, q, limit, plan.flags)))


def _same(rec: dict) -> dict:
    return rec
