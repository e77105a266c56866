"""Stores verified events in the DuckDB file, in batches, before their deliveries are answered.

Requests hand their event to one writer thread and wait for its verdict (new or duplicate). The thread
takes everything queued, opens the file, writes the batch in one transaction and closes it: under a burst a
batch grows while the previous one commits, so the file is opened a few times, not once per event; between
bursts no connection is open and other processes can read the file. A `contractDeleted` is applied in the
same transaction that stores it (the contract and its signed files leave the tables at once, recorded in
`_tomorro_deleted`); a reminder, or an event type nobody documented, is stored and marked handled.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from ..deletions import remove_deleted
from . import events as E
from .dbfile import open_when_free

OPEN_WAIT_SECONDS = 1.5  # a reader holds the file: wait this long, then answer 503 (Tomorro delivers again)


class EventWriter:
    def __init__(self, db: Path, on_stored: Callable[[list[E.Event]], None], log: Callable[[str], None]) -> None:
        self.db, self.on_stored, self.log = db, on_stored, log
        self._queue: queue.Queue[tuple[E.Event, Future] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)

    def start(self) -> EventWriter:
        with open_when_free(self.db, OPEN_WAIT_SECONDS) as con:  # fails at start, naming the file, if it cannot be opened
            E.ensure_table(con)
        self._thread.start()
        return self

    def submit(self, event: E.Event) -> Future:
        """A future: True once the event is stored, False when it already was; an exception if it could not be."""
        future: Future = Future()
        self._queue.put((event, future))
        return future

    def stop(self) -> None:
        """Store what was submitted, then end the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch, stop = [], item is None
            while item is not None:
                batch.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            else:
                stop = True
            if batch:
                try:
                    self._write(batch)
                except Exception as err:  # noqa: BLE001 - the writer outlives any one batch, or every later event is lost
                    self.log(f"the event writer failed on a batch and goes on: {err}")
            if stop:
                return

    def _write(self, batch: list[tuple[E.Event, Future]]) -> None:
        try:
            new = self._store([event for event, _ in batch])
        except Exception as err:  # noqa: BLE001 - every waiting request is answered 503; Tomorro delivers again
            self.log(f"could not store {len(batch)} event(s): {err}")
            for _, future in batch:
                if not future.done():  # its request may have timed out and given up
                    future.set_exception(err)
            return
        for (_, future), is_new in zip(batch, new, strict=True):
            if not future.done():
                future.set_result(is_new)
        stored = [event for (event, _), is_new in zip(batch, new, strict=True) if is_new]
        if stored:
            self.on_stored(stored)

    def _store(self, batch: list[E.Event]) -> list[bool]:
        with open_when_free(self.db, OPEN_WAIT_SECONDS) as con:
            con.begin()
            new = E.store(con, batch)
            self._handle_at_once(con, [event for event, is_new in zip(batch, new, strict=True) if is_new])
            con.commit()
            return new

    @staticmethod
    def _handle_at_once(con, stored: list[E.Event]) -> None:
        now = dt.datetime.now(dt.UTC)
        deleted = [event for event in stored if event.event_type == E.DELETE_EVENT]
        if deleted:
            remove_deleted(con, "contracts", [event.contract_id for event in deleted], via="webhook", detected_at=now)
            E.mark_handled(con, [event.event_id for event in deleted], "deleted", now)
        kept = [event.event_id for event in stored if event.event_type in E.STORED_ONLY]
        E.mark_handled(con, kept, "stored", now)
        unknown = [event.event_id for event in stored
                   if event.event_type not in (*E.PULL_EVENTS, E.DELETE_EVENT, *E.STORED_ONLY)]
        E.mark_handled(con, unknown, "ignored: event type not documented", now)
