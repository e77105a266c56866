"""Verified webhook events, kept in the DuckDB file (`_tomorro_events`) before they are answered.

One row per eventId: a redelivery (Tomorro retries a delivery whose answer it did not get) finds its row
and changes nothing. `handled_at` stays NULL until the work the event asks for is done and committed (the
deletion applied, or a pull that started after the event was stored has finished), so a receiver stopped
at any moment finds, at its next start, every event it still owes work to.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ..cache_layout import SCHEMA, literal, quoted

EVENTS_TABLE = "_tomorro_events"
TABLE = f"{SCHEMA}.{quoted(EVENTS_TABLE)}"
EVENTS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (event_id VARCHAR PRIMARY KEY, event_type VARCHAR NOT NULL, "
    "webhook_id VARCHAR, contract_id VARCHAR, created_at TIMESTAMP WITH TIME ZONE, "
    "received_at TIMESTAMP WITH TIME ZONE NOT NULL, payload JSON NOT NULL, "
    "handled_at TIMESTAMP WITH TIME ZONE, outcome VARCHAR)"
)
PULL_EVENTS = ("contractCreated", "contractStatusUpdated", "contractSigned")  # the contract changed: pull
DELETE_EVENT = "contractDeleted"
STORED_ONLY = ("reminderEventCreated",)  # nothing in the warehouse to change: kept as a record


class EnvelopeError(ValueError):
    """A verified body that is not the documented envelope; the message names what is wrong."""


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    webhook_id: str | None
    contract_id: str | None
    created_at: dt.datetime | None
    received_at: dt.datetime
    payload: str  # the raw body, as received

    @classmethod
    def parse(cls, body: bytes, received_at: dt.datetime) -> Event:
        """The documented envelope `{eventId, webhookId, createdAt, eventType, data: {contract}}`."""
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise EnvelopeError("the body is not JSON") from None
        if not isinstance(envelope, dict):
            raise EnvelopeError("the body is not a JSON object")
        event_id, event_type = envelope.get("eventId"), envelope.get("eventType")
        if not isinstance(event_id, str) or not event_id.strip():
            raise EnvelopeError("`eventId` is missing or not a string")
        if not isinstance(event_type, str) or not event_type:
            raise EnvelopeError("`eventType` is missing or not a string")
        contract = (envelope.get("data") or {}).get("contract") if isinstance(envelope.get("data"), dict) else None
        contract_id = contract.get("id") if isinstance(contract, dict) else None
        if event_type in (*PULL_EVENTS, DELETE_EVENT) and not (isinstance(contract_id, str) and contract_id):
            raise EnvelopeError(f"a {event_type} event without `data.contract.id`")
        webhook_id = envelope.get("webhookId")
        return cls(event_id.strip(), event_type, webhook_id if isinstance(webhook_id, str) else None,
                   contract_id, _instant(envelope.get("createdAt")), received_at, body.decode("utf-8"))


def ensure_table(con: Any) -> None:
    con.execute(EVENTS_DDL)


def store(con: Any, events: list[Event]) -> list[bool]:
    """Insert the events not stored yet (inside the caller's transaction); per event, True if it is new."""
    ids = sorted({event.event_id for event in events})
    known = {row[0] for row in con.execute(
        f"SELECT event_id FROM {TABLE} WHERE list_contains({literal(ids)}, event_id)").fetchall()}
    new, rows = [], []
    for event in events:
        is_new = event.event_id not in known
        new.append(is_new)
        if is_new:
            known.add(event.event_id)
            values = (event.event_id, event.event_type, event.webhook_id, event.contract_id, event.created_at,
                      event.received_at, event.payload)
            rows.append("(" + ", ".join(map(literal, values)) + ", NULL, NULL)")
    if rows:  # values written as literals: binding parameters makes DuckDB import pandas (cache_layout.literal)
        con.execute(f"INSERT INTO {TABLE} VALUES " + ", ".join(rows))
    return new


def mark_handled(con: Any, ids: list[str], outcome: str, at: dt.datetime) -> None:
    if ids:
        con.execute(f"UPDATE {TABLE} SET handled_at = {literal(at)}, outcome = {literal(outcome)} "
                    f"WHERE list_contains({literal(ids)}, event_id) AND handled_at IS NULL")


def pending_pull_events(con: Any) -> list[tuple[str, dt.datetime | None, dt.datetime]]:
    """(event_id, created_at, received_at) of the contract-change events no finished pull has covered yet."""
    return [tuple(row) for row in con.execute(
        f"SELECT event_id, created_at, received_at FROM {TABLE} WHERE handled_at IS NULL "
        f"AND list_contains({literal(list(PULL_EVENTS))}, event_type) ORDER BY received_at").fetchall()]


def deleted_since(con: Any, since: dt.datetime) -> list[str]:
    """Contracts a contractDeleted event removed at or after `since` (a pull then running may have re-read
    them before they were deleted, so they are removed again after it)."""
    return [row[0] for row in con.execute(
        f"SELECT DISTINCT contract_id FROM {TABLE} WHERE event_type = {literal(DELETE_EVENT)} "
        f"AND handled_at >= {literal(since)}").fetchall()]


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
