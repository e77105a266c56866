"""The list reader of `contracts` against the sandbox over a real socket: ranges of updatedAt read side by side
and split while reading, whatever the spread of the data; every record exactly once; checkpoints that never
pass unread data; records changed during the first sync reaching the next one.

Concurrency and splits are asserted on the requests (counted around the HTTP adapter), never on timings. A
kill during the first sync and the resume from its last state are in tests/faults/test_crash_resume.py."""

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

from .conftest import SANDBOX_API_KEY


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
        self.queries: list[dict] = []
        self._after_nth, self._hook = after_nth, hook
        real_send = HTTPAdapter.send

        def send(adapter, request, *args, **kwargs):
            url = urlparse(request.url)
            if not url.path.endswith("/contracts"):
                return real_send(adapter, request, *args, **kwargs)
            with self.lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                self.queries.append({k: v[0] for k, v in parse_qs(url.query).items()})
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

    @property
    def ranges(self) -> int:
        """Chains started: first pages of the ascending, filtered list."""
        return sum(1 for q in self.queries if "after" not in q and "updatedAt" in q)


def _check_exact_once_and_safe_checkpoints(output, truth):
    got = [m.record.data for m in output.records]
    assert len(got) == len({r["id"] for r in got}), "a record emitted twice"
    assert {r["id"]: r["updatedAt"] for r in got} == truth
    order = {}
    for index, message in enumerate(output._messages):
        if message.type.name == "RECORD":
            order[message.record.data["id"]] = index
        elif message.type.name == "STATE":
            checkpoint = message.state.stream.stream_state.__dict__["updatedAt"]
            unread = [rid for rid, updated_at in truth.items() if updated_at < checkpoint and rid not in order]
            assert not unread, f"checkpoint {checkpoint} passed {len(unread)} unread records"
    states = [m.state.stream.stream_state.__dict__["updatedAt"] for m in output.state_messages]
    assert states == sorted(states) and states[-1] == max(truth.values())


@pytest.fixture
def latency(sandbox):
    sandbox.set_faults(latency_ms=30)
    yield
    sandbox.set_faults(latency_ms=0)


def test_a_first_sync_reads_ranges_side_by_side_every_record_once(sandbox, sandbox_config, monkeypatch, latency):
    requests = ContractListRequests(monkeypatch)

    output = _read({**sandbox_config, "num_workers": 4, "page_size": 20})

    truth = {r["id"]: r["updatedAt"] for r in sandbox.records("contracts")}
    _check_exact_once_and_safe_checkpoints(output, truth)
    assert requests.ranges >= 2 and 2 <= requests.peak <= 4
    # the pages of data, plus at most one request per range and the newest-record probe
    assert len(requests.queries) <= -(-len(truth) // 20) + requests.ranges + 1
    assert len(output.state_messages) >= 2  # checkpoints on the way, not only at the end


@pytest.fixture(scope="module")
def skewed_sandbox():
    from tomorro_sandbox import SandboxServer

    with SandboxServer(api_key=SANDBOX_API_KEY, port=0, seed=7, contracts=600, updated_skew="recent",
                       latency_ms=30) as server:
        yield server


def test_skewed_data_with_a_start_date_years_back_still_keeps_every_worker_busy(skewed_sandbox, monkeypatch):
    requests = ContractListRequests(monkeypatch)
    config = {"api_key": SANDBOX_API_KEY, "base_url": skewed_sandbox.url, "num_workers": 4, "page_size": 20,
              "start_date": "2015-01-01T00:00:00Z"}

    output = _read(config)

    truth = {r["id"]: r["updatedAt"] for r in skewed_sandbox.records("contracts")}
    _check_exact_once_and_safe_checkpoints(output, truth)
    assert requests.peak == 4 and requests.ranges >= 4
    assert len(requests.queries) <= -(-len(truth) // 20) + requests.ranges + 1


def test_records_changed_during_the_first_sync_are_read_by_it_or_the_next(sandbox, sandbox_config, monkeypatch,
                                                                         latency):
    mutated: dict = {}
    # the change lands after the 5th list response: after the sync start, while ranges are still read
    ContractListRequests(monkeypatch, after_nth=5, hook=lambda: mutated.update(sandbox.mutate(contracts=30)))

    first = _read({**sandbox_config, "num_workers": 4, "page_size": 20})

    assert mutated, "the mutation did not run during the first sync"
    state = dict(first.state_messages[-1].state.stream.stream_state.__dict__)
    first_seen = {(m.record.data["id"], m.record.data["updatedAt"]) for m in first.records}
    truth = {r["id"]: r["updatedAt"] for r in sandbox.records("contracts")}
    assert state == {"updatedAt": max(updated_at for _, updated_at in first_seen)}

    second = _read(sandbox_config, state=StateBuilder().with_stream_state("contracts", state).build())

    seen = first_seen | {(m.record.data["id"], m.record.data["updatedAt"]) for m in second.records}
    for record_id in set(mutated["contracts"]["updated"]) | set(mutated["contracts"]["created"]):
        assert (record_id, truth[record_id]) in seen, f"{record_id}: latest version never read"
    assert {record_id for record_id, _ in seen} == set(truth)
