"""Which Tomorro we talk to: the real API (from a config file) or a sandbox we start ourselves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SyncError

# Keys of the config file that belong to the destination only; everything else is source config.
DESTINATION_SECTION = "destination"


@dataclass
class Target:
    """Connection settings for both connectors, plus the sandbox when we started one."""

    api_key: str
    base_url: str
    source_options: dict[str, Any] = field(default_factory=dict)
    destination_options: dict[str, Any] = field(default_factory=dict)
    sandbox: Any = None  # tomorro_sandbox.SandboxProcess when running against the bundled sandbox

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
            response = requests.get(f"{self.base_url.rstrip('/')}/members", params={"limit": 1},
                                    headers={"x-api-key": self.api_key}, timeout=10)
        except requests.RequestException as err:
            reason = type(err).__name__ if not str(err) else str(err).replace(self.api_key, "****")
            raise SyncError(f"Cannot reach {self.base_url}: {reason}. Check `base_url` and the network.") from None
        if response.status_code in (401, 403):
            raise SyncError(f"Tomorro rejected the API key (HTTP {response.status_code}): check `api_key`.")
        if response.status_code >= 400:
            raise SyncError(f"{self.base_url} answered HTTP {response.status_code} to a test request: "
                            "is `base_url` the Tomorro API (e.g. https://api.tomorro.com/v2)?")

    def request_count(self) -> int | None:
        """API requests served so far (known only for the sandbox)."""
        return self.sandbox.stats()["total"] if self.sandbox else None


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
    base_url = raw.pop("base_url", "https://api.tomorro.com/v2")
    destination = raw.pop(DESTINATION_SECTION, {}) or {}
    if not isinstance(destination, dict):
        raise SyncError(f"Config file {path}: `{DESTINATION_SECTION}` must be an object")
    return Target(api_key=api_key, base_url=base_url, source_options=raw, destination_options=destination)


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
        yield Target(api_key=process.api_key, base_url=process.url, sandbox=process)
    finally:
        process.stop()
