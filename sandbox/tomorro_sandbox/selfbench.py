"""`python -m tomorro_sandbox.selfbench`: measure list throughput (pages of 50 full contracts) and
seeding time. The server runs in a subprocess (its own core); one keep-alive client walks pages.

Prints one JSON line: {"seed_seconds": ..., "pages_per_second": ..., ...}.
"""

import argparse
import http.client
import os
import sys
import time
from urllib.parse import urlencode, urlsplit

import orjson

from .process import SandboxProcess
from .seed import SeedOptions, generate


def measure_seeding(contracts: int) -> float:
    """Wall seconds to generate `contracts` contracts (see measure_seeding_cpu on a busy machine)."""
    return measure_seeding_cpu(contracts)[0]


def measure_seeding_cpu(contracts: int) -> tuple[float, float]:
    """-> (wall seconds, CPU seconds) to generate; CPU time is steadier on a shared machine."""
    t, c = time.perf_counter(), time.process_time()
    generate(SeedOptions(contracts=contracts, counterparties=max(120, contracts // 40)))
    return time.perf_counter() - t, time.process_time() - c


def measure_pages(url: str, api_key: str, seconds: float, query: dict | None = None,
                  pid: int | None = None) -> dict:
    cpu0 = _cpu_seconds(pid) if pid else 0.0
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    headers = {"x-api-key": api_key}
    pages = records = 0
    cursor = None
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        q = {"limit": 50, **(query or {})}
        if cursor:
            q["after"] = cursor
        conn.request("GET", f"{parts.path}/contracts?{urlencode(q)}", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{resp.status}: {body[:300]!r}")
        pages += 1
        records += body.count(b'"templateId"')
        # the client must stay cheap, or it measures itself: cut the cursor out of the tail
        tail = orjson.loads(b"{" + body[body.rindex(b'"hasNext"'):])
        cursor = tail["nextCursor"]
    elapsed = time.perf_counter() - start
    conn.close()
    cpu = _cpu_seconds(pid) - cpu0 if pid else None
    return {"pages": pages, "pages_per_second": round(pages / elapsed, 1),
            "records_per_second": round(records / elapsed),
            "server_cpu_ms_per_page": round(cpu / pages * 1000, 3) if cpu else None,
            "server_pages_per_cpu_second": round(pages / cpu, 1) if cpu else None}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tomorro_sandbox.selfbench")
    p.add_argument("--contracts", type=int, default=200_000)
    p.add_argument("--seconds", type=float, default=5)
    args = p.parse_args(argv)
    wall, cpu = measure_seeding_cpu(args.contracts)
    out = {"contracts": args.contracts, "seed_seconds": round(wall, 2), "seed_cpu_seconds": round(cpu, 2)}
    with SandboxProcess(contracts=args.contracts, counterparties=max(120, args.contracts // 40)) as sb:
        pid = sb.proc.pid
        # first walk: cold (sort index built, every record serialized for the first time)
        out["default_sort_cold"] = measure_pages(sb.url, sb.api_key, args.seconds, pid=pid)
        out["default_sort_warm"] = measure_pages(sb.url, sb.api_key, args.seconds, pid=pid)
        out["warm_all_seconds"] = sb.warm()["seconds"]
        out["updatedAt_gte"] = measure_pages(sb.url, sb.api_key, args.seconds,
                                             {"sort": "updatedAt", "updatedAt": "gte:2024-06-01"}, pid=pid)
    print(orjson.dumps(out).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
