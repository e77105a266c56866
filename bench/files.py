"""`python -m bench.files [--runs N] [--quick] [--json PATH]`: signed-file downloads, ours against a naive one.

Two scenarios on the same sandbox (its own process, seed 42), each run `--runs` times per contender, alternating:
- `many`: the signed files of 600 contracts (about 200 PDFs of 2-6 KB) behind 25 ms of latency per request:
  files per second, where waiting on the network dominates;
- `large`: the signed files of 15 contracts at 50 MB each: MB/s and peak memory (a streamed download holds a
  chunk, a naive one the whole file).
Before each run: a copy of one metadata pull (`contract_signed_files`, URLs minted moments before) and an empty
directory. Contenders: bench/files_contenders.py. Peak RSS is sampled over the contender's process tree
(measure.py); "added" is the peak minus the RSS once its imports are done. Never asserted: see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from .measure import run_process

SCENARIOS = {"many": {"contracts": 600, "latency_ms": 25, "signed_file_bytes": 0},
             "large": {"contracts": 15, "latency_ms": 0, "signed_file_bytes": 50_000_000}}
QUICK = {"many": {"contracts": 120, "latency_ms": 25, "signed_file_bytes": 0},
         "large": {"contracts": 6, "latency_ms": 0, "signed_file_bytes": 5_000_000}}
CONTENDERS = ("ours", "naive")
DEFAULT_JSON = Path(__file__).parent / "results" / "files.json"


def _metadata(sb, db: Path) -> None:
    from tomorro_sync.pull import pull
    from tomorro_sync.target import Target

    pull(Target.of_sandbox(sb), db, streams=["contract_signed_files"])


def run_scenario(name: str, options: dict, runs: int, work: Path) -> list[dict]:
    from tomorro_sandbox import SandboxProcess

    rows = []
    with SandboxProcess(seed=42, port=0, **options) as sb:
        digests = sb.file_digests()
        for run in range(runs):
            for contender in CONTENDERS:
                base = work / f"{name}-base.duckdb"
                shutil.rmtree(work / "run", ignore_errors=True)
                (work / "run").mkdir()
                if base.exists():
                    base.unlink()
                _metadata(sb, base)  # fresh URLs for every run
                db = work / "run" / "w.duckdb"
                shutil.copy(base, db)
                cmd = [sys.executable, "-m", "bench.files_contenders", contender, str(db), str(work / "run" / "pdfs"),
                       sb.url, sb.api_key]
                res = run_process(cmd, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
                                  cwd=work / "run", timeout_s=900)
                got = res.result
                complete = len(list((work / "run" / "pdfs").glob("*/*.pdf"))) == len(digests)
                rows.append({"scenario": name, "contender": contender, "run": run + 1, "ok": res.ok and complete,
                             "files": got.get("files"), "mb": (got.get("bytes") or 0) / 1e6,
                             "seconds": got.get("seconds"), "wall_s": res.wall_s, "peak_rss_mb": res.peak_rss_mb,
                             "added_rss_mb": res.peak_rss_mb - got.get("start_rss_mb", 0.0), "errors": res.errors})
                print(f"  {name} {contender} run {run + 1}: {rows[-1]['files']} files, {rows[-1]['mb']:.1f} MB in "
                      f"{(rows[-1]['seconds'] or 0):.2f} s, peak RSS {res.peak_rss_mb:.0f} MB", flush=True)
    return rows


def summarize(rows: list[dict]) -> list[dict]:
    out = []
    for name in dict.fromkeys(r["scenario"] for r in rows):
        for contender in CONTENDERS:
            mine = [r for r in rows if r["scenario"] == name and r["contender"] == contender and r["ok"]]
            if not mine:
                out.append({"scenario": name, "contender": contender, "ok": False})
                continue
            files_s = [r["files"] / r["seconds"] for r in mine]
            mb_s = [r["mb"] / r["seconds"] for r in mine]
            out.append({"scenario": name, "contender": contender, "ok": True, "runs": len(mine),
                        "files": mine[0]["files"], "mb": mine[0]["mb"],
                        "seconds": [round(r["seconds"], 3) for r in mine],
                        "files_per_s": _spread(files_s), "mb_per_s": _spread(mb_s),
                        "peak_rss_mb": _spread([r["peak_rss_mb"] for r in mine]),
                        "added_rss_mb": _spread([r["added_rss_mb"] for r in mine])})
    return out


def _spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2)}


def markdown(summary: list[dict]) -> str:
    lines = ["| scenario | contender | files | MB | files/s (median, min–max) | MB/s (median, min–max) | "
             "peak RSS MB | added by downloading MB |", "|---|---|---|---|---|---|---|---|"]
    for s in summary:
        if not s["ok"]:
            lines.append(f"| {s['scenario']} | {s['contender']} | ⚠ failed | | | | | |")
            continue
        f, m, p, a = s["files_per_s"], s["mb_per_s"], s["peak_rss_mb"], s["added_rss_mb"]
        lines.append(f"| {s['scenario']} | {s['contender']} | {s['files']} | {s['mb']:.1f} | "
                     f"{f['median']:.1f} ({f['min']:.1f}–{f['max']:.1f}) | {m['median']:.1f} ({m['min']:.1f}–{m['max']:.1f}) | "
                     f"{p['median']:.0f} ({p['min']:.0f}–{p['max']:.0f}) | {a['median']:.0f} ({a['min']:.0f}–{a['max']:.0f}) |")
    by = {(s["scenario"], s["contender"]): s for s in summary if s["ok"]}
    for name in dict.fromkeys(s["scenario"] for s in summary):
        if (name, "ours") in by and (name, "naive") in by:
            ours, naive = by[(name, "ours")], by[(name, "naive")]
            lines.append(f"\n{name}: ours/naive files/s × {ours['files_per_s']['median'] / naive['files_per_s']['median']:.2f}, "
                         f"MB/s × {ours['mb_per_s']['median'] / naive['mb_per_s']['median']:.2f}, memory added "
                         f"{ours['added_rss_mb']['median']:.0f} MB against {naive['added_rss_mb']['median']:.0f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.files", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per contender and scenario (default 3)")
    parser.add_argument("--scenario", default="many,large", help="many, large or both (default)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--json", type=Path, default=None, help=f"results file (default {DEFAULT_JSON}; "
                        "none with --quick)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else SCENARIOS
    started = dt.datetime.now(dt.UTC)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-files-") as work:
        for name in args.scenario.split(","):
            rows += run_scenario(name, sizes[name], args.runs, Path(work))
    summary = summarize(rows)
    print(markdown(summary))
    target = args.json or (None if args.quick else DEFAULT_JSON)
    if target:
        target.write_text(json.dumps({"started": started.isoformat(), "quick": args.quick, "loadavg": os.getloadavg(),
                                      "nproc": os.cpu_count(), "scenarios": sizes, "summary": summary, "runs": rows},
                                     indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
