"""Creates are not idempotent in Tomorro: a POST whose answer is lost (timeout, dropped connection,
5xx, truncated body) may have landed. `create_once` never repeats one blindly: it first looks for
the object it may have made, and creates again only when nothing is found. Waits between attempts
follow the client's retry policy (there is no other).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from .client import TomorroClient
from .errors import AmbiguousWriteError, TomorroClientError
from .keys import MatchKey, contract_key, counterparty_key, name_key
from .mapping import MappedRow

logger = logging.getLogger("airbyte")
CREATE_LOOKBACK = dt.timedelta(minutes=5)  # margin for clock skew when looking up an ambiguous create
FindLanded = Callable[[dt.datetime], dict[str, Any] | None]


def create_once(client: TomorroClient, create: Callable[[], dict[str, Any]], find_landed: FindLanded) -> dict[str, Any]:
    """POST once; after an ambiguous failure look the object up before trying again."""
    attempt = 0
    while True:
        since = client.server_now() - CREATE_LOOKBACK
        try:
            return create()
        except TomorroClientError as exc:
            if exc.status_code != 409:
                raise
            # a server that deduplicates creates says the object exists: find it
            landed = find_landed(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
            if landed is None:
                raise
            return landed
        except AmbiguousWriteError as exc:
            landed = find_landed(since)
            if landed is not None:
                logger.info(f"A create whose answer was lost had landed ({exc.message}); not repeating it")
                return landed
            if attempt >= client.retry.max_retries:
                raise
            client.retry.pause(attempt)
            attempt += 1


def find_created_contract(client: TomorroClient, since: dt.datetime, row: MappedRow) -> dict[str, Any] | None:
    """The contract an ambiguous create may have made: created since `since`, same externalId
    (rows without one: same name, template and counterparty)."""
    for contract in client.iter_contracts(createdAt=f"gte:{_iso(since)}", sort="createdAt"):
        if row.key:
            if contract_key(contract) == row.key:
                return contract
        elif (contract.get("templateId") == row.create_body.get("templateId")
              and (not row.name or contract.get("name") == row.name)
              and (contract.get("counterparty") or {}).get("id") == row.counterparty_id):
            return contract
    return None


def find_landed_counterparty(client: TomorroClient, row: MappedRow, match: MatchKey) -> dict[str, Any] | None:
    """After an ambiguous create: the counterparty it may have created (exact name, and the same
    matching key when matching on a smart field)."""
    for cp in client.iter_counterparties(name=(row.name or "").strip(), sort="-createdAt"):
        if name_key(cp.get("name")) != name_key(row.name):
            continue
        if match.on_name or counterparty_key(cp, match) == row.key:
            return cp
    return None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
