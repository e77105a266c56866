"""What `/health` shows: deliveries received, verified, rejected, duplicates; pulls; event-to-data lag."""

from __future__ import annotations

import threading
import time
from collections import deque

LAGS_KEPT = 1000  # the last lags, for the percentiles


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.time()
        self.counts = dict.fromkeys(("received", "verified", "rejected", "invalid", "too_large", "stored",
                                     "duplicates", "store_failures", "pulls", "pull_failures"), 0)
        self.pull_running = False
        self.last_pull_error: str | None = None
        self._lags: deque[float] = deque(maxlen=LAGS_KEPT)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def pull_started(self) -> None:
        with self._lock:
            self.pull_running = True

    def pull_finished(self, *, ok: bool, error: str | None = None, lags: list[float] = ()) -> None:
        with self._lock:
            self.pull_running = False
            self.counts["pulls" if ok else "pull_failures"] += 1
            self.last_pull_error = None if ok else error
            self._lags.extend(lags)

    def snapshot(self) -> dict:
        with self._lock:
            lags = sorted(self._lags)
            return {
                "status": "ok" if self.last_pull_error is None else "degraded",
                "uptime_seconds": round(time.time() - self.started, 1),
                **self.counts,
                "pull_running": self.pull_running,
                "last_pull_error": self.last_pull_error,
                # seconds from an event's createdAt (Tomorro's clock) to the end of the pull that covered it
                "event_to_data_lag_seconds": {"count": len(lags), "p50": _pct(lags, 50), "p95": _pct(lags, 95),
                                              "max": lags[-1] if lags else None},
            }


def _pct(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * pct / 100))], 3)
