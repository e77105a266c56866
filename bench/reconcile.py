"""Scenario (j): what a reconcile costs, in requests, next to a plain incremental pull and a full refresh of the
same two streams (the other way to see deletes), on one sandbox of N contracts (default 30,000).

    python -m bench.reconcile [--contracts 30000] [--changes 1] [--deleted 30] [--latency-ms 0]
                              [--json bench/results/reconcile-latest.json]

1. a first `tomorro-sync pull` of every stream (not measured: it builds the DuckDB file);
2. k = changes % of the contracts and counterparties change (`/_sandbox/mutate`) and `--deleted` contracts (30)
   are deleted (a mass deletion: `--deleted 1000`);
   the DuckDB folder is copied aside, so each run below starts from the same file and state;
3. measured, each from the copy: a plain pull, a `pull --reconcile`, a `pull --full-refresh --streams
   contracts,counterparties`. Requests are the sandbox's own counts per endpoint.

The claims checked: the reconcile's listing costs the list pages of both streams (ceil(N / 50) + ceil(M / 50), no
per-item request) on top of the plain pull, plus one `GET /contracts/{id}` per deleted contract (the 404 that
proves it), and the plain pull stays O(changes) (its list requests grow with k, not with N). `confirm_seconds`:
the time the reconcile spent confirming missing ids one by one (`reconcile._confirmed_deleted`, timed from
outside so the figure means the same before and after a change to it). `--latency-ms` delays every answer of
the sandbox (0: the documented scenario).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tomorro_sandbox import SandboxProcess
from tomorro_sync import reconcile as reconciling
from tomorro_sync.pull import pull
from tomorro_sync.target import Target

PAGE = 50
DELETED = 30


class _ConfirmClock:
    """The seconds spent in `reconcile._confirmed_deleted` during one run (wrapped, not changed)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.original = reconciling._confirmed_deleted

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        reconciling._confirmed_deleted = timed


def _requests(sb) -> dict[str, int]:
    out: dict[str, int] = {}
    for entry in sb.stats()["requests"]:
        out[entry["path"]] = out.get(entry["path"], 0) + entry["count"]
    return out


def _measure(sb, target: Target, db: Path, label: str, clock: _ConfirmClock, **options) -> dict:
    sb.reset_stats()
    clock.seconds = 0.0
    started = time.perf_counter()
    summary = pull(target, db, **options)
    seconds = time.perf_counter() - started
    by_path = _requests(sb)
    listing = summary.reconciled.requests if summary.reconciled else 0
    row = {"run": label, "seconds": round(seconds, 2), "confirm_seconds": round(clock.seconds, 3),
           "requests": sum(by_path.values()),
           "reconcile_list_requests": listing, "per_item_requests": sum(n for p, n in by_path.items()
                                                                       if p in ("/v2/contracts/{id}",
                                                                                "/v2/counterparties/{id}")),
           "list_contracts": by_path.get("/v2/contracts", 0), "list_counterparties": by_path.get("/v2/counterparties", 0),
           "records_read": summary.records_read,
           "deleted": {s: len(p.deleted) for s, p in summary.reconciled.streams.items()} if summary.reconciled else {}}
    print(f"{label:<48} {row['requests']:>7,} requests ({listing:,} listing, {row['per_item_requests']} per item), "
          f"{row['records_read']:>7,} records, {seconds:6.1f} s (confirming {clock.seconds:.2f} s)", flush=True)
    return row


def run(contracts: int, changes: float, workdir: Path, *, deleted: int = DELETED, latency_ms: float = 0) -> dict:
    counterparties = max(120, contracts // 10)
    with SandboxProcess(seed=42, contracts=contracts, counterparties=counterparties, fields=60, members=15) as sb:
        target, clock = Target.of_sandbox(sb), _ConfirmClock()
        base = workdir / "base" / "tomorro.duckdb"
        print(f"first pull of {contracts:,} contracts (not measured) ...", flush=True)
        pull(target, base)
        k_contracts, k_counterparties = int(contracts * changes / 100), int(counterparties * changes / 100)
        sb.mutate(contracts=k_contracts, counterparties=k_counterparties)
        sb.delete(contracts=[r["id"] for r in sb.records("contracts")[:deleted]])
        if latency_ms:
            sb.set_faults(latency_ms=latency_ms)
        rows = []
        for label, options in (("plain pull", {}), ("pull --reconcile", {"reconcile": True}),
                               ("pull --full-refresh --streams contracts,counterparties",
                                {"full_refresh": True, "streams": ["contracts", "counterparties"]})):
            run_dir = workdir / label.replace(" ", "_").replace(",", "_")
            shutil.copytree(base.parent, run_dir)
            rows.append(_measure(sb, target, run_dir / "tomorro.duckdb", label, clock, **options))
        listed_pages = math.ceil(contracts / PAGE) + math.ceil(counterparties / PAGE)
        return {"contracts": contracts - deleted, "counterparties": counterparties, "changed_contracts": k_contracts,
                "changed_counterparties": k_counterparties, "deleted": deleted, "latency_ms": latency_ms,
                "list_pages_of_both_streams": listed_pages, "runs": rows,
                "reconcile_extra_requests": rows[1]["requests"] - rows[0]["requests"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=30_000)
    parser.add_argument("--changes", type=float, default=1.0, help="percent of records changed (default 1)")
    parser.add_argument("--deleted", type=int, default=DELETED, help=f"contracts deleted (default {DELETED})")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay of every sandbox answer (default 0)")
    parser.add_argument("--json", type=Path, default=Path("bench/results/reconcile-latest.json"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as work:
        result = run(args.contracts, args.changes, Path(work), deleted=args.deleted, latency_ms=args.latency_ms)
    print(f"list pages of both streams: {result['list_pages_of_both_streams']:,}; the reconcile added "
          f"{result['reconcile_extra_requests']:,} requests to the plain pull")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
