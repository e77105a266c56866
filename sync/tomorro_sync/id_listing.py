"""Every id of contracts or counterparties with its `updatedAt`, from list pages only (never a per-item fetch):
what a reconcile compares the tables with, and what `doctor` counts.

- Every status is asked for by name (`status=in:...`, the statuses the source's manifest names): a list may
  hide some by default (counterparties document `active` or `in:active,archived`). Where the API refuses `in:`
  but takes one status, the list is read once per status.
- The order is `sort=id`: a key that never changes, so a record updated while the listing runs cannot move
  across a page boundary and be missed (an id missing from the listing is taken for a deletion). Where `sort`
  is refused, the default order is read (documented `-createdAt`, also a key that never changes).
- Each answer is read by the source's own envelope reader (`components.read_list_page`), so any envelope the
  source reads, this reads. 429 and 5xx answers are retried with backoff (Retry-After when given).
- A listing proves what exists, never what does not: an id it lacks is asked for by itself (`exists`,
  GET /<path>/{id}) before anything calls it deleted, since nothing documents that a list returns every record.
  Many such ids are asked `num_workers` at a time (`exist_all`, default 4), every request through the same
  budget (`requests_per_minute`), retries and key as the listing's.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

from .budget import Budget
from .errors import SyncError
from .target import Target

API_VERSION = "2025-01-29.alpha"  # the connectors' `tomorro-version`
PAGE = 50
RETRIES = 6
DEFAULT_WORKERS = 4  # the source's `num_workers` default
# stream -> (path, items key, every status): the source manifest's `$parameters` (tests hold them equal)
LISTS = {
    "contracts": ("contracts", "contracts", ("draft", "negotiating", "signing", "signed", "canceled")),
    "counterparties": ("counterparties", "data", ("active", "archived")),
}


@dataclass
class Listing:
    stream: str
    updated: dict[str, str | None] = field(default_factory=dict)  # id -> updatedAt as listed (None: not listed)
    statuses: Counter = field(default_factory=Counter)  # status -> items listed with it
    requests: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def has_updated_at(self) -> bool:
        return bool(self.updated) and all(value is not None for value in self.updated.values())


class Lister:
    def __init__(self, target: Target, *, sleep=time.sleep):
        from source_tomorro.run import register_components

        components = register_components()
        self.target, self.sleep = target, sleep
        self.read_list_page, self.parse_instant = components.read_list_page, components.parse_instant
        self.format_instant = components.format_instant
        options = target.source_options
        self.workers = _count(options.get("num_workers")) or DEFAULT_WORKERS
        self.budget = Budget(_count(options.get("requests_per_minute")))
        self._local, self._counting = threading.local(), threading.Lock()  # a session per thread; one count

    def list(self, stream: str, *, statuses: tuple[str, ...] | None = None) -> Listing:
        """Every item of the stream's list (`statuses=()`: the list as the API serves it by default)."""
        path, items_key, every = LISTS[stream]
        wanted = every if statuses is None else statuses
        listing = Listing(stream)
        params: dict[str, Any] = {"sort": "id"}
        if wanted:
            params["status"] = "in:" + ",".join(wanted)
        first = self._get(listing, path, {**params, "limit": PAGE})
        if first.status_code in (400, 422) and wanted:
            # one read per status, when `in:` alone was refused; else the sort: read in the default order
            single = self._get(listing, path, {**params, "status": wanted[0], "limit": PAGE})
            if single.status_code < 400:
                listing.notes.append(f"Tomorro refused `status=in:` on {path}: listed once per status")
                for status in wanted:
                    self._walk(listing, path, items_key, {**params, "status": status})
                return listing
            params.pop("sort")
            first = None
        elif first.status_code in (400, 422):
            params.pop("sort")
            first = None
        if first is None:
            listing.notes.append(f"Tomorro refused `sort=id` on {path}: listed in its default order")
        self._walk(listing, path, items_key, params, first)
        return listing

    def exists(self, stream: str, record_id: str, listing: Listing) -> bool:
        """Whether Tomorro still has this record: 404 (or 410) is a deletion, 200 is not; any other answer is
        not one we can read as either, so the reconcile stops there (nothing removed)."""
        path = LISTS[stream][0]
        response = self._get(listing, f"{path}/{record_id}", {})
        if response.status_code in (404, 410):
            return False
        if response.status_code == 200:
            return True
        raise SyncError(f"Confirming that {stream} {record_id} was deleted (it is missing from the list): "
                        f"HTTP {response.status_code} to GET /{path}/{{id}} ({_message(response)}); "
                        "nothing was removed")

    def exist_all(self, stream: str, record_ids: list[str], listing: Listing) -> dict[str, bool]:
        """`exists` for each id, `self.workers` at a time. Any answer `exists` cannot read stops the rest (those
        not sent yet are never sent) and raises the error of the first such id in the order given."""
        if self.workers <= 1 or len(record_ids) <= 1:
            return {rid: self.exists(stream, rid, listing) for rid in record_ids}
        pool = cf.ThreadPoolExecutor(max_workers=min(self.workers, len(record_ids)),
                                     thread_name_prefix=f"confirm-{stream}")
        try:
            futures = {rid: pool.submit(self.exists, stream, rid, listing) for rid in record_ids}
            cf.wait(futures.values(), return_when=cf.FIRST_EXCEPTION)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # the requests under way end; no new one starts
        for future in futures.values():
            if not future.cancelled() and future.exception() is not None:
                raise future.exception()
        return {rid: future.result() for rid, future in futures.items()}

    def answer(self, listing: Listing, path: str) -> requests.Response:
        """One GET of `path` through the same budget, retries and key (429 and 5xx retried; the last answer is
        returned), for a caller that reads the answer itself."""
        return self._get(listing, path, {})

    def _walk(self, listing: Listing, path: str, items_key: str, params: dict[str, Any],
              first: requests.Response | None = None) -> None:
        cursor, response = None, first
        for _ in range(1_000_000):  # a bound, should a cursor never end
            if response is None:
                response = self._get(listing, path, {**params, "limit": PAGE, **({"after": cursor} if cursor else {})})
            if response.status_code >= 400:
                raise SyncError(f"Listing {path} failed: HTTP {response.status_code} to "
                                f"{_described(params)} ({_message(response)})")
            try:
                page = self.read_list_page(response.json(), items_key, PAGE)
            except ValueError:
                raise SyncError(f"Listing {path}: an answer that is not JSON") from None
            except Exception as error:  # the reader's own message names the shape
                raise SyncError(f"Listing {path}: {getattr(error, 'message', None) or error}") from None
            for item in page.items:
                if not item.get("id"):
                    raise SyncError(f"Listing {path}: an item without an id")
                at = self.parse_instant(item.get("updatedAt"))
                listing.updated[str(item["id"])] = self.format_instant(at) if at else None
                if isinstance(item.get("status"), str):
                    listing.statuses[item["status"]] += 1
            if page.next_cursor is None:
                return
            cursor, response = page.next_cursor, None
        raise SyncError(f"Listing {path}: the cursor never ended")

    def _get(self, listing: Listing, path: str, params: dict[str, Any]) -> requests.Response:
        url = f"{self.target.base_url.rstrip('/')}/{path}"
        session = getattr(self._local, "session", None)
        if session is None:  # requests' Session is not documented as thread-safe: one per thread
            session = self._local.session = requests.Session()
            session.headers.update({"x-api-key": self.target.api_key, "tomorro-version": API_VERSION})
        for attempt in range(RETRIES + 1):
            with self._counting:
                listing.requests += 1
            self.budget.acquire()
            try:
                response = session.get(url, params=params, timeout=60)
            except requests.RequestException as error:
                if attempt == RETRIES:
                    raise SyncError(f"Cannot reach {self.target.base_url} while listing {path}: "
                                    f"{type(error).__name__}") from None
                self.sleep(min(2 ** attempt, 30))
                continue
            if response.status_code in (401, 403):
                raise SyncError(f"Tomorro rejected the API key (HTTP {response.status_code}): check `api_key`.")
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == RETRIES:
                    return response
                self.sleep(_retry_after(response) or min(2 ** attempt, 30))
                continue
            return response
        raise AssertionError("unreachable")


def _count(value: Any) -> int | None:
    """A positive count from the source's config (its spec checks it when the source runs), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _retry_after(response: requests.Response) -> float | None:
    try:
        return min(float(response.headers.get("Retry-After", "")), 600.0)
    except ValueError:
        return None


def _described(params: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "the list"


def _message(response: requests.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    if isinstance(message, list):
        message = "; ".join(map(str, message))
    return str(message or f"HTTP {response.status_code}")[:200]
