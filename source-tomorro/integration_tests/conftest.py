"""Sandbox fixtures: a seeded Tomorro emulator over a real loopback socket, one per test module."""

from __future__ import annotations

import pytest
from source_tomorro.run import register_components

register_components()

SANDBOX_API_KEY = "sandbox-key"
SEED = dict(seed=42, contracts=500, counterparties=120, fields=60, members=15)


@pytest.fixture(autouse=True)
def _isolated_request_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REQUEST_CACHE_PATH", str(tmp_path / "request_cache"))


@pytest.fixture(scope="module")
def sandbox():
    from tomorro_sandbox import SandboxServer

    with SandboxServer(api_key=SANDBOX_API_KEY, port=0, **SEED) as server:
        yield server


@pytest.fixture
def sandbox_config(sandbox):
    return {"api_key": SANDBOX_API_KEY, "base_url": sandbox.url, "num_workers": 4}
