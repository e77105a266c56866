"""Destination contenders for scenario (e): upsert CRM account rows as Tomorro counterparties.

Both read the same rows (`rows.jsonl`, one JSON object per line: name, status) and run in a fresh
subprocess; the runner checks the result against the sandbox's ground truth afterwards.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from ..measure import ProcResult, run_process
from .base import Context, console_script

STREAM = "crm_accounts"


def airbyte_messages(rows_path: Path, out: Path) -> Path:
    """The rows as the Airbyte messages a platform would pipe into the destination."""
    now = int(time.time() * 1000)
    n = 0
    with open(rows_path) as src, open(out, "w") as dst:
        for line in src:
            row = json.loads(line)
            dst.write(json.dumps({"type": "RECORD", "record": {"stream": STREAM, "data": row, "emitted_at": now}}))
            dst.write("\n")
            n += 1
        dst.write(json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
            "stream_descriptor": {"name": STREAM}, "stream_state": {"rows": n}}}}))
        dst.write("\n")
    return out


def destination_catalog() -> dict[str, Any]:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "status": {"type": ["null", "string"]}}}
    return {"streams": [{
        "stream": {"name": STREAM, "json_schema": schema, "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": "incremental",
        "destination_sync_mode": "append_dedup",
        "primary_key": [["name"]],
        "destination_object_name": "counterparty",
    }]}


class OursDestination:
    name = "ours-destination"
    label = "destination-tomorro write (append_dedup)"
    ours = True

    def write(self, ctx: Context, rows_path: Path) -> ProcResult:
        config = {"api_key": ctx.api_key, "base_url": ctx.url, "object_mapping": {STREAM: "counterparty"},
                  "max_concurrency": 8, "requests_per_minute": 6000, **ctx.dest_options}
        cfg = ctx.write_json("destination-config.json", config)
        cat = ctx.write_json("destination-catalog.json", destination_catalog())
        messages = airbyte_messages(rows_path, ctx.workdir / "messages.jsonl")
        cmd = [console_script("destination-tomorro"), "write", "--config", str(cfg), "--catalog", str(cat)]
        return run_process(cmd, env=ctx.env(), cwd=ctx.workdir, stdin_path=messages, timeout_s=ctx.timeout_s,
                           stderr_path=ctx.workdir / "write-stderr.log")


class NaiveWriter:
    name = "naive-writer"
    label = "one request at a time (GET by name, then POST or PATCH)"
    ours = False

    def write(self, ctx: Context, rows_path: Path) -> ProcResult:
        cmd = [sys.executable, "-m", "bench.naive_writer", "--base-url", ctx.url, "--api-key", ctx.api_key,
               "--rows", str(rows_path)]
        return run_process(cmd, env=ctx.env(), cwd=ctx.workdir, timeout_s=ctx.timeout_s,
                           stderr_path=ctx.workdir / "write-stderr.log")


DESTINATION_CONTENDERS = {c.name: c for c in (OursDestination(), NaiveWriter())}
