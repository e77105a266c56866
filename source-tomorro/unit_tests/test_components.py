"""Direct tests of components.py, one class per component (plus the column-naming rule)."""

from __future__ import annotations

import json
import sys
import threading
from queue import Queue
from unittest.mock import MagicMock

import freezegun
import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from source_tomorro.run import register_components

components = register_components()


def _requester(*pages):
    """A stand-in HttpRequester answering successive pages of /smart-fields."""
    responses = []
    for index, data in enumerate(pages):
        has_next = index < len(pages) - 1
        response = MagicMock()
        response.json.return_value = {"data": data, "pagination": {"has_next": has_next,
                                                                   "next_cursor": f"P{index + 1}" if has_next else None}}
        responses.append(response)
    requester = MagicMock()
    requester.send_request.side_effect = responses
    return requester


class TestColumnNamingRule:
    def test_readable_name_plus_id_prefix(self):
        columns = components.custom_field_columns([{"id": "0f1e2d3c-aaaa-4bbb-8ccc-000000000000", "name": "Contract value (€)",
                                                    "type": "number"}])
        assert columns == {"0f1e2d3c-aaaa-4bbb-8ccc-000000000000": ("cf_contract_value_0f1e2d3c", "number")}

    def test_two_fields_with_the_same_name_get_different_columns(self):
        columns = components.custom_field_columns([{"id": "11111111-0000-4000-8000-000000000001", "name": "Region"},
                                                   {"id": "22222222-0000-4000-8000-000000000002", "name": "Region"}])
        assert len({column for column, _ in columns.values()}) == 2

    def test_renamed_field_keeps_its_id_suffix_and_never_takes_another_fields_column(self):
        before = components.custom_field_columns([{"id": "11111111-0000-4000-8000-000000000001", "name": "Old name"},
                                                  {"id": "22222222-0000-4000-8000-000000000002", "name": "New name"}])
        after = components.custom_field_columns([{"id": "11111111-0000-4000-8000-000000000001", "name": "New name"},
                                                 {"id": "22222222-0000-4000-8000-000000000002", "name": "New name"}])
        assert after["11111111-0000-4000-8000-000000000001"][0] == "cf_new_name_11111111"
        assert after["11111111-0000-4000-8000-000000000001"][0] != before["22222222-0000-4000-8000-000000000002"][0]

    def test_ids_sharing_their_first_8_hex_digits_fall_back_to_the_full_id(self):
        columns = components.custom_field_columns([{"id": "abcdef12-0000-4000-8000-000000000001", "name": "A"},
                                                   {"id": "abcdef12-0000-4000-8000-000000000002", "name": "A"}])
        assert sorted(c for c, _ in columns.values()) == ["cf_a_abcdef12000040008000000000000001",
                                                          "cf_a_abcdef12000040008000000000000002"]

    @pytest.mark.parametrize("name,slug", [("", "field"), ("  ", "field"), ("Été / Durée", "ete_duree"), ("A" * 80, "a" * 40)])
    def test_slug_edge_cases(self, name, slug):
        assert components.slugify(name) == slug


class TestCustomFieldsSchemaLoader:
    def test_pages_through_every_definition_and_types_every_field_type(self):
        page1 = [{"id": f"0000000{i}-0000", "name": t, "type": t} for i, t in enumerate(components.FIELD_TYPE_SCHEMAS)]
        page2 = [{"id": "99999999-0000", "name": "Unknown kind", "type": "hologram"}]
        requester = _requester(page1, page2)
        loader = components.CustomFieldsSchemaLoader(requester=requester, object_kind="contract")

        schema = loader.get_json_schema()
        loader.get_json_schema()  # cached

        properties = schema["properties"]
        assert properties["cf_number_00000001"]["type"] == ["null", "number"]
        assert properties["cf_date_00000002"] == {"type": ["null", "string"], "format": "date"}
        assert properties["cf_multiselect_00000004"]["items"] == {"type": "string"}
        assert properties["cf_duration_00000006"]["type"] == ["null", "object"]
        assert len(properties) == len(components.FIELD_TYPE_SCHEMAS)  # unknown type: no column
        assert requester.send_request.call_count == 2
        second_params = requester.send_request.call_args_list[1].kwargs["request_params"]
        assert second_params == {"object": "contract", "limit": 50, "after": "P1"}


class TestFlattenCustomFields:
    def _transformation(self, object_kind="contract"):
        requester = _requester([{"id": "aaaaaaaa-1", "name": "Value", "type": "number"},
                                {"id": "bbbbbbbb-2", "name": "Term", "type": "duration"}])
        return components.FlattenCustomFields(requester=requester, object_kind=object_kind), requester

    def test_contract_list_values_become_columns_with_join_keys(self):
        transformation, requester = self._transformation()
        record = {"fields": [{"attributeDefinitionId": "aaaaaaaa-1", "name": "Value", "value": 3}],
                  "counterparty": {"id": "cp"}, "contractType": {"id": "ct"}, "template": {"id": "tp"}}
        transformation.transform(record)
        transformation.transform({"fields": []})
        assert record["cf_value_aaaaaaaa"] == 3
        assert (record["counterpartyId"], record["contractTypeId"], record["templateId"]) == ("cp", "ct", "tp")
        assert requester.send_request.call_count == 1  # definitions fetched once

    def test_counterparty_map_values_become_columns(self):
        transformation, _ = self._transformation("external_party")
        record = {"fields": {"bbbbbbbb-2": {"value": 2, "unit": "years"}, "unknown": 1}}
        transformation.transform(record)
        assert record["cf_term_bbbbbbbb"] == {"value": 2, "unit": "years"}
        assert "counterpartyId" not in record and "unknown" not in json.dumps(list(record))

    def test_template_id_prefers_the_top_level_value(self):
        transformation, _ = self._transformation()
        record = {"templateId": "top", "template": {"id": "nested"}, "fields": None}
        transformation.transform(record)
        assert record["templateId"] == "top"


class TestSharedSmartFields:
    def test_schema_loader_and_transformation_of_one_source_list_the_fields_once(self):
        config = {"api_key": "k"}
        requester = _requester([{"id": "aaaaaaaa-1", "name": "Value", "type": "number"}])
        loader = components.CustomFieldsSchemaLoader(requester=requester, object_kind="contract", config=config)
        transformation = components.FlattenCustomFields(requester=requester, object_kind="contract", config=config)

        assert "cf_value_aaaaaaaa" in loader.get_json_schema()["properties"]
        record = {"fields": [{"attributeDefinitionId": "aaaaaaaa-1", "value": 3}]}
        transformation.transform(record)

        assert record["cf_value_aaaaaaaa"] == 3
        assert requester.send_request.call_count == 1

    def test_another_config_object_or_object_kind_lists_its_own(self):
        fields = [{"id": "aaaaaaaa-1", "name": "Value", "type": "number"}]
        first, second, third = _requester(fields), _requester(fields), _requester(fields)
        config = {"api_key": "k"}
        components.shared_smart_fields(first, "contract", config)
        components.shared_smart_fields(second, "contract", dict(config))  # equal, but another source
        components.shared_smart_fields(third, "external_party", config)
        assert [r.send_request.call_count for r in (first, second, third)] == [1, 1, 1]


class TestEnvelopeExtractor:
    @staticmethod
    def _response(body):
        response = MagicMock()
        response.json.return_value = body
        return response

    def test_records_under_a_templated_key_and_nothing_for_a_missing_key(self):
        extractor = components.EnvelopeExtractor(field_path=["{{ parameters.records_key }}"], config={},
                                                 parameters={"records_key": "contracts"})
        records = [{"id": "a", "fields": [{"value": {"deep": [1, 2]}}]}, {"id": "b"}]
        assert list(extractor.extract_records(self._response({"contracts": records, "hasNext": False}))) == records
        assert list(extractor.extract_records(self._response({"data": records}))) == []

    def test_nested_path_and_a_single_object(self):
        extractor = components.EnvelopeExtractor(field_path=["a", "b"], config={}, parameters={})
        assert list(extractor.extract_records(self._response({"a": {"b": {"id": 1}}}))) == [{"id": 1}]
        assert list(extractor.extract_records(self._response({"a": None}))) == []


class TestOnceJsonDecoder:
    @staticmethod
    def _response(content: bytes):
        response = requests.Response()
        response._content = content
        return response

    def test_a_page_is_parsed_once_however_many_components_decode_it(self, monkeypatch):
        decoder = components.OnceJsonDecoder(parameters={})
        response = self._response(b'{"contracts": [{"id": "a"}], "hasNext": false}')
        calls = []
        real_loads = components.orjson.loads
        monkeypatch.setattr(components.orjson, "loads", lambda data: calls.append(1) or real_loads(data))

        first, second = next(decoder.decode(response)), next(decoder.decode(response))

        assert first == {"contracts": [{"id": "a"}], "hasNext": False} and second is first
        assert len(calls) == 1

    def test_like_json_decoder_for_lists_empty_lists_and_bodies_that_are_not_json(self):
        decoder = components.OnceJsonDecoder(parameters={})
        assert list(decoder.decode(self._response(b'[{"id": 1}, {"id": 2}]'))) == [{"id": 1}, {"id": 2}]
        assert list(decoder.decode(self._response(b"[]"))) == [{}]
        assert list(decoder.decode(self._response(b'{"contracts": [{"id": "a"'))) == [{}]


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

    def test_the_pinned_cdk_gives_requesters_the_writer_queue(self):
        from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
        from airbyte_cdk.sources.message.repository import InMemoryMessageRepository

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


class TestClampFutureState:
    @freezegun.freeze_time("2024-03-01T12:00:00Z")
    def test_future_state_is_clamped_to_now_and_past_state_untouched(self):
        migration = components.ClampFutureState(cursor_field="updatedAt")
        assert migration.should_migrate({"updatedAt": "2030-01-01T00:00:00.000Z"})
        assert migration.migrate({"updatedAt": "2030-01-01T00:00:00.000Z"}) == {"updatedAt": "2024-03-01T12:00:00.000Z"}
        assert not migration.should_migrate({"updatedAt": "2024-02-01T00:00:00.000Z"})
        assert not migration.should_migrate({})
        assert not migration.should_migrate({"state_type": "date-range", "slices": []})


class TestConfigFieldValidator:
    @pytest.mark.parametrize("kind,value,extra", [
        ("datetime", "2024-01-01", {}), ("datetime", "2024-01-01T00:00:00Z", {}), ("datetime", "2024-01-01T10:00:00+02:00", {}),
        ("https_url", "https://api.tomorro.com/v2", {}), ("https_url", "http://127.0.0.1:8765/v2", {}),
        ("https_url", "http://localhost:1/v2", {}), ("integer", 50, {"minimum": 1, "maximum": 50}),
    ])
    def test_valid_values_pass(self, kind, value, extra):
        components.ConfigFieldValidator(field="f", kind=kind, **extra).validate(value)

    @pytest.mark.parametrize("field,kind,value,extra", [
        ("start_date", "datetime", "yesterday", {}), ("start_date", "datetime", "2024-13-45", {}),
        ("base_url", "https_url", "http://api.tomorro.com/v2", {}), ("base_url", "https_url", "api.tomorro.com", {}),
        ("page_size", "integer", 51, {"minimum": 1, "maximum": 50}), ("page_size", "integer", 0, {"minimum": 1}),
        ("num_workers", "integer", "4", {"minimum": 1, "maximum": 20}),
    ])
    def test_invalid_values_raise_a_config_error_naming_the_field(self, field, kind, value, extra):
        with pytest.raises(AirbyteTracedException) as raised:
            components.ConfigFieldValidator(field=field, kind=kind, **extra).validate(value)
        assert raised.value.failure_type == FailureType.config_error
        assert f"`{field}`" in raised.value.message
