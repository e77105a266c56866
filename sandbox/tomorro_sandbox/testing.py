"""Test helpers for suites that run against the sandbox (requires `requests`, which the
workspace's test environment has): an API client that walks cursors, the NestJS error assertion,
and the seeded ids that stand in for the documentation's placeholder ids."""

import requests


class Api:
    """requests against sb.url with the API key; paths are relative to /v2."""

    def __init__(self, sb, headers: dict | None = None):
        self.sb = sb
        self.s = requests.Session()
        self.s.headers.update({"x-api-key": sb.api_key, **(headers or {})})

    def get(self, path: str, **params) -> requests.Response:
        return self.s.get(self.sb.url + path, params=params, timeout=30)

    def post(self, path: str, json=None, **kw) -> requests.Response:
        return self.s.post(self.sb.url + path, json=json, timeout=30, **kw)

    def patch(self, path: str, json=None) -> requests.Response:
        return self.s.patch(self.sb.url + path, json=json, timeout=30)

    def put(self, path: str, json=None) -> requests.Response:
        return self.s.put(self.sb.url + path, json=json, timeout=30)

    def walk(self, path: str, items_key: str | None = None, **params) -> list:
        """Every item of a list endpoint, following cursors; asserts the envelope on the way."""
        out, cursor = [], None
        while True:
            q = dict(params, **({"after": cursor} if cursor else {}))
            r = self.get(path, **q)
            assert r.status_code == 200, r.text
            body = r.json()
            if items_key:
                out += body[items_key]
                cursor = body["nextCursor"] if body["hasNext"] else None
            else:
                out += body["data"]
                cursor = body["pagination"]["next_cursor"] if body["pagination"]["has_next"] else None
            if cursor is None:
                return out


def assert_error(r: requests.Response, status: int, *fragments: str) -> None:
    """Status, NestJS body shape, and every fragment present in the message(s)."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["statusCode"] == status and isinstance(body["error"], str)
    text = " | ".join(body["message"]) if isinstance(body["message"], list) else body["message"]
    for f in fragments:
        assert f in text, f"{f!r} not in {text!r}"




def seeded(sb) -> dict:
    """Seeded ids to substitute for the documentation's placeholder ids."""
    members = sb.records("members")
    fields = sb.records("smart-fields")
    types = [t for t in sb.records("contract-types") if t["templates"]]
    by_type = lambda obj, t: next(f for f in fields if f["object"] == obj and f["type"] == t)  # noqa: E731
    return {
        "member": next(m for m in members if m["status"] == "active"),
        "members": [m for m in members if m["status"] == "active"],
        "type": types[0],
        "template": types[0]["templates"][0],
        "other_type": types[1],
        "field": lambda t, obj="contract": by_type(obj, t),
        "options": sb.records("options"),
    }


def option_label(ids: dict, field_id: str, index: int = 0) -> str:
    opts = [o for o in ids["options"] if o["smartFieldId"] == field_id]
    return opts[index]["translations"][0]["value"]


NO_FAULTS = {"latency_ms": 0, "jitter_ms": 0, "rate_limit": None, "error_rate": 0, "reset_rate": 0,
             "slow_body_rate": 0, "malformed_rate": 0}


def fresh(sb, **seed_options):
    """A long-lived sandbox as a test expects it: re-seeded (start options overridden by `seed_options`), the
    start API profiles, no fault script, no faults, the clock unskewed, stats and request log empty."""
    sb.reset(**seed_options)
    sb.set_faults(**NO_FAULTS)
    sb.set_clock(0)
    sb.reset_stats()
    return sb
