"""Creates are not idempotent in Tomorro: a POST whose answer is lost (timeout, dropped connection,
5xx, truncated body) may have landed. `create_once` never repeats one blindly: it first looks for
the object it may have made, and creates again only when the look-up is sure nothing landed.

What counts as "the object it may have made":
* a contract with the row's key: created since just before the attempt, the same CRM identity
  (type, entity, external id by the CRM's rules: identity.py);
* a contract of a row without a key (`append`): created since just before the attempt, not claimed
  by this sync already (each candidate is claimed by one row at most), with the row's whole written
  content (template, counterparty, name when given, every field value) and no external link. A
  sibling row differing by one field value never matches;
* a counterparty: the same canonical name (and the same key when matching on a smart field).
A look-up that cannot complete rejects the row ("may have landed") instead of creating it again.
Waits between attempts follow the client's retry policy (there is no other).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from .client import TomorroClient
from .counterparty_listing import list_counterparties
from .diff import same_value
from .errors import AmbiguousWriteError, RowRejected, TomorroClientError, TomorroError
from .identity import contract_identity
from .indexes import ContractIndex
from .keys import MatchKey, counterparty_key, name_key, name_lookup_term
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
            landed = _look_up(find_landed, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), exc)
            if landed is None:
                raise
            return landed
        except AmbiguousWriteError as exc:
            landed = _look_up(find_landed, since, exc)
            if landed is not None:
                logger.info(f"A create whose answer was lost had landed ({exc.message}); not repeating it")
                return landed
            if attempt >= client.retry.max_retries:
                raise
            client.retry.pause(attempt)
            attempt += 1


def _look_up(find_landed: FindLanded, since: dt.datetime, cause: TomorroError) -> dict[str, Any] | None:
    try:
        return find_landed(since)
    except TomorroError as exc:
        raise RowRejected(f"the create may have landed ({cause.message}) and looking it up failed ({exc.message}); "
                          "not repeated, so that it is never created twice", exc.status_code) from None


def find_created_contract(client: TomorroClient, since: dt.datetime, row: MappedRow,
                          index: ContractIndex) -> dict[str, Any] | None:
    """The contract an ambiguous create of `row` made, if any (module docstring); it is claimed."""
    stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{since.microsecond // 1000:03d}Z"
    for contract in client.iter_full_contracts(createdAt=f"gte:{stamp}", sort="createdAt"):
        if (contract.get("createdAt") or stamp) < stamp:  # a filter is a request, not a fact
            continue
        if row.identity is not None:
            found = contract_identity(contract)
            if found is not None and row.identity.matches(found) is True and index.claim(contract["id"]):
                return contract
        elif _same_content(contract, row) and index.claim(contract["id"]):
            return contract
    return None


def _same_content(contract: dict[str, Any], row: MappedRow) -> bool:
    body = row.create_body
    template = contract.get("templateId") or (contract.get("template") or {}).get("id")
    if template != body.get("templateId") or contract.get("integration"):
        return False
    if (contract.get("counterparty") or {}).get("id") != row.counterparty_id:
        return False
    if row.name and contract.get("name") != row.name:
        return False
    values = {f.get("attributeDefinitionId"): f.get("value") for f in contract.get("fields") or []}
    return all(fid in values and same_value(value, values[fid]) for fid, value in row.fields.items())


def find_landed_counterparty(client: TomorroClient, row: MappedRow, match: MatchKey) -> dict[str, Any] | None:
    """After an ambiguous create: the counterparty it may have created (the same canonical name, and
    the same matching key when matching on a smart field)."""
    term = name_lookup_term(row.name or "")
    filters = {"name": term} if term else {}
    listing = list_counterparties(client, whole=match.field is not None, sort="-createdAt", **filters)
    if listing.creates_held:  # it may have landed and moved status while the lists were read
        raise RowRejected(f"the create may have landed (its answer was lost) and the look-up could not be verified; "
                          f"{listing.creates_held}")
    for cp in listing.items:
        if name_key(cp.get("name")) != name_key(row.name):
            continue
        if match.field is None or counterparty_key(cp, match) == row.key:
            return cp
    return None
