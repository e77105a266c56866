"""The client-side request budget (`requests_per_minute`), shared by every thread of one job that sends requests
to the API: the signed files' downloads, the reconcile's listing and its per-id confirmations."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Budget:
    """The client-side request budget, shared by every worker: at most `per_minute` requests in any minute
    and a 60th of it in any 1.02 s (as the source paces itself); None: no budget."""

    def __init__(self, per_minute: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.windows = [] if not per_minute else [(max(1, per_minute // 60), 1.02), (per_minute, 60.0)]
        self.sent: deque[float] = deque()
        self.clock, self.lock = clock, threading.Lock()

    def acquire(self) -> None:
        while self.windows:
            with self.lock:
                now = self.clock()
                while self.sent and self.sent[0] <= now - 60.0:
                    self.sent.popleft()
                wait = 0.0
                for limit, seconds in self.windows:
                    recent = [t for t in self.sent if t > now - seconds]
                    if len(recent) >= limit:
                        wait = max(wait, recent[-limit] + seconds - now)
                if wait <= 0:
                    self.sent.append(now)
                    return
            time.sleep(wait)
