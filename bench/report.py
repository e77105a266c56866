"""Tables, ratios ours/peer and the issue's targets (printed as PASS/MISS, never asserted)."""

from __future__ import annotations

import math
from typing import Any

from .scenarios import RATE_LIMIT_BOUND_PAGE, SCENARIOS

PRIMARY = {"read": "ours-cli", "memory": "ours-cli", "incremental": "ours-cli", "write": "ours-destination"}


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _find(rows, contender, phase=None, size=None):
    for r in rows:
        if r["contender"] == contender and (phase is None or r["phase"] == phase) and (size is None or r["size"] == size):
            return r
    return None


def _ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def _status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def _usable(r) -> bool:
    return bool(r) and r["exit_code"] == 0 and not r["errors"]


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets for one scenario: target, measured value, PASS / MISS / n/a."""
    key, rows = res["scenario"], res["rows"]
    sc = SCENARIOS[key]
    out = []

    def add(target, measured, ok):
        out.append({"target": target, "measured": measured, "status": _status(ok)})

    ours = _find(rows, PRIMARY[sc.kind], "full" if sc.kind in ("read", "memory") else None)
    if key == "a":
        for peer, need in (("naive-manifest", 1.2), ("dlt", None)):
            p = _find(rows, peer, "full")
            ratio = _ratio(ours and ours["records_per_s"], p and p["records_per_s"])
            ok = None if ratio is None or not (_usable(ours) and _usable(p)) else (ratio >= need if need else None)
            label = f"ours-cli / {peer} records/s" + (f" >= {need}x" if need else " (reported as is)")
            add(label, f"{ratio:.2f}x" if ratio else "-", ok if need else None)
    elif key == "b":
        for peer in ("dlt", "naive-manifest"):
            p = _find(rows, peer, "full")
            ratio = _ratio(ours and ours["records_per_s"], p and p["records_per_s"])
            ok = None if ratio is None or not (_usable(ours) and _usable(p)) else ratio >= 4
            add(f"ours-cli / {peer} records/s >= 4x", f"{ratio:.2f}x" if ratio else "-", ok)
    elif key == "c":
        bound = (sc.rate_limit_rps() or 0) * RATE_LIMIT_BOUND_PAGE
        share = _ratio(ours and ours["records_per_s"], bound)
        add(f"ours-cli >= 85% of the bound ({bound:.0f} records/s)",
            f"{share * 100:.0f}% ({ours['records_per_s']:.0f} records/s)" if share else "-",
            None if share is None or not _usable(ours) else share >= 0.85)
        if ours:
            add("ours-cli failed requests = 0 (429s apart)",
                f"{ours['failed']} failed, {ours['http_429']} x 429", ours["failed"] == 0)
    elif key == "d":
        for r in rows:
            if r["phase"] != "incremental":
                continue
            limit = r["request_floor"] + 3
            add(f"{r['contender']} incremental requests <= ceil({r['changed']}/50) + 3 = {limit}",
                f"{r['requests']} requests, {r['records']} records",
                (r["requests"] <= limit if _usable(r) else None) if r["contender"] == "ours-cli" else None)
    elif key == "e":
        p = _find(rows, "naive-writer")
        ratio = _ratio(ours and ours["records_per_s"], p and p["records_per_s"])
        add("ours / naive writer rows/s >= 5x", f"{ratio:.2f}x" if ratio else "-",
            None if ratio is None or not (_usable(ours) and _usable(p)) else ratio >= 5)
        for r in rows:
            add(f"{r['contender']}: zero duplicates (missing, wrong status)",
                f"{r['duplicates']} duplicates ({r['missing']} missing, {r['wrong_status']} wrong status)",
                (r["duplicates"] == 0) if r["contender"] == "ours-destination" else None)
    elif key == "f":
        mine = [r for r in rows if r["contender"] == "ours-cli"]
        if mine:
            peak = max(r["peak_rss_mb"] for r in mine)
            add("ours-cli peak RSS < 200 MB", f"{peak:.0f} MB", peak < 200 if all(map(_usable, mine)) else None)
            lo = min(mine, key=lambda r: r["size"])
            hi = max(mine, key=lambda r: r["size"])
            growth = _ratio(hi["peak_rss_mb"], lo["peak_rss_mb"])
            add(f"flat from {lo['size']:,} to {hi['size']:,} contracts (growth <= 20%)",
                f"{lo['peak_rss_mb']:.0f} -> {hi['peak_rss_mb']:.0f} MB" + (f" ({(growth - 1) * 100:+.0f}%)" if growth else ""),
                None if growth is None or len(mine) < 2 else growth <= 1.2)
    return out


def ratios(res: dict[str, Any]) -> list[dict[str, Any]]:
    """ours/peer for each pair measured on the same data: records/s, and requests for incremental."""
    rows = res["rows"]
    out = []
    ours = [r for r in rows if r["ours"]]
    peers = [r for r in rows if not r["ours"]]
    for o in ours:
        for p in peers:
            if o["size"] != p["size"] or o["phase"] != p["phase"]:
                continue
            both = _usable(o) and _usable(p)  # a failed run's speed means nothing
            out.append({"ours": o["contender"], "peer": p["contender"], "size": o["size"], "phase": o["phase"],
                        "records_per_s": _ratio(o["records_per_s"], p["records_per_s"]) if both else None,
                        "wall": _ratio(o["wall_s"], p["wall_s"]) if both else None,
                        "requests": _ratio(o["requests"], p["requests"]),
                        "peak_rss": _ratio(o["peak_rss_mb"], p["peak_rss_mb"])})
    return out


def markdown(results: list[dict[str, Any]]) -> str:
    lines = []
    for res in results:
        sc = SCENARIOS[res["scenario"]]
        cond = [f"latency {sc.latency_ms} ms"]
        if sc.rate_limit:
            cond.append(f"rate limit {sc.rate_limit} (requests/seconds)")
        if sc.source_options:
            cond.append("ours with " + ", ".join(f"{k}={'its default' if v is None else v}" for k, v in sc.source_options.items()))
        lines.append(f"### ({res['scenario']}) {res['title']}")
        lines.append("")
        lines.append(f"{'; '.join(cond)}. Limited by: {sc.limited_by}. ({res['seconds']} s)")
        lines.append("")
        if res.get("error"):
            lines.append(f"**Scenario failed:** `{res['error']}`")
            lines.append("")
        if res["rows"]:
            lines.append("| contender | phase | size | records | wall s | records/s | in-process s | requests | 429s | failed | peak RSS MB | exit |")
            lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
            for r in res["rows"]:
                exit_ = str(r["exit_code"]) + ("" if _usable(r) else " ⚠")
                lines.append(
                    f"| {r['contender']} | {r['phase']} | {_fmt(r['size'])} | {_fmt(r['records'])} | {_fmt(r['wall_s'])} "
                    f"| {_fmt(r['records_per_s'], 0)} | {_fmt(r.get('sync_s'))} | {_fmt(r['requests'])} | {_fmt(r['http_429'])} "
                    f"| {_fmt(r['failed'])} | {_fmt(r['peak_rss_mb'], 0)} | {exit_} |")
            lines.append("")
            bad = [r for r in res["rows"] if not _usable(r)]
            for r in bad:
                why = "; ".join(r["errors"]) or (r["stderr_tail"].strip().splitlines() or ["?"])[-1]
                lines.append(f"- ⚠ {r['contender']} {r['phase']}: {why[:300]}")
            if bad:
                lines.append("")
        rat = ratios(res)
        if rat:
            lines.append("| ours / peer | phase | records/s | wall | requests | peak RSS |")
            lines.append("|---|---|---:|---:|---:|---:|")
            for q in rat:
                lines.append(f"| {q['ours']} / {q['peer']} | {q['phase']} | {_x(q['records_per_s'])} | {_x(q['wall'])} "
                             f"| {_x(q['requests'])} | {_x(q['peak_rss'])} |")
            lines.append("")
        tg = targets(res)
        if tg:
            lines.append("| target (issue 6) | measured | status |")
            lines.append("|---|---|---|")
            for t in tg:
                lines.append(f"| {t['target']} | {t['measured']} | {t['status']} |")
            lines.append("")
    return "\n".join(lines)


def _x(v) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}x"


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.report RESULTS.json... [--json MERGED.json]`: Markdown of one or more runs
    (the "Latest results" of BENCHMARKS.md), optionally merged into one results file."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, default=None, help="write the runs merged into one results file")
    args = parser.parse_args(argv)
    docs = [json.loads(p.read_text()) for p in args.files]
    parts = []
    for doc in docs:
        m = doc["machine"]
        load = m.get("loadavg_at_start")
        load = f", load average at start {', '.join(f'{x:.1f}' for x in load)}" if load else ""
        parts.append(f"Run {doc['date']}: `{doc['command']}` ({doc['total_seconds']} s), {m.get('nproc')} CPUs "
                     f"({m.get('cpu', '?')}), Python {m.get('python')}{load}, commit {m.get('git_commit', '?')}.")
        parts.append("")
        parts.append(markdown(doc["scenarios"]))
    print("\n".join(parts))
    if args.json:
        merged = {**docs[-1], "runs": [{k: d[k] for k in ("date", "command", "total_seconds", "machine")} for d in docs],
                  "scenarios": [s for d in docs for s in d["scenarios"]]}
        args.json.write_text(json.dumps(merged, indent=2) + "\n")


if __name__ == "__main__":
    main()
