"""End-to-end fixtures: a real sandbox on a loopback socket, our real console scripts."""

from __future__ import annotations

import stat
import sys

import pytest


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory):
    """One folder per test process for the end-to-end modules' DuckDB files and logs."""
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture
def source_wrapper(tmp_path):
    """`source_wrapper(template)`: an executable `source-tomorro` that stands in for the real console script, its
    Python body `template` formatted with `real` (the real script's path), to alter what a pull sees."""
    from tomorro_sync.connectors import executable

    def make(template: str):
        script = tmp_path / "source-tomorro"
        script.write_text(f"#!{sys.executable}\n" + template.format(real=str(executable("source-tomorro"))))
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return script

    return make
