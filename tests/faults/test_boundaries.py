"""Issue 7 §3, the source console script at the boundaries: many records sharing one updatedAt
across page boundaries, records updated while the sync runs, a contract deleted between the
signed-contracts list and its signed-files fetch, and clock skew between the sandbox and the client
(covered by the lookback window). Ground truth: the sandbox's records (id + updatedAt)."""

from __future__ import annotations

import threading

import pytest
from faults_harness import NO_FAULTS, SECRET, catalog, last_states, latest, pairs, truth
from tomorro_sandbox import SandboxServer

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def sb(request):
    full = request.config.getoption("--full-faults")
    with SandboxServer(seed=31, contracts=700 if full else 160, counterparties=60, fields=20, members=5,
                       api_key=SECRET, port=0) as server:
        yield server


@pytest.fixture
def fresh(sb):
    sb.reset()
    sb.set_faults(**NO_FAULTS)
    sb.set_clock(0)
    sb.reset_stats()
    yield sb
    sb.set_faults(**NO_FAULTS)
    sb.set_clock(0)


def _config(sb, **extra):
    return {"api_key": SECRET, "base_url": sb.url, "start_date": "2023-01-01T00:00:00Z", "num_workers": 2, **extra}


@pytest.mark.timeout(1200)
def test_many_records_sharing_one_updated_at_across_pages_are_all_read(fresh, work, full_faults):
    sb = fresh
    first = work.run("source-tomorro", "read", _config(sb, page_size=50), catalog("contracts", "counterparties"))
    assert first.returncode == 0, first.describe()
    touched = 500 if full_faults else 120
    page = 7  # many page boundaries inside the tie
    mutated = sb.mutate(contracts=touched)
    instant, ids = mutated["updatedAt"], set(mutated["contracts"]["updated"])
    assert len(ids) == touched
    second = work.run("source-tomorro", "read", _config(sb, page_size=page), catalog("contracts", "counterparties"),
                      last_states(first.states))
    assert second.returncode == 0, second.describe()
    tied = {r["id"] for r in second.records("contracts") if r["updatedAt"] == instant}
    assert tied == ids, (len(tied), len(ids))
    assert latest(first.records("contracts") + second.records("contracts")) == truth(sb, "contracts")
    work.assert_no_secret()


def test_records_updated_while_the_sync_runs_are_never_skipped(fresh, work, full_faults):
    sb = fresh
    sb.set_faults(latency_ms=20)
    stop = threading.Event()
    touched: set[str] = set()

    def mutate_during_read():
        for _ in range(10 if full_faults else 4):  # bounded
            if stop.wait(0.4):
                return
            result = sb.mutate(contracts=5, counterparties=2, create=1)
            touched.update(result["contracts"]["updated"] + result["contracts"]["created"])
            touched.update(result["counterparties"]["updated"])

    before = {name: truth(sb, name) for name in ("contracts", "counterparties")}
    thread = threading.Thread(target=mutate_during_read)
    thread.start()
    try:
        first = work.run("source-tomorro", "read", _config(sb, page_size=10), catalog("contracts", "counterparties"))
    finally:
        stop.set()
        thread.join()
    sb.set_faults(latency_ms=0)
    assert first.returncode == 0, first.describe()
    assert touched, "the mutations did not run during the sync"
    for name in ("contracts", "counterparties"):
        # a record that did not change during the sync is read exactly as it is; one updated during a
        # first (backfill) sync may move past the last window's end (the sync start) and then comes with
        # the next sync, never later: checked below
        missing = {i for i, _ in before[name]} - {r["id"] for r in first.records(name)}
        assert missing <= touched, (name, missing - touched)
        unchanged = {p for p in before[name] if p[0] not in touched}
        assert unchanged <= pairs(first.records(name)), name
    # the next incremental sync picks up every version written during the first one
    second = work.run("source-tomorro", "read", _config(sb, page_size=10), catalog("contracts", "counterparties"),
                      last_states(first.states))
    assert second.returncode == 0, second.describe()
    for name in ("contracts", "counterparties"):
        assert latest(first.records(name) + second.records(name)) == truth(sb, name), name
    work.assert_no_secret()


def test_a_contract_deleted_between_list_and_signed_files_fetch_is_skipped(fresh, work):
    sb = fresh
    signed = [c["id"] for c in sb.records("contracts") if c["status"] == "signed"]
    files_before = {(f["contractId"], f["id"]) for f in sb.records("signed-files")}
    assert len(signed) >= 6
    sb.set_faults(latency_ms=40)
    deleted: list[str] = []

    def delete_after_first_fetch(message):
        if message is None and not deleted:
            fetched = sum(r["count"] for r in sb.stats()["requests"] if r["path"].endswith("/signed-files"))
            if fetched >= 1:  # the signed-contracts page is listed and its children are being fetched
                deleted.extend(sb.delete(contracts=signed[len(signed) // 3:])["contracts"]["deleted"])
        return False  # never kill

    run = work.run_and_kill("source-tomorro", "read", _config(sb, num_workers=1),
                            catalog("contract_signed_files", mode="full_refresh"), kill_when=delete_after_first_fetch)
    sb.set_faults(latency_ms=0)
    assert deleted, "the deletion never happened"
    assert run.returncode == 0 and not run.errors, run.describe()
    not_found = sum(r["count"] for r in sb.stats()["requests"] if r["path"].endswith("/signed-files")
                    and r["status"] == 404)
    assert not_found >= 1, "no child fetch met a deleted parent: the case was not exercised"
    got = {(f["contractId"], f["id"]) for f in run.records("contract_signed_files")}
    assert got <= files_before
    kept = set(signed) - set(deleted)
    assert {f for f in files_before if f[0] in kept} <= got
    work.assert_no_secret()


# 3600: the server clock ahead of the client; counterparties used to be dropped client-side (the data
# feed's upper bound was the client's now) until the client's clock caught up
@pytest.mark.parametrize("skew_seconds", [-120, 3600])
def test_clock_skew_between_sandbox_and_client_is_covered_by_the_lookback(fresh, work, skew_seconds):
    """The server's clock jumps by `skew_seconds` between two syncs (behind: a write stamped before
    the saved cursor, by less than the 5-minute lookback; ahead: a state in the client's future,
    clamped to the sync start). The next incremental sync still reads every write."""
    sb = fresh
    sb.mutate(contracts=3, counterparties=2)
    config = _config(sb, page_size=50, lookback_window=5)
    first = work.run("source-tomorro", "read", config, catalog("contracts", "counterparties"))
    assert first.returncode == 0, first.describe()
    sb.set_clock(skew_seconds)
    if skew_seconds > 0:  # a state written on the skewed clock is in the client's future
        sb.mutate(contracts=2)
        first = work.run("source-tomorro", "read", config, catalog("contracts", "counterparties"),
                         last_states(first.states))
        assert first.returncode == 0, first.describe()
    changed = sb.mutate(contracts=4, counterparties=3)
    second = work.run("source-tomorro", "read", config, catalog("contracts", "counterparties"),
                      last_states(first.states))
    assert second.returncode == 0, second.describe()
    got = {name: {r["id"]: r["updatedAt"] for r in second.records(name)} for name in ("contracts", "counterparties")}
    for name in ("contracts", "counterparties"):
        for record_id in changed[name]["updated"]:
            assert got[name].get(record_id) == changed["updatedAt"], (name, record_id)
    work.assert_no_secret()
