"""Mock-server tests for `counterparties`, read by the list reader (components.py, section 3).

The documented list has a `sort` (updatedAt among its fields) and no `updatedAt` filter. So a first sync reads
one ascending chain from the start, checkpointing as it goes (a failed first sync resumes where it stopped), and
a later sync reads newest first (`sort=-updatedAt`), stopping on the first page that goes below
(state - lookback): records older than that are dropped, records AT the watermark kept. Custom fields come as a
map {smartFieldId: value} and become typed columns.
"""

from __future__ import annotations

import json

import freezegun
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from .config import ConfigBuilder
from .helpers import final_state, logs_of, message_kinds, read_stream, records_of, smart_fields_mocked
from .request_builder import TomorroRequestBuilder
from .response_builder import a_counterparty, canned, data_page

_STREAM = "counterparties"
_NOW = "2024-03-01T00:00:00Z"


def _config(**values):
    return ConfigBuilder().with_values(num_workers=1, **values).build()


def _request(after: str | None = None, sort: str = "-updatedAt"):
    builder = TomorroRequestBuilder.counterparties().with_sort(sort).with_limit(2)
    return (builder.with_after(after) if after else builder).build()


def _cp(cp_id: str, updated_at: str, **overrides):
    return a_counterparty(id=cp_id, updatedAt=updated_at, **overrides)


@freezegun.freeze_time(_NOW)
class TestFirstSync:
    @HttpMocker()
    def test_given_two_pages_when_read_then_ascending_from_the_start(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(sort="updatedAt"), data_page([_cp("p1", "2024-02-01T00:00:00.000Z"),
                                                                _cp("p2", "2024-02-02T00:00:00.000Z")], "CUR1"))
        http_mocker.get(_request(sort="updatedAt", after="CUR1"), data_page([_cp("p3", "2024-02-03T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["p1", "p2", "p3"]
        assert final_state(output) == {"updatedAt": "2024-02-03T00:00:00.000Z"}

    @HttpMocker()
    def test_given_many_pages_when_read_then_checkpoints_on_the_way_each_after_its_records(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        days = range(1, 24)  # 23 records, 12 pages: a checkpoint after page 10
        for page in range(12):
            records = [_cp(f"p{day}", f"2024-02-{day:02d}T00:00:00.000Z") for day in days[page * 2:page * 2 + 2]]
            cursor = f"CUR{page + 1}" if page < 11 else None
            http_mocker.get(_request(sort="updatedAt", after=f"CUR{page}" if page else None), data_page(records, cursor))

        output = read_stream(_STREAM, _config(), SyncMode.incremental)

        kinds = message_kinds(output)
        checkpoint = kinds.index(("STATE", {"updatedAt": "2024-02-20T00:00:00.000Z"}))
        assert {rid for kind, rid in kinds[:checkpoint] if kind == "RECORD"} == {f"p{day}" for day in range(1, 21)}
        assert final_state(output) == {"updatedAt": "2024-02-23T00:00:00.000Z"}

    @HttpMocker()
    def test_given_a_start_date_when_read_then_older_records_checked_out(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(sort="updatedAt"), data_page([_cp("old", "2023-06-01T00:00:00.000Z"),
                                                                _cp("new", "2024-02-01T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(start_date="2024-01-01"), SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["new"]

    @HttpMocker()
    def test_given_custom_field_map_when_read_then_typed_columns_and_raw_map_kept(self, http_mocker):
        smart_fields_request = smart_fields_mocked(http_mocker, "external_party")
        values = {"c3000010-cccc-4000-8000-000000000001": "FR999", "c3000020-cccc-4000-8000-000000000002": "Retail",
                  "deadbeef-0000-4000-8000-000000000000": "no definition"}
        http_mocker.get(_request(sort="updatedAt"), data_page([_cp("p1", "2024-02-03T00:00:00.000Z", fields=values)]))

        record = records_of(read_stream(_STREAM, _config()))[0]

        assert record["fields"] == values
        assert record["cf_vat_number_c3000010"] == "FR999"
        assert record["cf_industry_c3000020"] == "Retail"
        assert "counterpartyId" not in record  # join keys are for contracts only
        http_mocker.assert_number_of_calls(smart_fields_request, 1)  # one listing: schema and columns


@freezegun.freeze_time(_NOW)
class TestIncremental:
    @HttpMocker()
    def test_given_state_when_page_ends_below_watermark_then_stop_paging_and_drop_older(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([_cp("new", "2024-02-20T00:00:00.000Z"),
                                               _cp("old", "2024-01-01T00:00:00.000Z")], next_cursor="NEVER_ASKED"))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["new"]
        assert final_state(output) == {"updatedAt": "2024-02-20T00:00:00.000Z"}

    @HttpMocker()
    def test_given_tie_at_the_watermark_across_page_boundary_then_kept_and_paging_continues(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        watermark = "2024-02-01T00:00:00.000Z"
        http_mocker.get(_request(), data_page([_cp("a", "2024-02-05T00:00:00.000Z"), _cp("b", watermark)], "CUR1"))
        http_mocker.get(_request(after="CUR1"), data_page([_cp("c", watermark), _cp("d", "2024-01-01T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(lookback_window=0), SyncMode.incremental, state={"updatedAt": watermark})

        assert [r["id"] for r in records_of(output)] == ["a", "b", "c"]

    @HttpMocker()
    def test_given_nothing_changed_when_read_then_one_request_and_state_unchanged(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        state = "2024-02-01T00:00:00.000Z"
        http_mocker.get(_request(), data_page([_cp("old", "2024-01-15T00:00:00.000Z")], next_cursor="NEVER_ASKED"))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": state})

        assert records_of(output) == []
        assert final_state(output) == {"updatedAt": state}

    @HttpMocker()
    def test_given_server_clock_ahead_when_read_then_records_in_our_future_are_kept(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([_cp("ahead", "2024-03-01T02:00:00.000Z"),
                                               _cp("older", "2024-01-01T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["ahead"]

    @HttpMocker()
    def test_given_future_state_when_read_then_clamped_to_sync_start(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([_cp("late", "2024-02-29T23:58:00.000Z"),
                                               _cp("old", "2024-02-01T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2099-01-01T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["late"]

    @HttpMocker()
    def test_given_items_without_fields_when_read_then_each_is_fetched_whole(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        listed = {key: value for key, value in _cp("p1", "2024-02-20T00:00:00.000Z").items() if key != "fields"}
        http_mocker.get(_request(), data_page([listed]))
        whole = _cp("p1", "2024-02-20T00:00:00.000Z", fields={"c3000010-cccc-4000-8000-000000000001": "FR1"})
        http_mocker.get(TomorroRequestBuilder.counterparty("p1").build(), HttpResponse(json.dumps(whole), 200))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert records_of(output)[0]["cf_vat_number_c3000010"] == "FR1"
        assert "lists counterparties without fields" in logs_of(output)

    @HttpMocker()
    def test_given_the_sort_ignored_when_read_then_every_page_read_and_every_record_checked(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([_cp("older", "2024-01-10T00:00:00.000Z"),
                                               _cp("newer", "2024-02-10T00:00:00.000Z")], "CUR1"))
        http_mocker.get(_request(after="CUR1"), data_page([_cp("last", "2024-02-05T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert sorted(r["id"] for r in records_of(output)) == ["last", "newer"]
        assert final_state(output) == {"updatedAt": "2024-02-10T00:00:00.000Z"}

    @HttpMocker()
    def test_given_both_sorts_refused_when_read_then_the_default_order_read_to_its_end(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        refused = HttpResponse('{"statusCode": 400, "message": ["sort must be one of id, name"]}', 400)
        http_mocker.get(_request(), refused)
        http_mocker.get(TomorroRequestBuilder.counterparties().with_sort("-updatedAt").with_limit(2)
                        .with_status("active").build(), refused)  # not the statuses: the same with one status
        http_mocker.get(_request(sort="updatedAt"), refused)
        http_mocker.get(TomorroRequestBuilder.counterparties().with_limit(2).build(),
                        data_page([_cp("in", "2024-02-10T00:00:00.000Z"), _cp("out", "2024-01-10T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["in"]
        assert logs_of(output).count("Tomorro refused") == 2

    @HttpMocker()
    def test_given_a_slim_item_deleted_before_its_fetch_when_read_then_skipped(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([{"id": "gone", "name": "Gone", "status": "active"}]))
        http_mocker.get(TomorroRequestBuilder.counterparty("gone").build(), canned("404", 404))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert records_of(output) == [] and not output.errors
