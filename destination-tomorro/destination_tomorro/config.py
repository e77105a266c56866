"""Typed configuration. The connector's `spec` is generated from `DestinationTomorroConfig`.

There is no hand-written spec.json: `connection_specification()` turns the pydantic model into the
JSON schema Airbyte shows in its UI, so the spec and the validation can never drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlparse

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_BASE_URL = "https://api.tomorro.com/v2"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
TomorroObject = Literal["counterparty", "contract"]


class DestinationTomorroConfig(BaseModel):
    """Configuration of destination-tomorro (see README.md, "Configuration")."""

    model_config = ConfigDict(
        extra="forbid",
        title="Tomorro Destination Spec",
    )

    api_key: str = Field(
        ...,
        title="API key",
        description="Tomorro API key (Settings > API in the Tomorro app). Sent as the x-api-key header.",
        min_length=1,
        json_schema_extra={"airbyte_secret": True, "order": 0},
    )
    base_url: str = Field(
        DEFAULT_BASE_URL,
        title="Base URL",
        description="Tomorro API base URL. Must be https, except for localhost / 127.0.0.1.",
        json_schema_extra={"order": 1},
    )
    object_mapping: dict[str, TomorroObject] = Field(
        default_factory=dict,
        title="Stream to object mapping",
        description=(
            "Which Tomorro object each stream writes to, e.g. {\"crm_accounts\": \"counterparty\", "
            "\"closed_won\": \"contract\"}. Only needed when the catalog does not set "
            "destination_object_name and the stream is not named counterparties/contracts."
        ),
        json_schema_extra={"order": 2},
    )
    default_template: str | None = Field(
        None,
        title="Default template",
        description="Template (id or name) used for contract rows without a template column.",
        json_schema_extra={"order": 3},
    )
    default_contract_type: str | None = Field(
        None,
        title="Default contract type",
        description="Contract type (id or name) used for contract rows without a contract_type column.",
        json_schema_extra={"order": 4},
    )
    integration_type: Literal["salesforce", "hubspot"] | None = Field(
        None,
        title="CRM integration type",
        description="CRM the rows come from; sent as integration.type with each contract's external_id.",
        json_schema_extra={"order": 5},
    )
    integration_entity: str | None = Field(
        None,
        title="CRM entity",
        description="CRM object the contract rows come from (e.g. Opportunity, deal); sent as integration.externalEntity.",
        json_schema_extra={"order": 6},
    )
    counterparty_match_field: str = Field(
        "name",
        title="Counterparty matching field",
        description="How counterparties are matched for upserts: 'name' (exact, case-insensitive) or a counterparty smart field id or name.",
        min_length=1,
        json_schema_extra={"order": 7},
    )
    dry_run: bool = Field(
        False,
        title="Dry run",
        description="Classify every row (create / update / unchanged / reject) and write nothing.",
        json_schema_extra={"order": 8},
    )
    max_rejected_ratio: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        title="Maximum rejected ratio",
        description="The sync fails at the end when more than this fraction of rows was rejected (0 = any rejected row fails the sync).",
        json_schema_extra={"order": 9},
    )
    rejected_rows_path: str | None = Field(
        None,
        title="Rejected rows file",
        description="Local path of a JSON-lines file receiving every rejected row with its key and reason.",
        json_schema_extra={"order": 10},
    )
    max_concurrency: int = Field(
        4,
        ge=1,
        le=16,
        title="Maximum concurrent requests",
        description="Rows written in parallel within a batch (1-16).",
        json_schema_extra={"order": 11},
    )
    requests_per_minute: int = Field(
        600,
        ge=1,
        le=6000,
        title="Request budget per minute",
        description="Client-side budget of API requests per minute (token bucket), shared by all workers.",
        json_schema_extra={"order": 12},
    )
    batch_size: int = Field(
        200,
        ge=1,
        le=10000,
        title="Batch size",
        description="Rows buffered per stream before they are written (a STATE message also flushes).",
        json_schema_extra={"order": 13},
    )
    request_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=300,
        title="Request timeout (seconds)",
        description="Timeout of one HTTP request.",
        json_schema_extra={"order": 14},
    )
    max_retries: int = Field(
        5,
        ge=0,
        le=10,
        title="Maximum retries",
        description="Retries of a request answered 5xx or that lost its connection (429s are retried at least 20 times).",
        json_schema_extra={"order": 15},
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"'{value}' is not an http(s) URL")
        if parsed.scheme != "https" and parsed.hostname not in LOCAL_HOSTS:
            raise ValueError("must use https (plain http is only allowed for localhost / 127.0.0.1)")
        return value

    @field_validator("object_mapping", mode="before")
    @classmethod
    def _normalise_mapping(cls, value: Any) -> Any:
        if isinstance(value, dict):
            aliases = {"counterparties": "counterparty", "contracts": "contract"}
            return {k: aliases.get(str(v).strip().lower(), str(v).strip().lower()) for k, v in value.items()}
        return value

    @field_validator("default_template", "default_contract_type", "integration_entity", "rejected_rows_path")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value.strip() if value is not None else None

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> DestinationTomorroConfig:
        """Validate a raw config; a bad one raises a config_error naming every offending field."""
        try:
            return cls.model_validate(dict(config))
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "config"
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "extra_forbidden":
                    msg = "unknown configuration key"
                problems.append(f"{field}: {msg}")
            message = "Invalid configuration: " + "; ".join(problems)
            raise AirbyteTracedException(
                message=message, internal_message=message, failure_type=FailureType.config_error
            ) from None


def _simplify(schema: Any) -> Any:
    """Drop pydantic's `anyOf [X, null]` for optional fields: Airbyte's UI wants a plain type."""
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


def connection_specification() -> dict[str, Any]:
    schema = _simplify(DestinationTomorroConfig.model_json_schema())
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    for prop in schema["properties"].values():
        if prop.get("default", "x") is None:
            prop.pop("default")
    return schema
