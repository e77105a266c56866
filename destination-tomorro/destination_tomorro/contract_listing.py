"""Every contract, every status, whole, read as ranges of `createdAt` side by side: the listing a push matches
against takes about 1/workers of one chain's wall time.

Why a listing: an identity has spellings no exact filter can enumerate (identity.py: every case variant of an
18-character Salesforce id, HubSpot `12345.0`, spaces), so a filter's empty answer never proves that no contract
holds it, and a create decided on it could duplicate a contract.

How (`sort=` and `createdAt=gte:<date>` are documented on GET /contracts, tomorro-api.md §3):
1. probe: the first page of `sort=createdAt` naming every status (`status=in:…`, or one list per status where
   `in:` is refused, as client.py). One page: done. Slim items (a request per contract, already run at the
   client's concurrency): one chain, ranges would only add their overlap.
2. plan (`contract_ranges.plan_bounds`): the newest contract (`sort=-createdAt&limit=1`), and one range per worker, bounds at
   midnights spread between the probe page and the newest (fewer when the probe's density predicts few pages).
3. read, `workers` at a time: range 0 goes on from the probe's cursor, range i asks `createdAt=gte:<bound i>`.
   A worker left without a range splits the largest rest of a running one (`split_point`). No range has an
   upper filter: each reads until it has seen a contract created at or after the first contract of the next
   range that has any (`stitch_targets`), so none falls between two whatever Tomorro does with the day, and
   the last reads to the end of the list (contracts created meanwhile included, as one chain would).
4. merge (`merge`): one copy per id (overlaps, a status changed meanwhile), the newest `updatedAt`; none dropped.
5. where `in:` is refused, the status lists were not read at one instant: the contracts changed since the listing
   began are read again until none moves (status_moves.py); when that cannot be verified, the listing says why
   no contract may be created on it (`Listing.creates_held`), and rows that would create one are rejected.

Checked on every page, after slim items are fetched whole (`page_problem`): ascending `createdAt`, every
contract of a range at or after its bound. A failed check or a 400/422 on the `createdAt` filter stops every
range and the listing is read again as one chain from the start, the reason logged. Any other error fails the
whole listing: never a partial index to match on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from .client import EVERY_STATUS, MAX_PAGE, WHOLE_ITEM_KEYS, TomorroClient
from .contract_ranges import (
    Range,
    Unusable,
    created_at,
    filter_value,
    merge,
    page_problem,
    plan_bounds,
    split_point,
    stitch_targets,
)
from .envelopes import ITEMS_KEY_OF, Page, read_page
from .errors import TomorroClientError, TomorroNotFoundError
from .status_moves import Listing, settled

logger = logging.getLogger("airbyte")
PATH = "/contracts"
PROGRESS_PAGES = 200  # a progress line every this many pages (10,000 contracts)
_PLANNED = object()  # `_Listing._read` reads up to the range's planned end, which a split may bring closer


def list_every_contract(client: TomorroClient, workers: int | None = None) -> Listing:
    """Every contract, whole (module docstring); one chain when ranges cannot be trusted or `workers` is 1."""
    began = time.monotonic()
    return settled(client, PATH, _read(client, workers or client.max_concurrency), began)


def _read(client: TomorroClient, workers: int) -> list[dict[str, Any]]:
    if workers > 1:
        try:
            return _Listing(client, workers).run()
        except Unusable as why:
            logger.warning(f"GET {PATH} cannot be read as ranges of createdAt ({why}): every contract is read "
                           "again as one chain from the start")
    return list(client.iter_full_contracts(sort="createdAt"))


def _refusal(error: TomorroClientError) -> bool:
    """A query parameter refused (400 / 422), as client.py reads it."""
    return not isinstance(error, TomorroNotFoundError) and error.status_code in (400, 422)


class _Listing:
    def __init__(self, client: TomorroClient, workers: int):
        self.client, self.workers = client, workers
        self.stopped = threading.Event()  # a range failed: the others stop at their next page
        self.first_page: Page | None = None  # the probe page of `status=in:`, when Tomorro takes it
        self.lock = threading.Condition()  # guards `queue`, `plans` (splits insert ranges), Range.running; notified
        # after every page and every range done, so that an idle worker looks again for a rest worth splitting
        self.queue: list[Range] = []  # ranges no worker has taken yet
        self.plans: list[list[Range]] = []  # the ranges of each status list, in bound order
        self.splits = self.pages = 0

    def run(self) -> list[dict[str, Any]]:
        before = self.client.request_count
        lists = self._status_lists()
        # no thread is started for a list that fits in its probe page (threads start on the first submit)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="tomorro-contract-ranges") as pool:
            self.plans = ([self._plan(lists[0])] if len(lists) == 1 else
                          self._all(pool, [lambda s=s: self._plan(s) for s in lists]))
            self.queue = [r for plan in self.plans for r in plan if not r.ended]
            if self.queue:
                self._all(pool, [self._work] * self.workers)
                self._all(pool, [lambda r=r, t=t: self._read(r, t) for plan in self.plans
                                 for r, t in zip(plan, stitch_targets(plan), strict=True) if not r.reached(t)])
        ranges = [r for plan in self.plans for r in plan]
        contracts = merge(r.items for r in ranges)
        logger.info(f"Listed {len(contracts)} contracts as {len(ranges)} range(s) of createdAt ({self.splits} split "
                    f"while reading) over {len(lists)} status list(s), {self.workers} at a time "
                    f"({self.client.request_count - before} requests)")
        return contracts

    def _status_lists(self) -> list[dict[str, Any]]:
        """`status=in:<every status>`, or one status per list when Tomorro refuses `in:` (client.py decides)."""
        statuses = EVERY_STATUS[PATH]
        if not self.client.one_status_a_list(PATH):
            try:
                self.first_page = self._page({"status": "in:" + ",".join(statuses), "sort": "createdAt"})
                return [{"status": "in:" + ",".join(statuses)}]
            except TomorroClientError as refused:
                if not self.client.note_status_in_refused(PATH, refused):
                    raise
        return [{"status": s} for s in statuses]

    def _plan(self, status: dict[str, Any]) -> list[Range]:
        """The ranges of one status list, range 0 holding the probe page."""
        params = {**status, "sort": "createdAt"}
        page = self.first_page if "in:" in status["status"] else self._page(params)
        head = Range(params, None, None)
        self._take(head, page)
        # one page, nothing to plan from, or slim items: range 0 reads on as one chain
        if head.ended or head.first is None or any(k not in i for i in page.items for k in WHOLE_ITEM_KEYS[PATH]):
            return [head]
        newest = self._whole(self._page({**status, "sort": "-createdAt"}, limit=1).items)
        moment = created_at(newest[0]) if newest else None
        bounds = plan_bounds(head.first, head.last, len(head.items), moment, self.workers) if moment else []
        if not bounds:
            return [head]
        head.planned_end, head.horizon = bounds[0], moment
        rest = [Range({**params, "createdAt": f"gte:{filter_value(b)}"}, b, e, horizon=moment)
                for b, e in zip(bounds, [*bounds[1:], None], strict=True)]
        return [head, *rest]

    def _work(self) -> None:
        """One worker: ranges from the queue, then parts split off the others, until none is worth taking."""
        while (chain := self._next()) is not None:
            try:
                self._read(chain, _PLANNED)
            finally:
                with self.lock:
                    chain.running = False
                    self.lock.notify_all()

    def _next(self) -> Range | None:
        """A range from the queue, else the rest of a running range split off it, waiting while ranges run
        that are not worth splitting yet; None once none runs."""
        with self.lock:
            while True:
                if self.stopped.is_set():
                    return None
                if self.queue:
                    chain = self.queue.pop(0)
                    chain.running = True
                    return chain
                running = [(plan, i) for plan in self.plans for i, r in enumerate(plan) if r.running]
                cuts = [(cut, plan, i) for plan, i in running if (cut := split_point(plan[i])) is not None]
                if cuts:
                    break
                if not running:
                    return None
                self.lock.wait(timeout=1.0)  # woken by the next page read, or a range done
            (_, day), plan, i = max(cuts, key=lambda c: c[0][0])
            old = plan[i]
            chain = Range({**{k: v for k, v in old.params.items() if k != "createdAt"},
                           "createdAt": f"gte:{filter_value(day)}"}, day, old.planned_end, horizon=old.horizon)
            plan.insert(i + 1, chain)
            old.planned_end = day  # its reader stops there (stitched in the end like any two ranges)
            self.splits += 1
            chain.running = True
            return chain

    def _read(self, chain: Range, until: Any) -> None:
        """Pages of `chain` until it has read a contract created at or after `until` (None: to its end;
        _PLANNED: its planned end, read again after every page)."""
        while not chain.reached(chain.planned_end if until is _PLANNED else until) and not self.stopped.is_set():
            if not chain.items and chain.cursor is None:
                try:
                    page = self._page(chain.params)
                except TomorroClientError as refused:
                    if not _refusal(refused):
                        raise
                    raise Unusable(f"`createdAt=gte:` answered HTTP {refused.status_code}: {refused.message}") from None
            else:
                page = self._page({**chain.params, "after": chain.cursor})
            self._take(chain, page)

    def _take(self, chain: Range, page: Page) -> None:
        """Fetch a page's slim items whole, check it, add it to `chain`."""
        items = self._whole(page.items)
        problem = page_problem(items, chain.low, chain.last)
        if problem:
            raise Unusable(problem)
        with self.lock:
            if items:
                chain.first = chain.first or created_at(items[0])
                chain.page_span = (created_at(items[-1]) - (chain.last or created_at(items[0]))).total_seconds()
                chain.last = created_at(items[-1])
            chain.items.extend(items)
            chain.cursor = page.next_cursor
            chain.ended = not page.has_next or not page.next_cursor
            self.pages += 1
            if self.pages % PROGRESS_PAGES == 0:
                logger.info(f"Listing contracts: {self.pages} pages read, {sum(map(len, self.plans))} ranges")
            self.lock.notify_all()

    def _whole(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:  # slim items fetched (client.py)
        return self.client.whole_items(items, WHOLE_ITEM_KEYS[PATH], "contracts", self.client.get_contract)

    def _page(self, params: dict[str, Any], limit: int = MAX_PAGE) -> Page:
        return read_page(self.client.transport.request("GET", PATH, params={"limit": limit, **params}), limit=limit,
                         items_key=ITEMS_KEY_OF.get(PATH, "data"), where=f"GET {PATH}")

    def _all(self, pool: ThreadPoolExecutor, tasks: list[Callable[[], Any]]) -> list[Any]:
        """Run `tasks` side by side; the first failure stops the others and is raised (an error before an
        Unusable: a listing that failed is never read again as if the API had only refused a filter)."""
        futures = [pool.submit(task) for task in tasks]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() for f in done):
            self.stopped.set()  # waiting workers see it within a second
            wait(futures)
            failures = [f.exception() for f in futures if f.exception() is not None]
            raise next((e for e in failures if not isinstance(e, Unusable)), failures[0])
        return [f.result() for f in futures]
