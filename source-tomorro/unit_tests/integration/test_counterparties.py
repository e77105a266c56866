"""Mock-server tests for `counterparties`: the documented list (`sort=-updatedAt`, no updatedAt
filter) read as a data feed. Paging stops after the first page whose last record is older than
(state - lookback); records older than that bound are dropped; records AT the watermark are kept.
State is the largest updatedAt seen, emitted when the stream ends (descending order allows no earlier
checkpoint). Custom fields come as a map {smartFieldId: value} and become typed columns."""

from __future__ import annotations

import freezegun
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .helpers import final_state, read_stream, records_of, smart_fields_mocked
from .request_builder import TomorroRequestBuilder
from .response_builder import a_counterparty, data_page

_STREAM = "counterparties"
_NOW = "2024-03-01T00:00:00Z"


def _config(**values):
    return ConfigBuilder().with_values(**values).build()


def _request(after: str | None = None):
    builder = TomorroRequestBuilder.counterparties().with_sort("-updatedAt").with_limit(2)
    return (builder.with_after(after) if after else builder).build()


def _cp(cp_id: str, updated_at: str, **overrides):
    return a_counterparty(id=cp_id, updatedAt=updated_at, **overrides)


@freezegun.freeze_time(_NOW)
class TestFullRefresh:
    @HttpMocker()
    def test_given_two_pages_when_read_then_follow_next_cursor(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([_cp("p1", "2024-02-03T00:00:00.000Z"),
                                               _cp("p2", "2024-02-02T00:00:00.000Z")], next_cursor="N1"))
        http_mocker.get(_request(after="N1"), data_page([_cp("p3", "2024-02-01T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config())

        assert [r["id"] for r in records_of(output)] == ["p1", "p2", "p3"]

    @HttpMocker()
    def test_given_custom_field_map_when_read_then_typed_columns_and_raw_map_kept(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        values = {"c3000010-cccc-4000-8000-000000000001": "FR1", "c3000020-cccc-4000-8000-000000000002": "Retail"}
        http_mocker.get(_request(), data_page([_cp("p1", "2024-02-03T00:00:00.000Z", fields=values)]))

        record = records_of(read_stream(_STREAM, _config()))[0]

        assert record["fields"] == values
        assert record["cf_vat_number_c3000010"] == "FR1"
        assert record["cf_industry_c3000020"] == "Retail"
        assert "counterpartyId" not in record


@freezegun.freeze_time(_NOW)
class TestIncremental:
    @HttpMocker()
    def test_given_state_when_page_ends_below_watermark_then_stop_paging_and_drop_older(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        # watermark 10:00, lookback 5 min -> keep updatedAt >= 09:55
        http_mocker.get(_request(), data_page([_cp("new", "2024-02-01T12:00:00.000Z"),
                                               _cp("tie", "2024-02-01T10:00:00.000Z")], next_cursor="N1"))
        http_mocker.get(_request(after="N1"), data_page([_cp("in-lookback", "2024-02-01T09:56:00.000Z"),
                                                         _cp("old", "2024-02-01T09:00:00.000Z")], next_cursor="N2"))
        # no mock for after=N2: a request for it would fail the test

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T10:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["new", "tie", "in-lookback"]
        assert final_state(output) == {"updatedAt": "2024-02-01T12:00:00.000Z"}

    @HttpMocker()
    def test_given_tie_at_the_watermark_across_page_boundary_then_kept_and_paging_continues(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        watermark = "2024-02-01T10:00:00.000Z"
        http_mocker.get(_request(), data_page([_cp("a", watermark), _cp("b", watermark)], next_cursor="N1"))
        http_mocker.get(_request(after="N1"), data_page([_cp("c", watermark), _cp("d", "2024-01-01T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(lookback_window=0), SyncMode.incremental, state={"updatedAt": watermark})

        assert [r["id"] for r in records_of(output)] == ["a", "b", "c"]
        assert final_state(output) == {"updatedAt": watermark}

    @HttpMocker()
    def test_given_server_clock_ahead_when_read_then_records_in_our_future_are_kept(self, http_mocker):
        # our clock: 2024-03-01T00:00; the server stamps writes an hour ahead of it
        smart_fields_mocked(http_mocker, "external_party")
        ahead = "2024-03-01T01:00:00.000Z"
        http_mocker.get(_request(), data_page([_cp("ahead", ahead), _cp("old", "2024-01-01T00:00:00.000Z")],
                                              next_cursor="N1"))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T10:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["ahead"]
        assert final_state(output) == {"updatedAt": ahead}  # the true maximum; clamped at the next sync start

    @HttpMocker()
    def test_given_nothing_changed_when_read_then_one_request_and_state_unchanged(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([_cp("x", "2024-01-01T00:00:00.000Z"),
                                               _cp("y", "2023-12-01T00:00:00.000Z")], next_cursor="N1"))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T10:00:00.000Z"})

        assert output.records == []
        assert final_state(output) == {"updatedAt": "2024-02-01T10:00:00.000Z"}

    @HttpMocker()
    def test_given_start_date_and_no_state_when_read_then_older_records_dropped(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([_cp("recent", "2024-02-01T00:00:00.000Z"),
                                               _cp("before-start", "2023-06-01T00:00:00.000Z")], next_cursor="N1"))

        output = read_stream(_STREAM, _config(start_date="2024-01-01T00:00:00Z"), SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["recent"]
        assert final_state(output) == {"updatedAt": "2024-02-01T00:00:00.000Z"}

    @HttpMocker()
    def test_given_future_state_when_read_then_clamped_to_sync_start(self, http_mocker):
        smart_fields_mocked(http_mocker, "external_party")
        http_mocker.get(_request(), data_page([_cp("recent", "2024-02-29T23:57:00.000Z"),
                                               _cp("old", "2024-02-01T00:00:00.000Z")], next_cursor="N1"))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2031-01-01T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["recent"]
        assert final_state(output) == {"updatedAt": "2024-03-01T00:00:00.000Z"}
