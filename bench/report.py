"""Tables, ratios ours/peer and the issues' targets (printed as PASS/MISS, never asserted; see targets.py)."""

from __future__ import annotations

import math
from typing import Any

from .scenarios import SCENARIOS
from .targets import ratio as _ratio
from .targets import stream_requests, targets
from .targets import usable as _usable

__all__ = ["markdown", "ratios", "targets"]


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


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
    lines: list[str] = []
    for res in results:
        sc = SCENARIOS[res["scenario"]]
        cond = [f"latency {sc.latency_ms} ms"]
        if sc.rate_limit:
            cond.append(f"rate limit {sc.rate_limit} (requests/seconds)")
        if res.get("updated_skew", "uniform") != "uniform":
            cond.append(f"updatedAt skew {res['updated_skew']}")
        if res.get("streams", "contracts") != "contracts":
            cond.append(f"ours reads {res['streams']} streams")
        if sc.source_options:
            cond.append("ours with " + ", ".join(f"{k}={'its default' if v is None else v}" for k, v in sc.source_options.items()))
        lines += [f"### ({res['scenario']}) {res['title']}", "",
                  f"{'; '.join(cond)}. Limited by: {sc.limited_by}. ({res['seconds']} s)", ""]
        if res.get("error"):
            lines += [f"**Scenario failed:** `{res['error']}`", ""]
        if res["rows"]:
            lines += _rows_table(res["rows"])
        lines += _probe_table(res["rows"]) + _endpoint_table(res["rows"])
        rat = ratios(res)
        if rat:
            lines.append("| ours / peer | size | phase | records/s | wall | requests | peak RSS |")
            lines.append("|---|---:|---|---:|---:|---:|---:|")
            for q in rat:
                lines.append(f"| {q['ours']} / {q['peer']} | {_fmt(q['size'])} | {q['phase']} | {_x(q['records_per_s'])} "
                             f"| {_x(q['wall'])} | {_x(q['requests'])} | {_x(q['peak_rss'])} |")
            lines.append("")
        tg = targets(res)
        if tg:
            lines.append("| target | issue | measured | status |")
            lines.append("|---|---|---|---|")
            for t in tg:
                lines.append(f"| {t['target']} | {t['issue']} | {t['measured']} | {t['status']} |")
            lines.append("")
    return "\n".join(lines)


def _rows_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| contender | phase | size | records | wall s | records/s | in-process s | requests | 429s | failed | peak RSS MB | exit |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        exit_ = str(r["exit_code"]) + ("" if _usable(r) else " ⚠")
        lines.append(
            f"| {r['contender']} | {r['phase']} | {_fmt(r['size'])} | {_fmt(r['records'])} | {_fmt(r['wall_s'])} "
            f"| {_fmt(r['records_per_s'], 0)} | {_fmt(r.get('sync_s'))} | {_fmt(r['requests'])} | {_fmt(r['http_429'])} "
            f"| {_fmt(r['failed'])} | {_fmt(r['peak_rss_mb'], 0)} | {exit_} |")
    lines.append("")
    bad = [r for r in rows if not _usable(r)]
    for r in bad:
        why = "; ".join(r["errors"]) or (r["stderr_tail"].strip().splitlines() or ["?"])[-1]
        lines.append(f"- ⚠ {r['contender']} {r['phase']}: {why[:300]}")
    return lines + ([""] if bad else [])


def _probe_table(rows: list[dict[str, Any]]) -> list[str]:
    """Where ours' wall time went and how its first sync was split (bench/accounting.py)."""
    probed = [r for r in rows if r.get("timeline")]
    if not probed:
        return []
    lines = ["| probe: contender | phase | size | connector started s | first request s | reading s | in flight "
             "| connector exited s | tail s | connector starts | ranges (empty) | list requests / pages of data "
             "| records of the 8 largest ranges |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|"]
    for r in probed:
        t, g = r["timeline"], r.get("ranges") or {}
        ranges = f"{g['ranges']} ({g['empty_ranges']})" if g else "-"
        pages = f"{g['list_requests']} / {g['pages_of_data']}" if g else "-"
        largest = ", ".join(f"{n:,}" for n in g.get("records_per_range", [])[:8]) if g else "-"
        starts = "+".join(r["connector_starts"]) if "connector_starts" in r else "-"
        lines.append(f"| {r['contender']} | {r['phase']} | {_fmt(r['size'])} | {t.get('connector_start_s', '-')} "
                     f"| {t['startup_s']} | {t['reading_s']} | {t['mean_in_flight']} | {_fmt(t.get('connector_exit_s'))} "
                     f"| {t['tail_s']} | {starts} | {ranges} | {pages} | {largest} |")
    return lines + [""]


def _endpoint_table(rows: list[dict[str, Any]]) -> list[str]:
    """Requests and records per stream of the runs that read every stream (scenario h)."""
    wide = [r for r in rows if r.get("endpoints") and r.get("changes") is not None]
    if not wide:
        return []
    runs = [r for r in rows if r.get("endpoints") and r["contender"] == wide[0]["contender"]]
    per = [stream_requests(r["endpoints"]) for r in runs]
    names = list(dict.fromkeys(name for p in per for name in p))
    phases = [r["phase"] for r in runs]
    lines = ["| stream | " + " | ".join(f"requests, {p}" for p in phases) + " | "
             + " | ".join(f"records, {p}" for p in phases) + " |",
             "|---|" + "---:|" * (2 * len(runs))]
    for name in names:
        counts = [_fmt(r.get("records_by_stream", {}).get(name.split(" ")[0], 0)) for r in runs]
        lines.append(f"| {name} | " + " | ".join(_fmt(p.get(name, 0)) for p in per) + " | " + " | ".join(counts) + " |")
    changes = wide[0]["changes"]
    lines.append("")
    lines.append("Changed: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in changes.items()) + ".")
    return lines + [""]


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
