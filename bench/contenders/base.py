"""What every contender needs: the sandbox it talks to, a private work folder, a clean environment."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
PROBE = BENCH / "probe"  # sitecustomize.py: logs process starts and requests (bench/accounting.py)
START_DATE = "2015-01-01T00:00:00Z"  # years before any seeded contract (the sandbox's data start in 2021-2023)


@dataclass
class Context:
    url: str  # API base, http://127.0.0.1:PORT/v2
    api_key: str
    workdir: Path  # private to one contender in one scenario (configs, state, DuckDB files)
    timeout_s: float = 900.0
    source_options: dict[str, Any] = field(default_factory=dict)  # num_workers, page_size, requests_per_minute
    dest_options: dict[str, Any] = field(default_factory=dict)
    streams: str = "contracts"  # "contracts", or "all": every stream the source discovers
    probe_log: Path | None = None  # set: the contender's Python processes run under the probe, logging here

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env.update({
            "AIRBYTE_OFFLINE_MODE": "1",
            "DO_NOT_TRACK": "1",
            "AIRBYTE_LOGGING_ROOT": str(self.workdir / "airbyte-logs"),
            "REQUEST_CACHE_PATH": str(self.workdir / "requests-cache"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "DLT_DATA_DIR": str(self.workdir / "dlt-data"),
            "PYTHONPATH": str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        })
        env.pop("BENCH_PROBE_LOG", None)
        if self.probe_log is not None:
            env["PYTHONPATH"] = f"{PROBE}{os.pathsep}{env['PYTHONPATH']}"
            env["BENCH_PROBE_LOG"] = str(self.probe_log)
        return env

    def write_json(self, name: str, obj: Any) -> Path:
        path = self.workdir / name
        path.write_text(json.dumps(obj))
        return path


def console_script(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else name


def state_list(states: dict[str, Any]) -> list[dict[str, Any]]:
    """The last STATE message of each stream, as the `--state` file of the Airbyte protocol."""
    if "__global__" in states:
        return [states["__global__"]]
    return list(states.values())
