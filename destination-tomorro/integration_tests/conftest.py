"""Sandbox fixtures for the integration tests: a real Tomorro emulator on a loopback socket."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

API_KEY = "sandbox-key"


@pytest.fixture(scope="module")
def sandbox_server():
    from tomorro_sandbox import SandboxServer

    with SandboxServer(seed=42, contracts=60, counterparties=30, fields=40, members=5, api_key=API_KEY, port=0) as sb:
        yield sb


@pytest.fixture
def sb(sandbox_server):
    """The module's sandbox, re-seeded and without faults for each test."""
    sandbox_server.reset()
    sandbox_server.set_faults(latency_ms=0, rate_limit=None, error_rate=0, reset_rate=0)
    sandbox_server.reset_stats()
    return sandbox_server


@pytest.fixture
def base_config(sb, tmp_path) -> dict[str, Any]:
    return {"api_key": API_KEY, "base_url": sb.url, "integration_type": "hubspot", "integration_entity": "deal",
            "default_contract_type": "Non-Disclosure Agreement", "default_template": "Mutual NDA",
            "requests_per_minute": 6000, "max_concurrency": 4, "max_retries": 4, "request_timeout_seconds": 5,
            "rejected_rows_path": str(tmp_path / "rejected.jsonl")}


def writes(sb) -> int:
    return sum(r["count"] for r in sb.stats()["requests"] if r["method"] in ("POST", "PATCH", "PUT", "DELETE"))


def catalog_json(*streams) -> dict[str, Any]:
    return {"streams": [
        {"stream": {"name": s[0], "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh", "incremental"]},
         "sync_mode": "incremental", "destination_sync_mode": s[1],
         **({"destination_object_name": s[2]} if len(s) > 2 else {})} for s in streams]}


def record_json(stream: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 0}}


def state_json(stream: str, value: Any) -> dict[str, Any]:
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream},
                                                                    "stream_state": {"cursor": value}}}}


def jsonl(messages) -> str:
    return "".join(json.dumps(m) + "\n" for m in messages)


@pytest.fixture
def h():
    """Message and stats helpers (importlib import mode: test modules cannot import conftest)."""
    return SimpleNamespace(writes=writes, catalog=catalog_json, record=record_json, state=state_json, jsonl=jsonl)
