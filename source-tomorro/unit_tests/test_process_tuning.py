"""components.py, section 6: process tuning that depends on CDK internals, pinned to the CDK version it was
measured on (airbyte-cdk 7.39.1)."""

from __future__ import annotations

import sys
import threading
from queue import Queue
from unittest.mock import MagicMock

import pytest
from source_tomorro.run import register_components

components = register_components()


class TestWaitForWriter:
    @staticmethod
    def _transformation(queue):
        requester = MagicMock()
        requester.message_repository._queue = queue
        return components.WaitForWriter(requester=requester)

    @staticmethod
    def _in_a_worker(transformation):
        worker = threading.Thread(target=transformation.transform, args=({"id": "a"},))
        worker.start()
        return worker

    @staticmethod
    def _queue_holding(n):
        queue = Queue()
        for index in range(n):
            queue.put(index)
        return queue

    def test_a_worker_waits_while_the_writer_is_behind_and_resumes_once_it_caught_up(self, monkeypatch):
        monkeypatch.setattr(components, "WRITER_BACKLOG_LIMIT", 3)
        queue = self._queue_holding(4)
        worker = self._in_a_worker(self._transformation(queue))

        worker.join(0.3)
        assert worker.is_alive()  # 4 records wait for the writer: over the limit of 3
        queue.get()
        worker.join(10)
        assert not worker.is_alive()

    def test_a_worker_does_not_wait_at_the_limit(self, monkeypatch):
        monkeypatch.setattr(components, "WRITER_BACKLOG_LIMIT", 3)
        worker = self._in_a_worker(self._transformation(self._queue_holding(3)))
        worker.join(10)
        assert not worker.is_alive()

    def test_the_writer_itself_never_waits(self, monkeypatch):
        monkeypatch.setattr(components, "WRITER_BACKLOG_LIMIT", 0)

        def wait(seconds):
            raise AssertionError("the writer thread waited for itself")

        monkeypatch.setattr(components.time, "sleep", wait)
        self._transformation(self._queue_holding(5)).transform({"id": "a"})  # pytest runs on the main thread

    def test_without_the_cdk_queue_it_only_passes_records_through(self):
        requester = MagicMock(spec=["message_repository"])
        requester.message_repository = object()
        transformation = components.WaitForWriter(requester=requester)
        worker = self._in_a_worker(transformation)
        worker.join(10)
        assert not worker.is_alive() and transformation._waiting is None

    def test_the_pinned_cdk_gives_requesters_the_writer_queue_of_ten_thousand(self):
        import airbyte_cdk
        from airbyte_cdk.sources.declarative import concurrent_declarative_source
        from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
        from airbyte_cdk.sources.message.repository import InMemoryMessageRepository

        assert airbyte_cdk.__version__ == "7.39.1", "re-measure WaitForWriter (BENCHMARKS.md, f) on a new CDK"
        with open(concurrent_declarative_source.__file__) as source:
            assert "Queue(maxsize=10_000)" in source.read()  # the bound WaitForWriter tightens
        queue = Queue()
        requester = MagicMock()
        requester.message_repository = ConcurrentMessageRepository(queue, InMemoryMessageRepository())
        assert components.WaitForWriter(requester=requester)._waiting is queue.queue


class TestKeepPageBuffersOutOfTheHeap:
    def test_sets_a_fixed_mmap_threshold_through_mallopt(self, monkeypatch):
        calls = []
        libc = MagicMock()
        libc.mallopt.side_effect = lambda param, value: calls.append((param, value)) or 1
        monkeypatch.setattr(components.ctypes, "CDLL", lambda name: libc)
        assert components.keep_page_buffers_out_of_the_heap() is True
        assert calls == [(-3, 64 * 1024)]  # M_MMAP_THRESHOLD, 64 KiB

    def test_a_c_library_without_mallopt_is_left_alone(self, monkeypatch):
        monkeypatch.setattr(components.ctypes, "CDLL", lambda name: MagicMock(spec=[]))
        assert components.keep_page_buffers_out_of_the_heap() is False

    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt exists on Linux only")
    def test_glibc_accepts_the_setting(self):
        assert components.keep_page_buffers_out_of_the_heap() is True


# -- run.py: skip_attribute_docstrings --------------------------------------------------------------------------
_MESSAGES = '''
import json, sys
sys.argv = ["x"]
if sys.argv and TUNED:
    from source_tomorro.run import skip_attribute_docstrings
    assert skip_attribute_docstrings()
from airbyte_cdk.models import AirbyteMessageSerializer, ConfiguredAirbyteCatalogSerializer
messages = [
    {"type": "RECORD", "record": {"stream": "contracts", "data": {"id": "c1", "updatedAt": "2026-01-01T00:00:00.000Z",
                                  "fields": {"a": [1, 2.5, None]}}, "emitted_at": 1}},
    {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "contracts"},
                                "stream_state": {"updatedAt": "2026-01-01T00:00:00.000Z", "__ab_x": True}},
                                "sourceStats": {"recordCount": 3.0}}},
    {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": 1.0, "stream_status": {
        "stream_descriptor": {"name": "contracts"}, "status": "COMPLETE"}}},
    {"type": "LOG", "log": {"level": "WARN", "message": "m"}},
    {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": "no"}},
]
out = [json.dumps(AirbyteMessageSerializer.dump(AirbyteMessageSerializer.load(m)), sort_keys=True) for m in messages]
catalog = {"streams": [{"stream": {"name": "contracts", "json_schema": {"type": "object"}, "supported_sync_modes":
           ["incremental"], "source_defined_cursor": True, "default_cursor_field": ["updatedAt"]},
           "sync_mode": "incremental", "destination_sync_mode": "append_dedup", "cursor_field": ["updatedAt"],
           "primary_key": [["id"]]}]}
out.append(json.dumps(ConfiguredAirbyteCatalogSerializer.dump(ConfiguredAirbyteCatalogSerializer.load(catalog)),
                      sort_keys=True))
print("\\n".join(out))
'''


def _serialized(tuned: bool) -> str:
    import subprocess

    done = subprocess.run([sys.executable, "-c", _MESSAGES.replace("TUNED", str(tuned))], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_skipping_attribute_docstrings_leaves_every_message_byte_for_byte_the_same():
    assert _serialized(tuned=True) == _serialized(tuned=False)


def test_skipping_attribute_docstrings_is_pinned_to_the_versions_it_was_measured_on():
    from importlib.metadata import version

    import attributes_doc
    import serpyco_rs._utils

    assert (version("serpyco-rs"), version("attributes-doc")) == ("1.23.0", "0.5.0"), \
        "re-measure run.skip_attribute_docstrings (the start-up it saves, the messages it leaves equal), then pin"
    # serpyco-rs binds the public function at its import: that is the name the tuning replaces
    assert serpyco_rs._utils._get_attributes_doc is attributes_doc.get_attributes_doc


def test_skipping_attribute_docstrings_is_a_no_op_once_serpyco_is_imported():
    import serpyco_rs  # noqa: F401
    from source_tomorro.run import skip_attribute_docstrings

    assert skip_attribute_docstrings() is False
