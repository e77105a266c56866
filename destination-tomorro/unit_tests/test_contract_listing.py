"""The planning functions of the contract listing (contract_ranges.py); the listing itself is tested against the
sandbox (integration_tests/test_contract_listing.py)."""

from __future__ import annotations

import datetime as dt

from destination_tomorro.contract_ranges import (
    Range,
    created_at,
    filter_value,
    merge,
    page_problem,
    plan_bounds,
    split_point,
    stitch_targets,
)

UTC = dt.UTC


def at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(days=day, hours=hour)


def c(cid: str, created: str, **more) -> dict:
    return {"id": cid, "createdAt": created, **more}


def test_created_at_reads_iso_with_a_zone_only():
    assert created_at(c("1", "2024-01-02T03:04:05.678Z")) == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert created_at(c("1", "2024-01-02T05:04:05+02:00")) == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert created_at(c("1", "2024-01-02T03:04:05")) is None  # no zone: not comparable
    assert created_at(c("1", "yesterday")) is None and created_at({"id": "1"}) is None


def test_filter_value_is_the_documented_date():
    assert filter_value(at(4)) == "2024-01-05"


def test_bounds_are_midnights_inside_the_rest_of_the_list():
    bounds = plan_bounds(at(0), at(10), 50, at(400), workers=16)
    assert bounds == sorted(set(bounds)) and all(at(10) < b <= at(400) for b in bounds)
    assert all(b.hour == b.minute == b.second == b.microsecond == 0 for b in bounds)
    # 50 contracts in 10 days over 400: ~40 pages -> 8 ranges (5 pages each), 7 bounds
    assert len(bounds) == 7
    assert bounds[0] == at(58)  # (400 - 10) / 8 days after the probe page's last contract, at midnight


def test_the_number_of_ranges_follows_the_pages_and_the_workers():
    assert len(plan_bounds(at(0), at(1), 50, at(1000), workers=4)) == 4 - 1  # one range per worker
    assert len(plan_bounds(at(0), at(1), 50, at(1000), workers=2)) == 2 - 1
    assert plan_bounds(at(0), at(100), 50, at(300), workers=4) == []  # ~3 pages: not worth a range
    assert plan_bounds(at(0), at(100), 50, at(100), workers=4) == []  # nothing after the probe page
    assert plan_bounds(at(0), at(1), 50, at(1000), workers=1) == []
    # a probe page created in one instant: dense, as many ranges as allowed
    assert len(plan_bounds(at(5), at(5), 50, at(900), workers=3)) == 3 - 1


def test_bounds_never_repeat_when_the_rest_is_a_few_days():
    bounds = plan_bounds(at(0, 1), at(0, 2), 50, at(2, 23), workers=4)
    assert bounds == [at(1), at(2)]


def test_a_page_must_be_ascending_and_inside_its_bound():
    page = [c("1", "2024-01-05T00:00:00.000Z"), c("2", "2024-01-05T00:00:00.000Z"), c("3", "2024-01-06T01:00:00Z")]
    assert page_problem(page, at(4), None) is None
    assert page_problem(page, None, at(4)) is None
    assert "ignored or rounded" in page_problem(page, at(4, 1), None)
    assert "not ascending" in page_problem(list(reversed(page)), None, None)
    assert "not ascending" in page_problem(page, None, at(4, 1))  # against the page before
    assert "no readable createdAt" in page_problem([{"id": "9"}], None, None)


def rng(first: dt.datetime | None) -> Range:
    return Range({}, None, None, items=[{"id": "x"}] if first else [], first=first)


def test_each_range_reads_up_to_the_first_contract_of_the_next_one_that_has_any():
    ranges = [rng(at(0)), rng(at(10, 3)), rng(None), rng(at(30, 1)), rng(None)]
    assert stitch_targets(ranges) == [at(10, 3), at(30, 1), at(30, 1), None, None]


def test_a_range_reached_its_target_when_it_read_a_contract_created_at_or_after_it():
    chain = Range({}, None, None, last=at(5))
    assert chain.reached(at(5)) and chain.reached(at(4)) and not chain.reached(at(6))
    assert not chain.reached(None)  # None: to the end of the list
    assert Range({}, None, None, ended=True).reached(None)


def test_merge_keeps_one_copy_per_id_the_newest_in_created_order():
    old = c("a", "2024-01-02T00:00:00Z", updatedAt="2024-02-01T00:00:00Z", name="old")
    new = c("a", "2024-01-02T00:00:00Z", updatedAt="2024-03-01T00:00:00Z", name="new")
    b = c("b", "2024-01-01T00:00:00Z", updatedAt="2024-01-01T00:00:00Z")
    assert merge([[old, b], [new]]) == [b, new]
    assert merge([[new], [old, b]]) == [b, new]  # whichever range read it first
    assert merge([[b], [b], []]) == [b]
    same_instant = c("a", "2024-01-02T00:00:00Z", updatedAt="2024-03-01T01:00:00+01:00", name="other")
    assert merge([[new], [same_instant]]) == [new]  # compared as instants, not as text: the first copy stays
    newer = c("a", "2024-01-02T00:00:00Z", updatedAt="2024-03-01T00:00:00.5Z", name="newer")
    assert merge([[newer], [new]])[0]["name"] == merge([[new], [newer]])[0]["name"] == "newer"


def running(low, last, page_span_days, end=None, horizon=None, ended=False) -> Range:
    return Range({}, low, end, first=low, last=last, page_span=page_span_days * 86400, horizon=horizon, ended=ended)


def test_a_running_range_is_split_at_the_midnight_halfway_through_its_rest():
    pages, cut = split_point(running(at(0), at(10, 6), 1, end=at(50)))
    assert cut == at(30) and pages == (at(50) - at(10, 6)).total_seconds() / 86400  # a page a day ahead
    pages, cut = split_point(running(at(0), at(10), 0.5, horizon=at(30)))  # the last range: up to the newest
    assert cut == at(20) and pages == 40


def test_a_rest_too_small_or_within_a_day_is_not_split():
    assert split_point(running(at(0), at(10), 2, end=at(20))) is None  # 5 pages ahead: not worth it
    assert split_point(running(at(0), at(10, 1), 0.001, end=at(10, 20))) is None  # dense, but no midnight
    assert split_point(running(at(0), at(20), 1, end=at(20))) is None  # reached its end
    assert split_point(running(at(0), at(10), 1, end=at(40), ended=True)) is None
    assert split_point(running(at(0), at(10), 1)) is None  # no end known
    assert split_point(running(at(0), at(10), 0, end=at(12)))[1] == at(11)  # one instant a page: dense


class RoundingTomorro:
    """GET /contracts over `contracts`, ascending by createdAt, whose `createdAt=gte:<day>` starts a day later than
    asked (a filter that rounds up: every contract it serves is inside the bound, some are left out)."""

    def __init__(self, contracts: list[dict]):
        self.contracts = sorted(contracts, key=lambda c: (c["createdAt"], c["id"]))
        self.max_concurrency, self.request_count = 4, 0
        self.transport = self

    def request(self, method, path, params):
        self.request_count += 1
        items = self.contracts
        if params.get("status") not in ("in:draft,negotiating,signing,signed,canceled",):
            raise AssertionError(f"every status is named: {params}")
        if params.get("sort") == "-createdAt":
            items = items[::-1]
        if "createdAt" in params:
            since = dt.datetime.fromisoformat(params["createdAt"].removeprefix("gte:")).replace(tzinfo=UTC)
            items = [c for c in items if created_at(c) >= since + dt.timedelta(days=1)]
        start = int(params.get("after", 0))
        page = items[start:start + params["limit"]]
        more = start + params["limit"] < len(items)
        return {"contracts": page, "hasNext": more, "nextCursor": str(start + params["limit"]) if more else None}

    def whole_items(self, items, needed, resource, fetch):
        return items

    def one_status_a_list(self, path):
        return False

    def get_contract(self, contract_id):
        raise AssertionError("list items are whole")


def test_ranges_are_stitched_by_data_whatever_the_filter_does_with_the_day():
    from destination_tomorro.contract_listing import list_every_contract

    whole = {"integration": None, "fields": [], "counterparty": None, "status": "draft", "name": "n"}
    # one every 10 minutes: the day a rounded bound leaves out is 3 pages, more than a range's overlap page
    contracts = [c(f"c{i:04d}", (at(0) + dt.timedelta(minutes=10 * i)).isoformat(), **whole) for i in range(6000)]
    fake = RoundingTomorro(contracts)
    assert list_every_contract(fake).items == fake.contracts  # every one, once, in createdAt order
    assert fake.request_count > 6000 / 50  # ranges were read (and overlap)
