"""Which Tomorro we talk to: the real API (from a config file) or a sandbox we start ourselves."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import redaction
from .errors import SyncError

# Keys of the config file that belong to the destination only; everything else is source config.
DESTINATION_SECTION = "destination"
# Keys of the config file that belong to tomorro-sync itself (neither connector sees them).
RECONCILE_EVERY = "reconcile_every"  # hours between two reconciles of a plain pull (0: every pull)
DEFAULT_RECONCILE_EVERY_HOURS = 24.0
DEFAULT_BASE_URL = "https://api.tomorro.com/v2"
# The object kinds whose smart fields become typed columns in the source (its manifest's `object_kind`
# values; sync/tests/test_target.py holds the two lists equal).
SCHEMA_OBJECT_KINDS = ("contract", "external_party")
SMART_FIELDS_PAGE = 50


@dataclass
class Target:
    """Connection settings for both connectors, plus the sandbox when we started one."""

    api_key: str
    base_url: str
    source_options: dict[str, Any] = field(default_factory=dict)
    destination_options: dict[str, Any] = field(default_factory=dict)
    sandbox: Any = None  # tomorro_sandbox.SandboxProcess when running against the bundled sandbox
    reconcile_every_hours: float = DEFAULT_RECONCILE_EVERY_HOURS

    def __post_init__(self) -> None:
        # A pasted key often carries a newline or spaces; sent as is, the HTTP library refuses the header
        # and quotes the key in its error. Registered first, so no message below can show it.
        raw_key = self.api_key if isinstance(self.api_key, str) else ""
        redaction.register(raw_key)
        self.api_key = raw_key.strip()
        if not self.api_key:
            raise SyncError("`api_key` is required (your Tomorro API key)")
        self.base_url = check_base_url(self.base_url)

    @classmethod
    def of_sandbox(cls, sandbox: Any, **source_options: Any) -> Target:
        """A sandbox's target (`SandboxProcess` or `SandboxServer`): its key and URL, these source options."""
        return cls(api_key=sandbox.api_key, base_url=sandbox.url, source_options=source_options, sandbox=sandbox)

    @property
    def source_config(self) -> dict[str, Any]:
        return {**self.source_options, "api_key": self.api_key, "base_url": self.base_url}

    def destination_config(self, **overrides: Any) -> dict[str, Any]:
        return {**self.destination_options, "api_key": self.api_key, "base_url": self.base_url, **overrides}

    def preflight(self) -> None:
        """Fail in seconds, with a plain message, when the API is unreachable or refuses the key;
        the connectors would retry a dead host for minutes before saying the same."""
        import requests

        try:
            response = self._get("members", limit=1)
        except requests.exceptions.InvalidHeader:
            raise SyncError("`api_key` holds characters an HTTP header cannot carry (a line break or a control "
                            "character inside the key): check `api_key`.") from None
        except requests.RequestException as err:
            reason = redaction.redact(str(err)) or type(err).__name__
            raise SyncError(f"Cannot reach {self.base_url}: {reason}. Check `base_url` and the network.") from None
        if response.status_code in (401, 403):
            raise SyncError(f"Tomorro rejected the API key (HTTP {response.status_code}): check `api_key`.")
        if response.status_code >= 400:
            raise SyncError(f"{self.base_url} answered HTTP {response.status_code} to a test request: "
                            f"is `base_url` the Tomorro API (e.g. {DEFAULT_BASE_URL})?")

    def smart_fields_fingerprint(self, *, any_envelope: bool = False) -> str | None:
        """A digest of the smart-field definitions the source builds its typed columns from, or None when
        they cannot be listed (then the caller cannot tell, and re-discovers).

        Answers in the documented envelope are read here; any other shape, or `any_envelope=True`, by the
        source's own envelope reader, so any envelope the source reads, this reads. That reader lives in
        the source's components, whose import loads the CDK: 1.3 s, most of what a pull of a few changes
        costs beyond the source's own read, so it is loaded only for answers that need it."""
        if not any_envelope:
            try:
                return self._fingerprint(documented_page, ())
            except OtherEnvelope:
                pass
        from airbyte_cdk.utils.traced_exception import AirbyteTracedException
        from source_tomorro.run import register_components

        read_list_page = register_components().read_list_page

        def source_page(body: Any) -> tuple[list, str | None]:
            page = read_list_page(body, "data", SMART_FIELDS_PAGE)
            return page.items, page.next_cursor

        return self._fingerprint(source_page, (AirbyteTracedException,))

    def _fingerprint(self, read_page, unreadable: tuple[type[Exception], ...]) -> str | None:
        import requests

        pages: dict[str, list] = {}
        try:
            for kind in SCHEMA_OBJECT_KINDS:
                params: dict[str, Any] = {"object": kind, "limit": SMART_FIELDS_PAGE}
                items = pages.setdefault(kind, [])
                for _ in range(1000):  # a bound, should a cursor never end
                    response = self._get("smart-fields", **params)
                    if response.status_code != 200:
                        return None
                    page_items, cursor = read_page(response.json())
                    items.extend(page_items)
                    if cursor is None:
                        break
                    params["after"] = cursor
                else:
                    return None
        except (requests.RequestException, ValueError, *unreadable):  # not JSON, or a shape it cannot read
            return None
        canonical = {kind: sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
                     for kind, items in pages.items()}
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()

    def _get(self, path: str, **params: Any):
        import requests

        return requests.get(f"{self.base_url.rstrip('/')}/{path}", params=params,
                            headers={"x-api-key": self.api_key}, timeout=10)

    def request_count(self) -> int | None:
        """API requests served so far (known only for the sandbox)."""
        return self.sandbox.stats()["total"] if self.sandbox else None


class OtherEnvelope(Exception):
    """A list answer not in the documented envelope: the source's reader must read it."""


DOCUMENTED_KEYS = {"data", "pagination", "links"}
DOCUMENTED_PAGINATION = {"limit", "next_cursor", "prev_cursor", "has_next", "has_previous"}


def documented_page(body: Any) -> tuple[list, str | None]:
    """Items and next cursor of an answer in the documented envelope, `{data: [objects], pagination: {has_next,
    next_cursor, ...}, links}`, and nothing else (no key the source's reader would read first): for such an
    answer it reads what the rule table tests/data/envelope_rules.json says (sync/tests/test_envelope_rules.py;
    sync/tests/test_fingerprint.py holds the digests equal over every profile). Anything else: OtherEnvelope."""
    pagination = body.get("pagination") if isinstance(body, dict) else None
    if (not isinstance(pagination, dict) or not set(body) <= DOCUMENTED_KEYS or not set(pagination) <= DOCUMENTED_PAGINATION
            or not isinstance(body.get("data"), list) or not all(isinstance(item, dict) for item in body["data"])
            or not isinstance(pagination.get("has_next"), bool)):
        raise OtherEnvelope
    if not pagination["has_next"]:
        return body["data"], None
    cursor = pagination.get("next_cursor")
    if not isinstance(cursor, str) or not cursor:
        raise OtherEnvelope  # more pages and no cursor: the source's reader says what is wrong
    return body["data"], cursor


def load_config(path: Path) -> Target:
    """Read a tomorro-sync config file: {"api_key", "base_url"?, source keys..., "destination": {...}}."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise SyncError(f"Config file not found: {path}") from None
    except json.JSONDecodeError as err:
        raise SyncError(f"Config file {path} is not valid JSON (line {err.lineno}: {err.msg})") from None
    if not isinstance(raw, dict):
        raise SyncError(f"Config file {path} must hold a JSON object")
    api_key = raw.pop("api_key", None)
    if not isinstance(api_key, str) or not api_key.strip():
        raise SyncError(f"Config file {path}: `api_key` is required (your Tomorro API key)")
    base_url = raw.pop("base_url", DEFAULT_BASE_URL)
    raw.pop("webhook_secrets", None)  # `listen`'s signing secrets (listen/server.py): no connector's config
    destination = raw.pop(DESTINATION_SECTION, {}) or {}
    every = raw.pop(RECONCILE_EVERY, DEFAULT_RECONCILE_EVERY_HOURS)
    if isinstance(every, bool) or not isinstance(every, int | float) or every < 0:
        raise SyncError(f"Config file {path}: `{RECONCILE_EVERY}` must be a number of hours, 0 or more "
                        f"(0: reconcile on every pull; default {DEFAULT_RECONCILE_EVERY_HOURS:g}), got {every!r}")
    if not isinstance(destination, dict):
        raise SyncError(f"Config file {path}: `{DESTINATION_SECTION}` must be an object")
    try:
        return Target(api_key=api_key, base_url=base_url, source_options=raw, destination_options=destination,
                      reconcile_every_hours=float(every))
    except SyncError as err:
        raise SyncError(f"Config file {path}: {err}") from None


def check_base_url(base_url: Any) -> str:
    """An http(s) URL without credentials; the messages never repeat a URL that holds some."""
    if not isinstance(base_url, str):
        raise SyncError("`base_url` must be a string such as " + DEFAULT_BASE_URL)
    parts = urlsplit(base_url.strip())
    if "@" in parts.netloc:
        raise SyncError("`base_url` must not contain a user name or password (`user:password@host`): "
                        "Tomorro authenticates with `api_key` alone. Remove them from `base_url`.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # not repeated: a value that is not a URL may still hold a secret
        raise SyncError(f"`base_url` must be an http(s) URL with a host, such as {DEFAULT_BASE_URL}")
    return base_url.strip()


@contextmanager
def open_target(config: Path | None, *, sandbox_port: int = 0, seed: int = 42,
                 contracts: int = 500) -> Iterator[Target]:
    """The real API when a config is given; otherwise a seeded sandbox for the duration."""
    if config is not None:
        yield load_config(config)
        return
    from tomorro_sandbox import SandboxProcess

    process = SandboxProcess(seed=seed, port=sandbox_port, contracts=contracts)
    try:
        process.start()
    except Exception as err:  # the sandbox explains itself (port taken, bad option)
        raise SyncError(f"Could not start the Tomorro sandbox: {err}") from None
    try:
        yield Target.of_sandbox(process)
    finally:
        process.stop()
