"""End-to-end fixtures: a real sandbox on a loopback socket, our real console scripts, PyAirbyte."""

from __future__ import annotations

import pytest
from tomorro_sync import pyairbyte


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory):
    # One folder per test process: PyAirbyte reads its settings (the log root among them) at its
    # first import, so every end-to-end module of a process must share them.
    path = tmp_path_factory.mktemp("e2e")
    pyairbyte.configure(path / "logs")
    return path
