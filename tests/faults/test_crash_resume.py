"""Issue 7 §2: the source console script SIGKILLed at random points of a long sync (after a random
number of records), re-run with the last state it emitted, until a run completes. The union of the
records equals the sandbox's ground truth (id + updatedAt), and what a resumed run re-reads is
bounded by its state: with a cursor C for a stream (lookback 0), every record it emits has
updatedAt >= C, so it re-reads at most the records at or after C; a stream with no state yet is
re-read from start_date. Quick: 3 kills over 300 contracts; full: 6 kills over 1500."""

from __future__ import annotations

import random

import pytest
from faults_harness import NO_FAULTS, SECRET, catalog, last_states, merge_states, pairs, stream_cursor, truth
from tomorro_sandbox import SandboxServer

pytestmark = pytest.mark.faults
STREAMS = ("contracts", "counterparties")


@pytest.fixture(scope="module")
def sb(request):
    full = request.config.getoption("--full-faults")
    with SandboxServer(seed=23, contracts=1500 if full else 300, counterparties=200 if full else 60, fields=20,
                       members=5, api_key=SECRET, port=0) as server:
        yield server


@pytest.mark.timeout(1200)
def test_killed_at_random_points_then_resumed_from_the_last_state_loses_nothing(sb, work, full_faults):
    rng = random.Random(20261122)
    kills = 6 if full_faults else 3
    # pages of 10: a checkpoint every few pages (components.CHECKPOINT_EVERY_PAGES), so the kills (within the
    # first ~1/4 of the records) land after some and resumed runs have a cursor to honour
    config = {"api_key": SECRET, "base_url": sb.url, "start_date": "2023-01-01T00:00:00Z", "page_size": 10,
              "num_workers": 2, "lookback_window": 0}
    total = sum(len(sb.records(name)) for name in STREAMS)
    sb.set_faults(latency_ms=15)  # a long sync: every page takes a while
    state: list[dict] = []
    seen: dict[str, set] = {name: set() for name in STREAMS}
    seen_ids: dict[str, set] = {name: set() for name in STREAMS}
    runs = []
    bounded = 0  # resumed runs that had a contracts cursor to honour
    try:
        for attempt in range(kills + 3):  # bounded: the kills, then up to 3 runs to completion
            kill_at = rng.randint(1, max(1, total // 4)) if attempt < kills else None
            emitted = [0]

            def kill_when(message, kill_at=kill_at, emitted=emitted):
                if kill_at is None or message is None or message.get("type") != "RECORD":
                    return False
                emitted[0] += 1
                return emitted[0] >= kill_at

            run = work.run_and_kill("source-tomorro", "read", config, catalog(*STREAMS), state or None,
                                    kill_when=kill_when, timeout=280)
            runs.append(run)
            for name in STREAMS:
                cursor = stream_cursor(state, name)
                got = run.records(name)
                bounded += cursor is not None and name == "contracts"
                if cursor is not None:  # the bound: nothing before the state's cursor is read again
                    early = [r for r in got if r["updatedAt"] < cursor]
                    assert not early, (name, cursor, early[:3])
                    re_read = {r["id"] for r in got} & seen_ids[name]
                    at_or_after = {r["id"] for r in sb.records(name) if r["updatedAt"] >= cursor}
                    assert re_read <= at_or_after and len(re_read) <= len(at_or_after)
                seen[name] |= pairs(got)
                seen_ids[name] |= {r["id"] for r in got}
            state = merge_states(state, run.states)
            if not run.killed:
                assert run.returncode == 0, run.describe()
                break
            assert run.returncode == -9
    finally:
        sb.set_faults(**NO_FAULTS)
    assert sum(r.killed for r in runs) == kills, [r.killed for r in runs]  # each kill happened mid-sync
    assert not runs[-1].killed and runs[-1].returncode == 0
    for name in STREAMS:
        assert seen[name] == truth(sb, name), name
    assert last_states(state)
    assert bounded >= 1, "no resumed run had a checkpoint: the bound was not exercised"
    print([(r.killed, len(r.records()), len(r.states), r.args[-1][-12:]) for r in runs])
    work.assert_no_secret()
