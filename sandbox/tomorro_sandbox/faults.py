"""Misbehaviour on demand: latency, per-key rate limit, 5xx, connection resets, slow and truncated
bodies. Every draw comes from one RNG seeded with the sandbox seed, so a given sequence of requests
meets the same faults on every run.

Order for each /v2 request (after auth and version checks, so a bad key is always a clean 401):
rate limit -> latency -> error -> reset -> (handler) -> malformed or slow body.
"""

import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field, fields

from .errors import ApiError, TooManyRequests

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")
_FIVE_XX = ((500, "Internal server error"), (502, "Bad gateway"), (503, "Service unavailable"))


@dataclass
class FaultSettings:
    latency_ms: float = 0
    jitter_ms: float = 0
    rate_limit: str | None = None  # "N/SECONDS", per API key, sliding window
    error_rate: float = 0
    reset_rate: float = 0
    slow_body_rate: float = 0
    malformed_rate: float = 0

    def to_dict(self) -> dict:
        return asdict(self)


def parse_rate(value: str | None) -> tuple[int, float] | None:
    if value in (None, "", "0", "off"):
        return None
    m = _RATE.match(str(value))
    if not m or int(m.group(1)) < 1 or float(m.group(2)) <= 0:
        raise ValueError(f"rate limit must look like N/SECONDS (e.g. 10/1), got {value!r}")
    return int(m.group(1)), float(m.group(2))


@dataclass
class Draw:
    """What happens to one request; decided up front under the lock."""

    delay: float = 0.0
    error: tuple | None = None
    reset: bool = False
    malformed: bool = False
    slow: bool = False


@dataclass
class Faults:
    seed: int = 0
    settings: FaultSettings = field(default_factory=FaultSettings)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._windows: dict = {}
        self._rate = parse_rate(self.settings.rate_limit)

    def update(self, **changes) -> dict:
        names = {f.name for f in fields(FaultSettings)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)} (known: {', '.join(sorted(names))})")
        new = FaultSettings(**{**self.settings.to_dict(), **changes})
        for name in ("error_rate", "reset_rate", "slow_body_rate", "malformed_rate", "latency_ms", "jitter_ms"):
            v = getattr(new, name)
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"{name} must be a number, got {v!r}")
            if name.endswith("_rate") and not 0 <= v <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {v}")
            if name.endswith("_ms") and v < 0:
                raise ValueError(f"{name} must be >= 0, got {v}")
            setattr(new, name, float(v))
        rate = parse_rate(new.rate_limit)
        with self._lock:
            self.settings, self._rate = new, rate
            self._windows.clear()
        return new.to_dict()

    def reset_rng(self, seed: int) -> None:
        with self._lock:
            self.seed, self._rng = seed, random.Random(seed)
            self._windows.clear()

    def check_rate(self, key: str, now: float) -> None:
        if self._rate is None:
            return
        limit, window = self._rate
        with self._lock:
            q = self._windows.setdefault(key, deque())
            while q and q[0] <= now - window:
                q.popleft()
            if len(q) >= limit:
                raise TooManyRequests(max(1, math.ceil(q[0] + window - now)))
            q.append(now)

    def draw(self) -> Draw:
        s = self.settings
        with self._lock:
            r = self._rng.random
            d = Draw(delay=(s.latency_ms + (r() * s.jitter_ms if s.jitter_ms else 0)) / 1000)
            if s.error_rate and r() < s.error_rate:
                d.error = _FIVE_XX[int(r() * 3)]
            elif s.reset_rate and r() < s.reset_rate:
                d.reset = True
            elif s.malformed_rate and r() < s.malformed_rate:
                d.malformed = True
            elif s.slow_body_rate and r() < s.slow_body_rate:
                d.slow = True
        return d

    def before_handler(self, key: str, now: float) -> Draw:
        self.check_rate(key, now)
        d = self.draw()
        if d.delay:
            time.sleep(d.delay)
        if d.error:
            raise ApiError(*d.error)
        return d


# --- scripted outcomes: the next requests of one route, one by one (a test's exact failure) ---
OUTCOMES = ("pass", "reset", "reset-after")  # or an HTTP status 400-599


class Script:
    """Outcomes queued per (method, route template), each used by one request of that route, in order:
    "pass" (served as usual), an HTTP status (NestJS error body, nothing applied), "reset" (connection
    reset before the handler: nothing applied) or "reset-after" (the handler runs, then the connection is
    reset: applied, answer lost). Where the random faults above give a rate, this gives a sequence."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queues: dict = {}

    def add(self, method: str, template: str, outcomes: list) -> None:
        for o in outcomes:
            if not (o in OUTCOMES or (isinstance(o, int) and not isinstance(o, bool) and 400 <= o <= 599)):
                raise ValueError(f"an outcome is one of {', '.join(OUTCOMES)} or an HTTP status 400-599, got {o!r}")
        with self._lock:
            self._queues.setdefault((method, template), deque()).extend(outcomes)

    def take(self, method: str, template: str):
        """The next outcome of this route, or None when none is queued (the usual answer)."""
        with self._lock:
            q = self._queues.get((method, template))
            return q.popleft() if q else None

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()

    def to_dict(self) -> list:
        with self._lock:
            return [{"method": m, "path": t, "outcomes": list(q)} for (m, t), q in sorted(self._queues.items()) if q]
