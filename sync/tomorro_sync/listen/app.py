"""The receiver's HTTP routes, as a plain ASGI application (no framework: three routes).

    POST /webhooks/tomorro   a delivery: 413 over the size limit, 401 (empty) unless the signature holds,
                             400 for a signed body that is not the envelope, 503 if it could not be stored
                             (Tomorro delivers it again), else 200 once it is stored
    GET  /health             the counters, as JSON

A delivery is answered once its event is committed to the DuckDB file, and no later than ANSWER_WITHIN
seconds (Tomorro's timeout is 3 s): a write that takes longer is answered 503, and if it then commits, the
redelivery finds the event and is a no-op.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable

from . import events as E
from . import signature
from .counters import Counters
from .writer import EventWriter

WEBHOOK_PATH = "/webhooks/tomorro"
MAX_BODY_BYTES = 1 << 20  # the documented example is ~2 KB; a contract with many fields stays far below 1 MiB
ANSWER_WITHIN = 2.0


class ReceiverApp:
    def __init__(self, secrets: list[str], writer: EventWriter, counters: Counters, log: Callable[[str], None], *,
                 max_body: int = MAX_BODY_BYTES) -> None:
        self.secrets, self.writer, self.counters, self.log, self.max_body = secrets, writer, counters, log, max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == WEBHOOK_PATH:
            if method != "POST":
                return await _answer(send, 405, b"", [(b"allow", b"POST")])
            status, body = await self._delivery(scope, receive)
            return await _answer(send, status, body)
        if path == "/health" and method == "GET":
            return await _answer(send, 200, json.dumps(self.counters.snapshot()).encode())
        return await _answer(send, 404, b"")

    async def _delivery(self, scope, receive) -> tuple[int, bytes]:
        self.counters.add("received")
        headers: dict[bytes, list[bytes]] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.lower(), []).append(value)
        declared = headers.get(b"content-length", [b"0"])[0]
        if not declared.isdigit() or int(declared) > self.max_body:
            self.counters.add("too_large")
            return 413, b""
        body = await _read_body(receive, self.max_body)
        if body is None:
            self.counters.add("too_large")
            return 413, b""
        values = [v.decode("latin-1") for name in signature.HEADERS for v in headers.get(name.encode(), [])]
        if not signature.verify(values, body, self.secrets):
            self.counters.add("rejected")
            return 401, b""  # no detail: a prober learns nothing
        self.counters.add("verified")
        try:
            event = E.Event.parse(body, dt.datetime.now(dt.UTC))
        except E.EnvelopeError as err:
            self.counters.add("invalid")
            self.log(f"a signed delivery is not the documented envelope: {err}")
            return 400, json.dumps({"error": str(err)}).encode()
        try:
            # shielded: a timeout answers 503 but never cancels the writer's future (the event may still be stored,
            # and Tomorro's redelivery is then a duplicate)
            is_new = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self.writer.submit(event))),
                                            ANSWER_WITHIN)
        except Exception:  # noqa: BLE001 - timeout or storage failure: the writer has logged why
            self.counters.add("store_failures")
            return 503, b""
        self.counters.add("stored" if is_new else "duplicates")
        return 200, json.dumps({"eventId": event.event_id, "duplicate": not is_new}).encode()


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes `limit` (a lying Content-Length, a chunked upload)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] = ()) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
