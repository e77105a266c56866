"""The shared error handler over a real socket: injected 5xx, connection resets and 429s (with the
sandbox's `Retry-After`) are retried and a full read still returns exactly the sandbox's records."""

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from source_tomorro.run import create_source

STREAMS = {"contracts": "contracts", "counterparties": "counterparties", "members": "members", "fields": "smart-fields"}


def _full_read(config):
    builder = CatalogBuilder()
    for stream in STREAMS:
        builder.with_stream(stream, SyncMode.full_refresh)
    catalog = builder.build()
    output = read(create_source(config=config, catalog=catalog), config, catalog)
    assert not output.errors, [e.trace.error.message for e in output.errors]
    return output


def _statuses(sandbox):
    return {r["status"] for r in sandbox.stats()["requests"]}


@pytest.fixture(autouse=True)
def _clear_faults(sandbox):
    sandbox.reset_stats()
    yield
    sandbox.set_faults(error_rate=0, reset_rate=0, rate_limit=None)


def test_given_5xx_and_connection_resets_when_full_read_then_complete(sandbox, sandbox_config, mocker):
    sleeps = mocker.patch("time.sleep")  # backoff waits; the sandbox injects no latency here
    sandbox.set_faults(error_rate=0.15, reset_rate=0.05)

    output = _full_read(sandbox_config)

    for stream, collection in STREAMS.items():
        got = [m.record.data["id"] for m in output.records if m.record.stream == stream]
        assert sorted(got) == sorted(r["id"] for r in sandbox.records(collection)), stream
    assert _statuses(sandbox) & {500, 502, 503}
    assert sleeps.called


def test_given_rate_limit_when_full_read_then_waits_retry_after_and_completes(sandbox, sandbox_config):
    # ~20 requests, the first ones concurrent: a limit of 4 per second is exceeded however slow the machine
    sandbox.set_faults(rate_limit="4/1")

    output = _full_read({**sandbox_config, "num_workers": 4})

    assert len([m for m in output.records if m.record.stream == "contracts"]) == len(sandbox.records("contracts"))
    assert 429 in _statuses(sandbox)
