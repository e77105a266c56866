"""Mock-server tests for `contracts`: ascending `sort=updatedAt` with the inclusive `updatedAt=gte:`
filter, keyset pagination (`after` = `nextCursor`), custom fields as typed columns and join keys.

The shared error handler (429 / 5xx retry, 401 config error) is tested here once: every stream, the
smart-field schema loader and `check` use the same `base_requester` (see test_manifest.py).
"""

from __future__ import annotations

import freezegun
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from .config import API_KEY, ConfigBuilder
from .helpers import discover_catalog, final_state, read_stream, records_of, smart_fields_mocked
from .request_builder import TomorroRequestBuilder
from .response_builder import a_contract, contracts_page, data_page, error

_STREAM = "contracts"
_NOW = "2024-03-01T00:00:00Z"
_START = "2024-01-01T00:00:00Z"
_EPOCH_BOUND = "1970-01-01T00:00:00.000Z"


def _config(**values):
    # One backfill window unless a test asks for more: the request shapes below are then those of a single
    # chain. The windowed backfill itself is tested in TestBackfill.
    return ConfigBuilder().with_values(**{"backfill_windows": 1, **values}).build()


def _request(gte: str = _EPOCH_BOUND, after: str | None = None, limit: int = 2):
    builder = TomorroRequestBuilder.contracts().with_sort("updatedAt").with_updated_at_gte(gte).with_limit(limit)
    return (builder.with_after(after) if after else builder).build()


@freezegun.freeze_time(_NOW)
class TestFullRefresh:
    @HttpMocker()
    def test_given_two_pages_when_read_then_follow_next_cursor(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(), contracts_page([a_contract(id="c1"), a_contract(id="c2")], next_cursor="CUR1"))
        http_mocker.get(_request(after="CUR1"), contracts_page([a_contract(id="c3")]))

        output = read_stream(_STREAM, _config())

        assert [r["id"] for r in records_of(output)] == ["c1", "c2", "c3"]

    @HttpMocker()
    def test_given_custom_fields_when_read_then_typed_columns_raw_fields_and_join_keys(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
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
    def test_given_truncated_json_page_then_200_when_read_then_retried_not_read_as_empty(self, http_mocker,
                                                                                      no_sleep):
        # a dropped connection can cut a 200 body short: it must be retried, never taken for an empty
        # last page (pagination would stop and the sync complete with records missing)
        smart_fields_mocked(http_mocker, "contract")
        first, truncated = contracts_page([a_contract(id="c1")], next_cursor="p2"), '{"contracts": [{"id": "c2"'
        http_mocker.get(_request(), first)
        http_mocker.get(_request(after="p2"),
                        [HttpResponse(truncated, 200), contracts_page([a_contract(id="c2")])])

        output = read_stream(_STREAM, _config())

        assert [r["id"] for r in records_of(output)] == ["c1", "c2"]
        assert not output.errors

    @HttpMocker()
    def test_given_401_when_read_then_config_error_without_the_key(self, http_mocker):
        # the first request of a contracts read lists the smart fields (custom-field columns)
        http_mocker.get(TomorroRequestBuilder.smart_fields("contract").with_limit(50).build(), error(401))

        output = read_stream(_STREAM, _config(), expecting_exception=True)

        failures = [e.trace.error for e in output.errors]
        assert any(f.failure_type == FailureType.config_error for f in failures)
        assert any("Tomorro rejected the API key" in (f.message or "") for f in failures)
        everything = "\n".join(m.model_dump_json() if hasattr(m, "model_dump_json") else str(m)
                               for m in output._messages)
        assert API_KEY not in everything


@freezegun.freeze_time(_NOW)
class TestIncremental:
    @HttpMocker()
    def test_given_no_state_when_read_then_start_date_bound_and_state_is_max_updated_at(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(
            _request(gte="2024-01-01T00:00:00.000Z"),
            contracts_page([a_contract(id="c1", updatedAt="2024-01-05T00:00:00.000Z"),
                            a_contract(id="c2", updatedAt="2024-02-10T08:30:00.123Z")]),
        )

        output = read_stream(_STREAM, _config(start_date=_START), SyncMode.incremental)

        assert len(output.records) == 2
        assert final_state(output) == {"updatedAt": "2024-02-10T08:30:00.123Z"}

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
        # the checkpoint follows the records it covers
        kinds = [m.type.name for m in output._messages if m.type.name in ("RECORD", "STATE")]
        assert kinds.index("STATE") > max(i for i, kind in enumerate(kinds) if kind == "RECORD")

    @HttpMocker()
    def test_given_record_at_the_watermark_when_read_then_re_read_not_lost(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        watermark = "2024-02-01T10:00:00.000Z"
        http_mocker.get(_request(gte="2024-02-01T10:00:00.000Z"),
                        contracts_page([a_contract(id="same-instant", updatedAt=watermark)]))

        output = read_stream(_STREAM, _config(lookback_window=0), SyncMode.incremental, state={"updatedAt": watermark})

        assert [r["id"] for r in records_of(output)] == ["same-instant"]  # gte, no "+1"
        assert final_state(output) == {"updatedAt": watermark}

    @HttpMocker()
    def test_given_offset_timestamps_when_read_then_compared_as_utc_and_state_in_one_format(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2024-01-31T23:55:00.000Z"),
                        contracts_page([a_contract(id="z", updatedAt="2024-02-01T11:00:00Z"),
                                        a_contract(id="offset", updatedAt="2024-02-01T13:00:00.000+02:00")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2024-02-01T00:00:00.000Z"})

        assert final_state(output) == {"updatedAt": "2024-02-01T11:00:00.000Z"}

    @HttpMocker()
    def test_given_state_in_the_future_when_read_then_clamped_to_sync_start(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        # state 2030 is clamped to now (2024-03-01T00:00:00.000Z), then the lookback applies
        http_mocker.get(_request(gte="2024-02-29T23:55:00.000Z"),
                        contracts_page([a_contract(id="late", updatedAt="2024-02-29T23:58:00.000Z")]))

        output = read_stream(_STREAM, _config(), SyncMode.incremental, state={"updatedAt": "2030-01-01T00:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["late"]
        assert final_state(output) == {"updatedAt": "2024-03-01T00:00:00.000Z"}


def _states(output) -> list[dict]:
    """Every contracts checkpoint, in order, consecutive repeats folded."""
    states: list[dict] = []
    for message in output.state_messages:
        state = dict(message.state.stream.stream_state.__dict__)
        if not states or states[-1] != state:
            states.append(state)
    return states


# Backfill (no state): start 2024-01-01, now 2024-03-01, 2 windows of 30 days ->
#   W1 = [2024-01-01T00:00:00.000Z, 2024-01-30T23:59:59.999Z], W2 = [2024-01-31T00:00:00.000Z, now].
_W1_START, _W1_END, _W2_START = "2024-01-01T00:00:00.000Z", "2024-01-30T23:59:59.999Z", "2024-01-31T00:00:00.000Z"


def _backfill_config(**values):
    return _config(start_date=_START, backfill_windows=2, **values)


def _mock_two_windows(http_mocker, late_in_w2=()):
    """W1 answers two pages; its second page runs past W1's end (d), so the chain stops there (no request
    for CUR_STOP) and d is dropped from W1; W2 reads d again, from its own start."""
    smart_fields_mocked(http_mocker, "contract")
    http_mocker.get(_request(gte=_W1_START),
                    contracts_page([a_contract(id="a", updatedAt="2024-01-05T00:00:00.000Z"),
                                    a_contract(id="b", updatedAt="2024-01-20T00:00:00.000Z")], next_cursor="CUR1"))
    http_mocker.get(_request(gte=_W1_START, after="CUR1"),
                    contracts_page([a_contract(id="c", updatedAt=_W1_END),
                                    a_contract(id="d", updatedAt="2024-02-02T00:00:00.000Z")], next_cursor="CUR_STOP"))
    http_mocker.get(_request(gte=_W2_START),
                    contracts_page([a_contract(id="d", updatedAt="2024-02-02T00:00:00.000Z"),
                                    a_contract(id="e", updatedAt="2024-02-20T08:00:00.000Z"), *late_in_w2]))


@freezegun.freeze_time(_NOW)
class TestBackfill:
    """The first sync (no state) reads `backfill_windows` windows of updatedAt, one keyset chain each."""

    @HttpMocker()
    def test_given_no_state_when_read_then_one_chain_per_window_and_each_record_once(self, http_mocker):
        _mock_two_windows(http_mocker)

        output = read_stream(_STREAM, _backfill_config(), SyncMode.incremental)

        # HttpMocker fails on any request not mocked above (e.g. after=CUR_STOP) and on a mock never called
        assert sorted(r["id"] for r in records_of(output)) == ["a", "b", "c", "d", "e"]
        assert final_state(output) == {"updatedAt": "2024-02-20T08:00:00.000Z"}

    @HttpMocker()
    def test_given_full_refresh_catalog_when_read_then_the_same_windows(self, http_mocker):
        _mock_two_windows(http_mocker)

        output = read_stream(_STREAM, _backfill_config())

        assert sorted(r["id"] for r in records_of(output)) == ["a", "b", "c", "d", "e"]

    @HttpMocker()
    def test_given_two_windows_when_read_then_a_checkpoint_after_each_window(self, http_mocker):
        _mock_two_windows(http_mocker)

        output = read_stream(_STREAM, _backfill_config(num_workers=1), SyncMode.incremental)

        # one worker reads W1 then W2: W1's checkpoint is its largest updatedAt (c, at W1's end), before W2's records
        assert _states(output) == [{"updatedAt": _W1_END}, {"updatedAt": "2024-02-20T08:00:00.000Z"}]
        kinds = [(m.type.name, m.record.data["id"] if m.record else None)
                 for m in output._messages if m.type.name in ("RECORD", "STATE")]
        first_state = kinds.index(("STATE", None))
        assert {rid for _, rid in kinds[:first_state]} == {"a", "b", "c"}
        assert {rid for _, rid in kinds[first_state:] if rid} == {"d", "e"}

    @HttpMocker()
    def test_given_a_record_updated_after_the_sync_start_when_backfill_then_left_to_the_next_sync(self, http_mocker):
        # x was changed after the sync started (its window's end is the sync start): not emitted now, and
        # the state stays at or before the sync start, so the next incremental read catches it
        _mock_two_windows(http_mocker, late_in_w2=[a_contract(id="x", updatedAt="2024-03-01T00:00:05.000Z")])

        output = read_stream(_STREAM, _backfill_config(), SyncMode.incremental)

        assert "x" not in {r["id"] for r in records_of(output)}
        state = final_state(output)
        assert state == {"updatedAt": "2024-02-20T08:00:00.000Z"} and state["updatedAt"] <= "2024-03-01T00:00:00.000Z"

    @HttpMocker()
    def test_given_backfill_state_when_read_then_the_single_chain_incremental_stream(self, http_mocker):
        # a backfill would cut 2024-01-01..now into 60 windows; with state the incremental stream sends ONE
        # chain from state - lookback
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2024-02-20T07:55:00.000Z"),
                        contracts_page([a_contract(id="e", updatedAt="2024-02-20T08:00:00.000Z"),
                                        a_contract(id="x", updatedAt="2024-02-29T10:00:00.000Z")]))

        output = read_stream(_STREAM, _config(start_date=_START, backfill_windows=60), SyncMode.incremental,
                             state={"updatedAt": "2024-02-20T08:00:00.000Z"})

        assert [r["id"] for r in records_of(output)] == ["e", "x"]
        assert final_state(output) == {"updatedAt": "2024-02-29T10:00:00.000Z"}

    @HttpMocker()
    def test_given_no_start_date_when_backfill_then_first_window_open_below(self, http_mocker):
        # windows start at the 2019-01-01 floor (2 windows of 943 days to 2024-03-01); the first one asks
        # from the epoch so nothing older is skipped
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte=_EPOCH_BOUND), contracts_page([a_contract(id="old", updatedAt="2018-06-01T00:00:00.000Z")]))
        http_mocker.get(_request(gte="2021-08-01T00:00:00.000Z"), contracts_page([a_contract(id="new")]))

        output = read_stream(_STREAM, _config(backfill_windows=2), SyncMode.incremental)

        assert sorted(r["id"] for r in records_of(output)) == ["new", "old"]


    @HttpMocker()
    def test_given_a_start_date_before_the_floor_when_backfill_then_windows_from_the_floor(self, http_mocker):
        # the windows split 2019-01-01..now as without a start date; the first one asks from the start date
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2015-01-01T00:00:00.000Z"),
                        contracts_page([a_contract(id="old", updatedAt="2016-06-01T00:00:00.000Z")]))
        http_mocker.get(_request(gte="2021-08-01T00:00:00.000Z"), contracts_page([a_contract(id="new")]))

        output = read_stream(_STREAM, _config(start_date="2015-01-01T00:00:00Z", backfill_windows=2), SyncMode.incremental)

        assert sorted(r["id"] for r in records_of(output)) == ["new", "old"]

    @HttpMocker()
    def test_given_no_window_count_when_backfill_then_four_windows_per_worker(self, http_mocker):
        # 2024-01-01..2024-03-01 (60 days) with one worker: 4 windows of 15 days, one request each
        smart_fields_mocked(http_mocker, "contract")
        for gte in (_W1_START, "2024-01-16T00:00:00.000Z", _W2_START, "2024-02-15T00:00:00.000Z"):
            http_mocker.get(_request(gte=gte), contracts_page([]))

        config = {key: value for key, value in _config(start_date=_START, num_workers=1).items()
                  if key != "backfill_windows"}
        output = read_stream(_STREAM, config, SyncMode.incremental)

        assert records_of(output) == []

    @HttpMocker()
    def test_given_a_start_date_minutes_ago_when_backfill_then_one_window_of_at_least_an_hour(self, http_mocker):
        smart_fields_mocked(http_mocker, "contract")
        http_mocker.get(_request(gte="2024-02-29T23:50:00.000Z"), contracts_page([a_contract(id="a")]))

        output = read_stream(_STREAM, _config(start_date="2024-02-29T23:50:00Z", backfill_windows=32),
                             SyncMode.incremental)

        assert [r["id"] for r in records_of(output)] == ["a"]


class TestDiscover:
    @HttpMocker()
    def test_given_smart_fields_on_two_pages_when_discover_then_every_field_is_a_typed_column(self, http_mocker):
        smart_fields = TomorroRequestBuilder.smart_fields("contract").with_limit(50)
        http_mocker.get(smart_fields.build(), data_page([{"id": "d1000000-0", "name": "Value", "type": "number"},
                                                         {"id": "d2000000-0", "name": "Tags", "type": "multiselect"}],
                                                        next_cursor="SF2"))
        http_mocker.get(TomorroRequestBuilder.smart_fields("contract").with_limit(50).with_after("SF2").build(),
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
