"""components.py, section 3: the list reader of contracts and counterparties, against an in-memory list API.

`FakeListApi` serves keyset pages the way Tomorro's list endpoints do (sort, `updatedAt=gte:`, `after`), and can
be told to ignore the sort or the filter. The properties checked whatever the thread interleaving: every record
exactly once, every checkpoint after every record below it, requests bounded by the pages of data plus one per
range. The exact request sequences are pinned by the mock-server tests (integration/test_contracts.py) and the
real socket by integration_tests/test_sandbox_ranges.py.
"""

from __future__ import annotations

import json
import random
import threading
import time
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from airbyte_cdk.sources.declarative.requesters.paginators import DefaultPaginator
from airbyte_cdk.sources.declarative.requesters.request_option import RequestOption, RequestOptionType
from airbyte_cdk.sources.types import StreamSlice
from source_tomorro.run import register_components

components = register_components()
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return components.format_instant(moment)


class FakeListApi:
    """GET <list>: `sort=updatedAt|-updatedAt` (keyset on (updatedAt, id)), `updatedAt=gte:`, `limit`, `after`.
    `server_now`: the `Date` of its answers (none: no header, the reader takes its own clock)."""

    def __init__(self, records, honour_sort=True, honour_filter=True, latency=0.0, server_now=None):
        self.records, self.server_now = records, server_now
        self.honour_sort, self.honour_filter, self.latency = honour_sort, honour_filter, latency
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def send_request(self, request_params=None, stream_slice=None, **_):
        params = dict(request_params or {})
        with self.lock:
            self.requests.append(params)
        time.sleep(self.latency)
        rows = self.records
        if self.honour_filter and "updatedAt" in params:
            bound = components.parse_instant(params["updatedAt"].removeprefix("gte:"))
            rows = [r for r in rows if components.parse_instant(r["updatedAt"]) >= bound]
        sort = params.get("sort") if self.honour_sort else None
        keyed = [((r["updatedAt"], r["id"]), r) for r in rows]
        if sort in ("updatedAt", "-updatedAt"):
            keyed.sort(key=lambda pair: pair[0], reverse=sort.startswith("-"))
        else:
            keyed = [((f"{i:08d}",), r) for i, (_, r) in enumerate(keyed)]
        keys = [k for k, _ in keyed]
        start = 0
        if "after" in params:
            after = tuple(json.loads(params["after"]))
            start = (bisect_right(keys, after) if not (sort or "").startswith("-")
                     else next((i for i, k in enumerate(keys) if k < after), len(keys)))
        limit = int(params["limit"])
        page = [dict(r) for _, r in keyed[start:start + limit]]
        more = start + limit < len(keyed)
        body = {"contracts": page, "hasNext": more, "nextCursor": json.dumps(keys[start + limit - 1]) if more else None}
        response = requests.Response()
        response._content, response.status_code = json.dumps(body).encode(), 200
        if self.server_now is not None:
            response.headers["Date"] = format_datetime(self.server_now, usegmt=True)
        return response


class RecordingCursor:
    """Stands for the stream's cursor: records each checkpoint with the number of records yielded before it.
    `state`: what an earlier sync saved (a later sync), or nothing (a first sync)."""

    def __init__(self, yielded, state=None):
        self.yielded, self.checkpoints = yielded, []
        self.state = {"updatedAt": _iso(state)} if state else {}

    def observe(self, record):
        self.checkpoints.append((components.parse_instant(record.data["updatedAt"]), len(self.yielded)))

    def close_partition(self, partition):
        pass


def _records(n, start, end, seed=1):
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    return [{"id": f"s{seed}-{i:05d}", "updatedAt": _iso(start + timedelta(seconds=int(rng.random() * span)))} for i in range(n)]


def _paginator(page_size):
    """The manifest's `list_paginator`: `limit` and `after` as request parameters, the cursor by ListCursorPagination."""
    def option(name):
        return RequestOption(field_name=name, inject_into=RequestOptionType.request_parameter, parameters={})

    strategy = components.ListCursorPagination(config={}, parameters={}, page_size=page_size, items_key="contracts")
    return DefaultPaginator(pagination_strategy=strategy, config={}, url_base="", parameters={},
                            page_size_option=option("limit"), page_token_option=option("after"))


def _reader(api, workers=4, page_size=50, filter_param="updatedAt", cursor=None, start_date=None):
    return components.TomorroListRetriever(
        requester=api, item_requester=None, paginator=_paginator(page_size), parameters={}, name="contracts",
        cursor=cursor, items_key="contracts", filter_param=filter_param, workers=workers,
        config={"start_date": start_date} if start_date else {})


def _slice(start: datetime, end: datetime = NOW) -> StreamSlice:
    return StreamSlice(partition={}, cursor_slice={"start_time": _iso(start), "end_time": _iso(end)})


def _read(reader, stream_slice, state=None):
    yielded = []
    reader.cursor = RecordingCursor(yielded, state)
    for record in reader.read_records({}, stream_slice):
        yielded.append(record)
    return yielded, reader.cursor.checkpoints


def _assert_checkpoints_safe(records, yielded, checkpoints):
    """Each checkpoint S comes after every record with updatedAt < S, and S is a value that was emitted."""
    position = {record["id"]: index for index, record in enumerate(yielded)}
    emitted = {components.parse_instant(record["updatedAt"]) for record in yielded}
    for value, count in checkpoints:
        assert value in emitted
        below = [r["id"] for r in records if components.parse_instant(r["updatedAt"]) < value]
        assert all(position[rid] < count for rid in below), f"checkpoint {value} ran ahead of unread data"


@pytest.mark.parametrize("spread", ["uniform", "skewed"])
def test_ranges_read_every_record_exactly_once_with_safe_checkpoints_and_few_extra_requests(spread):
    if spread == "uniform":
        records = _records(2000, NOW - timedelta(days=700), NOW)
    else:  # most records in the last month, a start date years before the first one
        records = _records(1800, NOW - timedelta(days=30), NOW) + _records(200, NOW - timedelta(days=1100),
                                                                           NOW - timedelta(days=30), seed=2)
    api = FakeListApi(records, latency=0.004)

    yielded, checkpoints = _read(_reader(api), _slice(NOW - timedelta(days=3650)))

    assert sorted(r["id"] for r in yielded) == sorted(r["id"] for r in records)  # each once
    _assert_checkpoints_safe(records, yielded, checkpoints)
    pages = len(records) // 50
    ranges = len({r.get("updatedAt") for r in api.requests if "after" not in r and r.get("limit") == 50})
    assert ranges > 1, "idle workers split the read"
    assert len(api.requests) <= pages + ranges + 1  # + the newest-record probe


def test_records_outside_the_slice_are_never_emitted():
    records = _records(300, NOW - timedelta(days=100), NOW)
    api = FakeListApi(records)
    start, end = NOW - timedelta(days=50), NOW - timedelta(days=10)

    yielded, _ = _read(_reader(api), _slice(start, end))

    expected = {r["id"] for r in records
                if start <= components.parse_instant(r["updatedAt"]) <= end + components.SERVER_CLOCK_AHEAD}
    assert sorted(r["id"] for r in yielded) == sorted(expected)


@pytest.mark.parametrize("honour_sort,honour_filter", [(False, True), (True, False), (False, False)])
def test_when_the_api_ignores_the_sort_or_the_filter_every_record_still_comes_once(honour_sort, honour_filter):
    records = _records(400, NOW - timedelta(days=300), NOW)
    api = FakeListApi(records, honour_sort=honour_sort, honour_filter=honour_filter)
    start = NOW - timedelta(days=150)

    yielded, checkpoints = _read(_reader(api), _slice(start), state=start)  # a later sync

    expected = sorted(r["id"] for r in records if components.parse_instant(r["updatedAt"]) >= start)
    assert sorted(r["id"] for r in yielded) == expected
    _assert_checkpoints_safe(records, yielded, checkpoints)


def test_a_later_sync_without_a_server_side_filter_reads_newest_first_and_stops_below_the_bound():
    records = _records(500, NOW - timedelta(days=300), NOW)
    api = FakeListApi(records)
    start = NOW - timedelta(days=10)

    yielded, _ = _read(_reader(api, filter_param=None, start_date="2020-01-01"), _slice(start), state=start)

    assert sorted(r["id"] for r in yielded) == sorted(
        r["id"] for r in records if components.parse_instant(r["updatedAt"]) >= start)
    assert all(r["sort"] == "-updatedAt" for r in api.requests)
    assert len(api.requests) <= len(yielded) // 50 + 2


def test_a_read_without_order_leaves_what_changed_after_it_began_to_the_next_sync():
    """A list without order may give a record before it changes and another after: the state, the largest value
    emitted, would then pass the first one's change. Nothing stamped after the read began (its first answer's
    `Date`, less a second) is emitted; the next sync reads from before that instant."""
    began = NOW - timedelta(days=1)
    records = _records(200, NOW - timedelta(days=300), began - timedelta(seconds=2))
    late = {"id": "late", "updatedAt": _iso(began + timedelta(seconds=5))}
    api = FakeListApi(records + [late], honour_sort=False, server_now=began)

    yielded, _ = _read(_reader(api), _slice(NOW - timedelta(days=400)))

    assert sorted(r["id"] for r in yielded) == sorted(r["id"] for r in records)


def test_a_later_sync_of_ties_at_its_bound_asks_where_the_data_ends_before_it_splits():
    """Records sharing one instant have a density no cut in time divides: without knowing where the data ends,
    the read would cut the empty time after them again and again (one request per part)."""
    bound = NOW - timedelta(days=30)
    records = [{"id": f"t{i:03d}", "updatedAt": _iso(bound)} for i in range(120)]
    api = FakeListApi(records)

    yielded, _ = _read(_reader(api), _slice(bound), state=bound)

    assert sorted(r["id"] for r in yielded) == sorted(r["id"] for r in records)
    assert len(api.requests) <= 3 + 1  # the three pages of ties and the newest-record probe


class TestPlace:
    """`place` decides, for one page of one range, what to emit and whether the range may stop; it returns a new
    range and leaves the one it was given as it was."""

    @staticmethod
    def _range(order="asc", lo=10, hi=20, last_seen=None):
        at = lambda day: datetime(2024, 1, day, tzinfo=UTC)  # noqa: E731
        return components.Range(at(lo), at(hi), order, {}, last_seen=at(last_seen) if last_seen else None)

    @staticmethod
    def _rows(*days):
        return [components.Row({"id": str(day)}, datetime(2024, 1, day, tzinfo=UTC) if day else None) for day in days]

    def _place(self, rng, rows):
        placed, emit, in_order = components.place(rng, rows, "more")
        assert rng.cursor is None  # immutable: the range given is unchanged
        return placed, [row.data["id"] for row in emit], in_order

    def test_ascending_emits_inside_the_bounds_and_stops_past_the_end(self):
        placed, emit, in_order = self._place(self._range(), self._rows(9, 10, 15, 20, 21))
        assert emit == ["10", "15"]
        assert placed.done and in_order and placed.position.day == 20 and placed.cursor == "more"

    def test_a_range_ends_before_its_end_bound(self):
        placed, emit, _ = self._place(self._range(), self._rows(19))
        assert emit == ["19"] and not placed.done
        placed, emit, _ = components.place(placed, self._rows(20), "more")
        assert emit == [] and placed.done

    def test_a_page_out_of_order_is_noticed_and_the_range_no_longer_stops_early(self):
        placed, emit, in_order = self._place(self._range(last_seen=16), self._rows(12, 22))
        assert not in_order and not placed.done and placed.position is None and not placed.trusted
        assert emit == ["12"]

    def test_descending_stops_below_the_start(self):
        placed, emit, _ = self._place(self._range("desc"), self._rows(18, 11, 9))
        assert emit == ["18", "11"] and placed.done

    def test_a_record_that_cannot_be_placed_is_emitted_and_does_not_move_the_range(self):
        placed, emit, _ = self._place(self._range(), self._rows(0, 12))
        assert emit == ["0", "12"] and placed.position.day == 12

    def test_the_last_page_of_a_chain_ends_the_range(self):
        placed, _, _ = components.place(self._range(), self._rows(11), None)
        assert placed.done


class TestSplit:
    """`split` lays new ranges over what a range has left of the data; `safe_checkpoint` never passes a range that
    still reads below it."""

    @staticmethod
    def _at(day):
        return datetime(2024, 1, day, tzinfo=UTC)

    def test_a_range_is_cut_in_equal_parts_up_to_the_newest_record_and_keeps_its_chain(self):
        rng = components.Range(self._at(1), self._at(30), "asc", {"gte": 1}, cursor="c", position=self._at(10),
                               rate=2.0)
        pieces = components.split(rng, 3, self._at(19), lambda lo: {"gte": lo.day})
        assert [(p.lo.day, p.hi.day) for p in pieces] == [(1, 13), (13, 16), (16, 30)]
        assert pieces[0].cursor == "c" and pieces[-1].hi == self._at(30)  # the last keeps the end
        assert [p.params for p in pieces[1:]] == [{"gte": 13}, {"gte": 16}] and all(p.cursor is None for p in pieces[1:])
        assert rng.hi == self._at(30)  # the range given is unchanged

    def test_the_checkpoint_is_below_every_range_still_read(self):
        at = self._at
        ranges = [components.Range(at(1), at(10), "asc", {}, done=True, emitted_max=at(9)),
                  components.Range(at(10), at(20), "asc", {}, position=at(12), emitted_max=at(12)),
                  components.Range(at(20), at(30), "asc", {}, position=at(25), emitted_max=at(25))]
        assert components.safe_checkpoint(ranges) == at(12)
        unsure = components.Range(at(20), at(30), "none", {}, trusted=False, emitted_max=at(21))
        assert components.safe_checkpoint([*ranges[:2], unsure]) is None


class TestCheckpointsThroughTheCursor:
    """Pinned to the CDK's ConcurrentCursor (7.39.1): a sub-slice closed by the reader becomes the state, and the
    state the CDK emits again after a failed read is that checkpoint, not the state the read started from."""

    @staticmethod
    def _cursor():
        from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
        from airbyte_cdk.sources.message.repository import InMemoryMessageRepository
        from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor, CursorField
        from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
            CustomFormatConcurrentStreamStateConverter,
        )

        repository = InMemoryMessageRepository()
        converter = CustomFormatConcurrentStreamStateConverter(
            datetime_format="%Y-%m-%dT%H:%M:%S.%_msZ",
            input_datetime_formats=["%Y-%m-%dT%H:%M:%S.%fZ"], is_sequential_state=True)
        cursor = ConcurrentCursor("contracts", None, {"updatedAt": "2024-01-01T00:00:00.000Z"}, repository,
                                  ConnectorStateManager(), converter, CursorField("updatedAt"),
                                  ("start_time", "end_time"), datetime(2020, 1, 1, tzinfo=UTC),
                                  lambda: datetime(2024, 3, 1, tzinfo=UTC))
        return cursor, repository

    def test_a_checkpoint_becomes_the_state_and_survives_a_failed_read(self):
        cursor, repository = self._cursor()
        reader = _reader(FakeListApi([]), cursor=cursor)
        read = components._ListRead(reader, None, StreamSlice(partition={}, cursor_slice={
            "start_time": "2023-12-31T23:55:00.000Z", "end_time": "2024-03-01T00:00:00.000Z"}))

        read.report_progress(datetime(2024, 2, 10, 8, 30, tzinfo=UTC))
        read.report_progress(datetime(2024, 2, 1, tzinfo=UTC))  # never moves back

        states = [m.state.stream.stream_state.__dict__ for m in repository.consume_queue()]
        assert states == [{"updatedAt": "2024-02-10T08:30:00.000Z"}]
        cursor.ensure_at_least_one_state_emitted()  # what the CDK does when the read fails
        assert [m.state.stream.stream_state.__dict__ for m in repository.consume_queue()] == [
            {"updatedAt": "2024-02-10T08:30:00.000Z"}]
