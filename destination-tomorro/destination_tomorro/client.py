"""TomorroClient: one method per Tomorro API endpoint, one `_request()` choke point.

`_request()` owns everything HTTP: the `x-api-key` and `tomorro-version` headers, timeouts, the
client-side request budget (a thread-safe token bucket), retries and typed errors:

* 429 is retried after `Retry-After` seconds (or the backoff when the header is missing);
* 5xx, timeouts and dropped connections are retried with exponential backoff, but only for
  requests that are safe to repeat (GET, PATCH). A POST that fails this way raises
  `AmbiguousWriteError` at once: it may have landed, and only the caller can look it up;
* 401/403 raise `TomorroAuthError`, other 4xx `TomorroClientError` with Tomorro's message.

Endpoint pages: https://alpha.developer.tomorro.com/api-reference/2025-01-29-alpha/...
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .errors import (
    AmbiguousWriteError,
    TomorroAuthError,
    TomorroClientError,
    TomorroNotFoundError,
    TomorroTransientError,
    api_error_message,
)

TOMORRO_VERSION = "2025-01-29.alpha"
USER_AGENT = "airbyte-destination-tomorro/0.1.0"
RETRYABLE_STATUS = {500, 502, 503, 504}
RATE_LIMIT_RETRIES = 20  # 429s are retried up to this many times (or max_retries if larger)
MAX_PAGE = 50
logger = logging.getLogger("airbyte")


def _sleep(seconds: float) -> None:
    """Every wait of the client goes through here (tests replace it)."""
    time.sleep(seconds)


class TokenBucket:
    """Thread-safe token bucket: `rate_per_minute` tokens a minute, bursts up to `burst`."""

    def __init__(self, rate_per_minute: int, burst: int | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] | None = None):
        self.rate = rate_per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, min(rate_per_minute, 10)))
        self.tokens = self.capacity
        self.clock = clock
        self.sleep = sleep or time.sleep
        self.updated = clock()
        self.lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available. Returns the time waited."""
        waited = 0.0
        while True:
            with self.lock:
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return waited
                wait = (1 - self.tokens) / self.rate
            self.sleep(wait)
            waited += wait


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
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep or (lambda seconds: _sleep(seconds))
        self.budget = TokenBucket(requests_per_minute)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=max_concurrency, pool_maxsize=max_concurrency, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {"x-api-key": api_key, "tomorro-version": TOMORRO_VERSION, "User-Agent": USER_AGENT,
             "Accept": "application/json"}
        )
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._paused_until = 0.0  # monotonic time before which no request is sent (after a 429)
        self.clock_offset = 0.0  # server clock - local clock, in seconds, from the last `Date` header

    def server_now(self) -> dt.datetime:
        """The server's current time as far as we know (its `Date` headers): ambiguous-create
        lookups filter on the server's `createdAt`, so a skewed local clock must not matter."""
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.clock_offset)

    def _observe_clock(self, response: requests.Response) -> None:
        value = response.headers.get("Date")
        if not value:
            return
        try:
            server = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if server.tzinfo is not None:
            self.clock_offset = (server - dt.datetime.now(dt.UTC)).total_seconds()

    def close(self) -> None:
        self.session.close()

    # -- the choke point -------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not crypto

    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 json: Any = None) -> Any:
        url = f"{self.base_url}{path}"
        repeatable = method != "POST"
        attempt = throttled = 0
        own_pause_end = 0.0
        while True:
            pause = self._paused_until - time.monotonic()
            if pause > 0 and self._paused_until > own_pause_end:  # another worker got a 429: back off too
                self.sleep(pause)
            self.budget.acquire()
            with self._count_lock:
                self.request_count += 1
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{method} {path}: {type(exc).__name__}"
                if not repeatable:
                    raise AmbiguousWriteError(f"{problem} (the request may have been applied)") from None
                if attempt >= self.max_retries:
                    raise TomorroTransientError(f"{problem} after {attempt + 1} attempts") from None
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue

            self._observe_clock(response)
            status = response.status_code
            if status < 400:
                if status == 204 or not response.content:
                    return None
                try:
                    return response.json()
                except ValueError:
                    problem = f"{method} {path}: truncated or malformed JSON body (HTTP {status})"
                    if not repeatable:
                        raise AmbiguousWriteError(problem) from None
                    if attempt >= self.max_retries:
                        raise TomorroTransientError(problem) from None
                    self.sleep(self._backoff(attempt))
                    attempt += 1
                    continue

            body = _safe_json(response)
            message = api_error_message(body, response.reason or f"HTTP {status}")
            if status == 429:
                # not applied, so always safe to repeat; its own, larger budget: a 429 storm is the
                # server asking us to slow down, not a failure. Every worker pauses, not just this one.
                if throttled >= max(self.max_retries, RATE_LIMIT_RETRIES):
                    raise TomorroTransientError(
                        f"{method} {path}: still rate limited (HTTP 429) after {throttled + 1} attempts", status, body)
                delay = _retry_after(response)
                delay = delay if delay is not None else self._backoff(min(throttled, 6))
                own_pause_end = time.monotonic() + delay
                with self._count_lock:
                    self._paused_until = max(self._paused_until, own_pause_end)
                self.sleep(delay)
                throttled += 1
                continue
            if status in RETRYABLE_STATUS:
                if not repeatable:
                    raise AmbiguousWriteError(f"{method} {path}: HTTP {status} ({message})", status, body)
                if attempt >= self.max_retries:
                    raise TomorroTransientError(
                        f"{method} {path}: HTTP {status} after {attempt + 1} attempts ({message})", status, body
                    )
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if status in (401, 403):
                raise TomorroAuthError("Tomorro rejected the API key", status, body)
            if status == 404:
                raise TomorroNotFoundError(f"{method} {path}: not found ({message})", status, body)
            raise TomorroClientError(message, status, body)

    # -- members ---------------------------------------------------------------------------------
    def list_members(self, limit: int = 1) -> dict[str, Any]:
        """GET /members: list workspace members (members/list-members). Used by `check`."""
        return self._request("GET", "/members", params={"limit": limit})

    # -- contracts -------------------------------------------------------------------------------
    def list_contracts_page(self, params: dict[str, Any]) -> dict[str, Any]:
        """GET /contracts: one page of full Contract objects (contracts/list-contracts)."""
        return self._request("GET", "/contracts", params=params)

    def iter_contracts(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every contract matching `filters` (e.g. createdAt="gte:..."), 50 per page."""
        params: dict[str, Any] = {"limit": MAX_PAGE, **filters}
        while True:
            page = self.list_contracts_page(params)
            yield from page.get("contracts") or []
            cursor = page.get("nextCursor")
            if not page.get("hasNext") or not cursor:
                return
            params = {**params, "after": cursor}

    def get_contract(self, contract_id: str) -> dict[str, Any]:
        """GET /contracts/{id} (contracts/get-contract)."""
        return self._request("GET", f"/contracts/{contract_id}")

    def create_contract(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /contracts (contracts/create-contract). Not idempotent: see AmbiguousWriteError."""
        return self._request("POST", "/contracts", json=body)

    def update_contract(self, contract_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /contracts/{id} (contracts/update-contract)."""
        return self._request("PATCH", f"/contracts/{contract_id}", json=body)

    # -- counterparties --------------------------------------------------------------------------
    def iter_counterparties(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """GET /counterparties, every page (counterparties/list-counterparties). `name` is a
        case-insensitive partial match."""
        params: dict[str, Any] = {"limit": MAX_PAGE, **filters}
        while True:
            page = self._request("GET", "/counterparties", params=params)
            yield from page.get("data") or []
            cursor = (page.get("pagination") or {}).get("next_cursor")
            if not (page.get("pagination") or {}).get("has_next") or not cursor:
                return
            params = {**params, "after": cursor}

    def create_counterparty(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /counterparties (counterparties/create-counterparty). Not idempotent."""
        return self._request("POST", "/counterparties", json=body)

    def update_counterparty(self, counterparty_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /counterparties/{id} (counterparties/update-counterparty)."""
        return self._request("PATCH", f"/counterparties/{counterparty_id}", json=body)

    # -- schema: contract types, templates, smart fields, options ------------------------------
    def iter_contract_types(self) -> Iterator[dict[str, Any]]:
        """GET /contract-types with their templates (contract-types/list-contract-types)."""
        params: dict[str, Any] = {"limit": MAX_PAGE}
        while True:
            page = self._request("GET", "/contract-types", params=params)
            yield from page.get("contractTypes") or []
            cursor = page.get("nextCursor")
            if not page.get("hasNext") or not cursor:
                return
            params = {**params, "after": cursor}

    def iter_smart_fields(self, object_kind: str) -> Iterator[dict[str, Any]]:
        """GET /smart-fields?object=contract|external_party (smart-fields/list-smart-fields)."""
        yield from self._iter_data("/smart-fields", {"object": object_kind})

    def iter_options(self, smart_field_id: str) -> Iterator[dict[str, Any]]:
        """GET /smart-fields/{id}/options: options of a select / multiselect field
        (smart-fields/list-smart-field-options)."""
        yield from self._iter_data(f"/smart-fields/{smart_field_id}/options", {})

    def _iter_data(self, path: str, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": MAX_PAGE, **filters}
        while True:
            page = self._request("GET", path, params=params)
            yield from page.get("data") or []
            pagination = page.get("pagination") or {}
            if not pagination.get("has_next") or not pagination.get("next_cursor"):
                return
            params = {**params, "after": pagination["next_cursor"]}


def _safe_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
