"""The receiver's storage and scheduling, on a real DuckDB file with a fake pull: events unique on eventId,
deletes applied at once, a burst becomes one pull, never two at once, one more after a change during a pull,
events handled only once covered, a failed pull leaves them pending, a restart finishes them."""

import datetime as dt
import json
import threading
import time

import pytest
from tomorro_sync.cache_layout import open_cache
from tomorro_sync.listen import events as E
from tomorro_sync.listen.counters import Counters
from tomorro_sync.listen.dispatcher import Dispatcher
from tomorro_sync.listen.writer import EventWriter


def event(n, kind="contractCreated", contract="c1"):
    body = json.dumps({"eventId": f"e{n}", "webhookId": "w", "createdAt": "2026-01-01T00:00:00.000Z",
                       "eventType": kind, "data": {"contract": {"id": contract}}}).encode()
    return E.Event.parse(body, dt.datetime.now(dt.UTC))


class FakePull:
    """Records each pull's start and end; optionally slow, or failing."""

    def __init__(self, seconds=0.3):
        self.seconds, self.fail, self.calls, self.running, self.overlaps = seconds, False, [], 0, 0
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.running += 1
            self.overlaps += self.running > 1
        self.calls.append(time.monotonic())
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        if self.fail:
            raise RuntimeError("the API is down")
        return "ok"


@pytest.fixture()
def db(tmp_path):
    return tmp_path / "w.duckdb"


def rows(db, sql):
    with open_cache(db) as con:
        return con.execute(sql).fetchall()


def start(db, pull, **kw):
    counters = Counters()
    dispatcher = Dispatcher(db, pull, counters, lambda m: None, quiet=kw.get("quiet", 0.1), max_wait=1.0)
    writer = EventWriter(db, dispatcher.events_stored, lambda m: None).start()
    dispatcher.start()
    return writer, dispatcher, counters


def wait_until(check, timeout=10):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_redelivered_event_is_stored_once(db):
    writer, dispatcher, _ = start(db, FakePull())
    assert writer.submit(event(1)).result(5) is True
    assert writer.submit(event(1)).result(5) is False
    both = [writer.submit(event(2)), writer.submit(event(2))]
    assert sorted(f.result(5) for f in both) == [False, True]
    writer.stop()
    dispatcher.stop()
    assert rows(db, f"SELECT count(*) FROM {E.TABLE}") == [(2,)]


def test_a_delete_removes_the_contract_and_its_files_before_the_answer(db):
    with open_cache(db) as con:
        con.execute("CREATE TABLE contracts (id VARCHAR, name VARCHAR)")
        con.execute("INSERT INTO contracts VALUES ('c1', 'a'), ('c2', 'b')")
        con.execute("CREATE TABLE contract_signed_files (id VARCHAR, contractid VARCHAR)")
        con.execute("INSERT INTO contract_signed_files VALUES ('f1', 'c1'), ('f2', 'c2')")
    pull = FakePull()
    writer, dispatcher, _ = start(db, pull)
    assert writer.submit(event(1, "contractDeleted", "c1")).result(5) is True
    assert rows(db, "SELECT id FROM contracts") == [("c2",)]  # already gone when the future resolved
    assert rows(db, "SELECT id FROM contract_signed_files") == [("f2",)]
    assert rows(db, "SELECT stream, id, via FROM _tomorro_deleted") == [("contracts", "c1", "webhook")]
    assert rows(db, f"SELECT outcome FROM {E.TABLE}") == [("deleted",)]
    writer.submit(event(2, "reminderEventCreated")).result(5)
    time.sleep(0.3)
    writer.stop()
    dispatcher.stop()
    assert pull.calls == []  # neither a delete nor a reminder pulls
    assert rows(db, f"SELECT outcome FROM {E.TABLE} WHERE event_id = 'e2'") == [("stored",)]


def test_a_burst_becomes_one_pull_and_a_change_during_a_pull_exactly_one_more(db):
    pull = FakePull(seconds=0.6)
    writer, dispatcher, counters = start(db, pull)
    for n in range(50):
        writer.submit(event(n))
    wait_until(lambda: len(pull.calls) == 1)
    time.sleep(0.1)  # the pull runs: these come during it
    during = [writer.submit(event(n)) for n in range(50, 80)]
    assert all(future.result(5) for future in during)
    wait_until(lambda: counters.counts["pulls"] == 2)
    time.sleep(0.8)
    writer.stop()
    dispatcher.stop()
    assert len(pull.calls) == 2 and pull.overlaps == 0
    assert rows(db, f"SELECT count(*) FROM {E.TABLE} WHERE handled_at IS NULL") == [(0,)]
    assert counters.snapshot()["event_to_data_lag_seconds"]["count"] == 80


def test_events_stay_pending_while_pulls_fail_and_a_restart_finishes_them(db):
    pull = FakePull(seconds=0.05)
    pull.fail = True
    writer, dispatcher, counters = start(db, pull)
    writer.submit(event(1)).result(5)
    wait_until(lambda: counters.counts["pull_failures"] == 1)
    writer.stop()
    dispatcher.stop()
    assert rows(db, f"SELECT count(*) FROM {E.TABLE} WHERE handled_at IS NULL") == [(1,)]
    assert counters.snapshot()["status"] == "degraded"
    pull.fail = False
    writer, dispatcher, counters = start(db, pull)  # a restart: nothing new arrives
    wait_until(lambda: counters.counts["pulls"] == 1)
    writer.stop()
    dispatcher.stop()
    assert rows(db, f"SELECT outcome FROM {E.TABLE}") == [("pulled",)]


def test_a_contract_deleted_during_a_pull_is_removed_again_after_it(db):
    with open_cache(db) as con:
        con.execute("CREATE TABLE contracts (id VARCHAR)")
    holder = {}

    def pull_that_rereads_c9():  # read the API before the delete, write after it
        holder["writer"].submit(event(2, "contractDeleted", "c9")).result(5)
        with open_cache(db) as con:
            con.execute("INSERT INTO contracts VALUES ('c9')")
        return "ok"

    writer, dispatcher, counters = start(db, pull_that_rereads_c9)
    holder["writer"] = writer
    writer.submit(event(1)).result(5)
    wait_until(lambda: counters.counts["pulls"] == 1)
    writer.stop()
    dispatcher.stop()
    assert rows(db, "SELECT count(*) FROM contracts") == [(0,)]


def test_no_connection_is_held_between_writes(db):
    import subprocess
    import sys

    writer, dispatcher, _ = start(db, FakePull())
    writer.submit(event(1, "reminderEventCreated")).result(5)
    time.sleep(0.5)  # the dispatcher's look at the stored events, at its start, is over: the receiver waits
    code = ("import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            f"print(con.execute('SELECT count(*) FROM {E.TABLE}').fetchone()[0])")
    other_process = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=60)
    writer.stop()
    dispatcher.stop()
    assert other_process.stdout.strip() == "1", other_process.stderr


@pytest.mark.parametrize("body, problem", [
    (b"not json", "not JSON"), (b"[]", "not a JSON object"), (b'{"eventType": "contractCreated"}', "eventId"),
    (b'{"eventId": "e", "eventType": "contractDeleted", "data": {}}', "data.contract.id"),
])
def test_a_body_that_is_not_the_envelope_is_named(body, problem):
    with pytest.raises(E.EnvelopeError, match=problem):
        E.Event.parse(body, dt.datetime.now(dt.UTC))


def test_a_request_that_gave_up_waiting_never_stops_the_writer(db):
    """A delivery answered 503 after a timeout leaves its future cancelled; the writer must store it anyway and
    go on storing the next ones (a dead writer would lose every later event)."""
    writer, dispatcher, _ = start(db, FakePull())
    with open_cache(db):  # another process's connection holds the file: the batch waits, then fails
        gave_up = writer.submit(event(1))
        gave_up.cancel()  # what asyncio.wait_for did to it before the fix: the request stopped waiting
        time.sleep(0.2)
    assert writer.submit(event(2)).result(10) is True
    assert writer._thread.is_alive()
    writer.stop()
    dispatcher.stop()


def test_when_marking_the_events_fails_after_a_pull_then_health_shows_no_pull_running_and_the_error(db, monkeypatch):
    pull = FakePull(seconds=0.05)
    writer, dispatcher, counters = start(db, pull)
    mark_handled = E.mark_handled

    def failing(con, ids, outcome, *args, **kwargs):
        if outcome == "pulled":
            raise OSError("disk full")
        return mark_handled(con, ids, outcome, *args, **kwargs)

    monkeypatch.setattr(E, "mark_handled", failing)
    writer.submit(event(1)).result(5)
    wait_until(lambda: counters.counts["pull_failures"] >= 1)
    writer.stop()
    dispatcher.stop()
    health = counters.snapshot()
    assert health["pull_running"] is False and health["status"] == "degraded"
    assert "marking its events failed: disk full" in health["last_pull_error"]
    assert rows(db, f"SELECT count(*) FROM {E.TABLE} WHERE handled_at IS NULL") == [(1,)]  # still pending: retried
