"""Custom components of source-tomorro: only what the declarative manifest cannot say.

One file because the platform ships exactly one (`source_declarative_manifest/components.py` inside the
source-declarative-manifest image, or the Builder's single `components.py`), so the usual ~300-line rule for
modules gives way here. Sections, each headed, in reading order:

1. Envelopes: the source's one reader of Tomorro's answers, held to the rule table tests/data/envelope_rules.json
   that the destination's and tomorro-sync's readers share (and a retry of an answer that is not JSON).
2. Time: every cursor value is compared and stored as an instant in UTC.
3. The list reader of `contracts` and `counterparties` (checks the API's order, filter and item shapes at
   run time, splits the read across workers, checkpoints through the stream's cursor).
4. Custom smart fields as typed columns.
5. Config and state: what the spec and the cursor cannot check (and a checkpoint inside a slice).
6. Process tuning that depends on CDK internals (pinned to the CDK version it was measured on).
7. Connector Builder test reads: what the CDK gives its own retrievers there and not a custom one.

Each class says in one line why YAML cannot do its job. No `from __future__ import annotations` here: the
standard tests exec this file as a module that is not in sys.modules, and dataclasses cannot resolve string
annotations there.
"""

import ctypes
import datetime as datetime_module
import logging
import math
import queue
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import InitVar, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import orjson
import requests
from airbyte_cdk.models import AirbyteLogMessage, AirbyteMessage, FailureType, Level, Type
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.declarative.retrievers.retriever import Retriever
from airbyte_cdk.sources.declarative.schema.schema_loader import SchemaLoader
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.declarative.transformations.config_transformations.config_transformation import (
    ConfigTransformation,
)
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.sources.http_logger import format_http_message
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.types import Record, StreamSlice
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets, update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

logger = logging.getLogger("airbyte")


# =============================================================================================================
# 1. Envelopes: the source's one reader of Tomorro's answers (rules: tests/data/envelope_rules.json)
# =============================================================================================================
# The docs show four (../shared/reference/tomorro-api.md §2): `{data, pagination: {next_cursor, has_next}, links}`
# (counterparties), `{contracts | contractTypes, hasNext, hasPrevious}` (contracts, contract types; the cursor key
# is not documented), `{data, pagination: {hasNext, nextCursor}}` (the introduction) and bare arrays.

ITEM_KEYS_FALLBACK = "data"
_NEXT_CURSOR_KEYS = ("nextCursor", "next_cursor")
_HAS_NEXT_KEYS = ("hasNext", "has_next")
_NOT_DECODED, _NOT_JSON = object(), object()


def unexpected_answer(problem: str, body: Any = None) -> AirbyteTracedException:
    """The error for an answer this connector does not understand: names what was unexpected and the keys it
    saw (never values: they may be large or private)."""
    keys = ""
    if isinstance(body, dict):
        nested = [f"{key}.{sub}" for key, value in body.items() if isinstance(value, dict) for sub in value]
        keys = f" Keys seen: {', '.join([*body, *nested]) or '(none)'}."
    message = f"Tomorro answered in a shape this connector does not know: {problem}.{keys}"
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.system_error)


def decode_json(response: Any) -> Any:
    """The response body parsed once (orjson) and kept on the response: the answer check, the extractor, the
    paginator and the list reader all read the same page."""
    body = _body_of(response)
    if body is _NOT_JSON:
        raise unexpected_answer(f"the answer to {_request_path(response)} is not JSON "
                                "(is base_url the Tomorro API, e.g. https://api.tomorro.com/v2?)")
    return body


def _body_of(response: Any) -> Any:
    body = getattr(response, "_tomorro_body", _NOT_DECODED)
    if body is _NOT_DECODED:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = _NOT_JSON
        response._tomorro_body = body
    return body


def refusal_message(response: Any) -> str:
    """What Tomorro said when it refused a request (its `message`: a string or a list), else the HTTP status."""
    body = _body_of(response)
    message = body.get("message") if isinstance(body, dict) else None
    return "; ".join(map(str, message)) if isinstance(message, list) else str(message or f"HTTP {response.status_code}")


def _request_path(response: Any) -> str:
    url = getattr(getattr(response, "request", None), "url", None) or getattr(response, "url", "") or ""
    return urlparse(url).path or "the request"


@dataclass(frozen=True)
class ListPage:
    items: list
    next_cursor: str | None  # None: this was the last page


def read_list_page(body: Any, items_key: str, page_size: int | None) -> ListPage:
    """One page of any documented envelope, by the rules of tests/data/envelope_rules.json (the table the
    destination's and tomorro-sync's readers are held to as well). Items under `items_key`, else `data`, or a bare
    array. The next cursor from the first of `nextCursor`, `next_cursor`, `pagination.nextCursor`,
    `pagination.next_cursor`, `pagination.next` (a cursor or a link), `links.next` (a link: its `after`) that is
    present; null or "" there says "no next page" as plainly as a false flag. More pages from the has-next flag
    (`hasNext`, `has_next`, under `pagination` too), or, without one, from the cursor. A page that says more follows
    (its flag, a next link without a cursor, or being full with no cursor key at all) but carries no cursor is an
    error naming the keys seen, never the end of the list."""
    if isinstance(body, list):
        return ListPage(_objects(body, body), None)
    if not isinstance(body, dict):
        raise unexpected_answer(f"a list answer that is a {type(body).__name__}, not an object or array")
    items = body.get(items_key) if items_key in body else body.get(ITEM_KEYS_FALLBACK)
    if not isinstance(items, list):
        raise unexpected_answer(f"no list of records under `{items_key}` or `{ITEM_KEYS_FALLBACK}`", body)
    items = _objects(items, body)
    pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
    has_next = _first_of(body, pagination, _HAS_NEXT_KEYS)[1]
    if has_next is not None and not isinstance(has_next, bool):
        raise unexpected_answer(f"a has-next flag that is {has_next!r}, not true or false", body)
    cursor_key, cursor, link_without_cursor = _next_cursor(body, pagination)
    if has_next is False:
        return ListPage(items, None)
    if cursor:
        return ListPage(items, cursor)
    if has_next:
        raise unexpected_answer("its has-next flag says more pages follow, but it carries no next cursor", body)
    if link_without_cursor:
        raise unexpected_answer(f"`{cursor_key}` links to a next page without an `after` cursor", body)
    if not cursor_key and page_size and len(items) >= page_size:
        raise unexpected_answer("a full page without a has-next flag or a next cursor this connector knows", body)
    return ListPage(items, None)


def envelope_shape(body: Any, items_key: str) -> dict:
    """Where a list answer keeps its parts, as `read_list_page` finds them: the items' key, and the key paths of
    the next cursor and of the has-next flag (None when absent). For reports (tomorro-sync doctor)."""
    if isinstance(body, list):
        return {"items": None, "cursor": None, "has_next": None}
    pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
    cursor_key = next((path for path, _ in _cursor_candidates(body, pagination)), None)
    return {"items": items_key if items_key in body else ITEM_KEYS_FALLBACK, "cursor": cursor_key,
            "has_next": _first_of(body, pagination, _HAS_NEXT_KEYS)[0]}


def _first_of(body: dict, pagination: dict, keys: tuple) -> tuple:
    """(the key path of the first of `keys` present, its value), looking at the body, then at `pagination`."""
    for holder, prefix in ((body, ""), (pagination, "pagination.")):
        for key in keys:
            if key in holder:
                return prefix + key, holder[key]
    return None, None


def _cursor_candidates(body: dict, pagination: dict) -> Iterator[tuple]:
    """(key path, value) of every next-cursor key present, in the order the rules read them."""
    links = body.get("links") if isinstance(body.get("links"), dict) else {}
    for holder, prefix, keys in ((body, "", _NEXT_CURSOR_KEYS), (pagination, "pagination.", (*_NEXT_CURSOR_KEYS, "next")),
                                 (links, "links.", ("next",))):
        for key in keys:
            if key in holder:
                yield prefix + key, holder[key]


def _next_cursor(body: dict, pagination: dict) -> tuple:
    """(the path of the first next-cursor key present, its cursor or None, whether it is a link without one)."""
    for path, value in _cursor_candidates(body, pagination):
        if value is None or value == "":
            return path, None, False
        if not isinstance(value, str):
            raise unexpected_answer(f"a next cursor that is not a string (`{path}`)", body)
        if path.endswith(".next") and ("/" in value or "?" in value):  # a link: its `after` is the cursor
            after = (parse_qs(urlparse(value).query).get("after") or [""])[0]
            return path, after or None, not after
        return path, value, False
    return None, None, False


def _objects(items: list, body: Any) -> list:
    if not all(isinstance(item, dict) for item in items):
        raise unexpected_answer("a list whose items are not all JSON objects", body)
    return items


def interpolated(value: Any, config: Mapping[str, Any]) -> Any:
    """A custom component's field as the manifest wrote it, with `{{ config[...] }}` evaluated (the CDK evaluates
    templates only in its own components' fields)."""
    return InterpolatedString.create(value, parameters={}).eval(config) if isinstance(value, str) else value


@dataclass
class ListRecordExtractor(RecordExtractor):
    """YAML cannot accept several envelopes for one stream because DpathExtractor follows one fixed path."""

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    items_key: str = ITEM_KEYS_FALLBACK

    def extract_records(self, response: Any) -> Iterable[Mapping[str, Any]]:
        yield from read_list_page(decode_json(response), self.items_key, None).items


@dataclass
class ListCursorPagination(PaginationStrategy):
    """YAML cannot follow several cursor keys and fail on a full page without one, because CursorPagination
    takes one `cursor_value` and one `stop_condition`, and a stop is silent."""

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    page_size: int | str
    items_key: str = ITEM_KEYS_FALLBACK

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._page_size = int(interpolated(self.page_size, self.config))

    @property
    def initial_token(self) -> Any:
        return None

    def next_page_token(self, response: Any, last_page_size: int, last_record: Any, last_page_token_value: Any,
                        page_size_override: int | None = None) -> Any:
        page = read_list_page(decode_json(response), self.items_key, page_size_override or self._page_size)
        return page.next_cursor

    def get_page_size(self) -> int | None:
        return self._page_size


@dataclass
class RetryAnswersNotJson(ErrorHandler):
    """YAML cannot retry an answer that is not JSON without parsing every page twice: a response filter's
    `predicate` is evaluated on `response.json()`, a second, slower parse of each page. This parses a 2xx body
    once (`decode_json` keeps it on the response for the extractor, the paginator and the list reader) and asks
    for a retry when it is not JSON, or `{}` (no endpoint answers that): cut short by a dropped connection, or
    not the Tomorro API. First in each composite error handler; on any other answer it has no opinion (None:
    the composite asks the next handler), so the status codes keep their one home, `status_handler`."""

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    max_retries: int | str | None = 6  # the spec's default (held equal by test_manifest.py); the composite takes its first handler's
    max_time: int | None = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.max_retries = int(interpolated(self.max_retries, self.config))

    def interpret_response(self, response: Any) -> ErrorResolution | None:
        if not isinstance(response, requests.Response) or not 200 <= response.status_code < 300:
            return None
        body = _body_of(response)
        if body is not _NOT_JSON and body != {}:
            return None
        parts = urlparse(response.url or "")
        return ErrorResolution(
            response_action=ResponseAction.RETRY, failure_type=FailureType.transient_error,
            error_message=f"The answer to {parts.scheme}://{parts.netloc}{parts.path} was not JSON (truncated, or "
                          "base_url is not the Tomorro API, e.g. https://api.tomorro.com/v2).")


# =============================================================================================================
# 2. Time: every cursor value is compared and stored as an instant in UTC
# =============================================================================================================


def parse_instant(value: Any) -> datetime | None:
    """An ISO-8601 date or datetime, any offset, as an aware UTC datetime (a naive one is taken as UTC);
    None when the value is missing or is not a datetime."""
    if not isinstance(value, str) or not value:
        return None
    if value[-1] == "z":  # ISO 8601 allows a lowercase zone designator; fromisoformat does not
        value = value[:-1] + "Z"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def format_instant(moment: datetime) -> str:
    """The one text form of an instant: `2024-01-15T10:30:00.000Z`, microseconds kept when not whole ms."""
    moment = moment.astimezone(UTC)
    if moment.microsecond % 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_instants(record: MutableMapping[str, Any], properties: Iterable[str]) -> None:
    """Each of these top-level properties that holds a date-time, rewritten in the one UTC form (`...Z`): the
    warehouse's TIMESTAMP columns hold UTC, and a loader that drops an offset (DuckDB does) must never see one.
    A value that is not a date-time is left as it is (the destination's type check names it)."""
    for key in properties:
        value = record.get(key)
        if isinstance(value, str) and not (value.endswith("Z") and len(value) in (20, 24, 27)):
            moment = parse_instant(value)
            if moment is not None:
                record[key] = format_instant(moment)


def date_time_properties(schema: Mapping[str, Any] | None) -> tuple:
    """The top-level properties a JSON schema declares as date-times."""
    properties = (schema or {}).get("properties") or {}
    return tuple(name for name, prop in properties.items()
                 if isinstance(prop, Mapping) and prop.get("format") == "date-time")


@dataclass
class UtcInstants(RecordTransformation):
    """YAML cannot rewrite a date-time into UTC (AddFields would need one template per property and cannot parse
    an offset). `properties`: the stream's date-time properties (its schema's `format: date-time` ones)."""

    properties: list = field(default_factory=list)

    def transform(self, record: MutableMapping[str, Any], config: Any = None, stream_state: Any = None,
                  stream_slice: Any = None) -> None:
        utc_instants(record, self.properties)


def _floor_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def answered_at(response: Any) -> datetime:
    """When the server answered: its `Date` header (HTTP servers send one), else our clock."""
    try:
        return parsedate_to_datetime(response.headers["Date"]).astimezone(UTC)
    except (AttributeError, KeyError, TypeError, ValueError):
        return _now()


def _now() -> datetime:
    """Looked up on the `datetime` module at each call: a test that freezes time and first imports this module
    during the freeze would otherwise leave a stale fake clock behind."""
    return datetime_module.datetime.now(UTC)


# =============================================================================================================
# 3. The list reader of `contracts` and `counterparties`
# =============================================================================================================
# What a CDK retriever would trust is checked on every answer before its records are emitted (README, "How
# contracts and counterparties are read"): the order (`sort=updatedAt`, assumed on contracts) on every page; each
# record inside the range that reads it, whatever the server did with `updatedAt=gte:` (assumed; contracts only);
# every item holding `required_keys`, else fetched whole (GET /<path>/{id}); every status named (`status=in:a,b`:
# a list may hide the others), or where only one is taken, each read whole in turn and the state saved at the end.
# The first answer decides how to read (`reading_plans`): ranges of updatedAt side by side when order and filter
# hold; else one chain from the start (a first sync: ascending, to checkpoint on the way), newest first down to
# the bound (a later sync), or with no order to its end, the state saved only then. Ranges are immutable, `place`
# and `split` pure. One executor sends every request, a range's page request asking for the next page itself; the
# reading thread alone places pages, emits records (the stream's record selector) and checkpoints, never past
# unread data (`safe_checkpoint`).

ORDER_ASC, ORDER_DESC, ORDER_NONE = "asc", "desc", "none"
CHECKPOINT_EVERY_PAGES = 5
# Records stamped up to a day past our clock are read now: a server clock ahead of ours would otherwise hold its
# newest records back until ours caught up. A state in the future is clamped on the next sync (SanitizeState).
SERVER_CLOCK_AHEAD = timedelta(days=1)
SLICE_START, SLICE_END = "start_time", "end_time"  # DatetimeBasedCursor's partition fields
REFUSED_STATUSES = (400, 422)
CLOCK_MARGIN = timedelta(seconds=1)  # a `Date` header is whole seconds, cut down; servers' clocks may differ a little
_ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Row:
    data: dict
    at: datetime | None  # the cursor value as an instant; None when missing or not a datetime


@dataclass(frozen=True, eq=False)
class Range:
    """The records with lo <= updatedAt < hi, read by one keyset chain of `params`."""

    lo: datetime
    hi: datetime
    order: str
    params: Mapping[str, Any]
    cursor: str | None = None  # `after` of the next page
    done: bool = False
    trusted: bool = True  # False once a page broke the order the range relies on
    last_seen: datetime | None = None  # last in-order cursor value seen, in or beyond the bounds
    position: datetime | None = None  # every record of the range before it has been emitted (ascending only)
    emitted_max: datetime | None = None
    rate: float = 0.0  # records per second of updatedAt, from its last page: estimates what is left

    def left(self, newest: datetime) -> float:
        """Records estimated still to read, if the range can be split (else 0)."""
        if self.done or not self.trusted or self.order != ORDER_ASC or self.position is None:
            return 0.0
        return self.rate * max(0.0, (min(self.hi, newest + _ONE_MS) - self.position).total_seconds())


def reading_plans(first_sync: bool, filtered: bool) -> list:
    """(order, with the filter) to try in turn, each the fallback when the API refuses the one before."""
    orders = (ORDER_ASC, ORDER_DESC) if first_sync else (ORDER_DESC, ORDER_ASC)
    return [*([(ORDER_ASC, True)] if filtered else []), *((order, False) for order in orders), (ORDER_NONE, False)]


def place(rng: Range, rows: list, cursor: str | None) -> tuple:
    """(the range after this page, the rows it emits, whether the page kept the range's order). A record is emitted
    only inside the bounds, whatever the order; the order decides only whether the chain may stop early."""
    values = [row.at for row in rows if row.at is not None]
    sequence = ([rng.last_seen] if rng.last_seen else []) + values
    pairs = list(zip(sequence, sequence[1:], strict=False))
    in_order = rng.order == ORDER_NONE or all(a <= b if rng.order == ORDER_ASC else a >= b for a, b in pairs)
    trusted, last = rng.trusted and in_order, values[-1] if values else None
    emit = [row for row in rows if row.at is None or rng.lo <= row.at < rng.hi]
    done = cursor is None or (trusted and last is not None and (
        last >= rng.hi if rng.order == ORDER_ASC else rng.order == ORDER_DESC and last < rng.lo))
    kept = [row.at for row in emit if row.at is not None] + ([rng.emitted_max] if rng.emitted_max else [])
    span = (values[-1] - values[0]).total_seconds() if len(values) > 1 else 0.0
    return replace(
        rng, cursor=cursor, done=done, trusted=trusted, emitted_max=max(kept, default=None),
        last_seen=last if in_order and last is not None else rng.last_seen,
        position=(min(last, rng.hi) if last else rng.position) if trusted and rng.order == ORDER_ASC else None,
        rate=len(values) / max(span, 0.001) if len(values) > 1 else rng.rate), emit, in_order


def split(rng: Range, parts: int, newest: datetime, params: Any) -> list:
    """`rng` cut into up to `parts` ranges of equal time over what it has left of the data (up to `newest`): the
    first keeps its chain, each other starts one of its own (`params(lo)`) with `rng`'s density as its estimate."""
    step = (min(rng.hi, newest + _ONE_MS) - rng.position) / parts
    cuts = sorted({cut for i in range(1, parts) if rng.position < (cut := _floor_ms(rng.position + step * i)) < rng.hi})
    return [replace(rng, hi=cuts[0]) if cuts else rng] + [
        Range(lo, hi, ORDER_ASC, params(lo), position=lo, rate=rng.rate)
        for lo, hi in zip(cuts, [*cuts[1:], rng.hi], strict=True)]


def safe_checkpoint(ranges: list) -> datetime | None:
    """The largest value emitted below which every record has been emitted: nothing below the lowest position of
    the ranges still read is unread. None when one of them cannot tell (no order to rely on)."""
    floors = [rng.position for rng in ranges if not rng.done]
    if not floors or None in floors:
        return None
    return max((rng.emitted_max for rng in ranges if rng.emitted_max and rng.emitted_max <= min(floors)), default=None)


class _StatusInRefused(Exception):
    """The API takes one status per request only: the retriever reads once per status."""


@dataclass
class TomorroListRetriever(Retriever):
    """YAML cannot verify the order or the filter an API applied, fall back when a filter is refused, fetch slim
    list items whole, or split a read while it runs. Requests go through the manifest's requesters (auth, error
    handler, API budget) and paginator, records through its record selector, checkpoints through the cursor."""

    requester: Any
    item_requester: Any
    paginator: Any  # the manifest's list paginator: each page request's size and `after`
    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    name: str = ""
    cursor: Any = None
    record_selector: Any = None  # the stream's: its transformations and schema normalization (None: as read)
    items_key: str = ITEM_KEYS_FALLBACK
    cursor_field: str = "updatedAt"
    filter_param: str | None = None  # the server-side lower bound to ask for, when the API may have one
    required_keys: list = field(default_factory=list)  # a list item lacking one of these is fetched whole
    list_filters: Mapping[str, Any] = field(default_factory=dict)  # sent with every list request
    statuses: list = field(default_factory=list)  # every status to read: asked for by name, never left to a default
    workers: int | str = 4

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.page_size = self.paginator.get_page_size()
        self._workers = max(1, int(interpolated(self.workers, self.config)))
        self._noticed: set = set()
        self._one_status_a_read = False  # learnt on the first answer that refuses `status=in:`

    def read_records(self, records_schema: Mapping[str, Any], stream_slice: StreamSlice | None = None) -> Any:
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix=f"tomorro-{self.name}") as pool:
            if self.statuses and not self._one_status_a_read:
                try:
                    yield from _ListRead(self, pool, stream_slice, records_schema, "in:" + ",".join(self.statuses)).run()
                    return
                except _StatusInRefused as refused:
                    self._one_status_a_read = True
                    self.notice("status-in-refused", f"Tomorro refused `status=in:{','.join(self.statuses)}` "
                                f"({refused}) and takes `status={self.statuses[0]}`: reading once per status, the "
                                "state saved when every status is read.", logging.WARNING)
            until = None  # one status after the other: none is read past the instant the first one began
            for status in self.statuses or [None]:
                read = _ListRead(self, pool, stream_slice, records_schema, status, until)
                yield from read.run()
                until = read.until

    def first_sync(self) -> bool:
        """Whether no earlier sync saved a state past `start_date` (the stream's cursor holds it), whatever the
        lookback did to the slice's start."""
        state = getattr(self.cursor, "state", None)
        saved = parse_instant(state.get(self.cursor_field)) if isinstance(state, Mapping) else None
        return saved is None or saved <= (parse_instant(self.config.get("start_date")) or _EPOCH)

    def status_in_refused(self, params: Mapping[str, Any]) -> bool:
        """Whether a refused request was refused for its `status=in:` alone: the same request with one status is
        accepted (one more request, only after a refusal)."""
        if not str(params.get("status", "")).startswith("in:"):
            return False
        response = self.requester.send_request(request_params={**params, "status": self.statuses[0]})
        return bool(response) and response.status_code not in REFUSED_STATUSES

    def notice(self, key: str, message: str, level: int = logging.INFO) -> None:
        """Log `message` once per source instance (a sync); called from the reading thread only."""
        if key not in self._noticed:
            self._noticed.add(key)
            logger.log(level, f"{self.name}: {message}")


class _ListRead:
    """One read of one slice (with one `status`). Its ranges are changed, its records emitted and its checkpoints
    reported by the thread that iterates it; the executor's threads only send requests and queue the answers."""

    def __init__(self, reader: TomorroListRetriever, pool: Any, stream_slice: StreamSlice | None,
                 schema: Mapping[str, Any] | None = None, status: str | None = None, until: datetime | None = None):
        self.r, self.pool, self.schema, self.status, self.first_sync = reader, pool, schema, status, reader.first_sync()
        self.instants = date_time_properties(schema)
        self.slice = stream_slice if stream_slice is not None else StreamSlice(partition={}, cursor_slice={})
        # a checkpoint needs the slice's bounds, and none is reported by one of several reads of a slice (one status)
        self.checkpoints = {SLICE_START, SLICE_END} <= set(self.slice.cursor_slice) and (
            not reader.statuses or status.startswith("in:"))
        self.lo = parse_instant(self.slice.get(SLICE_START)) or parse_instant(reader.config.get("start_date")) or _EPOCH
        self.hi = (parse_instant(self.slice.get(SLICE_END)) or _now()) + SERVER_CLOCK_AHEAD + _ONE_MS
        self.test_read = BuilderTestRead.of(reader.config, reader.name, reader.requester)  # None in a sync
        self.page_log = self.test_read and self.test_read.page_log
        self.ranges: list = []
        self.answers: Any = queue.SimpleQueue()  # (range index, page or error, whether its next page follows)
        self.in_flight = 0  # answers still to come
        self.unplaced: dict = {}  # id -> cursor value, for records that cannot be placed (emitted once)
        self.fetched_whole = self.pages = 0  # pages: list answers (a Builder test read counts each)
        self.checkpointed: datetime | None = None
        self.follow = self.stopped = False  # follow: a range's page request asks for the next page itself
        self.until, self.began = until, None  # until: the end of what this read emits, when it may not go to `hi`

    def run(self) -> Iterator[Any]:
        may_split = bool(self.r.filter_param) and self.r._workers > 1 and self.test_read is None
        # Where the data ends (`sort=-updatedAt&limit=1`), so that splits are laid over data, not over the time
        # after it: asked beside the first page of a first sync, by a later one only when it has a split to make.
        probe = self.pool.submit(self._newest) if may_split and self.first_sync else None
        first, rows, cursor, honoured = self._open()
        if self.until or first.order == ORDER_NONE or (self.r.statuses and not self.status.startswith("in:")):
            # One list per status, or no order: a record changed during the read may be in no list (moved to a
            # status read already) or read before its change, so nothing changed since the read began is emitted.
            # The state stays before that instant, and the next sync, reading from there, brings those records.
            self.until = self.until or self.began
            first = replace(first, hi=min(first.hi, self.until))
            self.r.notice("until", f"records changed after the read began ({format_instant(self.until)}) are left "
                          "to the next sync: with one list per status, or no order, this read could miss them.")
        self.ranges = [first]
        self.follow = may_split = may_split and honoured and first.order == ORDER_ASC and first.trusted
        self.newest = (probe.result() or self.hi) if probe and may_split else None
        yield from self._read_ranges((0, rows, cursor, False), may_split)
        if len(self.ranges) > 1:
            logger.info(f"{self.r.name}: read {len(self.ranges)} ranges of {self.r.cursor_field} side by side.")
        if self.fetched_whole:
            logger.info(f"{self.r.name}: fetched {self.fetched_whole} list items whole (one request each).")
        if self.unplaced:
            example_id, value = next(iter(self.unplaced.items()))
            logger.warning(f"{self.r.name}: {len(self.unplaced)} records have a `{self.r.cursor_field}` that is not "
                           f"a datetime (e.g. id {example_id}: {str(value)[:40]!r}): emitted as they are, but they "
                           "cannot be placed on the cursor.")

    def _open(self) -> tuple:
        """The first page (its range, rows, next cursor, whether the filter is honoured), read with the best plan
        the API honours; the plan is checked on the page itself."""
        plans = reading_plans(self.first_sync, bool(self.r.filter_param))
        for index, (order, filtered) in enumerate(plans):
            rng = Range(self.lo, self.hi, order, self._params(order, self.lo if filtered else None))
            request = self._page_params(rng.params, None)
            response = self.r.requester.send_request(request_params=request, log_formatter=self.page_log)
            if response is not None and response.status_code in REFUSED_STATUSES:
                if index == 0 and self.r.status_in_refused(request):
                    raise _StatusInRefused(refusal_message(response))
                self.r.notice(f"refused-{order}-{filtered}", f"Tomorro refused `{self._describe(rng)}` "
                              f"({refusal_message(response)}); trying the next way to read.", logging.WARNING)
                continue
            items, cursor = self._page(response)
            rows, self.began = self._rows(items), answered_at(response) - CLOCK_MARGIN
            if not place(rng, rows, cursor)[2]:
                self.r.notice("unordered", f"Tomorro ignores `{self._describe(rng)}`: the list is not in that order. "
                              "Reading every page and checking each record (state saved only when the read "
                              "completes).", logging.WARNING)
                rng = replace(rng, order=ORDER_NONE, trusted=False)
            elif filtered and any(row.at and row.at < rng.lo for row in rows):
                self.r.notice("filter-ignored", f"Tomorro ignores `{self.r.filter_param}=gte:`: records before the "
                              "bound came back.", logging.WARNING)
                if not self.first_sync and index + 1 < len(plans):
                    continue  # a later sync would otherwise read from the start: the newest-first feed stops early
                filtered = False  # the chain goes on as it is (its cursor belongs to these params)
            self.r.notice(f"strategy-{rng.order}", f"reading with `{self._describe(rng)}`.")
            return rng, rows, cursor, filtered
        raise unexpected_answer(f"every way to list {self.r.name} was refused")

    def _read_ranges(self, answer: tuple | None, may_split: bool) -> Iterator[Any]:
        """Every range's chain to its end, at most `workers` requests in flight. For each page as it comes: place
        it, ask for what is now missing (an idle range's next page; with a worker free, the range with the most
        records estimated left split, the new ranges' first pages asked at once), and only then emit its records
        and, every few pages or when a range ends, the checkpoint."""
        pages_at_checkpoint = 0
        try:
            while answer is not None:
                index, rows, cursor, follows = answer
                if self.r.filter_param in self.ranges[index].params and any(
                        row.at and row.at < self.ranges[index].lo for row in rows):
                    may_split = False  # the filter no longer holds: more ranges would each read from the start
                page, rng = self._place(index, rows, cursor), self.ranges[index]
                if self.test_read is not None:
                    page, stop = self.test_read.cut(page, self.pages, self.r.cursor_field)
                    if stop:
                        yield from self._records(page)
                        return
                if not rng.done and not follows:
                    self._send(index)
                if may_split and self.in_flight < self.r._workers:
                    self._split(self.r._workers - self.in_flight)
                yield from self._records(page)
                if self.pages - pages_at_checkpoint >= CHECKPOINT_EVERY_PAGES or rng.done:
                    pages_at_checkpoint = self.pages
                    self.report_progress(safe_checkpoint(self.ranges))
                answer = self._next_page()
        finally:
            self.stopped = True  # no request asks for the one after it any more

    def _next_page(self) -> tuple | None:
        """(range index, rows, next cursor, whether its next page is already asked) of the next page to place, as
        the answers come; None once no request is in flight."""
        while self.in_flight:
            index, answer, follows = self.answers.get()
            self.in_flight -= not follows
            if isinstance(answer, BaseException):
                raise answer
            if not self.ranges[index].done:  # else asked ahead, but a split has since ended the range
                return index, self._rows(answer[0]), answer[1], follows
        return None

    def _place(self, index: int, rows: list, cursor: str | None) -> list:
        """Place one page of range `index`: the records it emits (one that cannot be placed: once per read)."""
        rng = self.ranges[index]
        self.ranges[index], emit, in_order = place(rng, rows, cursor)
        if not in_order and rng.trusted:
            self.r.notice("order-broken", f"a page broke the order `{self._describe(rng)}` promised: the rest of "
                          "that range is read to its end and checked record by record.", logging.WARNING)
        kept = []
        for row in emit:
            if row.at is None:
                if row.data["id"] in self.unplaced:
                    continue
                self.unplaced[row.data["id"]] = row.data.get(self.r.cursor_field)
            kept.append(row.data)
        return kept

    def _split(self, free: int) -> None:
        """The range with the most records estimated left cut into `free + 1` parts, or one per page it has left if
        fewer (as many requests as reading it alone, in one round), the new ranges' first pages asked at once."""
        if all(rng.done for rng in self.ranges):
            return
        if self.newest is None:
            self.newest = self._newest() or self.hi
        index = max(range(len(self.ranges)), key=lambda i: self.ranges[i].left(self.newest))
        parts = min(free + 1, math.ceil(self.ranges[index].left(self.newest) / self.r.page_size))
        if parts >= 2:
            pieces = split(self.ranges[index], parts, self.newest, lambda lo: self._params(ORDER_ASC, lo))
            self.ranges[index], *pieces = pieces
            for piece in pieces:
                self.ranges.append(piece)
                self._send(len(self.ranges) - 1)

    def _params(self, order: str, gte: datetime | None) -> dict:
        params: dict = {**self.r.list_filters, **({"status": self.status} if self.status else {})}
        if order != ORDER_NONE:
            params["sort"] = self.r.cursor_field if order == ORDER_ASC else f"-{self.r.cursor_field}"
        if gte is not None:
            params[self.r.filter_param] = f"gte:{format_instant(_floor_ms(gte))}"
        return params

    def _describe(self, rng: Range) -> str:
        # `status` left out: every request of the stream names the same statuses (see read_records)
        return "&".join(f"{key}={value}" for key, value in rng.params.items() if key != "status") or "default order"

    # -- requests ------------------------------------------------------------------------------------------------
    def _send(self, index: int) -> None:
        """Ask for range `index`'s next page; the answer comes on the queue."""
        self.in_flight += 1
        self.pool.submit(self._answer, index, self.ranges[index].params, self.ranges[index].cursor)

    def _answer(self, index: int, params: Mapping[str, Any], cursor: str | None) -> None:
        """(In the executor.) Put the page of range `index` after `cursor` on the queue, or the error. In ranges, it
        asks for the next page at once, unless this one passes the range's end as it now stands (a split may move
        it) or the read stopped."""
        if self.stopped:
            return
        follows = False
        try:
            answer = items, cursor = self._page(self.r.requester.send_request(
                request_params=self._page_params(params, cursor), log_formatter=self.page_log))
            last = parse_instant(items[-1].get(self.r.cursor_field)) if items else None
            follows = self.follow and bool(cursor) and last is not None and last < self.ranges[index].hi
        except BaseException as error:  # every request answers, or the reading thread would wait for it forever
            answer = error
        self.answers.put((index, answer, follows))
        if follows and not self.stopped:
            self.pool.submit(self._answer, index, params, cursor)

    def _page_params(self, params: Mapping[str, Any], cursor: str | None) -> dict:
        token = {"next_page_token": cursor} if cursor else None
        return {**params, **self.r.paginator.get_request_params(next_page_token=token)}

    def _page(self, response: Any) -> tuple:
        """(the items, the next cursor) of a list answer, read once (the rule the manifest's ListCursorPagination
        follows too); an error on any other answer (a refusal after the first page has nothing to fall back to)."""
        if not response:
            status = getattr(response, "status_code", "?")
            said = f": {refusal_message(response)}" if status in REFUSED_STATUSES else ""
            raise unexpected_answer(f"HTTP {status} listing {self.r.name}{said}")
        page = read_list_page(decode_json(response), self.r.items_key, self.r.page_size)
        return page.items, page.next_cursor

    def _newest(self) -> datetime | None:
        """The newest cursor value in the list; None when unknown (it only shapes the splits)."""
        response = self.r.requester.send_request(request_params={**self._params(ORDER_DESC, None), "limit": 1})
        items = read_list_page(decode_json(response), self.r.items_key, None).items if response else []
        return parse_instant(items[0].get(self.r.cursor_field)) if items else None

    def _fetch_one(self, item_id: str) -> dict | None:
        piece = StreamSlice(partition={"item_id": item_id}, cursor_slice={})
        log = self.test_read and self.test_read.item_log
        if not (response := self.r.item_requester.send_request(stream_slice=piece, log_formatter=log)):
            return None  # deleted between the list and its fetch (404): nothing to emit
        if not isinstance(body := decode_json(response), dict) or body.get("id") != item_id:
            raise unexpected_answer(f"GET /{{id}} of a {self.r.name} item did not return that item", body)
        return body

    # -- records -------------------------------------------------------------------------------------------------
    def _rows(self, items: list) -> list:
        """A page's items as rows, slim items fetched whole first (through the executor, at most `workers` at once)."""
        self.pages += 1
        required = self.r.required_keys
        if slim := {i: item["id"] for i, item in enumerate(items) if any(key not in item for key in required)}:
            missing = sorted({key for i in slim for key in required if key not in items[i]})
            self.r.notice("slim", f"this account lists {self.r.name} without {', '.join(missing)}: each such item "
                          "is fetched whole (GET /{id}, one more request per record).", logging.WARNING)
            whole = dict(zip(slim, self.pool.map(self._fetch_one, slim.values()), strict=True))
            self.fetched_whole += len(slim)
            items = [found for i, item in enumerate(items) if (found := whole.get(i, item))]
        rows = []
        for item in items:
            if not item.get("id"):
                raise unexpected_answer(f"a {self.r.name} list item without an id", item)
            raw = item.get(self.r.cursor_field)
            if (at := parse_instant(raw)) is not None and not raw.endswith("Z"):
                item[self.r.cursor_field] = format_instant(at)  # one form, UTC, whatever offset it had
            rows.append(Row(item, at))
        return rows

    def _records(self, data: list) -> list:
        """The emitted form of a page's records: through the stream's record selector, then as UTC instants."""
        if self.r.record_selector is not None and data:
            data = [record.data for record in self.r.record_selector.filter_and_transform(
                data, {}, self.schema or {}, self.slice)]
        for record in data:
            utc_instants(record, self.instants)
        return data

    def report_progress(self, value: datetime | None) -> None:
        """Checkpoint: [slice start, value] is read (called once every record up to `value` was yielded)."""
        if value is not None and self.checkpoints and self.r.cursor is not None and (
                self.checkpointed is None or value > self.checkpointed):
            self.checkpointed = value
            close_read_part(self.r.cursor, self.slice, format_instant(value), self.r.name, self.r.cursor_field)


# =============================================================================================================
# 4. Custom smart fields as typed columns
# =============================================================================================================

# Tomorro field type -> JSON schema of its column. A type missing here gets no typed column (its value stays in
# the raw `fields`) rather than a wrong one.
FIELD_TYPE_SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "text": {"type": ["null", "string"]},
    "number": {"type": ["null", "number"]},
    "date": {"type": ["null", "string"], "format": "date"},
    "select": {"type": ["null", "string"]},
    "multiselect": {"type": ["null", "array"], "items": {"type": "string"}},
    "richtext": {"type": ["null", "array"], "items": {"type": "object", "additionalProperties": True}},
    "duration": {
        "type": ["null", "object"],
        "additionalProperties": True,
        "properties": {"value": {"type": ["null", "number"]}, "unit": {"type": ["null", "string"]}},
    },
}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(name: str, max_length: int = 40) -> str:
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    slug = _NON_ALNUM.sub("_", ascii_name.lower()).strip("_")[:max_length].strip("_")
    return slug or "field"


def _hex_of_id(field_id: Any) -> str:
    return re.sub(r"[^0-9a-f]", "", str(field_id).lower()) or str(field_id)


def custom_field_columns(definitions: list) -> dict:
    """smart field id -> (column name, field type), by the documented rule `cf_<slug(name)>_<first 8 hex digits
    of the id>`: readable, and keyed on the immutable id so that a rename or two fields sharing a name never put
    one field's values in another's column. Should two ids share their first 8 hex digits, those use all 32."""
    hex_ids = {d["id"]: _hex_of_id(d["id"]) for d in definitions}
    prefixes: dict = {}
    for hex_id in hex_ids.values():
        prefixes[hex_id[:8]] = prefixes.get(hex_id[:8], 0) + 1
    columns = {}
    for d in definitions:
        hex_id = hex_ids[d["id"]]
        suffix = hex_id[:8] if prefixes[hex_id[:8]] == 1 else hex_id
        columns[d["id"]] = (f"cf_{slugify(d.get('name', ''))}_{suffix}", d.get("type") or "")
    return columns


def list_smart_fields(stream: Any) -> list:
    """Every smart field of one object kind: the records of the manifest's `smart_fields_of_kind` stream, read
    the way the CDK reads a parent stream (its partitions, then their records)."""
    return [dict(record.data) for partition in stream.generate_partitions() for record in partition.read()
            if isinstance(record, Record) and record.data.get("id")]


@dataclass
class CustomFieldsSchemaLoader(SchemaLoader):
    """YAML cannot turn every page of `/smart-fields` into columns because DynamicSchemaLoader reads only the
    first record of its retriever, and the list holds at most 50 fields a page. One typed column per smart field
    (`custom_field_columns`), merged with the stream's static schema by the manifest's schema-loader list. The
    CDK caches the merged schema for the stream and hands it to the list reader with every partition, so a read
    lists the smart fields once, for the schema it announces and the columns FlattenCustomFields fills."""

    smart_fields: Any  # the `smart_fields_of_kind` stream
    config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._schema: Mapping[str, Any] | None = None
        self._lock = threading.Lock()

    def get_json_schema(self) -> Mapping[str, Any]:
        with self._lock:
            if self._schema is None:
                columns = custom_field_columns(list_smart_fields(self.smart_fields))
                self._schema = {
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "type": "object",
                    "additionalProperties": True,
                    "properties": {column: dict(FIELD_TYPE_SCHEMAS[kind]) for column, kind in columns.values()
                                   if kind in FIELD_TYPE_SCHEMAS},
                }
            return self._schema


JOIN_KEYS = ("counterpartyId", "contractTypeId", "templateId")  # filled when the stream's schema declares them


class _SchemaColumns:
    """What FlattenCustomFields fills for one schema: the custom-field column of each field id (found by the
    naming rule's id suffix among the schema's `cf_` columns, once per id) and the join keys it declares."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        properties = schema.get("properties") or {}
        self.custom = [name for name in properties if name.startswith("cf_")]
        self.joins = tuple(key in properties for key in JOIN_KEYS)
        self.idle = not self.custom and not any(self.joins)
        self.column_of: dict = {}  # field id -> its column, or None when the schema has none for it

    def resolve(self, field_id: Any) -> str | None:
        hex_id = _hex_of_id(field_id)
        for suffix in (hex_id, hex_id[:8]):
            matches = [name for name in self.custom if name.endswith("_" + suffix)]
            if len(matches) == 1:
                self.column_of[field_id] = matches[0]
                return matches[0]
        self.column_of[field_id] = None  # created after the schema was listed: its value stays in `fields`
        return None


@dataclass
class FlattenCustomFields:
    """YAML cannot turn custom-field values into columns because the column names come from another endpoint
    (counterparties key values by smart-field id only), and AddFields would need one template per field.

    A schema normalization, applied by the list reader as the CDK's record selector applies one: each record
    with the stream's schema, the very one the stream announced. In one pass per record, each value of the raw
    `fields` (contracts: a list, counterparties: a map, both kept) is copied to the typed column the schema
    declares for its field, and the join keys the schema declares are filled: `counterpartyId`,
    `contractTypeId` and `templateId` (`templateId`, else `template.id`). No listing of its own, so a record
    never gets a column its schema lacks."""

    config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._schema: Mapping[str, Any] | None = None
        self._columns: _SchemaColumns | None = None
        self._lock = threading.Lock()

    def _columns_for(self, schema: Mapping[str, Any]) -> _SchemaColumns:
        with self._lock:
            if schema is not self._schema:  # the CDK passes its cached schema: the same object every time
                self._columns, self._schema = _SchemaColumns(schema), schema
            return self._columns

    def transform(self, record: MutableMapping[str, Any], schema: Mapping[str, Any]) -> None:
        # Once per record: `dict` checks (decoded JSON is dicts and lists), not the slower ABC `Mapping`.
        plan = self._columns if schema is self._schema else self._columns_for(schema)
        if plan.idle:
            return
        column_of, values = plan.column_of, record.get("fields")
        if isinstance(values, list):  # contracts: [{attributeDefinitionId, name, value}]
            for item in values:
                field_id = item.get("attributeDefinitionId") if isinstance(item, dict) else None
                if isinstance(field_id, str | int):  # an id of another kind names no column (and hashes badly)
                    column = column_of[field_id] if field_id in column_of else plan.resolve(field_id)
                    if column:
                        record[column] = item.get("value")
        elif isinstance(values, dict):  # counterparties: {smartFieldId: value}
            for field_id, value in values.items():
                column = column_of[field_id] if field_id in column_of else plan.resolve(field_id)
                if column:
                    record[column] = value
        counterparty, contract_type, template = plan.joins
        if counterparty:
            record["counterpartyId"] = _nested_id(record.get("counterparty"))
        if contract_type:
            record["contractTypeId"] = _nested_id(record.get("contractType"))
        if template:
            record["templateId"] = record.get("templateId") or _nested_id(record.get("template"))


def _nested_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else None


# =============================================================================================================
# 5. Config and state: what the spec and the cursor cannot check
# =============================================================================================================

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
EARLIEST_START = _EPOCH
SECRET_FIELDS = ("api_key",)


@dataclass
class ConfigFieldValidator(ValidationStrategy):
    """YAML cannot check what a JSON schema cannot say and name the field in the error: `kind: datetime` is an
    ISO-8601 date-time from 1970 to now (a future start would read nothing until then), `kind: https_url` is
    https (http on localhost only) with no credentials, query or fragment in it. Types, bounds and patterns are the
    spec's. A URL is never repeated in the message: it may hold a secret."""

    field: str
    kind: str

    def _fail(self, problem: str) -> None:
        message = f"Invalid config field `{self.field}`: {problem}"
        raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)

    def validate(self, value: Any) -> None:
        if value is None or value == "":
            return  # optional fields; required ones are enforced by the spec
        if self.kind == "datetime":
            self._validate_datetime(value)
        elif self.kind == "https_url":
            self._validate_url(value)
        else:
            raise ValueError(f"unknown validation kind {self.kind!r}")

    def _validate_datetime(self, value: Any) -> None:
        moment = parse_instant(value) if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value) else None
        if moment is None:
            self._fail(f"{str(value)[:40]!r} is not an ISO-8601 date-time (e.g. 2024-01-01T00:00:00Z).")
        if moment < EARLIEST_START:
            self._fail(f"{value} is before {EARLIEST_START.date()}; leave it empty to read everything.")
        if moment > _now():
            self._fail(f"{value} is in the future: nothing would be read until then.")

    def _validate_url(self, value: Any) -> None:
        try:
            parsed = urlparse(str(value).strip())
            hostname = parsed.hostname  # both raise on a malformed host ("http://[x")
        except ValueError:
            parsed, hostname = urlparse(""), None
        if not hostname or parsed.scheme not in ("https", "http"):
            self._fail("is not an absolute http(s) URL (e.g. https://api.tomorro.com/v2).")
        if parsed.username or parsed.password:
            self._fail("must not contain credentials (user:password@); the API key goes in `api_key`.")
        if parsed.query or parsed.fragment or "?" in str(value) or "#" in str(value):
            self._fail("must not contain a query (?...) or a fragment (#...): the API key goes in `api_key`, "
                       "and the connector adds the paths and parameters it needs.")
        if parsed.scheme != "https" and hostname not in LOCAL_HOSTS:
            self._fail("must use https (http is allowed only for localhost / 127.0.0.1).")


@dataclass
class SecretsInConfig(ConfigTransformation):
    """YAML cannot register secrets with the CDK's log masking. The API key is trimmed of the whitespace a paste
    brings (a trailing newline makes the HTTP library quote the key in its error), and every form a library may
    print a secret in is masked: as given, trimmed, escaped as `repr` does, URL-encoded, and any password written
    into `base_url` (which the base_url validator then refuses, without printing it)."""

    config: Mapping[str, Any] = field(default_factory=dict)
    parameters: InitVar[Mapping[str, Any] | None] = None

    def transform(self, config: MutableMapping[str, Any]) -> None:
        secrets = []
        for key in SECRET_FIELDS:
            value = config.get(key)
            if isinstance(value, str):
                config[key] = value.strip()
                secrets += [value, value.strip()]
        base_url = config.get("base_url")
        if isinstance(base_url, str):
            parsed = urlparse(base_url.strip())
            secrets += [part for part in (parsed.password, parsed.netloc.rpartition("@")[0]) if part]
        forms = {form for secret in secrets if secret
                 for form in (secret, repr(secret)[1:-1], quote(secret, safe=""))}
        update_secrets(sorted(form for form in forms if len(form) >= 4))


@dataclass
class SanitizeState(StateMigration):
    """YAML cannot check an incoming cursor value because DatetimeBasedCursor trusts the state as given. A value
    that is not a datetime (`"garbage"`, `123`, null) is dropped with a warning: the stream is read again from
    `start_date` (duplicates, never a gap). A value with an offset is rewritten in UTC. A value in the future
    (hand-edited, or written on a skewed clock) would hide every change until then: it becomes the sync start."""

    cursor_field: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        if not isinstance(stream_state, Mapping) or self.cursor_field not in stream_state:
            return False  # no state, or the CDK's own concurrent format (slices)
        value = stream_state[self.cursor_field]
        moment = parse_instant(value)
        return moment is None or moment > _now() or value != format_instant(moment)

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        value = stream_state[self.cursor_field]
        moment = parse_instant(value)
        if moment is None:
            logger.warning(f"The saved state's `{self.cursor_field}` is {str(value)[:40]!r}, not a datetime: it is "
                           "ignored and the stream is read from `start_date` (records already synced come again).")
            return {}
        return {**stream_state, self.cursor_field: format_instant(min(moment, _now()))}


def close_read_part(cursor: Any, stream_slice: StreamSlice, value: str, stream_name: str, cursor_field: str) -> None:
    """YAML cannot checkpoint inside a slice: the CDK closes a partition only when its read ends. This tells the
    stream's cursor that [slice start, value] is read, by the two calls the CDK makes per partition (`observe`,
    `close_partition`): the cursor merges that part into its state, emits it, and keeps it should the read fail."""
    piece = StreamSlice(partition=stream_slice.partition,
                        cursor_slice={SLICE_START: stream_slice[SLICE_START], SLICE_END: value})
    cursor.observe(Record(data={cursor_field: value}, stream_name=stream_name, associated_slice=piece))
    cursor.close_partition(_ReadPart(stream_name, piece))


@dataclass(frozen=True)
class _ReadPart(Partition):
    """The part of a slice a read has completed, as the cursor's `close_partition` takes it."""

    name: str
    piece: StreamSlice

    def read(self) -> Iterable[Record]:
        return iter(())

    def to_slice(self) -> Mapping[str, Any] | None:
        return self.piece

    def stream_name(self) -> str:
        return self.name


# =============================================================================================================
# 6. Process tuning that depends on CDK internals. Measured on airbyte-cdk 7.39.1; unit_tests/test_process_tuning.py
#    pins both assumptions to that version (the attribute read, and that the CDK still bounds its queue at 10,000).
# =============================================================================================================

# glibc's `mallopt` parameter for the size from which an allocation gets its own mapping.
M_MMAP_THRESHOLD = -3
PAGE_BUFFER_MMAP_THRESHOLD = 64 * 1024


def keep_page_buffers_out_of_the_heap() -> bool:
    """YAML cannot tune the allocator. glibc raises its mmap threshold to the size of the first large buffer freed
    (a ~135 KB page body), after which page bodies come from the worker threads' heaps and leave holes between
    longer-lived records: RSS crept +28 MB from 50,000 to 200,000 contracts. A fixed 64 KiB threshold maps each
    page body on its own and unmaps it when freed (80,000 contracts: peak 119 MB and flat, instead of 142 MB and
    climbing; same CPU). A no-op where the C library has no `mallopt` (macOS, musl). Returns whether it applied."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    return mallopt(M_MMAP_THRESHOLD, PAGE_BUFFER_MMAP_THRESHOLD) == 1


keep_page_buffers_out_of_the_heap()  # on import: the CDK imports this module before it reads anything

# Records that may wait for the writer thread: ~11 MB of contracts (with 8 smart fields), and still 0.2 s of work
# for a writer at 5,000 records/s, so waiting here never leaves it idle (BENCHMARKS.md, f).
WRITER_BACKLOG_LIMIT = 1_000


@dataclass
class WaitForWriter(RecordTransformation):
    """YAML cannot bound the records a sync holds: the CDK queues up to 10,000 of them between its workers and the
    one thread that writes them (a constant in CDK 7.39), ~110 MB of contracts whenever the destination, or the
    writer itself, is slower than the API. Leaves each record as is, but holds the thread that produced it while
    more than WRITER_BACKLOG_LIMIT records wait to be written."""

    requester: Any

    def __post_init__(self) -> None:
        # PRIVATE CDK ATTRIBUTE (7.39.1): every requester gets the repository that feeds the writer's queue
        # (`_queue`), a `queue.Queue` whose items are in the deque `.queue`; its length needs no lock, where
        # `qsize()`'s lock, taken for every record, contended with the writer (9 % of the workers' samples under
        # py-spy). On a CDK without them only the CDK's own bound is left.
        self._waiting = getattr(getattr(self.requester.message_repository, "_queue", None), "queue", None)

    def transform(self, record: MutableMapping[str, Any], config: Any = None, stream_state: Any = None,
                  stream_slice: Any = None) -> None:
        waiting, writer = self._waiting, threading.main_thread()
        if waiting is None or threading.current_thread() is writer:
            return  # the writer (`check`, a synchronous read) must never wait for itself
        # Stops waiting once the writer has exited: a worker left behind must not hold up interpreter exit.
        while len(waiting) > WRITER_BACKLOG_LIMIT and writer.is_alive():
            time.sleep(0.02)


# =============================================================================================================
# 7. Connector Builder test reads: what the CDK gives its own retrievers there and not a custom one
# =============================================================================================================
BUILDER_TEST_READ = "test_read"  # `__command` of a Builder test read (airbyte_cdk/connector_builder/README.md)


class BuilderTestRead:
    """One read of a stream in a Builder test read. The CDK's factory hands its own retrievers a log formatter
    (each request shown as the Builder groups them) and a paginator that ends at `max_pages_per_slice`;
    `max_records` it leaves to the retriever. Here: the formatters, the cut at either limit (before the next
    request), and a line in the Builder's log saying what was left unread."""

    def __init__(self, limits: Any, name: str, requester: Any):
        self.limits, self.name, self.requester, self.emitted = limits, name, requester, 0

    @classmethod
    def of(cls, config: Mapping[str, Any], name: str, requester: Any) -> "BuilderTestRead | None":
        """The test read `config` asks for (its limits by the CDK's `get_limits`, with its defaults), else None."""
        if config.get("__command") != BUILDER_TEST_READ:
            return None
        from airbyte_cdk.connector_builder.connector_builder_handler import (
            get_limits,  # a sync never needs it
        )

        return cls(get_limits(config), name, requester)

    def page_log(self, response: Any) -> Any:
        return format_http_message(response, f"Stream '{self.name}' request",
                                   f"Request performed in order to extract records for stream '{self.name}'", self.name)

    def item_log(self, response: Any) -> Any:
        return format_http_message(response, f"Stream '{self.name}' item request",
                                   "A list item lacking fields the stream needs, fetched whole", self.name,
                                   is_auxiliary=True)

    def cut(self, page: list, pages: int, cursor_field: str) -> tuple:
        """The page cut to the limits, and whether the read stops after it (`pages`: list requests so far)."""
        kept = page[:max(0, self.limits.max_records - self.emitted)]
        self.emitted += len(kept)
        if self.emitted >= self.limits.max_records:
            cut = f"max_records={self.limits.max_records}"
        elif pages >= self.limits.max_pages_per_slice:
            cut = f"max_pages_per_slice={self.limits.max_pages_per_slice}"
        else:
            return kept, False
        dropped = len(page) - len(kept)
        left = f"{dropped} records of the last page and the pages after it" if dropped else "the pages after it"
        self.log(f"Connector Builder test read stopped at its limit {cut}: {self.emitted} records from {pages} list "
                 f"requests in one range of {cursor_field}; {left} are not read (a sync reads them all).")
        return kept, True

    def log(self, message: str) -> None:
        """A line of the Builder's log: its test read shows the source's message repository (the requester's)."""
        text = f"{self.name}: {message}"
        logger.info(text)
        if (repository := getattr(self.requester, "message_repository", None)) is not None:
            repository.emit_message(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(
                level=Level.INFO, message=filter_secrets(text))))
