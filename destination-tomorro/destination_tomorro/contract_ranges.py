"""The pure rules of the contract listing's ranges (contract_listing.py reads them): where bounds go, when a page
breaks the assumptions, where a running range is split, up to where each range reads, how copies merge.
No I/O; every function is tested on its own (unit_tests/test_contract_listing.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .client import MAX_PAGE

PAGES_PER_RANGE = 5  # fewer pages than this per range: each range's overlap page would cost too much
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


class Unusable(Exception):  # the API did not keep an assumption the ranges rest on (the message says which)
    pass


def instant(value: Any) -> dt.datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime; None when missing, unreadable or without a zone."""
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment.astimezone(dt.UTC) if moment is not None and moment.tzinfo is not None else None


def created_at(item: dict[str, Any]) -> dt.datetime | None:
    return instant(item.get("createdAt"))


def filter_value(day: dt.datetime) -> str:
    """A date, as documented (`2024-01-01`); how Tomorro reads it does not matter (ranges stitched by data)."""
    return day.strftime("%Y-%m-%d")


def _day(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def plan_bounds(oldest: dt.datetime, page_last: dt.datetime, page_size: int, newest: dt.datetime,
                workers: int) -> list[dt.datetime]:
    """The lower bounds of ranges 1.. (range 0 goes on from the probe page): UTC midnights (the filter's
    documented unit) spread evenly over (page_last, newest]. One range per worker, fewer when the probe
    page's density predicts fewer than PAGES_PER_RANGE pages each. A wrong estimate costs speed only."""
    if newest <= page_last or workers <= 1:
        return []
    span, seen = (newest - oldest).total_seconds(), (page_last - oldest).total_seconds()
    pages = span / seen * page_size / MAX_PAGE if seen > 0 else float("inf")  # one instant for a page: dense
    count = int(min(workers, pages // PAGES_PER_RANGE))
    step = (newest - page_last) / max(count, 1)
    bounds = {_day(page_last + step * i) for i in range(1, count)}
    return sorted(b for b in bounds if b > page_last)


def page_problem(items: Iterable[dict[str, Any]], low: dt.datetime | None, previous: dt.datetime | None) -> str | None:
    """Why a page of one range breaks the listing's assumptions, or None: every contract has a `createdAt`,
    at or after the range's bound `low`, and not before the one read before it (`previous`)."""
    for item in items:
        moment = created_at(item)
        if moment is None:
            return f"contract {item.get('id')} has no readable createdAt ({item.get('createdAt')!r})"
        if low is not None and moment < low:
            return (f"`createdAt=gte:{filter_value(low)}` answered contract {item.get('id')} created "
                    f"{item.get('createdAt')}: the filter is ignored or rounded")
        if previous is not None and moment < previous:
            return (f"`sort=createdAt` answered contract {item.get('id')} created {item.get('createdAt')} after "
                    f"one created {previous.isoformat()}: the order is not ascending")
        previous = moment
    return None


@dataclass
class Range:
    """One chain of pages: `params` (status, sort, createdAt bound), what it has read, where it goes on."""

    params: dict[str, Any]
    low: dt.datetime | None  # its `createdAt=gte:` bound, checked on every contract (None: range 0)
    planned_end: dt.datetime | None  # the next range's bound: read until a contract created at or after it
    items: list[dict[str, Any]] = field(default_factory=list)
    first: dt.datetime | None = None  # createdAt of its first contract
    last: dt.datetime | None = None  # createdAt of its last contract read (ascending: the latest)
    page_span: float = 0.0  # seconds of createdAt its last page spanned: the density ahead, as it is now
    cursor: str | None = None
    ended: bool = False  # its list has no next page
    horizon: dt.datetime | None = None  # the newest contract of its status list when planned
    running: bool = False  # a worker is reading it (it may be split)

    def reached(self, until: dt.datetime | None) -> bool:  # until None: the end of its list
        return self.ended or (until is not None and self.last is not None and self.last >= until)


def split_point(chain: Range) -> tuple[float, dt.datetime] | None:
    """(estimated pages, cut) of a running range's unread rest, to give the part from `cut` on to an idle worker;
    None when the rest is too small to share (fewer than 2 * PAGES_PER_RANGE pages at the density of its last
    page: an account grows, its recent pages are the denser) or fits in one day (a cut is a midnight after the
    last contract read and before the range's end)."""
    end = chain.planned_end or chain.horizon
    if chain.ended or end is None or chain.last is None or end <= chain.last:
        return None
    rest = (end - chain.last).total_seconds()
    pages = rest / chain.page_span if chain.page_span > 0 else float("inf")
    cut = _day(chain.last + (end - chain.last) / 2)
    if pages < 2 * PAGES_PER_RANGE or not chain.last < cut < end:
        return None
    return pages, cut


def stitch_targets(ranges: list[Range]) -> list[dt.datetime | None]:
    """For each range of one status list (in bound order): the createdAt it must read up to, the first
    contract of the next range that has any (that range holds every contract from there on); None: no later
    range has any, so it reads to the end of the list."""
    targets: list[dt.datetime | None] = []
    following: dt.datetime | None = None
    for chain in reversed(ranges):
        targets.append(following)
        if chain.items:
            following = chain.first
    return targets[::-1]


def merge(lists: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One contract per id, in createdAt order; of two different copies, the newest `updatedAt` is kept."""
    by_id: dict[str, dict[str, Any]] = {}
    for items in lists:
        for item in items:
            held = by_id.get(item["id"])
            if held is None or (held != item and (instant(item.get("updatedAt")) or _EPOCH) >
                                (instant(held.get("updatedAt")) or _EPOCH)):
                by_id[item["id"]] = item
    return sorted(by_id.values(), key=lambda c: (created_at(c) or _EPOCH, c["id"]))
