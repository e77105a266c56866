"""Source contenders: ours (CLI, PyAirbyte), a naive Connector-Builder manifest, dlt rest_api, and the ideal
sequential reader (the reference of the latency scenarios).

Each exposes `read(ctx, incremental=False, previous=None) -> ProcResult`. A contender keeps what it
needs for an incremental read in `ctx.workdir` (DuckDB cache, dlt pipeline) or gets the previous
run's STATE messages through `previous`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from typing import Any

import yaml

from ..measure import ProcResult, run_process
from .base import BENCH, REPO, START_DATE, Context, console_script, state_list

STREAM = "contracts"
NAIVE_MANIFEST = BENCH / "naive_manifest.yaml"


@lru_cache(maxsize=1)
def source_spec() -> dict[str, Any] | None:
    """Our source's connection specification, read from its manifest (None until it exists)."""
    for path in sorted(REPO.glob("source-tomorro/**/manifest.yaml")):
        if ".venv" in path.parts:
            continue
        try:
            manifest = yaml.safe_load(path.read_text())
            return manifest["spec"]["connection_specification"]
        except (OSError, KeyError, TypeError, yaml.YAMLError):
            continue
    return None


def ours_config(ctx: Context) -> dict[str, Any]:
    # a source option set to None leaves that setting to the connector's default
    wanted = {"api_key": ctx.api_key, "base_url": ctx.url, "start_date": START_DATE, "num_workers": 8,
              "page_size": 50, **ctx.source_options}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    spec = source_spec()
    if spec is None:
        return wanted
    props = spec.get("properties") or {}
    keep = {k: v for k, v in wanted.items() if k in props or k in ("api_key", "base_url")}
    if "start_date" not in props and "start_date" not in (spec.get("required") or []):
        keep.pop("start_date", None)
    return keep


def _configured(stream: dict[str, Any]) -> dict[str, Any]:
    """Incremental where the stream supports it (as PyAirbyte and the platform configure it), else full refresh."""
    modes = stream.get("supported_sync_modes") or ["full_refresh"]
    incremental = "incremental" in modes
    entry = {
        "stream": stream,
        "sync_mode": "incremental" if incremental else "full_refresh",
        "destination_sync_mode": "append",
    }
    if incremental and stream.get("default_cursor_field"):
        entry["cursor_field"] = stream["default_cursor_field"]
    if stream.get("source_defined_primary_key"):
        entry["primary_key"] = stream["source_defined_primary_key"]
    return entry


def configured_catalog(*streams: dict[str, Any]) -> dict[str, Any]:
    return {"streams": [_configured(stream) for stream in streams]}


def discover(cmd: list[str], ctx: Context, wanted: str = STREAM) -> list[dict[str, Any]]:
    """Run `discover`: the AirbyteStream named `wanted`, or every stream when `wanted` is "all"."""
    out = subprocess.run(cmd, capture_output=True, text=True, env=ctx.env(), cwd=ctx.workdir, timeout=300)
    for line in out.stdout.splitlines():
        if line.startswith("{") and '"CATALOG"' in line[:30]:
            streams = json.loads(line)["catalog"]["streams"]
            chosen = [s for s in streams if wanted == "all" or s["name"] == wanted]
            if chosen:
                return chosen
    raise RuntimeError(f"discover found no '{wanted}' stream: {(out.stdout + out.stderr)[-1500:]}")


def _read(cmd_prefix: list[str], ctx: Context, config: dict[str, Any], catalog: dict[str, Any],
          previous: ProcResult | None, tag: str, extra: list[str] = ()) -> ProcResult:
    cfg = ctx.write_json(f"{tag}-config.json", config)
    cat = ctx.write_json(f"{tag}-catalog.json", catalog)
    cmd = [*cmd_prefix, "read", *extra, "--config", str(cfg), "--catalog", str(cat)]
    if previous is not None:
        cmd += ["--state", str(ctx.write_json(f"{tag}-state.json", state_list(previous.states)))]
    return run_process(cmd, env=ctx.env(), cwd=ctx.workdir, timeout_s=ctx.timeout_s,
                       stderr_path=ctx.workdir / f"{tag}-stderr.log")


class _Spawned:
    """A contender that needs no preparation and runs one command per read."""

    def prepare(self, ctx: Context) -> None:
        pass

    def command(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    def read(self, ctx: Context, previous: ProcResult | None = None) -> ProcResult:
        tag = "incremental" if previous else "full"
        return run_process(self.command(ctx), env=ctx.env(), cwd=ctx.workdir, timeout_s=ctx.timeout_s,
                           stderr_path=ctx.workdir / f"{tag}-stderr.log")


class OursCli:
    name = "ours-cli"
    label = "source-tomorro CLI -> /dev/null"
    ours = True

    def prepare(self, ctx: Context) -> None:
        """Discover the catalog before the stats are reset (a platform passes it to `read`)."""
        config = ours_config(ctx)
        cfg = ctx.write_json("discover-config.json", config)
        streams = discover([console_script("source-tomorro"), "discover", "--config", str(cfg)], ctx, ctx.streams)
        ctx.write_json("catalog.json", configured_catalog(*streams))

    def read(self, ctx: Context, previous: ProcResult | None = None) -> ProcResult:
        catalog = json.loads((ctx.workdir / "catalog.json").read_text())
        return _read([console_script("source-tomorro")], ctx, ours_config(ctx), catalog, previous,
                     "incremental" if previous else "full")


class NaiveManifest:
    name = "naive-manifest"
    label = "Connector-Builder default manifest (CDK) -> /dev/null"
    ours = False

    def prepare(self, ctx: Context) -> None:
        pass

    def read(self, ctx: Context, previous: ProcResult | None = None) -> ProcResult:
        manifest = yaml.safe_load(NAIVE_MANIFEST.read_text())
        schema = manifest["schemas"][STREAM]
        stream = {"name": STREAM, "json_schema": schema, "supported_sync_modes": ["full_refresh", "incremental"],
                  "source_defined_cursor": True, "default_cursor_field": ["updatedAt"],
                  "source_defined_primary_key": [["id"]]}
        config = {"api_key": ctx.api_key, "base_url": ctx.url, "start_date": START_DATE}
        return _read([console_script("source-declarative-manifest")], ctx, config, configured_catalog(stream),
                     previous, "incremental" if previous else "full",
                     extra=["--manifest-path", str(NAIVE_MANIFEST)])


class OursPyAirbyte(_Spawned):
    name = "ours-pyairbyte"
    label = "source-tomorro through PyAirbyte -> DuckDB"
    ours = True

    def command(self, ctx: Context) -> list[str]:
        cfg = ctx.write_json("pyairbyte-config.json", ours_config(ctx))
        return [sys.executable, "-m", "bench.contenders.pyairbyte_run", "--config", str(cfg),
                "--db", str(ctx.workdir / "bench.duckdb"), "--executable", console_script("source-tomorro"),
                "--stream", STREAM]


class IdealReader(_Spawned):
    name = "ideal-reader"
    label = "ideal sequential reader (one stdlib keep-alive chain, counting records)"
    ours = False

    def command(self, ctx: Context) -> list[str]:
        return [sys.executable, str(BENCH / "ideal_reader.py"), "--base-url", ctx.url, "--api-key", ctx.api_key,
                "--start-date", START_DATE]

    def read(self, ctx: Context, previous: ProcResult | None = None) -> ProcResult:
        if previous is not None:
            raise ValueError("the ideal reader reads first syncs only")
        return super().read(ctx)


class DltRestApi(_Spawned):
    name = "dlt"
    label = "dlt rest_api -> DuckDB (parquet)"
    ours = False

    def command(self, ctx: Context) -> list[str]:
        return [sys.executable, "-m", "bench.contenders.dlt_run", "--base-url", ctx.url, "--api-key",
                ctx.api_key, "--workdir", str(ctx.workdir), "--start-date", START_DATE]


SOURCE_CONTENDERS = {c.name: c for c in (OursCli(), OursPyAirbyte(), NaiveManifest(), DltRestApi(), IdealReader())}
