"""Run scenarios: one sandbox per scenario (and size), every contender on the same data, in turn."""

from __future__ import annotations

import importlib
import json
import math
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from .contenders import ALL
from .contenders.base import Context
from .measure import ProcResult
from .scenarios import Scenario

SEED = 42


# --- the sandbox ---------------------------------------------------------------------------------

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


# --- one measurement -----------------------------------------------------------------------------

def row(sc: Scenario, contender, size: int, phase: str, res: ProcResult, stats: dict[str, Any],
        expected: int | None, **extra: Any) -> dict[str, Any]:
    records = res.result.get("records", res.records) if res.result else res.records
    return {
        "scenario": sc.key, "contender": contender.name, "label": contender.label, "ours": contender.ours,
        "size": size, "phase": phase,
        "records": records, "expected": expected,
        "wall_s": round(res.wall_s, 3),
        "records_per_s": round(records / res.wall_s, 1) if res.wall_s > 0 else None,
        "sync_s": res.result.get("sync_s") if res.result else None,
        "requests": stats["requests"], "http_429": stats["http_429"], "failed": stats["failed"],
        "requests_by_path": stats["by_path"],
        "peak_rss_mb": round(res.peak_rss_mb, 1),
        "exit_code": res.exit_code, "ok": res.ok and (expected is None or records >= expected),
        "errors": res.errors[:5], "stderr_tail": res.stderr_tail[-1500:] if not res.ok else "",
        **extra,
    }


def _ctx(sb, workroot: Path, sc: Scenario, contender, size: int, timeout_s: float) -> Context:
    workdir = workroot / f"{sc.key}-{size}-{contender.name}"
    workdir.mkdir(parents=True, exist_ok=True)
    return Context(url=sb.url, api_key=sb.api_key, workdir=workdir, timeout_s=timeout_s,
                   source_options=dict(sc.source_options))


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run_read(sc: Scenario, sizes: list[int], contenders: list[str], workroot: Path, timeout_s: float):
    rows = []
    for size in sizes:
        _log(f"scenario {sc.key}: starting sandbox with {size} contracts")
        with start_sandbox(sc, size) as sb:
            for name in contenders:
                c = ALL[name]
                ctx = _ctx(sb, workroot, sc, c, size, timeout_s)
                c.prepare(ctx)
                sb.reset_stats()
                _log(f"scenario {sc.key}: {name} reading {size} contracts")
                res = c.read(ctx)
                rows.append(row(sc, c, size, "full", res, request_stats(sb), size))
                _log(_brief(rows[-1]))
    return rows


def run_incremental(sc: Scenario, sizes: list[int], contenders: list[str], workroot: Path, timeout_s: float):
    rows = []
    for size in sizes:
        changed = max(1, size // 100)
        _log(f"scenario {sc.key}: starting sandbox with {size} contracts")
        with start_sandbox(sc, size) as sb:
            for i, name in enumerate(contenders):
                c = ALL[name]
                if i:
                    reset_data(sb)
                ctx = _ctx(sb, workroot, sc, c, size, timeout_s)
                c.prepare(ctx)
                sb.reset_stats()
                _log(f"scenario {sc.key}: {name} full read of {size} contracts")
                full = c.read(ctx)
                rows.append(row(sc, c, size, "full", full, request_stats(sb), size))
                _log(_brief(rows[-1]))
                if full.exit_code != 0:
                    _log(f"scenario {sc.key}: {name} incremental read skipped (the full read failed)")
                    continue
                sb.mutate(contracts=changed)
                sb.reset_stats()
                _log(f"scenario {sc.key}: {name} incremental read after {changed} changes")
                inc = c.read(ctx, previous=full)
                floor = math.ceil(changed / 50)
                rows.append(row(sc, c, size, "incremental", inc, request_stats(sb), changed,
                                changed=changed, request_floor=floor))
                _log(_brief(rows[-1]))
    return rows


def make_rows(existing: list[dict[str, Any]], n: int, rng: random.Random) -> list[dict[str, Any]]:
    """n CRM rows: each distinct existing name (at most 20% of the rows) with its status flipped,
    the rest new names. Seeded names repeat, so there are fewer updates than counterparties."""
    names = sorted({cp["name"] for cp in existing if cp.get("name")})
    by_name = {cp["name"]: cp for cp in existing}
    n_update = min(len(names), n // 5)
    rows = []
    for name in rng.sample(names, n_update):
        status = "archived" if by_name[name].get("status") == "active" else "active"
        rows.append({"name": name, "status": status})
    rows += [{"name": f"Bench Account {i:06d}", "status": "active"} for i in range(n - n_update)]
    rng.shuffle(rows)
    return rows


def verify_upserts(rows: list[dict[str, Any]], before: list[dict[str, Any]], after: list[dict[str, Any]]):
    """Duplicates: a row's name now held by more counterparties than before (at least one)."""
    def counts(cps):
        out: dict[str, list[dict[str, Any]]] = {}
        for cp in cps:
            out.setdefault(str(cp.get("name", "")).strip().lower(), []).append(cp)
        return out

    b, a = counts(before), counts(after)
    duplicates = missing = wrong = 0
    for r in rows:
        key = r["name"].strip().lower()
        now = a.get(key, [])
        if not now:
            missing += 1
            continue
        duplicates += max(0, len(now) - max(1, len(b.get(key, []))))
        if not any(cp.get("status") == r["status"] for cp in now):
            wrong += 1
    return {"duplicates": duplicates, "missing": missing, "wrong_status": wrong,
            "applied": len(rows) - missing - wrong}


def run_write(sc: Scenario, sizes: list[int], contenders: list[str], workroot: Path, timeout_s: float):
    rows_out = []
    for size in sizes:
        cps = sc.counterparties if size >= 1000 else max(60, size)
        _log(f"scenario {sc.key}: starting sandbox with {cps} counterparties for {size} rows")
        with start_sandbox(sc, 50, counterparties=cps) as sb:
            data = make_rows(records(sb, "counterparties"), size, random.Random(SEED))
            rows_path = workroot / f"{sc.key}-{size}-rows.jsonl"
            rows_path.write_text("".join(json.dumps(r) + "\n" for r in data))
            for i, name in enumerate(contenders):
                c = ALL[name]
                if i:
                    reset_data(sb)
                ctx = _ctx(sb, workroot, sc, c, size, timeout_s)
                before = records(sb, "counterparties")
                sb.reset_stats()
                _log(f"scenario {sc.key}: {name} writing {size} rows")
                res = c.write(ctx, rows_path)
                stats = request_stats(sb)
                check = verify_upserts(data, before, records(sb, "counterparties"))
                res.result = {**(res.result or {}), "records": check["applied"]}
                rows_out.append(row(sc, c, size, "write", res, stats, size, **check))
                _log(_brief(rows_out[-1]))
    return rows_out


RUNNERS = {"read": run_read, "memory": run_read, "incremental": run_incremental, "write": run_write}


def _brief(r: dict[str, Any]) -> str:
    s = (f"  -> {r['contender']} {r['phase']}: {r['records']} records in {r['wall_s']:.1f} s "
         f"({r['records_per_s']}/s), {r['requests']} requests ({r['http_429']} x 429, {r['failed']} failed), "
         f"peak RSS {r['peak_rss_mb']:.0f} MB, exit {r['exit_code']}")
    if r["errors"]:
        s += f" ERRORS: {r['errors'][:2]}"
    elif r.get("stderr_tail"):
        s += "\n     stderr: " + r["stderr_tail"][-600:].replace("\n", "\n     ")
    return s


def run(scenarios: list[Scenario], *, quick: bool, contenders: list[str] | None, size: int | None,
        timeout_s: float, keep: bool) -> list[dict[str, Any]]:
    workroot = Path(tempfile.mkdtemp(prefix="tomorro-bench-"))
    results = []
    try:
        for sc in scenarios:
            sizes = [size] if size else (sc.quick_sizes if quick else sc.sizes)
            if size and sc.kind == "memory":
                sizes = [max(1, size // 4), size]
            names = (sc.quick_contenders or sc.contenders) if quick else sc.contenders
            if contenders:
                names = [n for n in sc.contenders if n in contenders]
            started = time.perf_counter()
            try:
                rows = RUNNERS[sc.kind](sc, sizes, names, workroot, timeout_s)
                error = None
            except Exception as exc:  # a broken scenario must not lose the others' figures
                rows, error = [], f"{type(exc).__name__}: {exc}"
                _log(f"scenario {sc.key} FAILED: {error}")
            results.append({"scenario": sc.key, "title": sc.title, "kind": sc.kind, "sizes": sizes,
                            "latency_ms": sc.latency_ms, "rate_limit": sc.rate_limit,
                            "source_options": sc.source_options, "limited_by": sc.limited_by,
                            "seconds": round(time.perf_counter() - started, 1), "error": error, "rows": rows})
    finally:
        if keep:
            _log(f"work folders kept in {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    return results
