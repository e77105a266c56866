"""`python -m bench.listen [--changes N] [--burst N] [--json PATH]`: `tomorro-sync listen` against the sandbox's
own signed deliveries (issue 25). Never asserts: prints each target next to the measured value as PASS / MISS.

1. Change to row: N single changes one after another (a create, a status change, a signature, in turn);
   for each, the time from the sandbox's answer to the change until a read-only reader (another process's
   view: `duckdb.connect(read_only=True)`, polled every 50 ms) sees it in DuckDB. p50 / p95; target p95 < 5 s.
2. Burst: one admin call creates N contracts, so the sandbox delivers N contractCreated events at once (8
   delivery workers). Counted: pulls the burst caused (target <= 3), events lost (stored and handled vs
   delivered; target 0), contracts missing from DuckDB, and the receiver's answer time per delivery as the
   sandbox measured it (p50 / p99; Tomorro's timeout is 3 s).

The peer in the same run is a plain `tomorro-sync pull` of one change (median of 3; what a schedule pays per
run, without the wait for the schedule): the change-to-row time cannot be much lower than it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb
import requests
from tomorro_sandbox import SandboxProcess

RESULTS = Path(__file__).parent / "results" / "listen-latest.json"
EVENTS = ["contractCreated", "contractDeleted", "contractSigned", "contractStatusUpdated"]


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)


def read(db: Path, sql: str):
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.IOException:
        return None  # the receiver is writing: try again
    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()


def wait(check, timeout: float, step: float = 0.05) -> float | None:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if check():
            return time.perf_counter() - started
        time.sleep(step)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(changes: int, burst: int, work: Path, streams: str | None = None) -> dict:
    sb = SandboxProcess(seed=42, contracts=500, webhook_retry_scale=0.01).start()
    port = free_port()
    receiver = f"http://127.0.0.1:{port}"
    hook = sb.add_webhook(receiver + "/webhooks/tomorro", EVENTS)
    config, db = work / "tomorro.json", work / "w.duckdb"
    config.write_text(json.dumps({"api_key": sb.api_key, "base_url": sb.url, "webhook_secrets": [hook["secret"]]}))
    cli = ["tomorro-sync", "pull", "--config", str(config), "--db", str(db)]
    subprocess.run(cli, check=True, capture_output=True)
    peer = []
    for _ in range(3):
        sb.mutate(contracts=1)
        started = time.perf_counter()
        subprocess.run(cli + (["--streams", streams] if streams else []), check=True, capture_output=True)
        peer.append(time.perf_counter() - started)
    peer_pull = pct(peer, 50)
    listen = subprocess.Popen(["tomorro-sync", "listen", "--config", str(config), "--db", str(db), "--port", str(port),
                               *(["--streams", streams] if streams else [])],
                              stdout=(work / "listen.log").open("w"), stderr=subprocess.STDOUT)
    try:
        assert wait(lambda: _up(receiver), 60) is not None, "the receiver did not start"
        result = {"streams": streams or "all", "peer_pull_p50_seconds": peer_pull, **_changes(sb, db, receiver, changes),
                  **_burst(sb, db, receiver, hook["id"], burst)}
    finally:
        listen.terminate()
        listen.wait(60)
        sb.stop()
    return result


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _idle(receiver: str) -> None:
    wait(lambda: not requests.get(receiver + "/health", timeout=5).json()["pull_running"], 120, 0.1)


def _changes(sb, db: Path, receiver: str, n: int) -> dict:
    times, drafts = [], [c["id"] for c in sb.records("contracts") if c["status"] == "draft"]
    for i in range(n):
        _idle(receiver)
        kind = ("create", "status", "sign")[i % 3]
        if kind == "create":
            [cid] = sb.mutate(create=1)["contracts"]["created"]
            expect = "draft"
        elif kind == "status":
            cid = drafts.pop()
            requests.patch(f"{sb.url}/contracts/{cid}", json={"status": "negotiating"},
                           headers={"x-api-key": sb.api_key}, timeout=10).raise_for_status()
            expect = "negotiating"
        else:
            cid = drafts.pop()
            sb.sign([cid])
            expect = "signed"
        seconds = wait(lambda cid=cid, expect=expect: read(db, f"SELECT status FROM contracts WHERE id = '{cid}'")
                       == [(expect,)], 120)
        times.append(seconds if seconds is not None else float("inf"))
    return {"change_to_row_seconds": [round(t, 3) for t in times], "change_to_row_p50": pct(times, 50),
            "change_to_row_p95": pct(times, 95)}


def _burst(sb, db: Path, receiver: str, hook_id: str, n: int) -> dict:
    _idle(receiver)
    before = requests.get(receiver + "/health", timeout=5).json()
    delivered_before = sb.webhooks()[0]["deliveries"].get("delivered", 0)
    started = time.perf_counter()
    created = sb.mutate(create=n)["contracts"]["created"]
    all_delivered = wait(lambda: sb.webhooks()[0]["deliveries"].get("delivered", 0) >= delivered_before + n, 300, 0.1)
    ids = "[" + ", ".join(f"'{cid}'" for cid in created) + "]"
    in_db = f"SELECT count(*) FROM contracts WHERE list_contains({ids}, id)"
    all_rows = wait(lambda: (read(db, in_db) or [(0,)])[0][0] == n, 300, 0.2)
    _idle(receiver)
    wait(lambda: (read(db, "SELECT count(*) FROM _tomorro_events WHERE handled_at IS NULL") or [(1,)])[0][0] == 0, 60)
    after = requests.get(receiver + "/health", timeout=5).json()
    handled = (read(db, "SELECT count(*) FROM _tomorro_events WHERE event_type = 'contractCreated' "
                        f"AND handled_at IS NOT NULL AND list_contains({ids}, contract_id)") or [(0,)])[0][0]
    answers = [d["lastSeconds"] for d in sb.webhook_deliveries(hook_id)[-n:] if d["lastSeconds"] is not None]
    return {"burst_events": n, "burst_pulls": after["pulls"] - before["pulls"],
            "burst_events_lost": n - handled, "burst_contracts_missing": n - (read(db, in_db) or [(0,)])[0][0],
            "burst_seconds_to_all_delivered": round(all_delivered, 3) if all_delivered else None,
            "burst_seconds_to_all_rows": round(all_rows, 3) if all_rows else None,
            "burst_answer_p50_seconds": pct(answers, 50), "burst_answer_p99_seconds": pct(answers, 99),
            "burst_answer_max_seconds": max(answers) if answers else None,
            "burst_seconds_total": round(time.perf_counter() - started, 3)}


def verdicts(r: dict) -> list[tuple[str, str, str]]:
    def check(ok):
        return "n/a" if ok is None else ("PASS" if ok else "MISS")

    p95, pulls, lost, p99 = (r.get("change_to_row_p95"), r.get("burst_pulls"), r.get("burst_events_lost"),
                             r.get("burst_answer_p99_seconds"))
    return [("change to row p95 < 5 s", f"{p95} s", check(None if p95 is None else p95 < 5)),
            ("burst: at most 3 pulls", str(pulls), check(None if pulls is None else pulls <= 3)),
            ("burst: 0 events lost", str(lost), check(None if lost is None else lost == 0)),
            ("burst: answer p99 well inside 3 s (< 1 s)", f"{p99} s", check(None if p99 is None else p99 < 1))]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.listen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=12)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--streams", help="what each pull reads (listen --streams), e.g. contracts; default all")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tomorro-bench-listen-") as tmp:
        result = run(args.changes, args.burst, Path(tmp), args.streams)
    result["loadavg"] = os.getloadavg()
    result["verdicts"] = verdicts(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("verdicts",)}, indent=2))
    for target, value, verdict in result["verdicts"]:
        print(f"{verdict:5} {target}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
