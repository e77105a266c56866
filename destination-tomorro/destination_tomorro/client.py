"""TomorroClient: one method per Tomorro API endpoint, every request through `Transport.request()`.

Every list goes through `_list()`, the one pagination loop, which reads pages with
`envelopes.read_page` (the destination's one reader of list envelopes, held to tests/data/envelope_rules.json).

Slim list items. The documentation shows list items that are only `{id, name, status}` ("fetch
full details with GET /contracts/{id}"). `iter_full_contracts` / `iter_full_counterparties` yield
items with everything matching needs: an item that lacks a key of `WHOLE_ITEM_KEYS` (per list path)
is fetched with `GET /{resource}/{id}`, up to `max_concurrency` at a time, each
request inside the same request budget. The first time an account serves slim items it is logged
once, with the cost (one extra request per item).

Every status. A list asked without `status` may hide some (the counterparties' filter is documented as
`active` or `in:active,archived`, tomorro-api.md §3): a match that missed an archived counterparty or a
canceled contract would create a duplicate of it. So every list of contracts and counterparties names
every status (`status=in:...`); where Tomorro refuses `in:` (400 / 422 on the first page), each status
is listed on its own, logged once per sync (`note_status_in_refused`, shared with contract_listing.py), and the
objects changed while those lists were read are read again (status_moves.py: contract_listing.py and
counterparty_listing.py call it; this module's own lists do not).

Endpoint pages: https://alpha.developer.tomorro.com/api-reference/2025-01-29-alpha/...
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .envelopes import ITEMS_KEY_OF, read_page
from .errors import TomorroClientError, TomorroNotFoundError
from .transport import RetryPolicy, Transport

MAX_PAGE = 50
# what matching and diffing read from an existing object, per list path: an item lacking one is fetched whole
WHOLE_ITEM_KEYS = {"/contracts": ("integration", "fields", "counterparty", "status", "name"),
                   "/counterparties": ("name", "status", "fields")}
# every status of each list (the source's manifest names the same): a list without `status` may hide some
EVERY_STATUS = {"/contracts": ("draft", "negotiating", "signing", "signed", "canceled"),
                "/counterparties": ("active", "archived")}
logger = logging.getLogger("airbyte")


class TomorroClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_concurrency: int = 4,
        requests_per_minute: int = 600,
    ):
        self.transport = Transport(base_url, api_key, timeout=timeout, retry=RetryPolicy(max_retries=max_retries),
                                   max_concurrency=max_concurrency, requests_per_minute=requests_per_minute)
        self.max_concurrency = max_concurrency
        self.hydrated: dict[str, int] = {}  # resource -> items fetched one by one (slim lists)
        self._hydrate_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._one_status_a_list: set[str] = set()  # paths whose `status` refused `in:`

    @property
    def retry(self) -> RetryPolicy:
        return self.transport.retry

    @property
    def request_count(self) -> int:
        return self.transport.request_count

    def server_now(self) -> dt.datetime:
        return self.transport.server_now()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self.transport.close()

    def _list(self, path: str, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, page after page (`limit` 50, `after` = the next cursor)."""
        params: dict[str, Any] = {"limit": MAX_PAGE, **filters}
        while True:
            page = read_page(self.transport.request("GET", path, params=params), limit=MAX_PAGE,
                             items_key=ITEMS_KEY_OF.get(path, "data"), where=f"GET {path}")
            yield from page.items
            if not page.has_next or not page.next_cursor:
                return
            params = {**params, "after": page.next_cursor}

    def _list_every_status(self, path: str, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """`_list` naming every status (module docstring), unless `filters` names one."""
        statuses = EVERY_STATUS[path]
        if "status" in filters:
            yield from self._list(path, filters)
            return
        if not self.one_status_a_list(path):
            items = self._list(path, {**filters, "status": "in:" + ",".join(statuses)})
            try:
                first = next(items)
            except StopIteration:
                return
            except TomorroClientError as refused:
                if not self.note_status_in_refused(path, refused):
                    raise
            else:
                yield first
                yield from items
                return
        for status in statuses:
            yield from self._list(path, {**filters, "status": status})

    def one_status_a_list(self, path: str) -> bool:
        """Whether `path` refused `status=in:` in this sync: each of its statuses is listed on its own."""
        with self._hydrate_lock:
            return path in self._one_status_a_list

    def note_status_in_refused(self, path: str, error: TomorroClientError) -> bool:
        """Whether `error` is Tomorro refusing `status=in:` on `path` (400 / 422); if so, from now on each status
        is listed on its own, logged once per sync (whichever reader met it first)."""
        if isinstance(error, TomorroNotFoundError) or error.status_code not in (400, 422):
            return False
        with self._hydrate_lock:
            first = path not in self._one_status_a_list
            self._one_status_a_list.add(path)
        if first:
            logger.warning(f"GET {path} refuses `status=in:` (HTTP {error.status_code}): each status is listed on "
                           f"its own ({', '.join(EVERY_STATUS[path])}); {path[1:]} changed while they are read are "
                           "then read again")
        return True

    def _full(self, items: Iterable[dict[str, Any]], needed: tuple[str, ...], resource: str,
              fetch: Callable[[str], dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """`items` in order, each slim one replaced by `fetch(id)` (one page's worth at a time, up to
        `max_concurrency` in flight); an item deleted in between (404) is left out."""
        page: list[dict[str, Any]] = []
        for item in items:
            page.append(item)
            if len(page) == MAX_PAGE:
                yield from self.whole_items(page, needed, resource, fetch)
                page = []
        yield from self.whole_items(page, needed, resource, fetch)

    def whole_items(self, page: list[dict[str, Any]], needed: tuple[str, ...], resource: str,
                    fetch: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
        """`page` with every item lacking a key of `needed` fetched whole (`fetch`, side by side); one deleted
        since it was listed (None) is left out."""
        slim = [i for i, item in enumerate(page) if any(key not in item for key in needed)]
        if not slim:
            return page
        with self._hydrate_lock:
            first = resource not in self.hydrated
            self.hydrated[resource] = self.hydrated.get(resource, 0) + len(slim)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="tomorro-hydrate")
        if first:
            missing = sorted({key for i in slim for key in needed if key not in page[i]})
            logger.warning(f"GET /{resource} serves slim list items (without {', '.join(missing)}): each such item "
                           f"is fetched with GET /{resource}/{{id}}, one extra request per item "
                           f"(up to {self.max_concurrency} at a time, within requests_per_minute)")

        def one(item: dict[str, Any]) -> dict[str, Any] | None:
            try:
                return fetch(item["id"])
            except TomorroNotFoundError:
                return None  # deleted since it was listed

        fetched = dict(zip(slim, self._pool.map(one, [page[i] for i in slim]), strict=True))
        return [fetched.get(i, item) for i, item in enumerate(page) if fetched.get(i, item) is not None]

    # -- members ---------------------------------------------------------------------------------
    def list_members(self, limit: int = 1) -> dict[str, Any]:
        """GET /members: list workspace members (members/list-members). Used by `check`."""
        return self.transport.request("GET", "/members", params={"limit": limit})

    # -- contracts -------------------------------------------------------------------------------
    def iter_contracts(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """GET /contracts, every page (contracts/list-contracts), e.g. createdAt="gte:..."."""
        return self._list_every_status("/contracts", filters)

    def iter_full_contracts(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every contract matching `filters`, slim list items fetched whole (module docstring)."""
        return self._full(self.iter_contracts(**filters), WHOLE_ITEM_KEYS["/contracts"], "contracts", self.get_contract)

    def get_contract(self, contract_id: str) -> dict[str, Any]:
        """GET /contracts/{id} (contracts/get-contract)."""
        return self.transport.request("GET", f"/contracts/{contract_id}")

    def create_contract(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /contracts (contracts/create-contract). Not idempotent: see AmbiguousWriteError."""
        return self.transport.request("POST", "/contracts", json=body)

    def update_contract(self, contract_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /contracts/{id} (contracts/update-contract)."""
        return self.transport.request("PATCH", f"/contracts/{contract_id}", json=body)

    # -- counterparties --------------------------------------------------------------------------
    def iter_counterparties(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """GET /counterparties, every page (counterparties/list-counterparties). `name` is a
        case-insensitive partial match."""
        return self._list_every_status("/counterparties", filters)

    def iter_full_counterparties(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every counterparty matching `filters`, slim list items fetched whole (module docstring)."""
        return self._full(self.iter_counterparties(**filters), WHOLE_ITEM_KEYS["/counterparties"], "counterparties",
                          self.get_counterparty)

    def full_counterparty(self, counterparty: dict[str, Any]) -> dict[str, Any] | None:
        """`counterparty` itself when it is whole, else fetched (None: deleted since listed)."""
        whole = self.whole_items([counterparty], WHOLE_ITEM_KEYS["/counterparties"], "counterparties",
                                 self.get_counterparty)
        return next(iter(whole), None)

    def get_counterparty(self, counterparty_id: str) -> dict[str, Any]:
        """GET /counterparties/{id} (counterparties/get-a-counterparty)."""
        return self.transport.request("GET", f"/counterparties/{counterparty_id}")

    def create_counterparty(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /counterparties (counterparties/create-counterparty). Not idempotent."""
        return self.transport.request("POST", "/counterparties", json=body)

    def update_counterparty(self, counterparty_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /counterparties/{id} (counterparties/update-counterparty)."""
        return self.transport.request("PATCH", f"/counterparties/{counterparty_id}", json=body)

    # -- schema: contract types, templates, smart fields, options ------------------------------
    def iter_contract_types(self) -> Iterator[dict[str, Any]]:
        """GET /contract-types with their templates (contract-types/list-contract-types)."""
        return self._list("/contract-types", {})

    def iter_smart_fields(self, object_kind: str) -> Iterator[dict[str, Any]]:
        """GET /smart-fields?object=contract|external_party (smart-fields/list-smart-fields)."""
        return self._list("/smart-fields", {"object": object_kind})

    def iter_options(self, smart_field_id: str) -> Iterator[dict[str, Any]]:
        """GET /smart-fields/{id}/options: options of a select / multiselect field
        (smart-fields/list-smart-field-options)."""
        return self._list(f"/smart-fields/{smart_field_id}/options", {})
