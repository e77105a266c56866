"""Status moves on cue (POST /_sandbox/moves): a contract's status changed the instant a chosen /v2 request
arrives, before that request is served, as a user moving it in Tomorro at that moment would. Lets a test put a
move exactly between two pages or two per-status lists of a client's listing, whatever order its threads take.

A move is `{"when": {"method", "path": a route template, "query": {param: value, ...}?}, "contracts":
[{"id", "status"}]}`: it fires once, on the first request of that route whose query holds every given
parameter with that value (e.g. `{"status": "signing"}`), then is gone. The contract gets the new status and
`updatedAt` = the sandbox's now (assumptions.STATUS_CHANGE_STAMPS_UPDATED_AT); transitions are not checked (a
move is what happened in the app, not an API write). /_sandbox/reset clears what has not fired.
"""

import threading

from . import assumptions as A
from .errors import BadRequest, NotFound


def _checked(body: dict, routes: set) -> dict:
    when, contracts = body.get("when"), body.get("contracts")
    if not isinstance(when, dict) or (when.get("method"), when.get("path")) not in routes:
        raise BadRequest("when must be {method, path: a route template of the API (e.g. /v2/contracts), query?}")
    query = when.get("query") or {}
    if not isinstance(query, dict) or not all(isinstance(v, str) for v in query.values()):
        raise BadRequest("when.query must be an object of parameter -> value (strings)")
    if not isinstance(contracts, list) or not contracts or not all(
            isinstance(c, dict) and isinstance(c.get("id"), str) and c.get("status") in A.CONTRACT_STATUSES
            for c in contracts):
        raise BadRequest(f"contracts must be a non-empty array of {{id, status: one of {', '.join(A.CONTRACT_STATUSES)}}}")
    return {"when": {"method": when["method"], "path": when["path"], "query": query},
            "contracts": [{"id": c["id"], "status": c["status"]} for c in contracts]}


class Moves:
    def __init__(self):
        self._lock = threading.Lock()
        self._pending: list[dict] = []

    def add(self, body: dict, routes: set, store) -> list:
        move = _checked(body, routes)
        with store.lock:
            unknown = [c["id"] for c in move["contracts"] if store.contracts.get(c["id"]) is None]
        if unknown:
            raise NotFound(f"contracts not found: {', '.join(unknown)}")
        with self._lock:
            self._pending.append(move)
        return self.to_list()

    def fire(self, method: str, template: str, query: dict, store) -> None:
        """Apply (and forget) every pending move cued on this request, before it is served."""
        with self._lock:
            due = [m for m in self._pending if m["when"]["method"] == method and m["when"]["path"] == template
                   and all(query.get(k) == v for k, v in m["when"]["query"].items())]
            self._pending = [m for m in self._pending if m not in due]
        if not due:
            return
        with store.lock:
            now = store.clock.now_iso()
            for move in due:
                for change in move["contracts"]:
                    old = store.contracts.get(change["id"])
                    if old is not None:  # deleted since: nothing to move
                        stamp = {"updatedAt": now} if A.STATUS_CHANGE_STAMPS_UPDATED_AT else {}
                        store.contracts.put({**old, "status": change["status"], **stamp})

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def to_list(self) -> list:
        with self._lock:
            return [dict(m) for m in self._pending]
