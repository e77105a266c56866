"""Contracts that change status while the per-status lists are read, where Tomorro refuses `status=in:`.

Why: each status is then listed on its own (client.py), so no two lists are read at one instant. A contract that
moves from a status not read yet to one already read, or is created in a status already read, is in none of the
lists; a push would believe no contract holds its identity and create a duplicate.

How (`settle`): a status change stamps `updatedAt` (checked below), so a contract missed that way changed after
the listing began. Rounds read each status again newest-first (`sort=-updatedAt`, tomorro-api.md §3) down to the
start of the round before (the listing's start for the first), one status after the other in lifecycle order,
reversed every other round; every copy is merged by newest `updatedAt`. In lifecycle order a move forward
(draft -> negotiating -> ... -> canceled) cannot slip between two lists of one round; a move back can, but not in
the next round too unless the contract moves again, the other way. The listing is settled once `QUIET_ROUNDS`
rounds in a row bring nothing new (no unknown id, no newer copy); a quiet account costs 2 x 5 requests. Left
unseen: a contract that changes during the listing and then moves against the order of each of the last two rounds.

Checked on every page, else the listing is unsettled (`Unsettled`: no contract is created on it, indexes.py):
* every contract has a readable `updatedAt` (slim items fetched whole, client.py);
* newest-first: `updatedAt` never rises from one contract to the next of a status, pages included, except for
  contracts changed since the round began (they may have moved ahead of the cursor); a list read to its end
  needs no order (nothing was skipped on it);
* `status` honoured: every contract unchanged since the round began is in the status asked for;
* a contract found in another status than its copy held, with the same `updatedAt`: a status changed without
  `updatedAt`, so the rounds cannot see moves;
* `sort=-updatedAt` refused (400 / 422), or no quiet rounds after `MAX_ROUNDS`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from .client import EVERY_STATUS, MAX_PAGE, WHOLE_ITEM_KEYS, TomorroClient
from .contract_ranges import instant, merge
from .envelopes import ITEMS_KEY_OF, read_page
from .errors import TomorroClientError, TomorroNotFoundError

logger = logging.getLogger("airbyte")
PATH = "/contracts"
QUIET_ROUNDS = 2  # rounds in a row that bring nothing new, one in each order
MAX_ROUNDS = 6  # an account whose contracts keep moving: unsettled after this many
# a round's bound this much before its start: Date headers are whole seconds and servers' clocks may differ
CLOCK_MARGIN = dt.timedelta(seconds=5)


class Unsettled(Exception):  # the message says which check failed
    pass


def settle(client: TomorroClient, contracts: list[dict[str, Any]],
           started: dt.datetime) -> tuple[list[dict[str, Any]], str | None]:
    """`contracts` (every per-status list, read since `started`, server time) with every contract changed since
    found again as it is now (module docstring); and None, or why the result cannot be trusted to create on."""
    held = {c["id"]: c for c in contracts}
    statuses = EVERY_STATUS[PATH]
    bound, quiet, moved, before = started - CLOCK_MARGIN, 0, set(), client.request_count
    try:
        for round_number in range(1, MAX_ROUNDS + 1):
            began = client.server_now() - CLOCK_MARGIN
            fresh = 0
            for status in statuses if round_number % 2 else statuses[::-1]:
                for item in _changed_since(client, status, bound, began):
                    if _newer(held, item):
                        held[item["id"]] = item
                        moved.add(item["id"])
                        fresh += 1
            quiet = 0 if fresh else quiet + 1
            if quiet == QUIET_ROUNDS:
                logger.info(f"Re-read the contracts changed while the {len(statuses)} status lists were read: "
                            f"{len(moved)} found again as they are now, {round_number} round(s) "
                            f"({client.request_count - before} requests)")
                return merge([held.values()]), None
            bound = began
        raise Unsettled(f"contracts were still changing after {MAX_ROUNDS} re-reads of those changed meanwhile")
    except Unsettled as why:
        return merge([held.values()]), str(why)


def _newer(held: dict[str, dict[str, Any]], item: dict[str, Any]) -> bool:
    """Whether `item` is new: an id not held, or a newer copy than the one held."""
    known = held.get(item["id"])
    if known is None:
        return True
    new, old = instant(item.get("updatedAt")), instant(known.get("updatedAt"))
    if old is None or new > old:
        return True
    if new == old and item.get("status") != known.get("status"):
        raise Unsettled(f"contract {item['id']} was listed as {known.get('status')} and as {item.get('status')} with "
                        f"one updatedAt ({item.get('updatedAt')}): a status changes without updatedAt, so a contract "
                        "that moved between two status lists cannot be told from one that did not")
    return False


def _changed_since(client: TomorroClient, status: str, bound: dt.datetime,
                   began: dt.datetime) -> Iterator[dict[str, Any]]:
    """The contracts of `status` changed at or after `bound`, newest first (checked), whole; the order is not
    required of contracts changed since `began`."""
    params: dict[str, Any] = {"limit": MAX_PAGE, "status": status, "sort": "-updatedAt"}
    floor: dt.datetime | None = None  # the updatedAt of the last contract unchanged since the round began
    while True:
        try:
            body = client.transport.request("GET", PATH, params=params)
        except TomorroClientError as refused:
            if isinstance(refused, TomorroNotFoundError) or refused.status_code not in (400, 422):
                raise
            raise Unsettled(f"GET {PATH}?status={status}&sort=-updatedAt answered HTTP {refused.status_code}: "
                            f"{refused.message}") from None
        page = read_page(body, limit=MAX_PAGE, items_key=ITEMS_KEY_OF.get(PATH, "data"), where=f"GET {PATH}")
        more = page.has_next and bool(page.next_cursor)
        reached, disorder = False, None
        for item in client.whole_items(page.items, (*WHOLE_ITEM_KEYS[PATH], "updatedAt"), "contracts",
                                       client.get_contract):
            moment = instant(item.get("updatedAt"))
            if moment is None:
                raise Unsettled(f"contract {item['id']} has no readable updatedAt ({item.get('updatedAt')!r})")
            if moment >= began:  # changed during this round: anywhere in the order, in any status
                yield item
                continue
            if item.get("status") != status:
                raise Unsettled(f"GET {PATH}?status={status} served contract {item['id']} in status "
                                f"{item.get('status')}: the status filter is not honoured")
            if floor is not None and moment > floor:
                disorder = disorder or f"contract {item['id']} (updatedAt {item.get('updatedAt')}) after one of {floor}"
            floor = moment
            if moment >= bound:
                yield item
            else:
                reached = True
        if disorder and more:  # the rest of the list cannot be skipped on an order that is not kept
            raise Unsettled(f"GET {PATH}?status={status}&sort=-updatedAt is not newest-first: {disorder}")
        if reached or not more:
            return
        params = {**params, "after": page.next_cursor}
