"""Fixtures of the fault suite. The harness lives in `faults_harness.py` next to this file (the
import mode is importlib, so test modules import it through this directory on sys.path)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import faults_harness  # noqa: E402


@pytest.fixture
def work(tmp_path):
    """A Workdir; every test ends with `work.assert_no_secret()` (also enforced here)."""
    workdir = faults_harness.Workdir(tmp_path)
    yield workdir
    if workdir.runs:
        workdir.assert_no_secret()
