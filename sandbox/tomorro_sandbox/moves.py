"""Status moves on cue (POST /_sandbox/moves): a contract's or a counterparty's status changed the instant a
chosen /v2 request arrives, before that request is served, as a user moving it in Tomorro at that moment would
(a counterparty archived or unarchived). Lets a test put a move exactly between two pages or two per-status lists
of a client's listing, whatever order its threads take.

A move is `{"when": {"method", "path": a route template, "query": {param: value, ...}?}, "contracts":
[{"id", "status"}]?, "counterparties": [{"id", "status"}]?}` (at least one): it fires once, on the first request
of that route whose query holds every given parameter with that value (e.g. `{"status": "signing"}`), then is
gone. Each record gets the new status and `updatedAt` = the sandbox's now
(assumptions.STATUS_CHANGE_STAMPS_UPDATED_AT); transitions are not checked (a move is what happened in the app,
not an API write). /_sandbox/reset clears what has not fired.
"""

import threading

from . import assumptions as A
from .errors import BadRequest, NotFound

# the collections a move may change, with the statuses each may be given
MOVABLE = {"contracts": A.CONTRACT_STATUSES, "counterparties": A.COUNTERPARTY_STATUSES}


def _checked(body: dict, routes: set) -> dict:
    when = body.get("when")
    if not isinstance(when, dict) or (when.get("method"), when.get("path")) not in routes:
        raise BadRequest("when must be {method, path: a route template of the API (e.g. /v2/contracts), query?}")
    query = when.get("query") or {}
    if not isinstance(query, dict) or not all(isinstance(v, str) for v in query.values()):
        raise BadRequest("when.query must be an object of parameter -> value (strings)")
    if not any(body.get(name) for name in MOVABLE):
        raise BadRequest(f"a move needs a non-empty array of {' or '.join(MOVABLE)}")
    move: dict = {"when": {"method": when["method"], "path": when["path"], "query": query}}
    for name, statuses in MOVABLE.items():
        records = body.get(name)
        if records is None:
            continue
        if not isinstance(records, list) or not all(
                isinstance(r, dict) and isinstance(r.get("id"), str) and r.get("status") in statuses for r in records):
            raise BadRequest(f"{name} must be an array of {{id, status: one of {', '.join(statuses)}}}")
        move[name] = [{"id": r["id"], "status": r["status"]} for r in records]
    return move


class Moves:
    def __init__(self):
        self._lock = threading.Lock()
        self._pending: list[dict] = []

    def add(self, body: dict, routes: set, store) -> list:
        move = _checked(body, routes)
        with store.lock:
            unknown = [(name, r["id"]) for name in MOVABLE for r in move.get(name, [])
                       if getattr(store, name).get(r["id"]) is None]
        if unknown:
            raise NotFound(f"{unknown[0][0]} not found: {', '.join(rid for _, rid in unknown)}")
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
            stamp = {"updatedAt": now} if A.STATUS_CHANGE_STAMPS_UPDATED_AT else {}
            for move in due:
                for name in MOVABLE:
                    collection = getattr(store, name)
                    for change in move.get(name, []):
                        old = collection.get(change["id"])
                        if old is not None:  # deleted since: nothing to move
                            collection.put({**old, "status": change["status"], **stamp})

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def to_list(self) -> list:
        with self._lock:
            return [dict(m) for m in self._pending]
