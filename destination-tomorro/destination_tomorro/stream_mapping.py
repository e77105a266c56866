"""One entry of the stream mapping (`streams` in the config): where a stream goes, what its rows are
matched on, and who owns what (field behaviours, fields editable after signature, the row's
last-modified column, the empty-values rule; resolved against the schema in policy.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .objects import OBJECT_ALIASES, OBJECT_NAMES, kind_named

TomorroObject = Literal[OBJECT_NAMES]  # the registry's objects (the spec's enum)


class StreamMapping(BaseModel):
    """Where one stream of the connection goes."""

    model_config = ConfigDict(extra="forbid", title="Stream")

    stream: str = Field(..., title="Stream name", min_length=1,
                        description="The stream's name, as shown in the connection (e.g. closed_won).",
                        json_schema_extra={"order": 0})
    object: TomorroObject = Field(..., title="Tomorro object",
                                  description="What each row of the stream becomes in Tomorro.",
                                  json_schema_extra={"order": 1})
    match_key: str | None = Field(
        None, title="Matching column",
        description="The column rows are matched on. Contracts: the column holding the CRM id (sent as "
                    "integration.externalId; default external_id). Counterparties: name (default) or a "
                    "counterparty smart field. Leave empty to use the stream's primary key or the default.",
        json_schema_extra={"order": 2})
    if_empty_fields: list[str] = Field(
        default_factory=list, title="Fields written only when empty in Tomorro",
        description="Columns or smart fields (id or name) written only while Tomorro's value is empty: once "
                    "someone fills them in Tomorro, Tomorro owns them. Others are written always.",
        json_schema_extra={"order": 3})
    on_create_fields: list[str] = Field(
        default_factory=list, title="Fields written only on create",
        description="Columns or smart fields (id or name) sent when the object is created, never updated.",
        json_schema_extra={"order": 4})
    after_signature_fields: list[str] = Field(
        default_factory=list, title="Fields editable after signature",
        description="Contracts only: columns or smart fields (id or name) still written to a signed or "
                    "canceled contract. Empty (default): such contracts are never changed.",
        json_schema_extra={"order": 5})
    row_updated_at_column: str | None = Field(
        None, title="Row last-modified column",
        description="The column holding the CRM's last-modified time of each row (e.g. SystemModstamp, "
                    "hs_lastmodifieddate). When Tomorro's object was edited later, the row does not "
                    "overwrite it (counted as protected).",
        json_schema_extra={"order": 6})
    empty_values: Literal["skip", "clear"] = Field(
        "skip", title="Empty values",
        description="skip (default): null, empty and whitespace-only values are not sent, for every type. "
                    "clear: they clear the smart field's value in Tomorro.",
        json_schema_extra={"order": 7})

    @field_validator("object", mode="before")
    @classmethod
    def _plural(cls, value: Any) -> Any:
        return OBJECT_ALIASES.get(str(value).strip().lower(), str(value).strip().lower()) if isinstance(value, str) else value

    @field_validator("stream")
    @classmethod
    def _stream(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("match_key", "row_updated_at_column")
    @classmethod
    def _match_key(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("if_empty_fields", "on_create_fields", "after_signature_fields")
    @classmethod
    def _field_names(cls, value: list[str]) -> list[str]:
        names = [v.strip() for v in value if v.strip()]
        return list(dict.fromkeys(names))

    @model_validator(mode="after")
    def _one_behaviour(self) -> StreamMapping:
        both = sorted(set(self.if_empty_fields) & set(self.on_create_fields))
        if both:
            raise ValueError(f"{', '.join(both)}: listed both in if_empty_fields and on_create_fields")
        if self.after_signature_fields and not kind_named(self.object).is_signed:
            raise ValueError("after_signature_fields: only contracts are signed")
        return self
