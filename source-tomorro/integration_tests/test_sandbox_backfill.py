"""The first (backfill) sync of `contracts` against the sandbox over a real socket: windows of updatedAt
read by parallel keyset chains, every record exactly once, a state equal to the largest updatedAt read
(never past the sync start), and records changed during the backfill reaching the next sync.

Concurrency is asserted on the requests in flight at once (counted around the HTTP adapter), not on
timings."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlparse

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder
from requests.adapters import HTTPAdapter
from source_tomorro.run import create_source


def _read(config, sync_mode=SyncMode.incremental, state=None):
    catalog = CatalogBuilder().with_stream("contracts", sync_mode).build()
    output = read(create_source(config=config, catalog=catalog, state=state), config, catalog, state)
    assert not output.errors, [e.trace.error.message for e in output.errors]
    return output


class ContractListRequests:
    """Wraps HTTPAdapter.send: counts `/contracts` list requests in flight and runs a hook after the n-th."""

    def __init__(self, monkeypatch, after_nth=None, hook=None):
        self.lock = threading.Lock()
        self.in_flight = self.peak = self.done = 0
        self.lower_bounds: list[str] = []
        self._after_nth, self._hook = after_nth, hook
        real_send = HTTPAdapter.send

        def send(adapter, request, *args, **kwargs):
            url = urlparse(request.url)
            if not url.path.endswith("/contracts"):
                return real_send(adapter, request, *args, **kwargs)
            with self.lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                self.lower_bounds.append(parse_qs(url.query)["updatedAt"][0])
            try:
                return real_send(adapter, request, *args, **kwargs)
            finally:
                with self.lock:
                    self.in_flight -= 1
                    self.done += 1
                    run_hook = self.done == self._after_nth
                if run_hook:
                    self._hook()

        monkeypatch.setattr(HTTPAdapter, "send", send)


@pytest.fixture
def latency(sandbox):
    sandbox.set_faults(latency_ms=30)
    yield
    sandbox.set_faults(latency_ms=0)


def test_backfill_reads_windows_side_by_side_and_every_record_once(sandbox, sandbox_config, monkeypatch, latency):
    requests = ContractListRequests(monkeypatch)

    output = _read({**sandbox_config, "num_workers": 4, "backfill_windows": 16})

    got = [m.record.data for m in output.records]
    truth = {r["id"]: r["updatedAt"] for r in sandbox.records("contracts")}
    assert len(got) == len({r["id"] for r in got}), "a record emitted by two windows"
    assert {r["id"]: r["updatedAt"] for r in got} == truth
    # one chain per window (each from its own lower bound), several in flight at once
    assert len(set(requests.lower_bounds)) == 16
    assert 2 <= requests.peak <= 4
    # checkpoints along the way, ending on the largest updatedAt read
    states = [m.state.stream.stream_state.__dict__["updatedAt"] for m in output.state_messages]
    assert len(set(states)) >= 2
    assert states == sorted(states)
    assert states[-1] == max(truth.values())


def test_records_changed_during_the_backfill_are_read_by_the_next_incremental_sync(sandbox, sandbox_config,
                                                                                 monkeypatch, latency):
    mutated: dict = {}
    # the change lands after the 5th list response: after the sync start, while windows are still read
    ContractListRequests(monkeypatch, after_nth=5, hook=lambda: mutated.update(sandbox.mutate(contracts=30)))

    first = _read({**sandbox_config, "num_workers": 4})

    assert mutated, "the mutation did not run during the backfill"
    state = dict(first.state_messages[-1].state.stream.stream_state.__dict__)
    first_seen = {(m.record.data["id"], m.record.data["updatedAt"]) for m in first.records}
    truth = {r["id"]: r["updatedAt"] for r in sandbox.records("contracts")}
    changed = set(mutated["contracts"]["updated"]) | set(mutated["contracts"]["created"])
    # state = the largest updatedAt this sync read, and not past any change made after the sync start
    assert state == {"updatedAt": max(updated_at for _, updated_at in first_seen)}
    assert state["updatedAt"] <= min(truth[record_id] for record_id in changed)

    second = _read(sandbox_config, state=StateBuilder().with_stream_state("contracts", state).build())

    seen = first_seen | {(m.record.data["id"], m.record.data["updatedAt"]) for m in second.records}
    for record_id in changed:
        assert (record_id, truth[record_id]) in seen, f"{record_id}: latest version never read"
    assert {record_id for record_id, _ in seen} == set(truth)
