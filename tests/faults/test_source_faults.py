"""Issue 7 §1: the source console script under the fault mix (30 % 429 with Retry-After, 10 % 5xx,
5 % dropped connections, 2 % truncated JSON). Every sync either completes with exactly the
sandbox's records (set equality on id + updatedAt, contracts and counterparties) or fails with a
clear error; it never completes with records missing. Quick: one sync over two months of records;
full: three syncs over every record.

Truncated JSON bodies are tested on their own, deterministically (a proxy cuts chosen answers),
because they expose two source bugs (strict xfails below): mixed into the random fault mix they
would make the outcome a coin toss."""

from __future__ import annotations

import pytest
from faults_harness import FAULT_MIX, NO_FAULTS, RATE_LIMITED, SECRET, FaultProxy, catalog, pairs
from tomorro_sandbox import SandboxServer

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def sb(request):
    full = request.config.getoption("--full-faults")
    with SandboxServer(seed=11, contracts=600 if full else 150, counterparties=120 if full else 60, fields=30,
                       members=5, api_key=SECRET, port=0) as server:
        yield server


def truth_since(sb, collection: str, since: str) -> set[tuple[str, str]]:
    return {(r["id"], r["updatedAt"]) for r in sb.records(collection) if r["updatedAt"] >= since}


def test_source_under_the_fault_mix_completes_exactly_or_fails_clearly(sb, work, full_faults):
    # full: the first (backfill) sync of everything; quick: an incremental sync from a state two months
    # before the newest record (one keyset chain per stream, a handful of requests)
    start = "2023-01-01T00:00:00.000Z" if full_faults else "2024-11-01T00:00:00.000Z"
    config = {"api_key": SECRET, "start_date": "2023-01-01T00:00:00.000Z", "page_size": 10 if full_faults else 50,
              "num_workers": 4, "lookback_window": 0}
    state = None if full_faults else [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": {"updatedAt": start}}}
        for name in ("contracts", "counterparties")]
    expected = {name: truth_since(sb, name, start) for name in ("contracts", "counterparties")}
    assert all(expected.values())
    outcomes = []
    sb.set_faults(**{**FAULT_MIX, "malformed_rate": 0})  # truncation: the deterministic tests below
    try:
        for attempt in range(3 if full_faults else 1):
            sb.reset_stats()
            with FaultProxy(sb.url, rate_limited=RATE_LIMITED, retry_after=1, seed=attempt) as proxy:
                run = work.run("source-tomorro", "read", {**config, "base_url": proxy.url},
                               catalog("contracts", "counterparties"), state, timeout=280)
            statuses = {r["status"] for r in sb.stats()["requests"]}
            assert proxy.counts["429"] > 0 and statuses & {0, 500, 502, 503}, (proxy.counts, statuses)
            got = {name: pairs(run.records(name)) for name in expected}
            if run.returncode == 0:
                assert not run.errors, run.describe()
                for name in expected:  # complete: nothing missing, nothing invented
                    assert got[name] == expected[name], (name, len(got[name]), len(expected[name]))
                outcomes.append("complete")
            else:
                assert run.errors and all(e["message"].strip() for e in run.errors), run.describe()
                assert run.errors[-1]["failure_type"] in ("transient_error", "system_error", "config_error")
                for name in expected:  # a failed sync may stop early but never emits a record that is not there
                    assert got[name] <= expected[name]
                outcomes.append("failed: " + run.errors[-1]["message"][:120])
    finally:
        sb.set_faults(**NO_FAULTS)
    print(outcomes)
    work.assert_no_secret()


@pytest.mark.xfail(strict=True, reason="source bug: components.fetch_smart_fields (custom-field columns, "
                   "schema loading) calls response.json() on a 200 whose body was truncated; the JSONDecodeError "
                   "is not retried and fails the sync with 'Something went wrong in the connector'")
def test_a_truncated_smart_fields_answer_is_retried(sb, work):
    """One truncated JSON body on `GET /smart-fields` (the custom-field columns) must be retried like
    any other truncated body: the sync completes with every record."""
    start = "2024-11-01T00:00:00.000Z"
    with FaultProxy(sb.url, truncate="/smart-fields", truncate_times=1) as proxy:
        run = work.run("source-tomorro", "read", {"api_key": SECRET, "base_url": proxy.url, "start_date": start},
                       catalog("contracts", "counterparties"))
    assert proxy.counts["truncated"] == 1
    work.assert_no_secret()
    assert run.returncode == 0, run.describe()
    assert pairs(run.records("contracts")) == truth_since(sb, "contracts", start)


@pytest.mark.xfail(strict=True, reason="source bug: a truncated JSON page of GET /contracts is decoded by the CDK "
                   "JsonDecoder as an empty page (WARN 'Failed to parse JSON data'), pagination stops and the sync "
                   "COMPLETES with records missing (e.g. 51 of 62 contracts at malformed_rate=0.1)")
def test_a_truncated_contracts_page_is_retried(sb, work):
    """Two truncated answers of `GET /contracts`: retried, or the sync fails. Never a completed sync
    with records missing."""
    start = "2024-11-01T00:00:00.000Z"
    with FaultProxy(sb.url, truncate="/contracts?", truncate_times=2) as proxy:
        run = work.run("source-tomorro", "read", {"api_key": SECRET, "base_url": proxy.url, "start_date": start},
                       catalog("contracts", "counterparties"))
    assert proxy.counts["truncated"] == 2
    work.assert_no_secret()
    assert run.returncode == 0 or run.errors, run.describe()
    if run.returncode != 0:
        return
    assert pairs(run.records("contracts")) == truth_since(sb, "contracts", start)
