"""Importing any tomorro_sync module (listen's included) loads none of the heavy packages: each is paid only by the
process that needs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = {  # top-level package -> why no import of a tomorro_sync module may load it
    "airbyte": "PyAirbyte is a dev dependency (`uv sync --no-dev` leaves it out), used by the equivalence tests only",
    "airbyte_cdk": "the CDK runs in the connectors' processes, never in tomorro-sync's (1.3 s a pull)",
    "airbyte_api": "Airbyte's SDK (~1.2 s) is loaded only by `listen --airbyte-connection-id`",
    "sqlalchemy": "PyAirbyte's caches use it; tomorro-sync writes DuckDB itself",
    **dict.fromkeys(("pandas", "numpy", "pyarrow"), "DuckDB's client loads pandas, numpy and pyarrow when a value is "
                    "bound as a parameter (+0.3 s a pull): values reach DuckDB as SQL literals"),
}

_IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import tomorro_sync
names = [m.name for m in pkgutil.walk_packages(tomorro_sync.__path__, "tomorro_sync.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))}))
"""


@pytest.fixture(scope="module")
def imported() -> dict:
    done = subprocess.run([sys.executable, "-c", _IMPORT_EVERY_MODULE, *HEAVY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert {"tomorro_sync.pull", "tomorro_sync.listen.dispatcher", "tomorro_sync.listen.airbyte"} <= set(
        found["modules"])  # every module, listen's included
    return found


@pytest.mark.parametrize("package", HEAVY)
def test_importing_every_tomorro_sync_module_leaves_out(package, imported):
    assert package not in imported["loaded"], HEAVY[package]
