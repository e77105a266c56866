"""Custom components of source-tomorro: only what the declarative manifest cannot express.

No `from __future__ import annotations` here: the standard tests exec this file as a module that is
not in sys.modules, and dataclasses cannot resolve string annotations there.
"""

import ctypes
import datetime as datetime_module
import re
import threading
import time
import unicodedata
from collections.abc import Mapping, MutableMapping
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import orjson
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.decoders.decoder import Decoder
from airbyte_cdk.sources.declarative.decoders.json_decoder import JsonDecoder
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.schema.schema_loader import SchemaLoader
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.utils.datetime_helpers import ab_datetime_parse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

# --- custom smart fields ---------------------------------------------------------------------------

SMART_FIELDS_PAGE_SIZE = 50
# Tomorro field type -> JSON schema of its column. Every type the API can return is listed; a type
# missing here gets no typed column (its value stays in the raw `fields`) rather than a wrong one.
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


def custom_field_columns(definitions: list[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """smart field id -> (column name, field type), by the documented rule
    `cf_<slug(name)>_<first 8 hex digits of the id>`: readable, and keyed on the immutable id so a rename
    or two fields sharing a name never put one field's values in another field's column. Should two ids
    share their first 8 hex digits, those fields use all 32."""
    hex_ids = {d["id"]: re.sub(r"[^0-9a-f]", "", str(d["id"]).lower()) or str(d["id"]) for d in definitions}
    prefixes: dict[str, int] = {}
    for hex_id in hex_ids.values():
        prefixes[hex_id[:8]] = prefixes.get(hex_id[:8], 0) + 1
    columns = {}
    for d in definitions:
        hex_id = hex_ids[d["id"]]
        suffix = hex_id[:8] if prefixes[hex_id[:8]] == 1 else hex_id
        columns[d["id"]] = (f"cf_{slugify(d.get('name', ''))}_{suffix}", d.get("type") or "")
    return columns


def fetch_smart_fields(requester: HttpRequester, object_kind: str) -> list[Mapping[str, Any]]:
    """Every smart field of one object kind, following `pagination.next_cursor` to the last page."""
    definitions: list[Mapping[str, Any]] = []
    params: dict[str, Any] = {"object": object_kind, "limit": SMART_FIELDS_PAGE_SIZE}
    while True:
        response = requester.send_request(request_params=params)
        if response is None:  # the error handler chose IGNORE
            return definitions
        body = response.json()
        definitions.extend(d for d in body.get("data") or [] if isinstance(d, Mapping) and d.get("id"))
        pagination = body.get("pagination") or {}
        if not pagination.get("has_next") or not pagination.get("next_cursor"):
            return definitions
        params = {**params, "after": pagination["next_cursor"]}


_SHARED_LOCK = threading.Lock()
_SHARED_DEFINITIONS: dict[tuple[int, str], tuple[Any, list[Mapping[str, Any]]]] = {}


def shared_smart_fields(requester: HttpRequester, object_kind: str, config: Any) -> list[Mapping[str, Any]]:
    """`fetch_smart_fields`, once per source: the schema loader and the transformation of a stream are
    separate component instances built with the same config object, so the list fetched by the first is
    reused by the second (keyed on that object's identity; the entry holds the object, so its id cannot be
    reused while cached). A different source (config object) fetches its own."""
    key = (id(config), object_kind)
    with _SHARED_LOCK:
        hit = _SHARED_DEFINITIONS.get(key)
        if hit is not None and hit[0] is config:
            return hit[1]
    definitions = fetch_smart_fields(requester, object_kind)
    with _SHARED_LOCK:
        while len(_SHARED_DEFINITIONS) >= 16:
            _SHARED_DEFINITIONS.pop(next(iter(_SHARED_DEFINITIONS)))
        _SHARED_DEFINITIONS[key] = (config, definitions)
    return definitions


@dataclass
class CustomFieldsSchemaLoader(SchemaLoader):
    """YAML cannot page the smart-field list into one schema because DynamicSchemaLoader reads only the
    first record of the first page (`next(read_records())`), and `/smart-fields` returns at most 50 per page.

    Returns one typed column per smart field of `object_kind` (see `custom_field_columns`); it is merged
    with the stream's static schema by the manifest's schema-loader list."""

    requester: HttpRequester
    object_kind: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._schema: Mapping[str, Any] | None = None
        self._lock = threading.Lock()

    def get_json_schema(self) -> Mapping[str, Any]:
        with self._lock:
            if self._schema is None:
                columns = custom_field_columns(shared_smart_fields(self.requester, self.object_kind, self.config))
                self._schema = {
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "type": "object",
                    "additionalProperties": True,
                    "properties": {
                        column: dict(FIELD_TYPE_SCHEMAS[field_type])
                        for column, field_type in columns.values()
                        if field_type in FIELD_TYPE_SCHEMAS
                    },
                }
            return self._schema


@dataclass
class FlattenCustomFields(RecordTransformation):
    """YAML cannot turn custom-field values into columns because the column names come from another
    endpoint (counterparty records key values by smart-field id only), and AddFields would need one
    template per field, evaluated per record.

    In one pass per record: each value of the raw `fields` (contract list or counterparty map, kept as
    is) is copied to its typed column, and contracts get the join keys `counterpartyId`,
    `contractTypeId` and `templateId` (`templateId`, else `template.id`). The definitions are fetched
    once per sync, on the first record."""

    requester: HttpRequester
    object_kind: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._columns: dict[str, str] | None = None
        self._lock = threading.Lock()

    def _load_columns(self) -> dict[str, str]:
        with self._lock:
            if self._columns is None:
                columns = custom_field_columns(shared_smart_fields(self.requester, self.object_kind, self.config))
                self._columns = {
                    field_id: column
                    for field_id, (column, field_type) in columns.items()
                    if field_type in FIELD_TYPE_SCHEMAS
                }
            return self._columns

    def transform(self, record: MutableMapping[str, Any], config: Any = None, stream_state: Any = None,
                  stream_slice: Any = None) -> None:
        # Runs once per record: `dict` checks (decoded JSON is dicts and lists), not the slower ABC `Mapping`.
        columns = self._columns if self._columns is not None else self._load_columns()
        values = record.get("fields")
        if isinstance(values, list):  # contracts: [{attributeDefinitionId, name, value}]
            for item in values:
                column = columns.get(item.get("attributeDefinitionId")) if isinstance(item, dict) else None
                if column:
                    record[column] = item.get("value")
        elif isinstance(values, dict):  # counterparties: {smartFieldId: value}
            for field_id, value in values.items():
                column = columns.get(field_id)
                if column:
                    record[column] = value
        if self.object_kind == "contract":
            record["counterpartyId"] = _nested_id(record.get("counterparty"))
            record["contractTypeId"] = _nested_id(record.get("contractType"))
            record["templateId"] = record.get("templateId") or _nested_id(record.get("template"))


def _nested_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else None


# --- record extraction -----------------------------------------------------------------------------


_NOT_DECODED = object()


@dataclass
class OnceJsonDecoder(JsonDecoder):
    """YAML cannot share one parse of a page between the record selector and the paginator because each
    calls `decoder.decode(response)` and JsonDecoder parses the body again on every call (the second full
    parse of each page was ~5 % of a sync's CPU under py-spy).

    Parses a body once (orjson) and keeps the result on the response; otherwise as JsonDecoder: a list
    yields its items, anything else one value, a body that is not JSON yields {} (the error handler has
    already retried such bodies, see `response_filters.not_json`). A JsonDecoder subclass because the CDK
    accepts only JSON decoders in paginators."""

    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)

    def decode(self, response: Any) -> Any:
        body = getattr(response, "_tomorro_body", _NOT_DECODED)
        if body is _NOT_DECODED:
            try:
                body = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                body = {}
            response._tomorro_body = body
        if isinstance(body, list):
            yield from body or [{}]
        else:
            yield body


@dataclass
class EnvelopeExtractor(RecordExtractor):
    """YAML cannot take the records list out of a response envelope cheaply because DpathExtractor calls
    `dpath.get`, which (dpath 2) folds over EVERY node of the response to match the path: every nested
    key of every record, the connector's largest per-record CPU cost (about 5 ms per 50-contract page).

    `field_path`: keys (templates allowed, evaluated once) leading to the records list; a missing key
    yields nothing, a single object yields one record, as DpathExtractor does."""

    field_path: list[str]
    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    decoder: Decoder | None = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._keys = [InterpolatedString.create(key, parameters=parameters or {}).eval(self.config)
                      for key in self.field_path]

    def _bodies(self, response: Any) -> Any:
        if self.decoder is not None:
            yield from self.decoder.decode(response)
        else:
            yield response.json()

    def extract_records(self, response: Any) -> Any:
        for body in self._bodies(response):
            extracted = body
            for key in self._keys:
                extracted = extracted.get(key) if isinstance(extracted, Mapping) else None
                if extracted is None:
                    break
            if isinstance(extracted, list):
                yield from extracted
            elif extracted:
                yield extracted


# --- memory --------------------------------------------------------------------------------------

# glibc's `mallopt` parameter for the size from which an allocation gets its own mapping.
M_MMAP_THRESHOLD = -3
PAGE_BUFFER_MMAP_THRESHOLD = 64 * 1024


def keep_page_buffers_out_of_the_heap() -> bool:
    """YAML cannot tune the allocator. glibc raises its mmap threshold to the size of the first large
    buffer freed (a ~135 KB page body), after which page bodies come from the worker threads' heaps and
    leave holes between longer-lived records: RSS crept +28 MB from 50,000 to 200,000 contracts. A fixed
    64 KiB threshold maps each page body on its own and unmaps it when freed (measured on 80,000
    contracts: peak 119 MB, flat after the first seconds, instead of 142 MB and climbing; same CPU).
    A no-op where the C library has no `mallopt` (macOS, musl). Returns whether it applied."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    return mallopt(M_MMAP_THRESHOLD, PAGE_BUFFER_MMAP_THRESHOLD) == 1


keep_page_buffers_out_of_the_heap()  # on import: the CDK imports this module before it reads anything

# Records that may wait for the writer thread: ~11 MB of contracts (with 8 smart fields), and still
# 0.2 s of work for a writer at 5,000 records/s, so waiting here never leaves it idle (BENCHMARKS.md, f).
WRITER_BACKLOG_LIMIT = 1_000


@dataclass
class WaitForWriter(RecordTransformation):
    """YAML cannot bound the records a sync holds: the CDK queues up to 10,000 of them between its workers
    and the one thread that writes them (a constant in CDK 7.39), ~110 MB of contracts whenever the
    destination, or the writer itself, is slower than the API. Leaves each record as is, but holds the
    worker that produced it while more than WRITER_BACKLOG_LIMIT records wait to be written."""

    requester: HttpRequester

    def __post_init__(self) -> None:
        # Every requester gets the repository that feeds the writer's queue (`_queue`, private), a
        # `queue.Queue` whose items are in the deque `.queue`: its length needs no lock, where `qsize()`'s
        # lock, taken for every record, was contended with the writer's (9 % of the workers' samples under
        # py-spy). On a CDK without them only the CDK's own bound is left (a unit test pins them).
        self._waiting = getattr(getattr(self.requester.message_repository, "_queue", None), "queue", None)

    def transform(self, record: MutableMapping[str, Any], config: Any = None, stream_state: Any = None,
                  stream_slice: Any = None) -> None:
        waiting, writer = self._waiting, threading.main_thread()
        if waiting is None or threading.current_thread() is writer:
            return  # the writer (`check`, a synchronous read) must never wait for itself
        # Stops waiting once the writer has exited: a worker left behind must not hold up interpreter exit.
        while len(waiting) > WRITER_BACKLOG_LIMIT and writer.is_alive():
            time.sleep(0.02)


# --- incremental state -----------------------------------------------------------------------------


def _now() -> datetime:
    """The current time, looked up on the `datetime` module at each call (not a class bound at import):
    a test that freezes time and first imports this module during the freeze would otherwise leave a
    stale fake clock behind for every later test in the process."""
    return datetime_module.datetime.now(UTC)


def format_state_datetime(value: datetime) -> str:
    """The manifest's state format, `%Y-%m-%dT%H:%M:%S.%_msZ`, in UTC."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class ClampFutureState(StateMigration):
    """YAML cannot clamp an incoming cursor to the sync start because DatetimeBasedCursor trusts the state
    as given: a state in the future (hand-edited, or written on a skewed clock) would make every sync
    read nothing until that instant. Such a state is replaced by the sync start time."""

    cursor_field: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def _cursor(self, stream_state: Mapping[str, Any]) -> datetime | None:
        value = stream_state.get(self.cursor_field) if isinstance(stream_state, Mapping) else None
        if not isinstance(value, str):
            return None
        try:
            return ab_datetime_parse(value)
        except ValueError:
            return None

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        cursor = self._cursor(stream_state)
        return cursor is not None and cursor > _now()

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**stream_state, self.cursor_field: format_state_datetime(_now())}


def _is_canonical_timestamp(value: str) -> bool:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`: such strings sort as the instants they name."""
    return len(value) == 24 and value[19] == "." and value[23] == "Z" and value[10] == "T"


@dataclass
class WindowEndFilter(RecordFilter):
    """YAML cannot drop the records past a backfill window's end without per-record templates because
    RecordFilter's `condition` is a Jinja expression evaluated once per record, and the API has no upper
    bound on `updatedAt` (one operator per filter parameter).

    A backfill window `[start_time, end_time]` is read as `sort=updatedAt&updatedAt=gte:<start_time>`; its
    last page runs past `end_time` (the paginator's stop condition ends the chain there). This drops the
    records whose `cursor_field` is after the slice's `end_time`, so each record is emitted by exactly one
    window and nothing after the sync start reaches the state. The end is parsed once per page; canonical
    `...mmmZ` timestamps are compared as strings (same order as instants), others are parsed. A record
    without a parsable cursor value is kept (the CDK's cursors do the same)."""

    cursor_field: str = "updatedAt"
    end_key: str = "end_time"

    def filter_records(self, records: Any, stream_state: Any, stream_slice: Any = None,
                       next_page_token: Any = None) -> Any:
        end_value = stream_slice.get(self.end_key) if stream_slice else None
        if not end_value:
            yield from records
            return
        end = ab_datetime_parse(end_value)
        end_text = format_state_datetime(end)
        key = self.cursor_field
        for record in records:
            value = record.get(key)
            if not isinstance(value, str):
                yield record
            elif _is_canonical_timestamp(value):
                if value <= end_text:
                    yield record
            else:
                try:
                    keep = ab_datetime_parse(value) <= end
                except (ValueError, TypeError):
                    keep = True
                if keep:
                    yield record


# --- config validation -----------------------------------------------------------------------------

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass
class ConfigFieldValidator(ValidationStrategy):
    """YAML cannot name the offending field in a config error because ValidateAdheresToSchema and the
    CDK's spec check report only the JSON-schema message ("99 is greater than the maximum of 50").

    `kind`: `datetime` (ISO-8601 date or datetime), `https_url` (https, or http on localhost), or
    `integer` within [minimum, maximum]. Raises a config error that starts with the field name."""

    field: str
    kind: str
    minimum: int | None = None
    maximum: int | None = None

    def _fail(self, problem: str) -> None:
        message = f"Invalid config field `{self.field}`: {problem}"
        raise AirbyteTracedException(message=message, internal_message=message,
                                     failure_type=FailureType.config_error)

    def validate(self, value: Any) -> None:
        if value is None or value == "":
            return  # optional fields; required ones are enforced by the spec
        if self.kind == "datetime":
            if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$", value):
                self._fail(f"{value!r} is not an ISO-8601 date or datetime (e.g. 2024-01-01T00:00:00Z).")
            try:
                ab_datetime_parse(value)
            except (ValueError, TypeError):
                self._fail(f"{value!r} is not an ISO-8601 date or datetime (e.g. 2024-01-01T00:00:00Z).")
        elif self.kind == "https_url":
            parsed = urlparse(str(value))
            if not parsed.hostname or parsed.scheme not in ("https", "http"):
                self._fail(f"{value!r} is not an absolute URL.")
            if parsed.scheme != "https" and parsed.hostname not in LOCAL_HOSTS:
                self._fail(f"{value!r} must use https (http is allowed only for localhost / 127.0.0.1).")
        elif self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                self._fail(f"{value!r} is not an integer.")
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                self._fail(f"{value} is outside the allowed range {self.minimum}..{self.maximum}.")
        else:
            raise ValueError(f"unknown validation kind {self.kind!r}")
