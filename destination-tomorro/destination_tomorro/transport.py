"""HTTP for the Tomorro client: the one request choke point, its retry policy and its request budget.

`Transport.request()` owns everything HTTP: the `x-api-key` and `tomorro-version` headers, timeouts,
the client-side request budget (a thread-safe token bucket), retries and typed errors:

* 429 is retried after `Retry-After` seconds (or the backoff when the header is missing); every
  worker pauses, not only the one that got it;
* 5xx, timeouts, dropped connections and truncated bodies are retried with exponential backoff, but
  only for requests that are safe to repeat (GET, PATCH). A POST that fails this way raises
  `AmbiguousWriteError` at once: it may have landed, and only the caller can look it up;
* 401/403 raise `TomorroAuthError`, 404 `TomorroNotFoundError`, other 4xx `TomorroClientError`
  with Tomorro's message.

`RetryPolicy` is the destination's only retry policy: the writer's create-recovery waits through it
too (see recovery.py).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .errors import (
    AmbiguousWriteError,
    MalformedBodyError,
    TomorroAuthError,
    TomorroClientError,
    TomorroNotFoundError,
    TomorroTransientError,
    UnreachableError,
    api_error_message,
)

TOMORRO_VERSION = "2025-01-29.alpha"
USER_AGENT = "airbyte-destination-tomorro/0.3.0"
RETRYABLE_STATUS = {500, 502, 503, 504}


def _sleep(seconds: float) -> None:
    """Every wait of the destination goes through here (tests replace it)."""
    time.sleep(seconds)


@dataclass
class RetryPolicy:
    """How often and how long to wait before repeating a request that may succeed next time."""

    max_retries: int = 5  # 5xx, timeouts, dropped connections, truncated bodies
    rate_limit_retries: int = 20  # 429s: a rate limit is the server asking us to slow down, not a failure
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_wait: float | None = None  # cap of any one wait, Retry-After included (check: a few seconds)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: attempt 0 waits 0.25-0.5 s, doubling up to the cap."""
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not crypto

    def wait(self, seconds: float) -> None:
        _sleep(seconds if self.max_wait is None else min(seconds, self.max_wait))

    def pause(self, attempt: int) -> None:
        """Wait before repeat number `attempt` (0-based)."""
        self.wait(self.backoff(attempt))


class TokenBucket:
    """Thread-safe token bucket: `rate_per_minute` tokens a minute, bursts up to `burst`."""

    def __init__(self, rate_per_minute: int, burst: int | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] | None = None):
        self.rate = rate_per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, min(rate_per_minute, 10)))
        self.tokens = self.capacity
        self.clock = clock
        self.sleep = sleep or (lambda seconds: _sleep(seconds))
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


class Transport:
    """One requests session, the request budget and the retry policy, shared by every worker."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float | tuple[float, float] = 30.0,
                 retry: RetryPolicy | None = None, max_concurrency: int = 4, requests_per_minute: int = 600):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
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
        self._lock = threading.Lock()
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

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        url = f"{self.base_url}{path}"
        repeatable = method != "POST"
        policy = self.retry
        attempt = throttled = 0
        own_pause_end = 0.0
        while True:
            pause = self._paused_until - time.monotonic()
            if pause > 0 and self._paused_until > own_pause_end:  # another worker got a 429: back off too
                policy.wait(pause)
            self.budget.acquire()
            with self._lock:
                self.request_count += 1
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{method} {path}: {type(exc).__name__}"
                if not repeatable:
                    raise AmbiguousWriteError(f"{problem} (the request may have been applied)") from None
                if attempt >= policy.max_retries:
                    raise UnreachableError(f"{problem} after {attempt + 1} attempts") from None
                policy.pause(attempt)
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
                    if attempt >= policy.max_retries:
                        raise MalformedBodyError(problem, status) from None
                    policy.pause(attempt)
                    attempt += 1
                    continue

            body = _safe_json(response)
            message = api_error_message(body, response.reason or f"HTTP {status}")
            if status == 429:
                # not applied, so always safe to repeat; its own, larger budget
                if throttled >= max(policy.max_retries, policy.rate_limit_retries):
                    raise TomorroTransientError(
                        f"{method} {path}: still rate limited (HTTP 429) after {throttled + 1} attempts", status, body)
                delay = _retry_after(response)
                delay = delay if delay is not None else policy.backoff(min(throttled, 6))
                own_pause_end = time.monotonic() + delay
                with self._lock:
                    self._paused_until = max(self._paused_until, own_pause_end)
                policy.wait(delay)
                throttled += 1
                continue
            if status in RETRYABLE_STATUS:
                if not repeatable:
                    raise AmbiguousWriteError(f"{method} {path}: HTTP {status} ({message})", status, body)
                if attempt >= policy.max_retries:
                    raise TomorroTransientError(
                        f"{method} {path}: HTTP {status} after {attempt + 1} attempts ({message})", status, body
                    )
                policy.pause(attempt)
                attempt += 1
                continue
            if status in (401, 403):
                raise TomorroAuthError("Tomorro rejected the API key", status, body)
            if status == 404:
                raise TomorroNotFoundError(f"{method} {path}: not found ({message})", status, body)
            raise TomorroClientError(message, status, body)


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
