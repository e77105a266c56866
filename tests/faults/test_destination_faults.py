"""Issue 7 §4 at the console-script level: `destination-tomorro write` under the fault mix (30 % 429
with Retry-After, 10 % 5xx, 5 % dropped connections, 2 % truncated JSON) plus creates whose answer is
lost after the server committed them, SIGKILLed mid-write and re-run with the same messages: every
contract and counterparty exists exactly once in Tomorro.

Already proven in destination-tomorro/integration_tests/test_write_sandbox.py (not repeated here):
test_create_lost_after_commit_is_looked_up_not_repeated, test_faults_everything_lands_exactly_once,
test_lost_create_is_found_even_when_the_server_clock_is_skewed, test_state_after_a_failed_batch_is_not_emitted
(in-process) and the slow test_killed_mid_write_under_faults_then_rerun_lands_every_row_exactly_once
(time-based kills). Here: lost-after-commit creates and a kill after a random number of committed
writes, through the console script, in the default run. Quick: 16 contracts, 1 kill; full: 150, 3."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from faults_harness import FAULT_MIX, NO_FAULTS, RATE_LIMITED, SECRET, FaultProxy
from tomorro_sandbox import SandboxServer

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(seed=3, contracts=30, counterparties=10, fields=20, members=5, api_key=SECRET, port=0) as server:
        yield server


def _writes(sb) -> int:
    return sum(r["count"] for r in sb.stats()["requests"] if r["method"] in ("POST", "PATCH") and r["status"] < 300)


@pytest.mark.timeout(1200)
def test_write_under_faults_killed_then_rerun_lands_every_row_exactly_once(sb, work, full_faults):
    rng = random.Random(77)
    n, kills = (150, 3) if full_faults else (16, 1)
    prefix = "FLT7-"
    catalog = {"streams": [{"stream": {"name": name, "json_schema": {"type": "object"},
                                       "supported_sync_modes": ["full_refresh", "incremental"]},
                            "sync_mode": "incremental", "destination_sync_mode": "append_dedup"}
                           for name in ("counterparties", "contracts")]}
    companies = [f"Fault Seven Co {i}" for i in range(max(4, n // 5))]
    messages = [{"type": "RECORD", "record": {"stream": "counterparties", "data": {"name": c}, "emitted_at": 0}}
                for c in companies]
    messages += [{"type": "RECORD", "record": {"stream": "contracts", "emitted_at": 0, "data": {
        "external_id": f"{prefix}{i}", "name": f"Deal {i}", "counterparty": companies[i % len(companies)]}}}
        for i in range(n)]
    stdin = "".join(json.dumps(m) + "\n" for m in messages)
    sb.set_faults(**FAULT_MIX)
    runs = []
    try:
        with FaultProxy(sb.url, rate_limited=RATE_LIMITED, retry_after=1, lost_after_commit=0.15, seed=1) as proxy:
            config = {"api_key": SECRET, "base_url": proxy.url, "default_contract_type": "Non-Disclosure Agreement",
                      "default_template": "Mutual NDA", "integration_type": "hubspot", "integration_entity": "deal",
                      "max_retries": 8, "request_timeout_seconds": 5, "batch_size": 10, "max_concurrency": 4,
                      "requests_per_minute": 6000, "rejected_rows_path": str(work.path / "rejected.jsonl")}
            for attempt in range(kills + 3):
                sb.reset_stats()
                kill_after = rng.randint(2, max(3, n // 2)) if attempt < kills else None
                run = work.run_and_kill("destination-tomorro", "write", config, catalog, stdin=stdin, timeout=280,
                                        kill_when=lambda m, k=kill_after: k is not None and m is None and _writes(sb) >= k)
                runs.append(run)
                if not run.killed and run.returncode == 0:
                    break
        lost = proxy.counts["lost_after_commit"]
    finally:
        sb.set_faults(**NO_FAULTS)
    assert [r.killed for r in runs[:kills]] == [True] * kills, [r.describe() for r in runs]
    assert runs[-1].returncode == 0, runs[-1].describe()
    assert lost >= 1  # at least one create committed, then its answer lost
    contracts = Counter((c.get("integration") or {}).get("externalId") for c in sb.records("contracts"))
    ours = {k: v for k, v in contracts.items() if k and k.startswith(prefix)}
    assert len(ours) == n and set(ours.values()) == {1}, {k: v for k, v in ours.items() if v != 1}
    names = Counter(c["name"] for c in sb.records("counterparties"))
    assert {c: names[c] for c in companies} == dict.fromkeys(companies, 1)
    work.assert_no_secret()
