"""Typed configuration. The connector's `spec` is generated from `DestinationTomorroConfig`.

There is no hand-written spec.json: `connection_specification()` turns the pydantic model into the
JSON schema Airbyte's form renders, so the spec and the validation can never drift apart. Every
property has a title, a description, an `order` and a `group`; numbers have bounds; the stream
mapping is an array of `{stream, object, match_key, ...}` objects the form can edit (with each
stream's field behaviours, its row last-modified column and its empty-values rule). The former
free-form `object_mapping` dict is still accepted and translated, but left out of the spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlparse

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from .masking import register_secrets
from .stream_mapping import OBJECT_ALIASES, StreamMapping, TomorroObject

DEFAULT_BASE_URL = "https://api.tomorro.com/v2"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
GROUPS = [
    {"id": "connection", "title": "Connection"},
    {"id": "objects", "title": "Streams and objects"},
    {"id": "rows", "title": "Rejected rows and dry run"},
    {"id": "performance", "title": "Performance"},
]


def _ui(order: int, group: str, **extra: Any) -> dict[str, Any]:
    return {"order": order, "group": group, **extra}


class DestinationTomorroConfig(BaseModel):
    """Configuration of destination-tomorro (see README.md, "Configuration")."""

    model_config = ConfigDict(extra="forbid", title="Tomorro Destination Spec")

    api_key: str = Field(
        ..., title="API key", min_length=1,
        description="Tomorro API key (Settings > Integrations > API key in the Tomorro app), sent as the "
                    "x-api-key header. Surrounding spaces and line breaks are ignored.",
        json_schema_extra=_ui(0, "connection", airbyte_secret=True))
    base_url: str = Field(
        DEFAULT_BASE_URL, title="API base URL",
        description="Tomorro API base URL. Must be https, except for localhost / 127.0.0.1 (a local sandbox).",
        json_schema_extra=_ui(1, "connection", examples=[DEFAULT_BASE_URL, "https://api.demo.tomorro.com/v2"]))
    streams: list[StreamMapping] = Field(
        default_factory=list, title="Stream mapping",
        description="Which Tomorro object each stream writes to, and the column its rows are matched on. "
                    "Not needed for streams named counterparties / contracts, or when the connection's "
                    "mapping step sets the object.",
        json_schema_extra=_ui(2, "objects"))
    # the former free-form mapping, e.g. {"crm_accounts": "counterparty"}: still read and translated into
    # `streams`, but not in the spec (a free-form object renders as an empty group in the form)
    object_mapping: SkipJsonSchema[dict[str, TomorroObject]] = Field(default_factory=dict)
    default_template: str | None = Field(
        None, title="Default template",
        description="Template (id or name) of contract rows without a template column.",
        json_schema_extra=_ui(3, "objects"))
    default_contract_type: str | None = Field(
        None, title="Default contract type",
        description="Contract type (id or name) of contract rows without a contract_type column.",
        json_schema_extra=_ui(5, "objects"))
    integration_type: Literal["salesforce", "hubspot"] | None = Field(
        None, title="CRM integration type",
        description="The CRM the rows come from: sent as integration.type with each contract's external id. "
                    "Needed to link contracts to the CRM (and so to match them).",
        json_schema_extra=_ui(6, "objects"))
    integration_entity: str | None = Field(
        None, title="CRM entity",
        description="The CRM object the contract rows come from (e.g. Opportunity, deal): sent as "
                    "integration.externalEntity.",
        json_schema_extra=_ui(7, "objects"))
    counterparty_match_field: str = Field(
        "name", title="Counterparty matching field", min_length=1,
        description="How counterparties are matched when a stream sets no matching column: 'name' "
                    "(compared case-insensitively, accents and spaces normalised) or a counterparty smart "
                    "field (id or name).",
        json_schema_extra=_ui(8, "objects"))
    dry_run: bool = Field(
        False, title="Dry run",
        description="Classify every row (created / updated / unchanged / rejected) and write nothing.",
        json_schema_extra=_ui(9, "rows"))
    max_rejected_ratio: float = Field(
        0.0, ge=0.0, le=1.0, title="Maximum rejected ratio",
        description="The sync fails, and the state after the rejected rows is not saved (so they are sent "
                    "again next time), when more than this fraction of the rows so far was rejected. "
                    "0: any rejected row fails the sync.",
        json_schema_extra=_ui(10, "rows"))
    rejected_rows_path: str | None = Field(
        None, title="Rejected rows file",
        description="Local path of a JSON-lines file receiving every rejected row with its key and reason "
                    "(for runs from a shell: in Airbyte the job log lists every rejected row).",
        json_schema_extra=_ui(11, "rows"))
    max_concurrency: int = Field(
        4, ge=1, le=16, title="Maximum concurrent requests",
        description="Rows written in parallel within a batch (1-16).",
        json_schema_extra=_ui(12, "performance"))
    requests_per_minute: int = Field(
        600, ge=1, le=6000, title="Request budget per minute",
        description="Client-side budget of API requests per minute (1-6000), shared by all workers.",
        json_schema_extra=_ui(13, "performance"))
    batch_size: int = Field(
        200, ge=1, le=10000, title="Batch size",
        description="Rows buffered per stream before they are written (1-10000); a state message also flushes. "
                    "Every flush writes counterparty rows before contract rows.",
        json_schema_extra=_ui(14, "performance"))
    request_timeout_seconds: float = Field(
        30.0, ge=1, le=300, title="Request timeout (seconds)",
        description="Timeout of one HTTP request (1-300).",
        json_schema_extra=_ui(15, "performance"))
    max_retries: int = Field(
        5, ge=0, le=10, title="Maximum retries",
        description="Retries of a request answered 5xx or that lost its connection (0-10; 429s are retried "
                    "at least 20 times).",
        json_schema_extra=_ui(16, "performance"))

    @field_validator("api_key")
    @classmethod
    def _check_api_key(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if any(ch.isspace() or not ch.isprintable() or not ch.isascii() for ch in value):
            # never quote the value: it is the secret
            raise ValueError("contains a space, a line break, a control or a non-ASCII character (check the pasted key)")
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        # never quote the value: a URL may hold credentials or a token
        value = value.strip().rstrip("/")
        try:
            parsed = urlparse(value)
            hostname = parsed.hostname  # both raise on a malformed host ("http://[x")
        except ValueError:
            parsed, hostname = urlparse(""), None
        if parsed.scheme not in ("http", "https") or not hostname:
            raise ValueError("is not an absolute http(s) URL (e.g. https://api.tomorro.com/v2)")
        if parsed.username or parsed.password:
            raise ValueError("must not hold credentials (user:password@); the API key is its own setting")
        if parsed.query or parsed.fragment or "?" in value or "#" in value:
            raise ValueError("must not hold a query (?...) or a fragment (#...); the API key is its own setting")
        if parsed.scheme != "https" and hostname not in LOCAL_HOSTS:
            raise ValueError("must use https (plain http is only allowed for localhost / 127.0.0.1)")
        return value

    @field_validator("object_mapping", mode="before")
    @classmethod
    def _normalise_mapping(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: OBJECT_ALIASES.get(str(v).strip().lower(), str(v).strip().lower()) for k, v in value.items()}
        return value

    @field_validator("default_template", "default_contract_type", "integration_entity", "rejected_rows_path")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _one_mapping(self) -> DestinationTomorroConfig:
        """`object_mapping` entries become `streams` entries; a stream listed twice is refused."""
        names = [entry.stream for entry in self.streams]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"streams: {', '.join(twice)} listed more than once")
        for stream, obj in self.object_mapping.items():
            listed = next((e for e in self.streams if e.stream == stream), None)
            if listed is None:
                self.streams.append(StreamMapping(stream=stream, object=obj))
            elif listed.object != obj:
                raise ValueError(f"object_mapping: stream '{stream}' is mapped to {obj} there and to "
                                 f"{listed.object} in streams")
        return self

    def stream_mapping(self, stream: str) -> StreamMapping | None:
        return next((entry for entry in self.streams if entry.stream == stream), None)

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> DestinationTomorroConfig:
        """Validate a raw config; a bad one raises a config_error naming every offending field."""
        register_secrets(config)  # before anything could print the key
        try:
            return cls.model_validate(dict(config))
        except ValidationError as exc:
            problems = []
            for err in exc.errors(include_input=False):
                field = ".".join(str(p) for p in err["loc"]) or "config"
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "extra_forbidden":
                    msg = "unknown configuration key"
                problems.append(f"{field}: {msg}" if err["loc"] else msg)
            message = "Invalid configuration: " + "; ".join(problems)
            raise AirbyteTracedException(
                message=message, internal_message=message, failure_type=FailureType.config_error
            ) from None


def _simplify(schema: Any) -> Any:
    """Drop pydantic's `anyOf [X, null]` for optional fields: Airbyte's form wants a plain type."""
    if isinstance(schema, dict):
        if "anyOf" in schema:
            options = [o for o in schema["anyOf"] if o.get("type") != "null"]
            if len(options) == 1:
                rest = {k: v for k, v in schema.items() if k != "anyOf"}
                return _simplify({**options[0], **rest})
        return {k: _simplify(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_simplify(v) for v in schema]
    return schema


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace `$ref`s to `$defs` by the definitions themselves (the form does not follow refs)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = defs[node["$ref"].rsplit("/", 1)[-1]]
                return walk({**target, **{k: v for k, v in node.items() if k != "$ref"}})
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def connection_specification() -> dict[str, Any]:
    schema = _simplify(_inline(DestinationTomorroConfig.model_json_schema()))
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["groups"] = GROUPS
    # keys outside the spec (the former `object_mapping`) must pass a platform's schema check: the
    # connector itself refuses unknown keys by name (DestinationTomorroConfig.parse)
    schema["additionalProperties"] = True
    for prop in schema["properties"].values():
        if prop.get("default", "x") is None:
            prop.pop("default")
    for prop in schema["properties"]["streams"]["items"]["properties"].values():
        if prop.get("default", "x") is None:
            prop.pop("default")
    return schema
