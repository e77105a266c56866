"""envelopes.py: the one place that reads list envelopes: every documented shape read exactly, and a
page that says or implies more without a cursor is an error naming the keys it saw."""

import pytest
from destination_tomorro.envelopes import EnvelopeError, read_page

ITEMS = [{"id": "1"}, {"id": "2"}]


def page(body, limit=50):
    result = read_page(body, limit=limit, where="GET /x")
    return [i["id"] for i in result.items], result.next_cursor, result.has_next


@pytest.mark.parametrize("body, expected", [
    # contracts / contract types (camelCase, top level)
    ({"contracts": ITEMS, "hasNext": True, "hasPrevious": False, "nextCursor": "c1"}, (["1", "2"], "c1", True)),
    ({"contractTypes": ITEMS, "hasNext": False, "nextCursor": None}, (["1", "2"], None, False)),
    # counterparties and the other lists (snake_case under pagination, links)
    ({"data": ITEMS, "pagination": {"limit": 50, "next_cursor": "n1", "has_next": True}, "links": {}},
     (["1", "2"], "n1", True)),
    ({"data": ITEMS, "pagination": {"next_cursor": None, "has_next": False}, "links": {"next": None}},
     (["1", "2"], None, False)),
    # the introduction's generic envelope (camelCase under pagination)
    ({"data": ITEMS, "pagination": {"hasNext": True, "hasPrevious": False, "nextCursor": "i1", "previousCursor": None}},
     (["1", "2"], "i1", True)),
    # top-level snake_case
    ({"data": ITEMS, "has_next": True, "next_cursor": "s1"}, (["1", "2"], "s1", True)),
    # only a next link: its `after` parameter is the cursor
    ({"data": ITEMS, "pagination": {"has_next": True}, "links": {"next": "/counterparties?limit=2&after=L1%3D"}},
     (["1", "2"], "L1=", True)),
    ({"data": ITEMS, "pagination": {"next": "p1"}}, (["1", "2"], "p1", True)),
    # a bare array: unpaginated
    (ITEMS, (["1", "2"], None, False)),
])
def test_every_documented_envelope(body, expected):
    assert page(body) == expected


@pytest.mark.parametrize("body, expected", [
    # no has-next flag: a cursor says more follows, a null cursor says it does not
    ({"contracts": ITEMS, "nextCursor": "c2"}, (["1", "2"], "c2", True)),
    ({"contracts": ITEMS, "nextCursor": None}, (["1", "2"], None, False)),
    ({"data": ITEMS, "pagination": {"next_cursor": None}, "links": {"next": None}}, (["1", "2"], None, False)),
    # no flag, no cursor key at all, a short page: the end
    ({"contracts": ITEMS}, (["1", "2"], None, False)),
])
def test_without_a_has_next_flag_the_cursor_decides(body, expected):
    assert page(body, limit=50) == expected


@pytest.mark.parametrize("body, words", [
    # the init page's example: hasNext and no cursor
    ({"contracts": ITEMS, "hasNext": True, "hasPrevious": False}, ["says more items follow", "contracts, hasNext, hasPrevious"]),
    ({"data": ITEMS, "pagination": {"has_next": True, "cursor": "x"}}, ["says more", "pagination.has_next, pagination.cursor"]),
    # a full page, no flag, no cursor key: more is implied
    ({"contracts": ITEMS}, ["is full (2 items of 2) and has no has-next flag", "keys seen: contracts"]),
    # a next link without an `after` parameter
    ({"data": ITEMS, "links": {"next": "/counterparties?page=2"}}, ["links to a next page"]),
])
def test_more_without_a_cursor_is_an_error_naming_the_keys(body, words):
    with pytest.raises(EnvelopeError) as info:
        page(body, limit=2)
    message = str(info.value)
    assert message.startswith("GET /x:")
    for word in words:
        assert word in message


@pytest.mark.parametrize("body, words", [
    ({"results": ITEMS}, "no list of items under contracts, contractTypes, data; keys seen: results"),
    ({"data": {"id": "1"}}, "the items are not a list of objects"),
    ("<html>", "expected a JSON object or array, got str"),
])
def test_no_items_is_an_error(body, words):
    with pytest.raises(EnvelopeError, match=words):
        page(body)
