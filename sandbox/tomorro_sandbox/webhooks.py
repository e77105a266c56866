"""Webhooks: delivery targets and their signed deliveries (tomorro-api.md §5).

Tomorro creates webhooks in its UI only; here `POST /_sandbox/webhooks {url, events, memberId?}` registers
one and answers its id and signing secret. Every matching contract change (seen through the store's
contract listener, so the API, the admin routes and the seed's mutations all count) becomes one delivery
of the documented envelope `{eventId, webhookId, createdAt, eventType, data: {contract}}`, the contract in
Tomorro's internal model (`externalCompany`, `author.user.username`, ...), signed with `Leeway-Signature`
and `Leeway_Signature: t=<ms>,sha256=<hex>`. A delivery succeeds on a 2xx within the 3-second timeout; a
failed one is queued again after the documented 5-minute delay (times `retry_scale`, a flag for tests), up
to 10 retries, then abandoned. Each attempt draws from the sandbox's faults like any answer: latency delays
it, an error loses it before it leaves, a reset loses the answer after the receiver got it (so it is
delivered again), a malformed draw truncates the body under the full body's signature, a slow one trickles.
"""

import hashlib
import heapq
import hmac
import http.client
import itertools
import secrets
import threading
import time
import uuid
from urllib.parse import urlsplit

import orjson

from . import assumptions as A
from .errors import BadRequest, NotFound
from .formats import iso

_SLOW_CHUNKS, _SLOW_SECONDS = 10, 1.5


def sign(secret: str, t_ms: int, body: bytes) -> str:
    """The documented header value: `t=<ms>,sha256=HMAC_SHA256(secret, t + "." + raw body)`."""
    digest = hmac.new(secret.encode(), f"{t_ms}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t_ms},sha256={digest}"


def contract_events(old: dict | None, new: dict | None) -> list[str]:
    """The documented events one contract change fires (an `updatedAt` bump alone fires none)."""
    if old is None and new is not None:
        return ["contractCreated"]
    if new is None:
        return ["contractDeleted"] if old is not None else []
    if old["status"] == new["status"]:
        return []
    return ["contractStatusUpdated", *(["contractSigned"] if new["status"] == "signed" else [])]


class Webhooks:
    def __init__(self, store, faults, retry_scale: float = 1.0):
        if not retry_scale > 0:
            raise ValueError(f"webhook_retry_scale must be > 0, got {retry_scale}")
        self.store, self.faults, self.retry_scale = store, faults, float(retry_scale)
        self._hooks: dict[str, dict] = {}
        self._deliveries: dict[str, list[dict]] = {}  # webhook id -> its deliveries, oldest first
        self._due: list = []  # heap of (due monotonic time, seq, delivery)
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._workers: list[threading.Thread] = []

    # --- registry (admin routes) ---

    def register(self, body: dict) -> dict:
        url, events, member = body.get("url"), body.get("events"), body.get("memberId")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequest("url must be an http(s) URL")
        if not isinstance(events, list) or not events or not all(e in A.WEBHOOK_EVENTS for e in events):
            raise BadRequest(f"events must be a non-empty array of: {', '.join(A.WEBHOOK_EVENTS)}")
        unknown = sorted(set(body) - {"url", "events", "memberId"})
        if unknown:
            raise BadRequest(f"unknown keys: {', '.join(unknown)} (known: url, events, memberId)")
        if member is not None and member not in self.store.members.records:
            raise BadRequest(f"memberId: no member with id '{member}'")
        hook = {"id": str(uuid.uuid4()), "url": url, "events": sorted(set(events)), "memberId": member,
                "secret": "whsec_" + secrets.token_hex(24), "createdAt": self.store.clock.now_iso()}
        with self._cv:
            self._hooks[hook["id"]] = hook
            self._deliveries[hook["id"]] = []
            self._start_workers()
        return dict(hook)

    def remove(self, hook_id: str) -> None:
        with self._cv:
            if self._hooks.pop(hook_id, None) is None:
                raise NotFound(f"Webhook with id '{hook_id}' not found")

    def describe(self, hook_id: str | None = None) -> list[dict] | dict:
        """Each webhook (without its secret) with its deliveries' counts by state."""
        with self._cv:
            hooks = [self._hooks[hook_id]] if hook_id else list(self._hooks.values())
            if hook_id and hook_id not in self._hooks:
                raise NotFound(f"Webhook with id '{hook_id}' not found")
            out = []
            for hook in hooks:
                states: dict[str, int] = {}
                for d in self._deliveries.get(hook["id"], []):
                    states[d["state"]] = states.get(d["state"], 0) + 1
                attempts = sum(d["attempts"] for d in self._deliveries.get(hook["id"], []))
                out.append({**{k: v for k, v in hook.items() if k != "secret"}, "deliveries": states,
                            "attempts": attempts})
        return out[0] if hook_id else out

    def deliveries(self, hook_id: str) -> list[dict]:
        with self._cv:
            if hook_id not in self._hooks:
                raise NotFound(f"Webhook with id '{hook_id}' not found")
            return [{k: v for k, v in d.items() if k not in ("body", "secret", "url")}
                    for d in self._deliveries[hook_id]]

    def clear_pending(self) -> None:
        """On a reseed: what was queued for the old data is not delivered."""
        with self._cv:
            for _, _, d in self._due:
                d["state"] = "canceled"
            self._due.clear()

    # --- events ---

    def contract_changed(self, old: dict | None, new: dict | None) -> None:
        """The store's contract listener (called under the store lock): queue the deliveries, return at once."""
        if not self._hooks:
            return
        contract = new if new is not None else old
        for event_type in contract_events(old, new):
            for hook in list(self._hooks.values()):
                if event_type in hook["events"] and self._concerns(hook, contract):
                    self._queue(hook, event_type, {"contract": self._internal(contract)})

    def _concerns(self, hook: dict, contract: dict) -> bool:
        """Webhooks are personal: a member's webhook fires for contracts they take part in."""
        member = hook["memberId"]
        if member is None:
            return True
        people = [contract.get(k) for k in A.WEBHOOK_PARTICIPANT_KEYS] + list(contract.get("contractMembers") or [])
        return any(isinstance(p, dict) and p.get("id") == member for p in people)

    def _internal(self, c: dict) -> dict:
        """The contract as webhooks carry it: Tomorro's internal (GraphQL-era) model, not the REST shape."""
        referent, supervisor = c.get("referent"), c.get("supervisor")
        return {
            "id": c["id"], "name": c["name"], "organizationId": A.WEBHOOK_ORGANIZATION_ID,
            "author": self._member(c.get("author")), "referent": self._member(referent),
            "referentId": referent["id"] if referent else None,
            "supervisorId": supervisor["id"] if supervisor else None,
            "externalCompany": {"id": c["counterparty"]["id"], "name": c["counterparty"]["name"]}
            if c.get("counterparty") else None,
            "priorNoticeDuration": None, "priorNoticeValue": None, "renewal": "no",
            "signatureDate": c.get("signatureDate"), "status": c["status"],
            "createdAt": c["createdAt"], "updatedAt": c["updatedAt"], "documentId": None,
        }

    def _member(self, ref: dict | None) -> dict | None:
        if not ref:
            return None
        m = self.store.members.get(ref["id"]) or {"user": {"email": ref.get("email")}}
        user = m["user"]
        return {"id": ref["id"], "user": {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, "user:" + ref["id"])),
                                          "username": user.get("email"), "firstname": user.get("firstname"),
                                          "lastname": user.get("lastname")}}

    def _queue(self, hook: dict, event_type: str, data: dict) -> None:
        envelope = {"eventId": str(uuid.uuid4()), "webhookId": hook["id"], "createdAt": self.store.clock.now_iso(),
                    "eventType": event_type, "data": data}
        delivery = {"eventId": envelope["eventId"], "eventType": event_type, "url": hook["url"],
                    "secret": hook["secret"], "body": orjson.dumps(envelope), "state": "pending", "attempts": 0,
                    "lastStatus": None, "lastSeconds": None, "deliveredAt": None}
        with self._cv:
            self._deliveries[hook["id"]].append(delivery)
            heapq.heappush(self._due, (time.monotonic(), next(self._seq), delivery))
            self._cv.notify()

    # --- delivery ---

    def _start_workers(self) -> None:
        while len(self._workers) < A.WEBHOOK_DELIVERY_WORKERS:
            worker = threading.Thread(target=self._work, daemon=True, name=f"webhooks-{len(self._workers)}")
            self._workers.append(worker)
            worker.start()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._cv.wait(timeout=(self._due[0][0] - time.monotonic()) if self._due else None)
                _, _, delivery = heapq.heappop(self._due)
                if delivery["state"] != "pending":
                    continue
            started = time.perf_counter()
            status = self._attempt(delivery)
            with self._cv:
                delivery["attempts"] += 1
                delivery["lastStatus"] = status
                delivery["lastSeconds"] = round(time.perf_counter() - started, 4)  # the receiver's answer time
                if status is not None and 200 <= status < 300:
                    delivery["state"], delivery["deliveredAt"] = "delivered", iso(time.time())
                elif delivery["attempts"] > A.WEBHOOK_MAX_RETRIES:
                    delivery["state"] = "abandoned"
                else:
                    due = time.monotonic() + A.WEBHOOK_RETRY_DELAY_SECONDS * self.retry_scale
                    heapq.heappush(self._due, (due, next(self._seq), delivery))
                    self._cv.notify()

    def _attempt(self, delivery: dict) -> int | None:
        """One POST; its status, or None when it failed before an answer (timeout, refused, faulted)."""
        draw = self.faults.draw()
        if draw.delay:
            time.sleep(draw.delay)
        if draw.error:
            return None  # lost on the way: the receiver never sees it
        body = delivery["body"]
        signature = sign(delivery["secret"], int(self.store.clock.now() * 1000), body)
        if draw.malformed:
            body = body[: max(1, len(body) // 2)]
        parts = urlsplit(delivery["url"])
        conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = conn_class(parts.hostname, parts.port, timeout=A.WEBHOOK_TIMEOUT_SECONDS)
        try:
            conn.putrequest("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
            for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                ("User-Agent", "tomorro-sandbox-webhooks"),
                                *((header, signature) for header in A.WEBHOOK_SIGNATURE_HEADERS)):
                conn.putheader(name, value)
            conn.endheaders()
            self._send_body(conn, body, slow=draw.slow)
            status = conn.getresponse().status
            return None if draw.reset else status  # reset: the receiver got it, the answer is lost
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    @staticmethod
    def _send_body(conn, body: bytes, *, slow: bool) -> None:
        if not slow:
            conn.send(body)
            return
        step = max(1, -(-len(body) // _SLOW_CHUNKS))
        for i in range(0, len(body), step):
            conn.send(body[i:i + step])
            time.sleep(_SLOW_SECONDS / _SLOW_CHUNKS)
