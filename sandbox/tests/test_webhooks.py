"""Webhooks: registration, the documented envelope and signature, which changes fire which events, personal
webhooks, retries of failed deliveries (the delay scaled down), abandonment, and faulted deliveries; all
delivered over a real socket to a recording receiver."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from tomorro_sandbox import SandboxServer
from tomorro_sandbox import assumptions as A
from tomorro_sandbox.client import AdminError

ALL = ["contractCreated", "contractDeleted", "contractSigned", "contractStatusUpdated"]


class Receiver:
    """Records each delivery (headers, raw body); answers the status of `answers` in turn, then 200 (401 to a
    body that is not JSON)."""

    def __init__(self):
        self.got: list[tuple[dict, bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((dict(self.headers), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                try:
                    json.loads(body)
                except ValueError:
                    status = 401  # as a verifying receiver answers a body that does not match its signature
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/tomorro"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.got]

    def wait(self, n: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.got) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.got) >= n, f"{len(self.got)} deliveries, expected {n}"


@pytest.fixture()
def sb(request):
    scale = getattr(request, "param", 0.0002)  # retries 60 ms apart unless a test asks for slower ones
    with SandboxServer(contracts=30, webhook_retry_scale=scale) as server:
        yield server


@pytest.fixture()
def rx():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def _wait_state(sb, hook_id, state, n, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sb.webhooks()[0]["deliveries"].get(state, 0) >= n:
            return
        time.sleep(0.02)
    raise AssertionError(sb.webhooks())


def test_envelope_and_signature_of_a_status_change(sb, rx):
    hook = sb.add_webhook(rx.url, ALL)
    assert set(hook) >= {"id", "secret"}
    contract = sb.records("contracts")[0]
    target = "canceled" if contract["status"] != "canceled" else None
    assert target
    requests.patch(f"{sb.url}/contracts/{contract['id']}", json={"status": target},
                   headers={"x-api-key": sb.api_key}, timeout=10).raise_for_status()
    rx.wait(1)
    headers, body = rx.got[0]
    event = json.loads(body)
    assert set(event) == {"eventId", "webhookId", "createdAt", "eventType", "data"}
    assert event["webhookId"] == hook["id"] and event["eventType"] == "contractStatusUpdated"
    data = event["data"]["contract"]
    assert data["id"] == contract["id"] and data["status"] == "canceled"
    assert data["externalCompany"] == contract["counterparty"]  # the internal model, not `counterparty`
    assert "counterparty" not in data and "username" in data["author"]["user"]
    for name in A.WEBHOOK_SIGNATURE_HEADERS:
        t, _, digest = headers[name].partition(",sha256=")
        t_ms = int(t.removeprefix("t="))
        assert abs(t_ms / 1000 - time.time()) < 60
        expected = hmac.new(hook["secret"].encode(), f"{t_ms}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(digest, expected)


def test_which_changes_fire_which_events(sb, rx):
    sb.add_webhook(rx.url, ALL)
    [created] = sb.mutate(create=1)["contracts"]["created"]
    sb.mutate(contracts=5)  # updatedAt bumps alone: no documented event
    sb.sign([created])
    sb.delete(contracts=[created])
    rx.wait(4)
    time.sleep(0.2)
    assert sorted(e["eventType"] for e in rx.events()) == sorted(
        ["contractCreated", "contractStatusUpdated", "contractSigned", "contractDeleted"])
    assert {e["data"]["contract"]["id"] for e in rx.events()} == {created}


def test_only_subscribed_events_are_delivered(sb, rx):
    sb.add_webhook(rx.url, ["contractDeleted"])
    [created] = sb.mutate(create=1)["contracts"]["created"]
    sb.delete(contracts=[created])
    rx.wait(1)
    time.sleep(0.2)
    assert [e["eventType"] for e in rx.events()] == ["contractDeleted"]


def test_personal_webhook_fires_only_for_contracts_of_its_member(sb, rx):
    contracts = sb.records("contracts")
    member = contracts[0]["author"]["id"]
    sb.add_webhook(rx.url, ["contractDeleted"], member_id=member)
    mine = [c["id"] for c in contracts if member in {(c.get(k) or {}).get("id") for k in ("author", "referent",
                                                                                       "supervisor")}]
    others = [c["id"] for c in contracts if c["id"] not in mine
              and member not in {m["id"] for m in c.get("contractMembers") or []}]
    assert mine and others
    sb.delete(contracts=[mine[0], others[0]])
    rx.wait(1)
    time.sleep(0.3)
    assert [e["data"]["contract"]["id"] for e in rx.events()] == [mine[0]]


def test_a_failed_delivery_is_retried_then_abandoned(sb, rx):
    hook = sb.add_webhook(rx.url, ["contractCreated"])
    rx.answers = [500, 503]  # two failures, then 200
    sb.mutate(create=1)
    _wait_state(sb, hook["id"], "delivered", 1)
    assert len(rx.got) == 3 and len({json.loads(b)["eventId"] for _, b in rx.got}) == 1  # same event each time
    [delivery] = sb.webhook_deliveries(hook["id"])
    assert delivery["attempts"] == 3 and delivery["lastStatus"] == 200
    rx.answers = [500] * (A.WEBHOOK_MAX_RETRIES + 1)
    sb.mutate(create=1)
    _wait_state(sb, hook["id"], "abandoned", 1)
    assert len(rx.got) == 3 + A.WEBHOOK_MAX_RETRIES + 1


@pytest.mark.parametrize("sb", [0.001], indirect=True)  # 0.3 s apart: time to switch faults between attempts
def test_faulted_deliveries_are_retried(sb, rx):
    hook = sb.add_webhook(rx.url, ["contractCreated"])
    sb.set_faults(reset_rate=1.0)  # the receiver gets it, the answer is lost: delivered again
    sb.mutate(create=1)
    rx.wait(2)
    sb.set_faults(reset_rate=0, error_rate=1.0)  # lost before leaving: the receiver sees nothing more
    seen = len(rx.got)
    time.sleep(0.8)
    assert len(rx.got) == seen
    sb.set_faults(error_rate=0, malformed_rate=1.0)  # a truncated body under the full body's signature
    rx.wait(seen + 1)
    sb.set_faults(malformed_rate=0)
    _wait_state(sb, hook["id"], "delivered", 1)
    bodies = [body for _, body in rx.got]
    assert any(len(b) < len(bodies[0]) for b in bodies) and len(bodies[-1]) == len(bodies[0])


def test_registration_errors(sb):
    with pytest.raises(AdminError, match="url must be"):
        sb.add_webhook("ftp://x", ALL)
    with pytest.raises(AdminError, match="events must be"):
        sb.add_webhook("http://127.0.0.1:9/x", ["contractUpdated"])
    with pytest.raises(AdminError, match="memberId"):
        sb.add_webhook("http://127.0.0.1:9/x", ALL, member_id="nobody")
    with pytest.raises(ValueError, match="webhook_retry_scale"):
        SandboxServer(webhook_retry_scale=0)
