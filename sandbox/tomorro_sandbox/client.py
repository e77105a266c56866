"""AdminClient: the /_sandbox/ helpers shared by SandboxServer and SandboxProcess (plain urllib,
so the sandbox needs no HTTP client dependency)."""

import urllib.error
import urllib.parse
import urllib.request

import orjson


class AdminError(RuntimeError):
    pass


class AdminClient:
    root_url: str  # set by the subclass once the server listens
    api_key: str

    @property
    def url(self) -> str:
        return self.root_url + "/v2"

    def _admin(self, method: str, path: str, body: dict | None = None):
        data = orjson.dumps(body) if body is not None else None
        req = urllib.request.Request(self.root_url + "/_sandbox" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return orjson.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise AdminError(f"{method} /_sandbox{path} -> {e.code}: {e.read().decode(errors='replace')}") from None

    def health(self) -> dict:
        return self._admin("GET", "/health")

    def stats(self) -> dict:
        return self._admin("GET", "/stats")

    def reset_stats(self) -> dict:
        return self._admin("POST", "/stats/reset", {})

    def requests(self, method: str | None = None, path: str | None = None) -> list:
        """The last /v2 requests as sent ({method, path, template, query, body, status}), oldest first, of one
        method and / or route template (e.g. "/v2/contracts/{id}"); cleared with the stats."""
        query = urllib.parse.urlencode({k: v for k, v in (("method", method), ("path", path)) if v})
        return self._admin("GET", "/requests" + (f"?{query}" if query else ""))

    def script(self, method: str, path: str, *outcomes) -> list:
        """Queue outcomes for the next requests of one route (a template, e.g. "/v2/contracts/{id}"), one per
        request: "pass", an HTTP status, "reset" (before the handler) or "reset-after" (applied, answer lost).
        Answers what is still queued; /_sandbox/reset clears it."""
        return self._admin("POST", "/faults/script", {"method": method, "path": path, "outcomes": list(outcomes)})

    def move(self, when: dict, contracts: list = (), counterparties: list = ()) -> list:
        """Cue status moves of contracts and/or counterparties (`[{"id", "status"}]`) on the first request matching
        `when` ({method, path: a route template, query?: {param: value}}), applied before it is served (moves.py).
        Answers the moves pending."""
        body = {"when": when, **({"contracts": list(contracts)} if contracts else {}),
                **({"counterparties": list(counterparties)} if counterparties else {})}
        return self._admin("POST", "/moves", body)

    def moves(self) -> list:
        """The status moves cued and not fired yet."""
        return self._admin("GET", "/moves")

    def faults(self) -> dict:
        return self._admin("GET", "/faults")

    def set_faults(self, **settings) -> dict:
        return self._admin("POST", "/faults", settings)

    def mutate(self, contracts: int = 0, counterparties: int = 0, create: int = 0,
               create_counterparties: int = 0) -> dict:
        return self._admin("POST", "/mutate", {"contracts": contracts, "counterparties": counterparties,
                                               "create": create, "create_counterparties": create_counterparties})

    def sign(self, contracts) -> dict:
        """Sign these contracts now (a signed one is re-signed: same file ids, new bytes; a canceled one is left):
        {"signed", "resigned", "files", "updatedAt"}."""
        return self._admin("POST", "/sign", {"contracts": list(contracts)})

    def remove_signed_files(self, files, *, touch: bool = True) -> dict:
        """Take these signed files off their contracts (`touch`: their contracts' updatedAt moves to now):
        {"removed", "contracts", "updatedAt"}."""
        return self._admin("POST", "/remove-signed-files", {"files": list(files), "touch": touch})

    def file_digests(self) -> dict:
        """{file id: {contractId, size, sha256, revision}} of every signed file's current bytes."""
        return self._admin("GET", "/file-digests")

    def reset(self, **seed_options) -> dict:
        return self._admin("POST", "/reset", seed_options)

    def records(self, collection: str) -> list:
        return self._admin("GET", f"/records/{collection}")

    def delete(self, contracts=(), counterparties=()) -> dict:
        return self._admin("POST", "/delete", {"contracts": list(contracts), "counterparties": list(counterparties)})

    def edit(self, **changes) -> dict:
        """Reference changes and raw record writes no API call can make (edits.py): fields, options, remove,
        records."""
        return self._admin("POST", "/edit", changes)

    def warm(self) -> dict:
        return self._admin("POST", "/warm", {})

    def set_clock(self, offset_seconds: float) -> dict:
        return self._admin("POST", "/clock", {"offset_seconds": offset_seconds})

    def api_profiles(self) -> dict:
        """{"profiles": [active names], "known": {name: description}}"""
        return self._admin("GET", "/api-profiles")

    def set_api_profiles(self, names) -> dict:
        """Replace the active set (an empty list restores the default API); answers as api_profiles()."""
        return self._admin("PUT", "/api-profiles", {"profiles": list(names)})

    def add_webhook(self, url: str, events, member_id: str | None = None) -> dict:
        """Register a delivery target; answers {id, secret, url, events, ...}."""
        body = {"url": url, "events": list(events), **({"memberId": member_id} if member_id else {})}
        return self._admin("POST", "/webhooks", body)

    def webhooks(self) -> list:
        """Each webhook with its deliveries counted by state (pending, delivered, abandoned, canceled)."""
        return self._admin("GET", "/webhooks")

    def webhook_deliveries(self, webhook_id: str) -> list:
        return self._admin("GET", f"/webhooks/{webhook_id}/deliveries")

    def remove_webhook(self, webhook_id: str) -> dict:
        return self._admin("DELETE", f"/webhooks/{webhook_id}")

