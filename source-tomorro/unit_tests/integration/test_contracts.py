"""Mock-server tests for `contracts`, read by the list reader (components.py, section 3).

The first answer decides how the stream is read: ascending `sort=updatedAt` with the inclusive
`updatedAt=gte:` bound when the API honours both, else a documented fallback. Every page is checked before a
record of it is emitted. One worker here, so that the requests are exactly the ones mocked (HttpMocker fails on
any other request and on a mock never called); ranges read side by side are tested in test_list_reader.py and
against the sandbox (integration_tests/test_sandbox_ranges.py).

The shared error handler (429 / 5xx / truncated body retried, 401 config error, 404 naming base_url) is tested
here once, through the list reader's extension of it (see test_manifest.py: every requester uses it).
"""

from __future__ import annotations

import freezegun
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from .config import API_KEY, ConfigBuilder
from .helpers import (
    discover_catalog,
    final_state,
    logs_of,
    message_kinds,
    read_stream,
    records_of,
    smart_fields_mocked,
)
from .request_builder import TomorroRequestBuilder
from .response_builder import a_contract, canned, contracts_page, data_page, error, intro_page

_STREAM = "contracts"
_NOW = "2024-03-01T00:00:00Z"
_START = "2024-01-01T00:00:00Z"
_START_BOUND = "2024-01-01T00:00:00.000Z"
_EPOCH_BOUND = "1970-01-01T00:00:00.000Z"


def _config(**values):
    return ConfigBuilder().with_values(num_workers=1, **values).build()


def _request(gte: str | None = _EPOCH_BOUND, after: str | None = None, sort: str | None = "updatedAt", limit: int = 2,
             status: str | None = None):
    builder = TomorroRequestBuilder.contracts().with_limit(limit)
    if status:
        builder = builder.with_status(status)
    if sort:
        builder = builder.with_sort(sort)
    if gte:
        builder = builder.with_updated_at_gte(gte)
    return (builder.with_after(after) if after else builder).build()


def _at(day: int, hour: int = 0) -> str:
    return f"2024-02-{day:02d}T{hour:02d}:00:00.000Z"


@freezegun.freeze_time(_NOW)
class TestFirstSync:
    @HttpMocker()
    def test_given_two_pages_when_read_then_follow_next_cursor_and_state_is_the_largest_updated_at(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(), contracts_page([a_contract(id="c1", updatedAt=_at(1)),
                                                    a_contract(id="c2", updatedAt=_at(2))], next_cursor="CUR1"))
        http_mocker.get(_request(after="CUR1"), contracts_page([a_contract(id="c3", updatedAt=_at(3))]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["c1", "c2", "c3"]
        assert final_state(output) == {"updatedAt": _at(3)}

    @HttpMocker()
    def test_given_custom_fields_when_read_then_typed_columns_raw_fields_and_join_keys(self, http_mocker):
        smart_fields_request = smart_fields_mocked(http_mocker, "contract")
        values = [
            {"attributeDefinitionId": "a1000010-aaaa-4000-8000-000000000001", "name": "Contract value", "value": 99.5},
            {"attributeDefinitionId": "a1000050-aaaa-4000-8000-000000000005", "name": "Products", "value": ["A", "B"]},
            {"attributeDefinitionId": "a1000070-aaaa-4000-8000-000000000007", "name": "Notice period",
             "value": {"value": 3, "unit": "months"}},
            {"attributeDefinitionId": "99999999-dead-4000-8000-000000000009", "name": "Created mid-sync", "value": "x"},
        ]
        http_mocker.get(_request(), contracts_page([a_contract(id="c1", fields=values, templateId=None)]))

        record = records_of(read_stream(_STREAM, _config()))[0]

        assert record["fields"] == values  # raw values kept as the API returned them
        assert record["cf_contract_value_a1000010"] == 99.5
        assert record["cf_products_a1000050"] == ["A", "B"]
        assert record["cf_notice_period_a1000070"] == {"value": 3, "unit": "months"}
        assert not any(key.startswith("cf_created_mid_sync") for key in record)  # no definition, no column
        assert record["counterpartyId"] == "c0ffee00-0000-4000-8000-000000000001"
        assert record["contractTypeId"] == "7e570000-0000-4000-8000-000000000001"
        assert record["templateId"] == "7e3p1a7e-0000-4000-8000-000000000001"  # from template.id
        # one listing gave the schema and the columns (the flattener reads the schema the reader is given)
        http_mocker.assert_number_of_calls(smart_fields_request, 1)

    @HttpMocker()
    def test_given_a_start_date_when_read_then_it_is_the_inclusive_bound(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte=_START_BOUND), contracts_page([a_contract(id="c1", updatedAt=_START_BOUND)]))

        output = read_stream(_STREAM, _config(start_date=_START), SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["c1"]

    @HttpMocker()
    def test_given_a_record_stamped_more_than_a_day_past_the_sync_start_then_left_to_a_later_sync(self, http_mocker):
        # up to a day past our clock is kept (a server clock ahead of ours); beyond that, the record is not
        # this sync's and the state stays before it, so a later sync reads it
        smart_fields_mocked(http_mocker, "contract", limit=3)
        http_mocker.get(_request(limit=3), contracts_page([a_contract(id="now", updatedAt="2024-02-29T23:00:00.000Z"),
                                                    a_contract(id="ahead", updatedAt="2024-03-01T05:00:00.000Z"),
                                                    a_contract(id="far", updatedAt="2024-03-03T00:00:00.000Z")]))

        output = read_stream(_STREAM, _config(page_size=3), SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["now", "ahead"]
        assert final_state(output) == {"updatedAt": "2024-03-01T05:00:00.000Z"}


@freezegun.freeze_time(_NOW)
class TestIncremental:
    @HttpMocker()
    def test_given_state_when_read_then_inclusive_bound_minus_lookback_only_in_request(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2024-02-10T08:25:00.123Z"), contracts_page([]))

        output = read_stream(_STREAM, _config(start_date=_START), SyncMode.incremental,
                             state={"updatedAt": "2024-02-10T08:30:00.123Z"})

        assert output.records == []
        assert final_state(output) == {"updatedAt": "2024-02-10T08:30:00.123Z"}  # not moved back by lookback

    @HttpMocker()
    def test_given_lookback_config_when_read_then_request_bound_uses_it(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2024-02-10T07:30:00.000Z"), contracts_page([]))

        read_stream(_STREAM, _config(lookback_window=60), SyncMode.incremental,
                    state={"updatedAt": "2024-02-10T08:30:00.000Z"})

    @HttpMocker()
    def test_given_tie_on_updated_at_across_page_boundary_when_read_then_no_record_lost(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        tie = "2024-02-01T10:00:00.000Z"
        http_mocker.get(_request(gte="2024-01-31T23:55:00.000Z"),
                        contracts_page([a_contract(id="a", updatedAt="2024-02-01T09:00:00.000Z"),
                                        a_contract(id="b", updatedAt=tie)], next_cursor="CUR_B"))
        http_mocker.get(_request(gte="2024-01-31T23:55:00.000Z", after="CUR_B"),
                        contracts_page([a_contract(id="c", updatedAt=tie), a_contract(id="d", updatedAt=tie)]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["a", "b", "c", "d"]
        assert final_state(output) == {"updatedAt": tie}
        kinds = message_kinds(output)  # the state follows the records it covers
        assert kinds[-1] == ("STATE", {"updatedAt": tie}) and ("RECORD", "d") in kinds

    @HttpMocker()
    def test_given_record_at_the_watermark_when_read_then_re_read_not_lost(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        watermark = "2024-02-01T10:00:00.000Z"
        http_mocker.get(_request(gte=watermark), contracts_page([a_contract(id="same-instant", updatedAt=watermark)]))

        output = read_stream(_STREAM, _config(lookback_window=0), SyncMode.incremental, state={"updatedAt": watermark})

        assert [r["id"] for r in records_of(output)] == ["same-instant"]  # gte, no "+1"
        assert final_state(output) == {"updatedAt": watermark}

    @HttpMocker()
    def test_given_offset_timestamps_when_read_then_emitted_in_utc_and_state_is_the_instant(self, http_mocker):
        # 13:00+02:00 is 11:00Z: the latest instant is 11:30Z, however the wall-clock text sorts
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2024-01-31T23:55:00.000Z"),
                        contracts_page([a_contract(id="offset", updatedAt="2024-02-01T13:00:00.000+02:00"),
                                        a_contract(id="z", updatedAt="2024-02-01T11:30:00Z")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert {r["id"]: r["updatedAt"] for r in records_of(output)} == {
            "offset": "2024-02-01T11:00:00.000Z", "z": "2024-02-01T11:30:00Z"}
        assert final_state(output) == {"updatedAt": "2024-02-01T11:30:00.000Z"}

    @HttpMocker()
    def test_given_state_in_the_future_when_read_then_clamped_to_sync_start(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        # state 2030 is clamped to now (2024-03-01T00:00:00.000Z), then the lookback applies
        http_mocker.get(_request(gte="2024-02-29T23:55:00.000Z"),
                        contracts_page([a_contract(id="late", updatedAt="2024-02-29T23:58:00.000Z")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2030-01-01T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["late"]
        assert final_state(output) == {"updatedAt": "2024-03-01T00:00:00.000Z"}

    @HttpMocker()
    def test_given_a_state_in_another_offset_when_read_then_the_bound_is_the_same_instant(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2024-02-01T09:55:00.000Z"), contracts_page([]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T12:00:00+02:00"})

        assert final_state(output) == {"updatedAt": "2024-02-01T10:00:00.000Z"}

    @HttpMocker()
    def test_given_a_state_that_is_not_a_datetime_when_read_then_from_the_start_with_a_warning(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte=_START_BOUND), contracts_page([a_contract(id="c1", updatedAt=_at(1))]))

        output = read_stream(_STREAM, _config(start_date=_START), SyncMode.incremental, state={"updatedAt": "garbage"})

        assert [r["id"] for r in records_of(output)] == ["c1"]
        assert "'garbage', not a datetime" in logs_of(output)

    @HttpMocker()
    def test_given_records_whose_updated_at_is_not_a_datetime_then_emitted_once_and_reported(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(), contracts_page([a_contract(id="ok", updatedAt=_at(1)),
                                                    a_contract(id="odd", updatedAt="someday")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["ok", "odd"]
        assert final_state(output) == {"updatedAt": _at(1)}
        assert "1 records have a `updatedAt` that is not a datetime (e.g. id odd: 'someday')" in logs_of(output)


@freezegun.freeze_time(_NOW)
class TestWhenTheApiListsDifferently:
    """Each documented alternative (tomorro-api.md §2, §3, §6) is detected on the answers themselves."""

    @HttpMocker()
    def test_given_the_introduction_envelope_when_read_then_every_page_followed(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(), intro_page([a_contract(id="c1", updatedAt=_at(1)),
                                                a_contract(id="c2", updatedAt=_at(2))], "CUR1", has_next=True))
        http_mocker.get(_request(after="CUR1"), intro_page([a_contract(id="c3", updatedAt=_at(3))], None, has_next=False))

        assert [r["id"] for r in records_of(read_stream(_STREAM, _config()))] == ["c1", "c2", "c3"]

    @HttpMocker()
    def test_given_the_counterparties_envelope_and_no_has_next_flag_when_read_then_the_cursor_decides(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        first = data_page([a_contract(id="c1", updatedAt=_at(1)), a_contract(id="c2", updatedAt=_at(2))], "CUR1")
        http_mocker.get(_request(), first)
        http_mocker.get(_request(after="CUR1"), intro_page([a_contract(id="c3", updatedAt=_at(3))], None))

        assert [r["id"] for r in records_of(read_stream(_STREAM, _config()))] == ["c1", "c2", "c3"]

    @HttpMocker()
    def test_given_a_full_page_without_flag_or_cursor_when_read_then_fails_naming_the_keys(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        full = {"items": [], "data": [a_contract(id="c1", updatedAt=_at(1)), a_contract(id="c2", updatedAt=_at(2))],
                "meta": {"next": "?"}}
        http_mocker.get(_request(), HttpResponse(__import__("json").dumps(full), 200))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, expecting_exception=True)

        message = output.errors[0].trace.error.message
        assert "a full page without a has-next flag or a next cursor" in message and "Keys seen: items, data, meta, meta.next" in message
        assert output.state_messages == [] or final_state(output) == {"updatedAt": _EPOCH_BOUND}

    @HttpMocker()
    def test_given_the_filter_refused_when_a_later_sync_reads_then_the_newest_first_feed(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        bound = "2024-02-09T23:55:00.000Z"
        refused = HttpResponse('{"statusCode": 400, "message": ["property updatedAt should not exist"], '
                               '"error": "Bad Request"}', 400)
        http_mocker.get(_request(gte=bound), refused)
        http_mocker.get(_request(gte=bound, status="draft"), refused)  # not the statuses: the same with one status
        http_mocker.get(_request(gte=None, sort="-updatedAt"),
                        contracts_page([a_contract(id="new", updatedAt=_at(20)), a_contract(id="mid", updatedAt=_at(15))],
                                       next_cursor="CUR1"))
        http_mocker.get(_request(gte=None, sort="-updatedAt", after="CUR1"),
                        contracts_page([a_contract(id="in", updatedAt=_at(10)), a_contract(id="old", updatedAt=_at(9))],
                                       next_cursor="NEVER_ASKED"))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-10T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["new", "mid", "in"]  # stops below the bound
        assert final_state(output) == {"updatedAt": _at(20)}
        assert "Tomorro refused `sort=updatedAt&updatedAt=gte:2024-02-09T23:55:00.000Z` (property updatedAt should " \
               "not exist)" in logs_of(output)

    @HttpMocker()
    def test_given_the_filter_refused_on_a_first_sync_then_one_ascending_chain_from_the_start(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte=_START_BOUND), HttpResponse('{"statusCode": 400, "message": "no"}', 400))
        http_mocker.get(_request(gte=_START_BOUND, status="draft"), HttpResponse('{"statusCode": 400, "message": "no"}', 400))
        http_mocker.get(_request(gte=None),
                        contracts_page([a_contract(id="before", updatedAt="2023-12-01T00:00:00.000Z"),
                                        a_contract(id="a", updatedAt=_at(1))], next_cursor="CUR1"))
        http_mocker.get(_request(gte=None, after="CUR1"), contracts_page([a_contract(id="b", updatedAt=_at(2))]))

        output = read_stream(_STREAM, _config(start_date=_START), SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["a", "b"]  # records before start_date checked out

    @HttpMocker()
    def test_given_the_filter_ignored_when_a_later_sync_reads_then_the_newest_first_feed(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2024-02-09T23:55:00.000Z"),
                        contracts_page([a_contract(id="oldest", updatedAt="2023-01-01T00:00:00.000Z"),
                                        a_contract(id="older", updatedAt="2023-02-01T00:00:00.000Z")],
                                       next_cursor="NEVER_ASKED"))
        http_mocker.get(_request(gte=None, sort="-updatedAt"),
                        contracts_page([a_contract(id="new", updatedAt=_at(20)), a_contract(id="old", updatedAt=_at(1))]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-10T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["new"]
        assert "Tomorro ignores `updatedAt=gte:`" in logs_of(output)

    @HttpMocker()
    def test_given_the_sort_ignored_when_read_then_every_page_is_read_and_every_record_checked(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        bound = "2024-02-09T23:55:00.000Z"
        http_mocker.get(_request(gte=bound),
                        contracts_page([a_contract(id="b", updatedAt=_at(20)), a_contract(id="a", updatedAt=_at(12))],
                                       next_cursor="CUR1"))
        http_mocker.get(_request(gte=bound, after="CUR1"),
                        contracts_page([a_contract(id="c", updatedAt=_at(25)), a_contract(id="d", updatedAt=_at(11))]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-10T00:00:00.000Z"})

        assert sorted(r["id"] for r in records_of(output)) == ["a", "b", "c", "d"]
        assert final_state(output) == {"updatedAt": _at(25)}
        assert "the list is not in that order" in logs_of(output)

    @HttpMocker()
    def test_given_slim_list_items_when_read_then_each_is_fetched_whole(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        slim = [{"id": "c1", "name": "One", "status": "draft"}, {"id": "c2", "name": "Two", "status": "draft"}]
        http_mocker.get(_request(), contracts_page(slim, next_cursor="CUR1"))
        http_mocker.get(_request(after="CUR1"), contracts_page([{"id": "gone", "name": "Deleted", "status": "draft"}]))
        for contract_id, day in (("c1", 1), ("c2", 2)):
            http_mocker.get(TomorroRequestBuilder.contract(contract_id).build(),
                            HttpResponse(__import__("json").dumps(a_contract(id=contract_id, updatedAt=_at(day))), 200))
        http_mocker.get(TomorroRequestBuilder.contract("gone").build(), canned("404", 404))

        output = read_stream(_STREAM, _config(), SyncMode.incremental)

        records = records_of(output)
        assert [r["id"] for r in records] == ["c1", "c2"]  # deleted between the list and its fetch: gone
        assert records[0]["cf_contract_value_a1000010"] == 1200.5 and records[0]["author"]  # the whole contract
        assert final_state(output) == {"updatedAt": _at(2)}
        assert "without fields, integration, updatedAt" in logs_of(output)


@freezegun.freeze_time(_NOW)
class TestErrors:
    @HttpMocker()
    def test_given_429_with_retry_after_then_200_when_read_then_retried(self, http_mocker, no_sleep):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(), [error(429, {"Retry-After": "7"}), contracts_page([a_contract(id="c1")])])

        output = read_stream(_STREAM, _config())

        assert [r["id"] for r in records_of(output)] == ["c1"]
        assert not output.errors
        waits = [c.args[0] for c in no_sleep.call_args_list if c.args and c.args[0] >= 1]
        assert len(waits) == 1 and 7 <= waits[0] <= 8  # Retry-After honoured (the CDK adds up to 1 s)

    @HttpMocker()
    def test_given_5xx_then_200_when_read_then_retried(self, http_mocker, no_sleep):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(), [error(500), error(503), contracts_page([a_contract(id="c1")])])

        output = read_stream(_STREAM, _config())

        assert [r["id"] for r in records_of(output)] == ["c1"]
        waits = [c.args[0] for c in no_sleep.call_args_list if c.args and c.args[0] >= 1]
        assert len(waits) == 2 and waits[1] > waits[0]  # exponential backoff

    @HttpMocker()
    def test_given_truncated_json_page_then_200_when_read_then_retried_not_read_as_empty(self, http_mocker, no_sleep):
        # a dropped connection can cut a 200 body short: it must be retried, never taken for an empty last page
        smart_fields_mocked(http_mocker, "contract")
        first, truncated = contracts_page([a_contract(id="c1", updatedAt=_at(1))], next_cursor="p2"), '{"contracts": [{"id"'
        http_mocker.get(_request(), first)
        http_mocker.get(_request(after="p2"), [HttpResponse(truncated, 200), contracts_page([a_contract(id="c2")])])

        output = read_stream(_STREAM, _config())

        assert [r["id"] for r in records_of(output)] == ["c1", "c2"]
        assert not output.errors

    @HttpMocker()
    def test_given_401_when_read_then_config_error_without_the_key(self, http_mocker):
        # the first request of a contracts read lists the smart fields (custom-field columns)
        http_mocker.get(TomorroRequestBuilder.smart_fields("contract").with_limit(2).build(), error(401))

        output = read_stream(_STREAM, _config(), expecting_exception=True)

        failures = [e.trace.error for e in output.errors]
        assert any(f.failure_type == FailureType.config_error for f in failures)
        assert any("Tomorro rejected the API key" in (f.message or "") for f in failures)
        everything = "\n".join(m.model_dump_json() if hasattr(m, "model_dump_json") else str(m) for m in output._messages)
        assert API_KEY not in everything

    @HttpMocker()
    def test_given_404_on_the_list_when_read_then_config_error_naming_base_url(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(), HttpResponse('{"statusCode": 404, "message": "Cannot GET /v2/contracts"}', 404))

        output = read_stream(_STREAM, _config(), expecting_exception=True)

        failures = [e.trace.error for e in output.errors]
        assert all(failure.failure_type == FailureType.config_error for failure in failures)
        assert any("HTTP 404 for https://api.tomorro.com/v2/contracts: is `base_url` the Tomorro API" in failure.message
                   for failure in failures)


class TestDiscover:
    @HttpMocker()
    def test_given_smart_fields_on_two_pages_when_discover_then_every_field_is_a_typed_column(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.smart_fields("contract").with_limit(2).build(),
                        data_page([{"id": "d1000000-0", "name": "Value", "type": "number"},
                                   {"id": "d2000000-0", "name": "Tags", "type": "multiselect"}], next_cursor="SF2"))
        http_mocker.get(TomorroRequestBuilder.smart_fields("contract").with_limit(2).with_after("SF2").build(),
                        data_page([{"id": "d3000000-0", "name": "Renewal", "type": "date"},
                                   {"id": "d4000000-0", "name": "Notes", "type": "richtext"}]))
        smart_fields_mocked(http_mocker, "external_party")

        catalog = discover_catalog(_config()).catalog.catalog
        schemas = {stream.name: stream.json_schema["properties"] for stream in catalog.streams}

        custom = {k: v for k, v in schemas["contracts"].items() if k.startswith("cf_")}
        assert custom == {
            "cf_value_d1000000": {"type": ["null", "number"]},
            "cf_tags_d2000000": {"type": ["null", "array"], "items": {"type": "string"}},
            "cf_renewal_d3000000": {"type": ["null", "string"], "format": "date"},
            "cf_notes_d4000000": {"type": ["null", "array"], "items": {"type": "object", "additionalProperties": True}},
        }
        assert schemas["contracts"]["fields"]["type"] == ["array", "null"]  # raw values kept
        assert {"cf_vat_number_c3000010", "cf_industry_c3000020"} <= set(schemas["counterparties"])
