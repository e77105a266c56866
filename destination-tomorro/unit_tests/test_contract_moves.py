"""contract_moves.settle on a scripted Tomorro (no socket): how many rounds, what each asks, and every check that
leaves the listing unsettled, so that no contract is created on it. The sandbox tests are in
integration_tests/test_contract_listing.py."""

from __future__ import annotations

import datetime as dt

import pytest
from destination_tomorro.client import EVERY_STATUS
from destination_tomorro.contract_moves import MAX_ROUNDS, settle
from destination_tomorro.errors import TomorroClientError

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, 12, tzinfo=UTC)
STATUSES = EVERY_STATUS["/contracts"]
WHOLE = {"integration": None, "fields": [], "counterparty": None, "name": "n"}


def contract(cid: str, status: str, minutes: float) -> dict:
    """A contract last updated `minutes` after START (negative: before the listing began)."""
    return {"id": cid, "status": status, "updatedAt": (START + dt.timedelta(minutes=minutes)).isoformat(),
            "createdAt": "2025-01-01T00:00:00+00:00", **WHOLE}


class Tomorro:
    """GET /contracts?status=<one>&sort=-updatedAt over `contracts` (pages of `page`), a clock one minute on per
    request; `before_round(n)` may change the data as round n starts; `answer` may replace a list's items."""

    def __init__(self, contracts, page=50, before_request=None, answer=None):
        self.contracts, self.page, self.request_count, self.asked = contracts, page, 0, []
        self.before_request, self.answer, self.transport = before_request, answer, self

    def server_now(self):
        return START + dt.timedelta(minutes=10 + self.request_count)

    def request(self, method, path, params):
        self.request_count += 1
        self.asked.append(params)
        if self.before_request:
            self.before_request(self, params)
        if params["sort"] != "-updatedAt":
            raise AssertionError(params)
        items = sorted((dict(c) for c in self.contracts if c["status"] == params["status"]),  # copies, as JSON
                       key=lambda c: c["updatedAt"], reverse=True)
        items = self.answer(items) if self.answer else items
        start = int(params.get("after", 0))
        more = start + self.page < len(items)
        return {"contracts": items[start:start + self.page], "hasNext": more,
                "nextCursor": str(start + self.page) if more else None}

    def whole_items(self, items, needed, resource, fetch):
        return items

    def get_contract(self, cid):
        raise AssertionError("whole items")


def test_a_quiet_account_is_settled_by_two_rounds_one_in_each_order_of_one_page_each():
    held = [contract(f"c{i}", STATUSES[i % 5], -60 - i) for i in range(300)]
    tomorro = Tomorro(held)
    listed, why = settle(tomorro, held, START)
    assert why is None and {c["id"] for c in listed} == {c["id"] for c in held}
    assert [q["status"] for q in tomorro.asked] == [*STATUSES, *STATUSES[::-1]]  # lifecycle order, then reversed
    assert all("after" not in q for q in tomorro.asked)  # each first page already older than the listing


def test_a_contract_moved_meanwhile_is_found_in_its_new_status_and_replaces_its_old_copy():
    held = [contract("a", "draft", -60), contract("b", "signed", -50)]
    now = [contract("a", "draft", -60), contract("b", "canceled", 3), contract("new", "signing", 4)]
    listed, why = settle(Tomorro(now), held, START)
    assert why is None and {c["id"]: c["status"] for c in listed} == {"a": "draft", "b": "canceled", "new": "signing"}


def test_a_contract_that_moves_back_during_a_round_is_found_by_the_next_one():
    """draft <- signing after draft was read, before signing is: missed by round 1 (lifecycle order), found by
    round 2 (reversed), then two quiet rounds."""
    moving = contract("m", "signing", 5)
    held = [contract("a", "draft", -60)]

    def move(tomorro, params):
        if tomorro.request_count == 2:  # round 1 has read draft
            moving.update(status="draft", updatedAt=(START + dt.timedelta(minutes=12)).isoformat())

    tomorro = Tomorro([*held, moving], before_request=move)
    listed, why = settle(tomorro, held, START)
    assert why is None and {c["id"]: c["status"] for c in listed} == {"a": "draft", "m": "draft"}
    assert len(tomorro.asked) == 4 * 5  # round 1 missed it, round 2 found it, rounds 3 and 4 quiet


def test_pages_are_read_down_to_the_bound_and_no_further():
    held = [contract(f"c{i}", "draft", -1000 - i) for i in range(200)]
    changed = [contract(f"n{i}", "draft", 1 + i / 100) for i in range(120)]  # 2.4 pages changed meanwhile
    tomorro = Tomorro([*held, *changed])
    listed, why = settle(tomorro, held, START)
    assert why is None and len(listed) == 320
    first_round = tomorro.asked[:7]
    assert [q.get("after") for q in first_round[:3]] == [None, "50", "100"] and first_round[3]["status"] == "negotiating"


def pages_unordered(items):
    return sorted(items, key=lambda c: c["id"])  # an order that is not newest-first (as if `sort` were ignored)


@pytest.mark.parametrize("tomorro, says", [
    (Tomorro([contract(f"c{i:03d}", "draft", -((i * 37) % 101)) for i in range(120)], answer=pages_unordered),
     "is not newest-first"),
    (Tomorro([{**contract("x", "draft", -60), "updatedAt": "yesterday"}]), "no readable updatedAt"),
    (Tomorro([contract("x", "draft", -60)], answer=lambda items: [{**i, "status": "signed"} for i in items]),
     "status filter is not honoured"),
])
def test_a_check_that_fails_leaves_the_listing_unsettled_naming_it(tomorro, says):
    listed, why = settle(tomorro, list(tomorro.contracts), START)
    assert why is not None and says in why
    assert {c["id"] for c in listed} >= {c["id"] for c in tomorro.contracts if "status" in c}  # nothing dropped


def test_an_unordered_list_read_to_its_end_needs_no_order():
    held = [contract(f"c{i:03d}", "draft", -((i * 37) % 101)) for i in range(40)]  # one page
    assert settle(Tomorro(held, answer=pages_unordered), held, START)[1] is None


def test_a_status_changed_without_updated_at_leaves_the_listing_unsettled():
    """Seen on a contract changed since the listing began (listed as draft then), now signing, same updatedAt."""
    held = [contract("x", "draft", 1)]
    listed, why = settle(Tomorro([contract("x", "signing", 1)]), held, START)
    assert why is not None and "status changes without updatedAt" in why and "x" in why


def test_contracts_that_keep_moving_leave_the_listing_unsettled_after_max_rounds():
    moving = contract("m", "draft", 1)

    def touch(tomorro, params):  # edited again before every request
        moving["updatedAt"] = (START + dt.timedelta(minutes=30 + tomorro.request_count)).isoformat()

    tomorro = Tomorro([moving], before_request=touch)
    listed, why = settle(tomorro, [], START)
    assert why is not None and f"after {MAX_ROUNDS} re-reads" in why
    assert len(tomorro.asked) == MAX_ROUNDS * 5 and [c["id"] for c in listed] == ["m"]


def test_sort_refused_leaves_the_listing_unsettled_and_other_errors_are_raised():
    def refuse(status):
        def before(tomorro, params):
            raise TomorroClientError("property sort has a wrong value", status)
        return before

    assert "answered HTTP 400" in settle(Tomorro([], before_request=refuse(400)), [], START)[1]
    with pytest.raises(TomorroClientError):
        settle(Tomorro([], before_request=refuse(403)), [], START)
