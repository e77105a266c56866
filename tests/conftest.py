"""End-to-end fixtures: a real sandbox on a loopback socket, our real console scripts."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory):
    """One folder per test process for the end-to-end modules' DuckDB files and logs."""
    return tmp_path_factory.mktemp("e2e")
