"""End to end: `tomorro-sync listen` (the console script) receives the sandbox's own signed deliveries.

Creates, status changes, signatures and deletes reach DuckDB; forged, stale, replayed and oversize deliveries
change nothing; a receiver SIGKILLed during a pull loses no event: the next start pulls for it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time

import duckdb
import pytest
import requests
from tomorro_sandbox import SandboxServer
from tomorro_sync.connectors import executable
from tomorro_sync.listen.signature import sign
from tomorro_sync.pull import pull
from tomorro_sync.target import Target

EVENTS = ["contractCreated", "contractDeleted", "contractSigned", "contractStatusUpdated"]
TIMEOUT = 90  # seconds for a change to reach DuckDB on a loaded test machine (the target, 5 s, is benched)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read(db, sql):
    """A query by another process's rules: read-only, retried while the receiver writes."""
    deadline = time.monotonic() + 10
    while True:
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.IOException:
            assert time.monotonic() < deadline, "the DuckDB file stayed locked for 10 s"
            time.sleep(0.05)
            continue
        try:
            return con.execute(sql).fetchall()
        except duckdb.CatalogException:
            return None  # the table does not exist yet
        finally:
            con.close()


def wait_for(check, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


class Listener:
    def __init__(self, tmp_path, sb, secrets, port):
        self.config, self.db, self.port = tmp_path / "tomorro.json", tmp_path / "w.duckdb", port
        self.config.write_text(json.dumps({"api_key": sb.api_key, "base_url": sb.url, "webhook_secrets": secrets}))
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "listen.log"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [str(executable("tomorro-sync")), "listen", "--config", str(self.config), "--db", str(self.db),
             "--port", str(self.port)], stdout=self.log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._up, "the receiver answers /health", timeout=60)
        return self

    def _up(self):
        assert self.process.poll() is None, self.log.read_text()
        try:
            return requests.get(self.url + "/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def health(self):
        return requests.get(self.url + "/health", timeout=5).json()

    def post(self, body: bytes, headers: dict):
        return requests.post(self.url + "/webhooks/tomorro", data=body, headers=headers, timeout=5)

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)  # the receiver and its source process
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One sandbox and one first pull for the module; each test copies the pulled file and registers its own
    webhook (a receiver of its own on a port of its own)."""
    with SandboxServer(seed=7, contracts=40, counterparties=20, fields=12, members=5,
                       webhook_retry_scale=0.005) as sb:
        db = tmp_path_factory.mktemp("listen") / "first.duckdb"
        pull(Target.of_sandbox(sb), db)
        yield sb, db


@pytest.fixture()
def setup(sandbox, tmp_path):
    sb, first = sandbox
    port = free_port()
    hook = sb.add_webhook(f"http://127.0.0.1:{port}/webhooks/tomorro", EVENTS)
    listener = Listener(tmp_path, sb, ["an-old-webhook-secret", hook["secret"]], port)
    shutil.copy(first, listener.db)
    try:
        yield sb, listener, hook
    finally:
        listener.stop()
        sb.remove_webhook(hook["id"])
        sb.set_faults(latency_ms=0)
        sb.set_clock(0)


def status_of(db, contract_id):
    rows = read(db, f"SELECT status FROM contracts WHERE id = '{contract_id}'")
    return rows[0][0] if rows else None


def test_creates_status_changes_signatures_and_deletes_reach_duckdb(setup):
    sb, listener, _ = setup
    listener.start()
    contracts = sb.records("contracts")
    drafts = [c["id"] for c in contracts if c["status"] == "draft"]
    doomed = next(c["id"] for c in contracts if c["id"] not in drafts[:2])
    assert status_of(listener.db, doomed) is not None
    [created] = sb.mutate(create=1)["contracts"]["created"]
    requests.patch(f"{sb.url}/contracts/{drafts[0]}", json={"status": "negotiating"},
                   headers={"x-api-key": sb.api_key}, timeout=10).raise_for_status()
    sb.sign([drafts[1]])
    sb.delete(contracts=[doomed])
    wait_for(lambda: status_of(listener.db, doomed) is None, "the deleted contract leaves the table")
    wait_for(lambda: status_of(listener.db, created) == "draft", "the created contract arrives")
    wait_for(lambda: status_of(listener.db, drafts[0]) == "negotiating", "the status change arrives")
    wait_for(lambda: status_of(listener.db, drafts[1]) == "signed", "the signature arrives")
    assert read(listener.db, "SELECT stream, id, via FROM _tomorro_deleted") == [("contracts", doomed, "webhook")]
    wait_for(lambda: read(listener.db, "SELECT count(*) FROM _tomorro_events WHERE handled_at IS NULL") == [(0,)],
             "every event handled")
    kinds = sorted(kind for (kind,) in read(listener.db, "SELECT event_type FROM _tomorro_events"))
    assert kinds == sorted(["contractCreated", "contractStatusUpdated", "contractStatusUpdated", "contractSigned",
                            "contractDeleted"])
    health = listener.health()
    assert health["verified"] == health["stored"] == 5 and health["rejected"] == 0
    assert 1 <= health["pulls"] <= 3 and health["event_to_data_lag_seconds"]["count"] == 4


def test_forged_stale_replayed_and_oversize_deliveries_change_nothing(setup):
    sb, listener, hook = setup
    listener.start()
    [created] = sb.mutate(create=1)["contracts"]["created"]
    wait_for(lambda: status_of(listener.db, created) == "draft", "the created contract arrives")
    wait_for(lambda: listener.health()["pulls"] == 1 and not listener.health()["pull_running"], "the pull ends")
    [(genuine,)] = read(listener.db, "SELECT payload FROM _tomorro_events")
    genuine = genuine.encode()
    before = (read(listener.db, "SELECT count(*), max(received_at) FROM _tomorro_events"),
              read(listener.db, "SELECT count(*), max(_airbyte_extracted_at) FROM contracts"))
    now_ms = int(time.time() * 1000)
    forged = json.loads(genuine) | {"eventId": "forged-1"}
    forged_body = json.dumps(forged).encode()
    attempts = {
        "wrong secret": (forged_body, {"Leeway-Signature": sign("guessed", now_ms, forged_body)}),
        "no signature": (forged_body, {}),
        "signed body altered": (forged_body, {"Leeway-Signature": sign(hook["secret"], now_ms, genuine)}),
        "stale": (forged_body, {"Leeway-Signature": sign(hook["secret"], now_ms - 6 * 60_000, forged_body)}),
        "old header format": (forged_body, {"Tomorro-Signature": sign(hook["secret"], now_ms // 1000, forged_body)}),
    }
    for what, (body, headers) in attempts.items():
        answer = listener.post(body, headers)
        assert (answer.status_code, answer.content) == (401, b""), what
    big = b"{" + b" " * (1 << 20) + b"}"
    assert listener.post(big, {"Leeway-Signature": sign(hook["secret"], now_ms, big)}).status_code == 413
    replay = listener.post(genuine, {"Leeway_Signature": sign(hook["secret"], now_ms, genuine)})  # a redelivery
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    time.sleep(1.5)  # a pull, had anything asked for one, would have started by now
    health = listener.health()
    assert (health["rejected"], health["too_large"], health["duplicates"], health["pulls"]) == (5, 1, 1, 1)
    assert (read(listener.db, "SELECT count(*), max(received_at) FROM _tomorro_events"),
            read(listener.db, "SELECT count(*), max(_airbyte_extracted_at) FROM contracts")) == before
    # the sandbox's own delivery, stamped by a clock 10 minutes behind: refused, then, retried on time, applied
    victim = next(c["id"] for c in sb.records("contracts") if c["id"] != created)
    sb.set_clock(-600)
    sb.delete(contracts=[victim])
    wait_for(lambda: listener.health()["rejected"] >= 6, "the stale delivery is refused", timeout=30)
    assert status_of(listener.db, victim) is not None
    sb.set_clock(0)
    wait_for(lambda: status_of(listener.db, victim) is None, "the retried delivery deletes the contract", timeout=30)


def test_a_stopped_receiver_finishes_its_running_pull(setup):
    sb, listener, _ = setup
    listener.start()
    sb.set_faults(latency_ms=300)
    [created] = sb.mutate(create=1)["contracts"]["created"]
    wait_for(lambda: listener.health()["pull_running"], "a pull starts", timeout=30)
    listener.process.send_signal(signal.SIGTERM)
    assert listener.process.wait(120) == 0
    assert status_of(listener.db, created) == "draft"
    assert read(listener.db, "SELECT outcome FROM _tomorro_events") == [("pulled",)]


def test_a_receiver_killed_during_a_pull_loses_no_event(setup):
    sb, listener, _ = setup
    listener.start()
    sb.set_faults(latency_ms=400)  # a pull that lasts long enough to be killed in
    [created] = sb.mutate(create=1)["contracts"]["created"]
    wait_for(lambda: listener.health()["pull_running"], "a pull starts", timeout=30)
    listener.kill()
    assert read(listener.db, "SELECT event_type, handled_at FROM _tomorro_events") == [("contractCreated", None)]
    assert status_of(listener.db, created) is None
    sb.set_faults(latency_ms=0)
    listener.start()
    wait_for(lambda: status_of(listener.db, created) == "draft", "the restarted receiver pulls for the stored event")
    wait_for(lambda: read(listener.db, "SELECT outcome FROM _tomorro_events") == [("pulled",)], "the event handled")


def test_with_an_airbyte_connection_a_burst_starts_one_sync_job(sandbox, tmp_path, fake_airbyte_api):
    """`--airbyte-connection-id`: the sandbox's deliveries start syncs of that connection through Airbyte's SDK,
    against a local fake of the public API; a burst of changes starts one job; a delete still applies to --db."""
    pytest.importorskip("airbyte_api", reason="the optional extra tomorro-sync[airbyte]")
    sb, first = sandbox
    port = free_port()
    hook = sb.add_webhook(f"http://127.0.0.1:{port}/webhooks/tomorro", EVENTS)
    listener = Listener(tmp_path, sb, [hook["secret"]], port)
    shutil.copy(first, listener.db)
    env = {**os.environ, "AIRBYTE_API_URL": fake_airbyte_api.url,
           "AIRBYTE_API_TOKEN": "airbyte-token"}
    listener.process = subprocess.Popen(
        [str(executable("tomorro-sync")), "listen", "--config", str(listener.config), "--db", str(listener.db),
         "--port", str(port), "--airbyte-connection-id", "conn-42"], env=env, stdout=listener.log.open("a"),
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(listener._up, "the receiver answers /health", timeout=60)
        created = sb.mutate(create=20)["contracts"]["created"]
        doomed = next(c["id"] for c in sb.records("contracts") if c["id"] not in created)
        sb.delete(contracts=[doomed])
        wait_for(lambda: status_of(listener.db, doomed) is None, "the delete applies to --db")
        wait_for(lambda: read(listener.db, "SELECT count(*) FROM _tomorro_events WHERE outcome = 'pulled'") == [(20,)],
                 "the 20 events handled by the Airbyte job")
        # one job, or two should the machine spread the burst's deliveries over more than the 1-s debounce cap
        jobs = list(fake_airbyte_api.jobs.values())
        assert 1 <= len(jobs) <= 2 and all((j["connectionId"], j["status"]) == ("conn-42", "succeeded") for j in jobs)
        assert status_of(listener.db, created[0]) is None  # the data came through Airbyte, not a local pull
    finally:
        listener.stop()
        sb.remove_webhook(hook["id"])
