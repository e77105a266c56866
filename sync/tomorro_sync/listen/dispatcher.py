"""The work after the answer: contract changes become pulls, debounced, never two at once.

One thread runs every pull, so two never overlap. When stored events ask for one, it waits until no new
event came for `quiet` seconds (at most `max_wait` after the first), so a burst becomes one pull; events
that arrive while a pull runs are covered by exactly one more pull after it (they were stored after it
started, so it may have read the API before their change). An event is marked handled only when a pull that
started after it was stored has finished: a pull that fails leaves it pending, retried after a growing
delay and at the next start. Contracts deleted while a pull ran are removed again after it (the pull may
have read them just before they were deleted).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..deletions import remove_deleted
from ..redaction import redact
from . import events as E
from .counters import Counters
from .dbfile import open_when_free

DB_WAIT_SECONDS = 10.0  # a reader holds the file: the dispatcher is in no hurry, it waits longer than requests

RETRY_DELAYS = (5, 15, 60, 300)  # seconds before retrying a failed pull, then every 5 minutes


class Dispatcher:
    def __init__(self, db: Path, run_pull: Callable[[], str], counters: Counters, log: Callable[[str], None], *,
                 quiet: float = 0.25, max_wait: float = 1.0) -> None:
        """`run_pull` does one pull (local or Airbyte) and returns a one-line summary; it raises when it fails."""
        self.db, self.run_pull, self.counters, self.log = db, run_pull, counters, log
        self.quiet, self.max_wait = quiet, max_wait
        self._wake = threading.Condition()
        self._last_event = 0.0  # monotonic time of the last stored event that asks for a pull
        self._wanted = True  # look at the stored events at start: a restart finishes what was left
        self._stopping = False
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)

    def start(self) -> Dispatcher:
        self._thread.start()
        return self

    def events_stored(self, stored: list[E.Event]) -> None:
        if any(event.event_type in E.PULL_EVENTS for event in stored):
            with self._wake:
                self._wanted, self._last_event = True, time.monotonic()
                self._wake.notify()

    def stop(self, timeout: float | None = None) -> bool:
        """Start no new pull, let the running one finish; False if it is still running after `timeout`."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        retry_at = None
        while True:
            with self._wake:
                while not self._stopping and not self._wanted and (retry_at is None or time.monotonic() < retry_at):
                    self._wake.wait(None if retry_at is None else max(0.0, retry_at - time.monotonic()))
                if self._stopping:
                    return
                self._debounce()
                if self._stopping:
                    return
                self._wanted = False
            try:
                done = self._pull_once()
            except Exception as err:  # noqa: BLE001 - the file could not be read or written: retried, never lost
                self._failures += 1
                self.log(f"could not read or mark the stored events (retried in {self._retry_delay()} s): {err}")
                done = False
            retry_at = None if done else time.monotonic() + self._retry_delay()

    def _debounce(self) -> None:
        """Wait (lock held, released while waiting) until events stop coming for `quiet` s, or `max_wait` s."""
        started = time.monotonic()
        while not self._stopping:
            now = time.monotonic()
            wait = min(self._last_event + self.quiet, started + self.max_wait) - now
            if wait <= 0:
                return
            self._wake.wait(wait)

    def _pull_once(self) -> bool:
        """One pull covering every pending event stored before it starts; True when nothing is left to retry."""
        with open_when_free(self.db, DB_WAIT_SECONDS) as con:
            pending = E.pending_pull_events(con)
        if not pending:
            return True
        started_at = dt.datetime.now(dt.UTC)
        self.counters.pull_started()
        try:
            summary = self.run_pull()
        except Exception as err:  # noqa: BLE001 - reported, the events stay pending and are retried
            self._failures += 1
            self.counters.pull_finished(ok=False, error=redact(str(err)))  # /health shows it
            self.log(f"pull failed ({len(pending)} event(s) stay pending, retried in {self._retry_delay()} s): {err}")
            return False
        self._failures = 0
        finished_at = dt.datetime.now(dt.UTC)
        try:
            with open_when_free(self.db, DB_WAIT_SECONDS) as con:
                con.begin()
                again = E.deleted_since(con, started_at)
                if again:
                    remove_deleted(con, "contracts", again, via="webhook")
                E.mark_handled(con, [event_id for event_id, _, _ in pending], "pulled", finished_at)
                con.commit()
        except Exception as err:  # the pull is over either way: /health must not show it running
            self.counters.pull_finished(ok=False, error=redact(f"the pull ended, marking its events failed: {err}"))
            raise
        self.counters.pull_finished(ok=True, lags=[(finished_at - (created or received)).total_seconds()
                                                   for _, created, received in pending])
        self.log(f"pull for {len(pending)} event(s) done: {summary}")
        return True

    def _retry_delay(self) -> int:
        return RETRY_DELAYS[min(max(self._failures, 1), len(RETRY_DELAYS)) - 1]
