"""Matching keys: which column a stream matches existing objects on (decided in `match_key_for`,
and nowhere else), and the key of an object already in Tomorro, computed like a row's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .config import DestinationTomorroConfig
from .names import normalise
from .objects import CONTRACT, COUNTERPARTY
from .schema import SmartField, TomorroSchema


@dataclass(frozen=True)
class MatchKey:
    """What the rows of one stream are matched on."""

    object: str
    column: str  # the row column holding the key
    field: SmartField | None = None  # counterparties matched on a smart field (None: on their name)

    @property
    def on_name(self) -> bool:
        return self.object == COUNTERPARTY and self.field is None


def match_key_for(obj: str, cfg: DestinationTomorroConfig, schema: TomorroSchema) -> MatchKey:
    """The matching rule: contracts on `external_id` (integration.externalId); counterparties on
    `counterparty_match_field`, their name or a counterparty smart field (id or name).

    Raises ValueError when the counterparty match field names no counterparty smart field."""
    if obj == CONTRACT:
        return MatchKey(CONTRACT, "external_id")
    if normalise(cfg.counterparty_match_field) == "name":
        return MatchKey(COUNTERPARTY, "name")
    field = schema.find_field(COUNTERPARTY, cfg.counterparty_match_field)
    if field is None:
        raise ValueError(f"counterparty_match_field '{cfg.counterparty_match_field}' is not a counterparty smart field")
    return MatchKey(COUNTERPARTY, field.name, field)


def value_key(value: Any) -> str:
    """A smart-field value as a matching key."""
    return value.strip().lower() if isinstance(value, str) else json.dumps(value, sort_keys=True)


def counterparty_key(obj: dict[str, Any], match: MatchKey) -> str | None:
    """The matching key of an existing counterparty."""
    if match.field is None:
        return name_key(obj.get("name"))
    value = (obj.get("fields") or {}).get(match.field.id)
    return None if value is None else value_key(value)


def name_key(name: Any) -> str | None:
    return (name or "").strip().lower() or None


def contract_key(obj: dict[str, Any]) -> str | None:
    """The matching key of an existing contract: its integration.externalId."""
    return (obj.get("integration") or {}).get("externalId") or None
