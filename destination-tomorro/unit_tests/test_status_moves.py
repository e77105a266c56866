"""status_moves.settle on a scripted Tomorro (no socket): how many rounds, what each asks, and every check that
leaves the listing unsettled, so that no contract is created on it; the same for counterparties (their statuses,
their envelope, a name look-up's filter kept), and `settled` asking nothing where `in:` is taken. The sandbox tests are in
integration_tests/test_contract_listing.py."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from destination_tomorro.client import EVERY_STATUS
from destination_tomorro.errors import TomorroClientError
from destination_tomorro.status_moves import MAX_ROUNDS, settle, settled

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, 12, tzinfo=UTC)
PATH = "/contracts"
STATUSES = EVERY_STATUS[PATH]
WHOLE = {"integration": None, "fields": [], "counterparty": None, "name": "n"}


def contract(cid: str, status: str, minutes: float) -> dict:
    """A contract last updated `minutes` after START (negative: before the listing began)."""
    return {"id": cid, "status": status, "updatedAt": (START + dt.timedelta(minutes=minutes)).isoformat(),
            "createdAt": "2025-01-01T00:00:00+00:00", **WHOLE}


class Tomorro:
    """GET /contracts?status=<one>&sort=-updatedAt over `contracts` (pages of `page`), a clock one minute on per
    request; `before_round(n)` may change the data as round n starts; `answer` may replace a list's items.
    `path="/counterparties"`: the same over counterparties, in their documented envelope."""

    def __init__(self, contracts, page=50, before_request=None, answer=None, path=PATH, in_refused=True):
        self.contracts, self.page, self.request_count, self.asked = contracts, page, 0, []
        self.before_request, self.answer, self.transport = before_request, answer, self
        self.path, self.in_refused = path, in_refused

    def one_status_a_list(self, path):
        return self.in_refused

    def server_now(self):
        return START + dt.timedelta(minutes=10 + self.request_count)

    def request(self, method, path, params):
        self.request_count += 1
        self.asked.append(params)
        if self.before_request:
            self.before_request(self, params)
        if params["sort"] != "-updatedAt" or path != self.path:
            raise AssertionError(params)
        items = sorted((dict(c) for c in self.contracts if c["status"] == params["status"]  # copies, as JSON
                        and params.get("name", "").lower() in c.get("name", "").lower()),
                       key=lambda c: c["updatedAt"], reverse=True)
        items = self.answer(items) if self.answer else items
        start = int(params.get("after", 0))
        more = start + self.page < len(items)
        cursor = str(start + self.page) if more else None
        if path == "/counterparties":
            return {"data": items[start:start + self.page], "pagination": {"has_next": more, "next_cursor": cursor}}
        return {"contracts": items[start:start + self.page], "hasNext": more, "nextCursor": cursor}

    def whole_items(self, items, needed, resource, fetch):
        return items

    def get_contract(self, cid):
        raise AssertionError("whole items")

    get_counterparty = get_contract


def test_a_quiet_account_is_settled_by_two_rounds_one_in_each_order_of_one_page_each():
    held = [contract(f"c{i}", STATUSES[i % 5], -60 - i) for i in range(300)]
    tomorro = Tomorro(held)
    listed, why = settle(tomorro, PATH, held, START)
    assert why is None and {c["id"] for c in listed} == {c["id"] for c in held}
    assert [q["status"] for q in tomorro.asked] == [*STATUSES, *STATUSES[::-1]]  # lifecycle order, then reversed
    assert all("after" not in q for q in tomorro.asked)  # each first page already older than the listing


def test_a_contract_moved_meanwhile_is_found_in_its_new_status_and_replaces_its_old_copy():
    held = [contract("a", "draft", -60), contract("b", "signed", -50)]
    now = [contract("a", "draft", -60), contract("b", "canceled", 3), contract("new", "signing", 4)]
    listed, why = settle(Tomorro(now), PATH, held, START)
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
    listed, why = settle(tomorro, PATH, held, START)
    assert why is None and {c["id"]: c["status"] for c in listed} == {"a": "draft", "m": "draft"}
    assert len(tomorro.asked) == 4 * 5  # round 1 missed it, round 2 found it, rounds 3 and 4 quiet


def test_pages_are_read_down_to_the_bound_and_no_further():
    held = [contract(f"c{i}", "draft", -1000 - i) for i in range(200)]
    changed = [contract(f"n{i}", "draft", 1 + i / 100) for i in range(120)]  # 2.4 pages changed meanwhile
    tomorro = Tomorro([*held, *changed])
    listed, why = settle(tomorro, PATH, held, START)
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
    listed, why = settle(tomorro, PATH, list(tomorro.contracts), START)
    assert why is not None and says in why
    assert {c["id"] for c in listed} >= {c["id"] for c in tomorro.contracts if "status" in c}  # nothing dropped


def test_an_unordered_list_read_to_its_end_needs_no_order():
    held = [contract(f"c{i:03d}", "draft", -((i * 37) % 101)) for i in range(40)]  # one page
    assert settle(Tomorro(held, answer=pages_unordered), PATH, held, START)[1] is None


def test_a_status_changed_without_updated_at_leaves_the_listing_unsettled():
    """Seen on a contract changed since the listing began (listed as draft then), now signing, same updatedAt."""
    held = [contract("x", "draft", 1)]
    listed, why = settle(Tomorro([contract("x", "signing", 1)]), PATH, held, START)
    assert why is not None and "status changes without updatedAt" in why and "x" in why


def test_contracts_that_keep_moving_leave_the_listing_unsettled_after_max_rounds():
    moving = contract("m", "draft", 1)

    def touch(tomorro, params):  # edited again before every request
        moving["updatedAt"] = (START + dt.timedelta(minutes=30 + tomorro.request_count)).isoformat()

    tomorro = Tomorro([moving], before_request=touch)
    listed, why = settle(tomorro, PATH, [], START)
    assert why is not None and f"after {MAX_ROUNDS} re-reads" in why
    assert len(tomorro.asked) == MAX_ROUNDS * 5 and [c["id"] for c in listed] == ["m"]


def test_sort_refused_leaves_the_listing_unsettled_and_other_errors_are_raised():
    def refuse(status):
        def before(tomorro, params):
            raise TomorroClientError("property sort has a wrong value", status)
        return before

    assert "answered HTTP 400" in settle(Tomorro([], before_request=refuse(400)), PATH, [], START)[1]
    with pytest.raises(TomorroClientError):
        settle(Tomorro([], before_request=refuse(403)), PATH, [], START)


def counterparty(cid: str, name: str, status: str, minutes: float) -> dict:
    return {"id": cid, "name": name, "status": status, "fields": {},
            "updatedAt": (START + dt.timedelta(minutes=minutes)).isoformat(), "createdAt": "2025-01-01T00:00:00+00:00"}


def test_a_counterparty_unarchived_between_the_two_lists_of_a_name_look_up_is_found_again():
    """Archived, then unarchived after `active` was read: in neither list. The re-read keeps the look-up's `name=`,
    reads active then archived, then the other way (rounds 1 to 3: found, quiet, quiet), and finds it active;
    nothing not named so is added."""
    held = [counterparty("a", "Acme SAS", "active", -60)]
    now = [*held, counterparty("moved", "ACME Holding", "active", 2), counterparty("other", "Globex", "active", 3)]
    tomorro = Tomorro(now, path="/counterparties")
    listed, why = settle(tomorro, "/counterparties", held, START, {"name": "acme", "sort": "createdAt"})
    assert why is None and {c["id"]: c["status"] for c in listed} == {"a": "active", "moved": "active"}
    assert [(q["status"], q["name"], q["sort"]) for q in tomorro.asked] == [
        (status, "acme", "-updatedAt") for status in ("active", "archived", "archived", "active", "active", "archived")]


def test_a_counterparty_listing_that_cannot_be_verified_holds_creates_naming_why():
    held = [{**counterparty("x", "Acme", "archived", 1)}]
    tomorro = Tomorro([counterparty("x", "Acme", "active", 1)], path="/counterparties")
    listing = settled(tomorro, "/counterparties", held, time.monotonic() - 600)  # START by the fake's clock
    assert listing.creates_held.startswith("not creating a counterparty: GET /counterparties refuses `status=in:`")
    assert "counterparty x was listed as archived and as active" in listing.creates_held
    assert [c["id"] for c in listing.items] == ["x"]  # nothing dropped


def test_where_in_is_taken_settled_asks_nothing():
    held = [counterparty("a", "Acme", "active", -60)]
    tomorro = Tomorro([counterparty("b", "Acme", "active", 2)], path="/counterparties", in_refused=False)
    listing = settled(tomorro, "/counterparties", held, time.monotonic(), {"name": "acme"})
    assert listing.items == held and listing.creates_held is None and tomorro.asked == []
