"""Destination pushes, each through the `destination-tomorro` console script against a sandbox process:

(k) the cost of a small push as the account grows: 5 contract rows (2 updates and 3 creates) into 1k, 10k and
    100k contracts, at `--latency-ms` (default 50). The destination lists every contract once per sync (every
    status named) to match its rows (no filter can: contract_listing.py); the contenders, in the same run:
    `ranges` (4 workers: ranges of createdAt side by side), `one-chain` (1 worker: the listing as one chain of
    pages, as before issue 22), `fallback` (4 workers, the createdAt filter ignored: the ranges' checks fail and
    the listing is read again as one chain). Requests counted by the sandbox.
(l) the write rate against the request budget: 2,000 new contract rows with the default budget (600 requests a
    minute) at 50 ms latency; the share = requests sent per minute of the push / the budget (target >= 90 %),
    and the push's end-to-end time.

`python -m bench.pushes [--runs N] [--sizes 1000,10000,100000] [--only k|l] [--json PATH]`. Every run checks that
each row landed exactly once (updates applied, no duplicate); a wrong run is reported, never timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tomorro_sandbox import SandboxProcess

KEY = "bench-key"
SCRIPT = str(Path(sys.executable).parent / "destination-tomorro")
CONTENDERS = {"ranges": ([], 4), "one-chain": ([], 1), "fallback": (["created-filter-ignored"], 4)}
CATALOG = {"streams": [{"stream": {"name": "contracts", "json_schema": {"type": "object"},
                                   "supported_sync_modes": ["incremental"]},
                        "sync_mode": "incremental", "destination_sync_mode": "append_dedup"}]}


def _config(sb, concurrency: int, rpm: int) -> dict[str, Any]:
    return {"api_key": KEY, "base_url": sb.url, "integration_type": "hubspot", "integration_entity": "deal",
            "default_contract_type": "Non-Disclosure Agreement", "default_template": "Mutual NDA",
            "requests_per_minute": rpm, "max_concurrency": concurrency}


def _push(sb, rows: list[dict[str, Any]], concurrency: int, rpm: int) -> tuple[float, int, str]:
    """(seconds, requests, error or '') of one push of `rows` as the platform runs it."""
    with tempfile.TemporaryDirectory() as work:
        config, catalog = Path(work, "config.json"), Path(work, "catalog.json")
        config.write_text(json.dumps(_config(sb, concurrency, rpm)))
        catalog.write_text(json.dumps(CATALOG))
        lines = "".join(json.dumps({"type": "RECORD", "record": {"stream": "contracts", "data": row,
                                                                  "emitted_at": 0}}) + "\n" for row in rows)
        sb.reset_stats()
        started = time.perf_counter()
        done = subprocess.run([SCRIPT, "write", "--config", str(config), "--catalog", str(catalog)], input=lines,
                              capture_output=True, text=True, timeout=1800)
        seconds = time.perf_counter() - started
    requests = sb.stats()["total"]
    return seconds, requests, "" if done.returncode == 0 else (done.stdout + done.stderr)[-600:]


def _linked(sb) -> list[dict[str, Any]]:
    """Draft contracts linked to a HubSpot deal (the rows' identity: integration_type hubspot, entity deal) whose
    external id no other contract holds: a row may update them (a shared id is rejected, a signed one protected)."""
    contracts = sb.records("contracts")
    held: dict[str, int] = {}
    for c in contracts:
        if c.get("integration"):
            held[c["integration"]["externalId"].strip()] = held.get(c["integration"]["externalId"].strip(), 0) + 1
    return sorted((c for c in contracts if (c.get("integration") or {}).get("type") == "hubspot"
                   and c["integration"].get("externalEntity") == "deal" and c["status"] == "draft"
                   and held[c["integration"]["externalId"].strip()] == 1), key=lambda c: c["id"])


def _unique_counterparty(sb) -> str:
    """A counterparty name held by one counterparty only (a shared name is rejected, never guessed)."""
    names: dict[str, int] = {}
    for counterparty in sb.records("counterparties"):
        names[counterparty["name"].casefold()] = names.get(counterparty["name"].casefold(), 0) + 1
    return next(c["name"] for c in sb.records("counterparties") if names[c["name"].casefold()] == 1)


def _landed_once(sb, rows: list[dict[str, Any]]) -> bool:
    by_key: dict[str, list[str]] = {}
    for contract in sb.records("contracts"):
        if contract.get("integration"):
            by_key.setdefault(contract["integration"]["externalId"].lower(), []).append(contract["name"])
    return all(by_key.get(row["external_id"].lower()) == [row["name"]] for row in rows)


def small_push(sizes: list[int], runs: int, latency_ms: int = 50, contenders: list[str] | None = None,
               skew: str = "uniform") -> list[dict[str, Any]]:
    out = []
    for size in sizes:
        with SandboxProcess(api_key=KEY, port=0, seed=7, contracts=size, counterparties=200, fields=10,
                            members=5, updated_skew=skew) as sb:
            sb.set_faults(latency_ms=latency_ms)
            lines = {}
            for run in range(runs):  # the contenders in turn within each run: the same load for each
                for name in contenders or list(CONTENDERS):
                    profiles, concurrency = CONTENDERS[name]
                    times, requests, wrong = lines.setdefault(name, ([], [], []))
                    sb.reset()
                    sb.set_api_profiles(profiles)
                    first, second = _linked(sb)[:2]
                    counterparty = _unique_counterparty(sb)
                    rows = ([{"external_id": first["integration"]["externalId"], "name": f"renamed {run}",
                              "counterparty": counterparty},
                             {"external_id": second["integration"]["externalId"], "name": f"renamed {run}b",
                              "counterparty": counterparty}]
                            + [{"external_id": f"hs-55{run}{i}", "name": f"new {run} {i}", "counterparty": counterparty}
                               for i in range(3)])
                    seconds, sent, error = _push(sb, rows, concurrency, 6000)
                    if error or not _landed_once(sb, rows):
                        wrong.append(run)
                        print(f"  k {size} {name}: WRONG {error[-300:]}", file=sys.stderr)
                        continue
                    times.append(seconds)
                    requests.append(sent)
                    print(f"  k {size} {name} run {run}: {sent} requests, {seconds:.2f} s", file=sys.stderr, flush=True)
            for name, (times, requests, wrong) in lines.items():
                line = {"scenario": "k", "contracts": size, "skew": skew, "latency_ms": latency_ms, "contender": name,
                        "runs": len(times), "wrong": len(wrong), "loadavg": os.getloadavg()[0],
                        "requests": requests, "seconds": [round(t, 2) for t in times]}
                print(json.dumps(line), flush=True)
                out.append(line)
    return out


def budget_share(rows_n: int, runs: int, rpm: int = 600, latency_ms: int = 50) -> list[dict[str, Any]]:
    out = []
    with SandboxProcess(api_key=KEY, port=0, seed=7, contracts=200, counterparties=50, fields=10, members=5) as sb:
        sb.set_faults(latency_ms=latency_ms)
        for run in range(runs):
            sb.reset()
            counterparty = _unique_counterparty(sb)
            rows = [{"external_id": f"hs-9{run}{i:05d}", "name": f"bench {run} {i}", "counterparty": counterparty}
                    for i in range(rows_n)]
            seconds, sent, error = _push(sb, rows, 4, rpm)
            ok = not error and _landed_once(sb, rows)
            line = {"scenario": "l", "rows": rows_n, "run": run, "ok": ok, "seconds": round(seconds, 1),
                    "requests": sent, "budget_per_minute": rpm,
                    "share_of_budget": round(sent / (seconds / 60) / rpm, 3),
                    "writes_per_second": round(rows_n / seconds, 2), "error": error[-300:]}
            print(json.dumps(line), flush=True)
            out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pushes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--only", choices=["k", "l"], default=None)
    parser.add_argument("--rows", type=int, default=2000, help="rows of (l)")
    parser.add_argument("--latency-ms", type=int, default=50, help="latency of (k)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="contenders of (k)")
    parser.add_argument("--skew", choices=["uniform", "recent"], default="uniform",
                        help="how (k)'s contracts are spread in time (recent: 85 %% in the last 90 days)")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "pushes.json")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"loadavg_at_start": os.getloadavg()}
    if args.only in (None, "k"):
        results["k"] = small_push([int(s) for s in args.sizes.split(",")], args.runs, args.latency_ms,
                                  args.contenders.split(","), args.skew)
    if args.only in (None, "l"):
        results["l"] = budget_share(args.rows, args.runs)
    for key in ("k", "l"):
        for line in results.get(key, []):
            values = line.get("seconds")
            if isinstance(values, list) and values:
                line["median_seconds"] = statistics.median(values)
                line["spread_seconds"] = [min(values), max(values)]
    args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
