"""What every scenario runner shares: its sandbox, the sandbox's counters, one result row, the probe's figures."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import time
from pathlib import Path
from typing import Any

import requests

from . import accounting
from .contenders.base import Context
from .measure import ProcResult
from .scenarios import Scenario

SEED = 42


def sandbox_class():
    """`tomorro_sandbox.SandboxProcess`; BENCH_SANDBOX_FACTORY=module:attr swaps in another emulator
    with the same interface (only to work on the harness itself)."""
    factory = os.environ.get("BENCH_SANDBOX_FACTORY")
    if factory:
        module, attr = factory.split(":")
        return getattr(importlib.import_module(module), attr)
    from tomorro_sandbox import SandboxProcess

    return SandboxProcess


def start_sandbox(sc: Scenario, contracts: int, counterparties: int | None = None):
    kwargs: dict[str, Any] = {"seed": SEED, "contracts": contracts, "latency_ms": sc.latency_ms, "port": 0}
    if counterparties:
        kwargs["counterparties"] = counterparties
    if sc.rate_limit:
        kwargs["rate_limit"] = sc.rate_limit
    if sc.updated_skew != "uniform":
        kwargs["updated_skew"] = sc.updated_skew
    return sandbox_class()(**kwargs)


def admin_url(sb) -> str:
    return sb.url.rstrip("/").rsplit("/v2", 1)[0] + "/_sandbox"


def admin(sb, method: str, path: str, body: Any = None) -> Any:
    resp = requests.request(method, admin_url(sb) + path, json=body, timeout=600)
    resp.raise_for_status()
    return resp.json() if resp.content else None


def reset_data(sb) -> None:
    """Re-seed the sandbox from its start options (between contenders that change data)."""
    if hasattr(sb, "reset"):
        sb.reset()
    else:
        admin(sb, "POST", "/reset", {})


def records(sb, collection: str) -> list[dict[str, Any]]:
    body = admin(sb, "GET", f"/records/{collection}")
    if isinstance(body, dict):  # tolerate an envelope
        body = body.get("records") or body.get("data") or []
    return body


def updated_instants(sb) -> list[dt.datetime]:
    """Every contract's updatedAt (the ground truth the range accounting needs)."""
    return [dt.datetime.fromisoformat(c["updatedAt"].replace("Z", "+00:00")) for c in records(sb, "contracts")]


def request_stats(sb) -> dict[str, Any]:
    """API requests since the last reset, admin calls excluded."""
    total = n429 = failed = 0
    by_path: dict[str, int] = {}
    for r in sb.stats().get("requests", []):
        path = str(r.get("path", ""))
        if "_sandbox" in path:
            continue
        count = int(r.get("count", 0))
        status = int(r.get("status", 0))
        total += count
        if status == 429:
            n429 += count
        elif status >= 400:
            failed += count
        key = f"{r.get('method')} {path} {status}"
        by_path[key] = by_path.get(key, 0) + count
    return {"requests": total, "http_429": n429, "failed": failed, "by_path": by_path}


def row(sc: Scenario, contender, size: int, phase: str, res: ProcResult, stats: dict[str, Any],
        expected: int | None, **extra: Any) -> dict[str, Any]:
    records_ = res.result.get("records", res.records) if res.result else res.records
    return {
        "scenario": sc.key, "contender": contender.name, "label": contender.label, "ours": contender.ours,
        "size": size, "phase": phase,
        "records": records_, "expected": expected,
        "wall_s": round(res.wall_s, 3),
        "records_per_s": round(records_ / res.wall_s, 1) if res.wall_s > 0 else None,
        "sync_s": res.result.get("sync_s") if res.result else None,
        "requests": stats["requests"], "http_429": stats["http_429"], "failed": stats["failed"],
        "requests_by_path": stats["by_path"],
        "peak_rss_mb": round(res.peak_rss_mb, 1),
        "exit_code": res.exit_code, "ok": res.ok and (expected is None or records_ >= expected),
        "errors": res.errors[:5], "stderr_tail": res.stderr_tail[-1500:] if not res.ok else "",
        **({"records_by_stream": res.records_by_stream} if len(res.records_by_stream) > 1 else {}),
        **extra,
    }


def context(sb, workroot: Path, sc: Scenario, contender, size: int, timeout_s: float) -> Context:
    workdir = workroot / f"{sc.key}-{size}-{contender.name}"
    workdir.mkdir(parents=True, exist_ok=True)
    return Context(url=sb.url, api_key=sb.api_key, workdir=workdir, timeout_s=timeout_s,
                   source_options=dict(sc.source_options), streams=sc.streams)


def probe_into(ctx: Context, sc: Scenario, contender, phase: str) -> Path | None:
    """Run ours under the probe in scenarios that account for requests; a fresh log per run."""
    if not (sc.probe and contender.name == "ours-cli"):
        ctx.probe_log = None
        return None
    ctx.probe_log = ctx.workdir / f"probe-{phase}.jsonl"
    ctx.probe_log.unlink(missing_ok=True)
    return ctx.probe_log


def probe_figures(log: Path | None, res: ProcResult, updated: list[dt.datetime] | None) -> dict[str, Any]:
    """Requests by endpoint, the run's timeline and, given the ground truth of a first sync, its ranges."""
    if log is None:
        return {}
    entries = accounting.load(log)
    out: dict[str, Any] = {"endpoints": accounting.endpoints(entries),
                           "timeline": accounting.timeline(entries, res.spawned_at, res.wall_s, "source-tomorro")}
    if updated is not None:
        out["ranges"] = accounting.ranges(entries, updated)
    return out


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def brief(r: dict[str, Any]) -> str:
    s = (f"  -> {r['contender']} {r['phase']}: {r['records']} records in {r['wall_s']:.1f} s "
         f"({r['records_per_s']}/s), {r['requests']} requests ({r['http_429']} x 429, {r['failed']} failed), "
         f"peak RSS {r['peak_rss_mb']:.0f} MB, exit {r['exit_code']}")
    if r.get("timeline"):
        t = r["timeline"]
        s += (f"; first request at {t['startup_s']} s, reading {t['reading_s']} s with {t['mean_in_flight']} requests "
              f"in flight (by second: {t.get('in_flight_by_second')}), tail {t['tail_s']} s")
        if t.get("connector_exit_s") is not None:
            s += f", connector exited at {t['connector_exit_s']} s"
    if r.get("ranges"):
        g = r["ranges"]
        s += (f"; {g['ranges']} ranges ({g['empty_ranges']} empty), {g['list_requests']} list requests for "
              f"{g['pages_of_data']} pages of data")
    if r["errors"]:
        s += f" ERRORS: {r['errors'][:2]}"
    elif r.get("stderr_tail"):
        s += "\n     stderr: " + r["stderr_tail"][-600:].replace("\n", "\n     ")
    return s
