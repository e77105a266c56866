"""Throughput and seeding time (slow: run with `-m slow`). Figures are printed, floors asserted."""

import pytest
from tomorro_sandbox import SandboxProcess
from tomorro_sandbox.selfbench import measure_pages, measure_seeding

pytestmark = pytest.mark.slow


def test_seeding_200k_contracts_takes_seconds():
    seconds = measure_seeding(200_000)
    print(f"seeded 200,000 contracts in {seconds:.2f}s")
    assert seconds < 30


def test_list_pages_of_50_contracts_reach_500_per_cpu_second():
    with SandboxProcess(contracts=20_000, counterparties=500) as sb:
        measure_pages(sb.url, sb.api_key, 1, pid=sb.proc.pid)  # warm: bytes cached
        out = measure_pages(sb.url, sb.api_key, 3, pid=sb.proc.pid)
    print(out)
    assert out["server_pages_per_cpu_second"] >= 500
