"""Objects that change status while the per-status lists are read, where Tomorro refuses `status=in:`: contracts
(contract_listing.py) and counterparties (counterparty_listing.py), each by its list path and its statuses
(client.EVERY_STATUS); a list's own filters (a counterparty name look-up's `name=`) are kept.

Why: each status is then listed on its own (client.py), so no two lists are read at one instant. An object that
moves from a status not read yet to one already read (a contract moved back to draft, a counterparty archived or
unarchived), or is created in a status already read, is in none of the lists; a push would believe no object
holds its key and create a duplicate.

How (`settle`): a status change stamps `updatedAt` (checked below), so an object missed that way changed after
the listing began. Rounds read each status again newest-first (`sort=-updatedAt`, documented on both lists,
tomorro-api.md §3) down to the start of the round before (the listing's start for the first), one status after
the other in lifecycle order (draft -> ... -> canceled; active -> archived), reversed every other round; every
copy is merged by newest `updatedAt`. A move in the order of a round cannot slip between two of its lists; a move
against it can, but not in the next round too unless the object moves again, the other way. The listing is
settled once `QUIET_ROUNDS` rounds in a row bring nothing new (no unknown id, no newer copy); a quiet account costs
2 x (number of statuses) requests (10 for contracts, 4 for counterparties). Left unseen: an object that changes
during the listing and then moves against the order of each of the last two rounds.

Checked on every page, else the listing is unsettled (`Unsettled`: no object is created on it, `Listing`):
* every object has a readable `updatedAt` (slim items fetched whole, client.py);
* newest-first: `updatedAt` never rises from one object to the next of a status, pages included, except for
  objects changed since the round began (they may have moved ahead of the cursor); a list read to its end
  needs no order (nothing was skipped on it);
* `status` honoured: every object unchanged since the round began is in the status asked for;
* an object found in another status than its copy held, with the same `updatedAt`: a status changed without
  `updatedAt`, so the rounds cannot see moves;
* `sort=-updatedAt` refused (400 / 422), or no quiet rounds after `MAX_ROUNDS`.
Where Tomorro takes `in:`, one list holds every status: `settled` asks nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .client import EVERY_STATUS, MAX_PAGE, WHOLE_ITEM_KEYS, TomorroClient
from .contract_ranges import instant, merge
from .envelopes import ITEMS_KEY_OF, read_page
from .errors import TomorroClientError, TomorroNotFoundError

logger = logging.getLogger("airbyte")
NOUN = {"/contracts": "contract", "/counterparties": "counterparty"}  # what each list path holds, one of them
FETCH = {"/contracts": "get_contract", "/counterparties": "get_counterparty"}  # the client's GET /{path}/{id}
QUIET_ROUNDS = 2  # rounds in a row that bring nothing new, one in each order
MAX_ROUNDS = 6  # an account whose objects keep moving: unsettled after this many
# a round's bound this much before its start: Date headers are whole seconds and servers' clocks may differ
CLOCK_MARGIN = dt.timedelta(seconds=5)


class Unsettled(Exception):  # the message says which check failed
    pass


@dataclass
class Listing:
    items: list[dict[str, Any]]  # every object of the list, whole when asked so, once each
    creates_held: str | None = None  # why no row may create an object on this listing (None: it may)


def settled(client: TomorroClient, path: str, items: list[dict[str, Any]], began: float,
            filters: dict[str, Any] | None = None) -> Listing:
    """`items`, every object of `path` (and `filters`) listed since `began` (time.monotonic()); where `in:` was
    refused there, with those changed since found again (`settle`), and why no object may be created on the
    listing when that cannot be verified (logged). Where `in:` is taken: `items`, nothing asked."""
    if not client.one_status_a_list(path):
        return Listing(items)
    # the start in server time, by the clock offset of the answers since (the first may have come after it)
    start = client.server_now() - dt.timedelta(seconds=time.monotonic() - began)
    found, why = settle(client, path, items, start, filters)
    if why is None:
        return Listing(found)
    noun = NOUN[path]
    held = (f"not creating a {noun}: GET {path} refuses `status=in:`, so each status is listed on its own, and "
            f"the {path[1:]} that changed while they were read could not be verified ({why}); the {noun} this "
            "row would create may exist under a status it moved to")
    logger.error(held)
    return Listing(found, held)


def settle(client: TomorroClient, path: str, items: list[dict[str, Any]], started: dt.datetime,
           filters: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """`items` (every per-status list of `path` with `filters`, read since `started`, server time) with every
    object changed since found again as it is now (module docstring); and None, or why the result cannot be
    trusted to create on."""
    held = {c["id"]: c for c in items}
    statuses = EVERY_STATUS[path]
    # the list's own filters (a name), its status and order replaced by each round's
    kept = {k: v for k, v in (filters or {}).items() if k not in ("status", "sort", "limit", "after")}
    bound, quiet, moved, before = started - CLOCK_MARGIN, 0, set(), client.request_count
    try:
        for round_number in range(1, MAX_ROUNDS + 1):
            began = client.server_now() - CLOCK_MARGIN
            fresh = 0
            for status in statuses if round_number % 2 else statuses[::-1]:
                for item in _changed_since(client, path, {**kept, "status": status}, bound, began):
                    if _newer(held, item, NOUN[path]):
                        held[item["id"]] = item
                        moved.add(item["id"])
                        fresh += 1
            quiet = 0 if fresh else quiet + 1
            if quiet == QUIET_ROUNDS:
                logger.info(f"Re-read the {path[1:]} changed while the {len(statuses)} status lists were read: "
                            f"{len(moved)} found again as they are now, {round_number} round(s) "
                            f"({client.request_count - before} requests)")
                return merge([held.values()]), None
            bound = began
        raise Unsettled(f"{path[1:]} were still changing after {MAX_ROUNDS} re-reads of those changed meanwhile")
    except Unsettled as why:
        return merge([held.values()]), str(why)


def _newer(held: dict[str, dict[str, Any]], item: dict[str, Any], noun: str) -> bool:
    """Whether `item` is new: an id not held, or a newer copy than the one held."""
    known = held.get(item["id"])
    if known is None:
        return True
    new, old = instant(item.get("updatedAt")), instant(known.get("updatedAt"))
    if old is None or new > old:
        return True
    if new == old and item.get("status") != known.get("status"):
        raise Unsettled(f"{noun} {item['id']} was listed as {known.get('status')} and as {item.get('status')} with "
                        f"one updatedAt ({item.get('updatedAt')}): a status changes without updatedAt, so a {noun} "
                        "that moved between two status lists cannot be told from one that did not")
    return False


def _changed_since(client: TomorroClient, path: str, filters: dict[str, Any], bound: dt.datetime,
                   began: dt.datetime) -> Iterator[dict[str, Any]]:
    """The objects of `path` in `filters` (one status) changed at or after `bound`, newest first (checked), whole;
    the order is not required of objects changed since `began`."""
    status, noun = filters["status"], NOUN[path]
    params: dict[str, Any] = {"limit": MAX_PAGE, **filters, "sort": "-updatedAt"}
    asked = "&".join(f"{k}={v}" for k, v in params.items() if k != "limit")
    floor: dt.datetime | None = None  # the updatedAt of the last object unchanged since the round began
    while True:
        try:
            body = client.transport.request("GET", path, params=params)
        except TomorroClientError as refused:
            if isinstance(refused, TomorroNotFoundError) or refused.status_code not in (400, 422):
                raise
            raise Unsettled(f"GET {path}?{asked} answered HTTP {refused.status_code}: {refused.message}") from None
        page = read_page(body, limit=MAX_PAGE, items_key=ITEMS_KEY_OF.get(path, "data"), where=f"GET {path}")
        more = page.has_next and bool(page.next_cursor)
        reached, disorder = False, None
        for item in client.whole_items(page.items, (*WHOLE_ITEM_KEYS[path], "updatedAt"), path[1:],
                                       getattr(client, FETCH[path])):
            moment = instant(item.get("updatedAt"))
            if moment is None:
                raise Unsettled(f"{noun} {item['id']} has no readable updatedAt ({item.get('updatedAt')!r})")
            if moment >= began:  # changed during this round: anywhere in the order, in any status
                yield item
                continue
            if item.get("status") != status:
                raise Unsettled(f"GET {path}?{asked} served {noun} {item['id']} in status "
                                f"{item.get('status')}: the status filter is not honoured")
            if floor is not None and moment > floor:
                disorder = disorder or (f"{noun} {item['id']} (updatedAt {item.get('updatedAt')}) after one of "
                                        f"{floor.isoformat().replace('+00:00', 'Z')}")
            floor = moment
            if moment >= bound:
                yield item
            else:
                reached = True
        if disorder and more:  # the rest of the list cannot be skipped on an order that is not kept
            raise Unsettled(f"GET {path}?{asked} is not newest-first: {disorder}")
        if reached or not more:
            return
        params = {**params, "after": page.next_cursor}
