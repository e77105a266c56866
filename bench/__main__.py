"""`python -m bench [--scenario a,b,...] [--quick] [--json PATH] [--markdown PATH]`

Starts a sandbox per scenario, runs every contender on the same data in fresh subprocesses, prints
the table, the ratios ours/peer and the issue's targets (PASS/MISS, never asserted), and writes the
results as JSON. See BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import report, runner
from .contenders import ALL
from .scenarios import SCENARIOS

DEFAULT_JSON = Path(__file__).parent / "results" / "latest.json"
# a smoke run must not replace the committed results
QUICK_JSON = Path(tempfile.gettempdir()) / "tomorro-bench-quick.json"


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                           if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        info["loadavg_at_start"] = os.getloadavg()
    except OSError:
        pass
    # start-up depends on it: without compiled bytecode every process recompiles what it imports
    info["PYTHONDONTWRITEBYTECODE"] = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    try:
        info["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                            text=True, cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default=",".join(SCENARIOS),
                        help=f"comma-separated scenarios among {','.join(SCENARIOS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of the whole harness")
    parser.add_argument("--contenders", default=None,
                        help=f"comma-separated subset of {','.join(ALL)} (default: each scenario's list; "
                             "(i) always runs its pull and its bare read)")
    parser.add_argument("--size", type=int, default=None,
                        help="override each scenario's size (contracts, or rows for e; f runs size/4 and size)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per contender run (default 900, quick 120)")
    parser.add_argument("--json", type=Path, default=None,
                        help=f"results file (default {DEFAULT_JSON}; with --quick {QUICK_JSON})")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the tables as Markdown")
    parser.add_argument("--keep", action="store_true", help="keep the contenders' work folders (logs, DuckDB files)")
    args = parser.parse_args(argv)

    keys = [k.strip() for k in args.scenario.split(",") if k.strip()]
    unknown = [k for k in keys if k not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose among {list(SCENARIOS)}")
    contenders = [c.strip() for c in args.contenders.split(",")] if args.contenders else None
    known = list(dict.fromkeys([*ALL, *(n for sc in SCENARIOS.values() for n in sc.contenders)]))
    if contenders and (bad := [c for c in contenders if c not in known]):
        parser.error(f"unknown contender(s) {bad}; choose among {known}")

    started, host = dt.datetime.now(dt.UTC), machine()  # load and commit as the run starts, not as it ends
    t0 = time.perf_counter()
    results = runner.run([SCENARIOS[k] for k in keys], quick=args.quick, contenders=contenders, size=args.size,
                         timeout_s=args.timeout or (120 if args.quick else 900), keep=args.keep)
    doc = {
        "date": started.isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "quick": args.quick,
        "machine": host,
        "total_seconds": round(time.perf_counter() - t0, 1),
        "loadavg_at_end": os.getloadavg(),
        "scenarios": [{**res, "ratios": report.ratios(res), "targets": report.targets(res)} for res in results],
    }
    md = report.markdown(results)
    print()
    print(f"# Tomorro benchmarks, {doc['date']}, {doc['machine'].get('nproc')} CPUs, Python {doc['machine']['python']}")
    print(f"# {doc['command']}  ({doc['total_seconds']} s)")
    print()
    print(md)
    args.json = args.json or (QUICK_JSON if args.quick else DEFAULT_JSON)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"results written to {args.json}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(f"Run {doc['date']}, `{doc['command']}`, {doc['machine'].get('nproc')} CPUs "
                                 f"({doc['machine'].get('cpu', '?')}), Python {doc['machine']['python']}, "
                                 f"{doc['total_seconds']} s.\n\n" + md + "\n")
    # a benchmark reports, it does not gate: exit 0 unless the harness itself broke
    return 1 if any(res.get("error") for res in results) else 0


if __name__ == "__main__":
    sys.exit(main())
