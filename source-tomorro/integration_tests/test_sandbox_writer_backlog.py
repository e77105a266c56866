"""Against the sandbox over a real socket, with a writer slower than the API (a slow destination): the
records waiting for the writer stay bounded by WaitForWriter, not by the CDK's 10,000-record queue, and
none is lost or repeated on the way.

Bounds are asserted on the queue's length, never on timings or memory (BENCHMARKS.md measures those)."""

from __future__ import annotations

import logging
import time

import pytest
from airbyte_cdk.models import SyncMode, Type
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from source_tomorro.run import create_source, register_components

LIMIT = 50  # well under the sandbox's 500 contracts, so an unbounded queue would pass it many times over


@pytest.mark.parametrize("stream", ["contracts", "counterparties"])
def test_a_slow_writer_holds_the_workers_back_and_every_record_arrives_once(sandbox, sandbox_config, monkeypatch,
                                                                             stream):
    monkeypatch.setattr(register_components(), "WRITER_BACKLOG_LIMIT", LIMIT)
    config = {**sandbox_config, "page_size": 10}
    catalog = CatalogBuilder().with_stream(stream, SyncMode.full_refresh).build()
    source = create_source(config=config, catalog=catalog, state=None)
    queue = source._concurrent_source._queue  # the CDK's queue between its workers and this (writer) thread

    ids, peak = [], 0
    for message in source.read(logging.getLogger("test"), config, catalog, None):
        peak = max(peak, queue.qsize())
        if message.type == Type.RECORD:
            ids.append(message.record.data["id"])
            time.sleep(0.002)  # the slow destination

    assert sorted(ids) == sorted(record["id"] for record in sandbox.records(stream))
    # Each of the 4 workers can add the one record it holds past the check, plus a few non-record messages.
    assert peak <= LIMIT + config["num_workers"] + 10, peak
