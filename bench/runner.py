"""Run scenarios: one sandbox per scenario (and size), every contender on the same data, in turn."""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from .contenders import ALL
from .harness import (
    brief,
    context,
    log,
    probe_figures,
    probe_into,
    records,
    request_stats,
    reset_data,
    row,
    start_sandbox,
    updated_instants,
)
from .pulls import run_pull
from .scenarios import Scenario
from .writes import run_write


def run_read(sc: Scenario, sizes: list[int], contenders: list[str], workroot: Path, timeout_s: float,
             quick: bool):
    rows = []
    for size in sizes:
        log(f"scenario {sc.key}: starting sandbox with {size} contracts ({sc.updated_skew} updatedAt)")
        with start_sandbox(sc, size) as sb:
            # the ground truth of the range accounting: the data do not change while the contenders read
            updated = updated_instants(sb) if sc.probe else None
            for name in sc.contenders_for(size, contenders):
                c = ALL[name]
                ctx = context(sb, workroot, sc, c, size, timeout_s)
                c.prepare(ctx)
                probe = probe_into(ctx, sc, c, "full")
                sb.reset_stats()
                log(f"scenario {sc.key}: {name} reading {size} contracts")
                res = c.read(ctx)
                rows.append(row(sc, c, size, "full", res, request_stats(sb), size,
                                **probe_figures(probe, res, updated)))
                log(brief(rows[-1]))
    return rows


def _changes(sc: Scenario, size: int, counterparties: int | None) -> dict[str, int]:
    """What the incremental scenarios change between the two reads: a share of contracts (d), and of
    counterparties too when every stream is read (h)."""
    out = {"contracts": max(1, int(size * sc.change_share))}
    if sc.streams == "all":
        out["counterparties"] = max(1, int((counterparties or 120) * sc.change_share))
    return out


def run_incremental(sc: Scenario, sizes: list[int], contenders: list[str], workroot: Path, timeout_s: float,
                    quick: bool):
    rows = []
    for size in sizes:
        cps = sc.counterparties if sc.counterparties and size >= 10_000 else None
        changes = _changes(sc, size, cps)
        log(f"scenario {sc.key}: starting sandbox with {size} contracts" + (f", {cps} counterparties" if cps else ""))
        with start_sandbox(sc, size, counterparties=cps) as sb:
            for i, name in enumerate(sc.contenders_for(size, contenders)):
                c = ALL[name]
                if i:
                    reset_data(sb)
                ctx = context(sb, workroot, sc, c, size, timeout_s)
                c.prepare(ctx)
                probe = probe_into(ctx, sc, c, "full")
                sb.reset_stats()
                log(f"scenario {sc.key}: {name} full read of {size} contracts")
                full = c.read(ctx)
                rows.append(row(sc, c, size, "full", full, request_stats(sb), size, **probe_figures(probe, full, None)))
                log(brief(rows[-1]))
                if full.exit_code != 0:
                    log(f"scenario {sc.key}: {name} incremental read skipped (the full read failed)")
                    continue
                changed = _mutate(sb, sc, changes)
                probe = probe_into(ctx, sc, c, "incremental")
                sb.reset_stats()
                log(f"scenario {sc.key}: {name} incremental read after changes {changes}")
                inc = c.read(ctx, previous=full)
                rows.append(row(sc, c, size, "incremental", inc, request_stats(sb), changes["contracts"],
                                changed=changes["contracts"], changes=changed,
                                request_floor=math.ceil(changes["contracts"] / 50),
                                **probe_figures(probe, inc, None)))
                log(brief(rows[-1]))
    return rows


LOOKBACK = dt.timedelta(minutes=5)  # the source's default lookback_window


def _mutate(sb, sc: Scenario, changes: dict[str, int]) -> dict[str, int]:
    """Apply the changes; for a read of every stream also count the signed contracts whose files the next read
    must visit: those changed, and those the lookback re-reads (within 5 minutes of the newest signed contract)."""
    if sc.streams != "all":
        sb.mutate(**changes)
        return dict(changes)
    signed = [c for c in records(sb, "contracts") if c.get("status") == "signed"]
    newest = max((_at(c) for c in signed), default=None)
    in_lookback = {c["id"] for c in signed if newest and _at(c) >= newest - LOOKBACK}
    mutation = sb.mutate(**changes)
    ids = set(mutation["contracts"]["updated"]) | set(mutation["contracts"]["created"])
    changed_signed = {c["id"] for c in records(sb, "contracts") if c["id"] in ids and c.get("status") == "signed"}
    return {"contracts": len(ids), "signed_contracts": len(changed_signed),
            "signed_in_lookback": len(in_lookback - changed_signed),
            "counterparties": len(mutation["counterparties"]["updated"]) + len(mutation["counterparties"]["created"])}


def _at(record: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(record["updatedAt"].replace("Z", "+00:00"))


RUNNERS = {"read": run_read, "memory": run_read, "incremental": run_incremental, "write": run_write,
           "pull": run_pull}


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
            started, load = time.perf_counter(), os.getloadavg()
            try:
                rows = RUNNERS[sc.kind](sc, sizes, names, workroot, timeout_s, quick)
                error = None
            except Exception as exc:  # a broken scenario must not lose the others' figures
                rows, error = [], f"{type(exc).__name__}: {exc}"
                log(f"scenario {sc.key} FAILED: {error}")
            results.append({"scenario": sc.key, "title": sc.title, "kind": sc.kind, "sizes": sizes,
                            "latency_ms": sc.latency_ms, "rate_limit": sc.rate_limit,
                            "updated_skew": sc.updated_skew, "streams": sc.streams,
                            "source_options": sc.source_options, "limited_by": sc.limited_by,
                            "loadavg_at_start": [round(x, 2) for x in load],
                            "seconds": round(time.perf_counter() - started, 1), "error": error, "rows": rows})
    finally:
        if keep:
            log(f"work folders kept in {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    return results
