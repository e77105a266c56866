"""Sandbox fixtures for the integration tests: a real Tomorro emulator on a loopback socket (the session's
one, root conftest.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest


@pytest.fixture
def sb(sandbox_session):
    """The session's sandbox (root conftest.py), re-seeded with its start options, without faults, for each test."""
    from tomorro_sandbox.testing import fresh

    return fresh(sandbox_session)


@pytest.fixture
def base_config(sb, tmp_path) -> dict[str, Any]:
    return {"api_key": sb.api_key, "base_url": sb.url, "integration_type": "hubspot", "integration_entity": "deal",
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
