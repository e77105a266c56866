"""End-to-end fixtures: a real sandbox on a loopback socket, our real console scripts, PyAirbyte."""

from __future__ import annotations

import pytest
from tomorro_sync import pyairbyte


@pytest.fixture(scope="module")
def e2e_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e")
    # PyAirbyte reads its settings at first import: set them before anything imports it.
    pyairbyte.configure(path / "logs")
    return path
