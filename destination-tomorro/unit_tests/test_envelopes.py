"""envelopes.py: the words of its errors (which shapes it reads, and which it refuses, is the shared rule
table: test_envelope_rules.py)."""

import pytest
from destination_tomorro.envelopes import EnvelopeError, read_page

ITEMS = [{"id": "1"}, {"id": "2"}]


def page(body, limit=50):
    items_key = next((key for key in ("contracts", "contractTypes") if isinstance(body, dict) and key in body), "data")
    result = read_page(body, limit=limit, items_key=items_key, where="GET /x")
    return [i["id"] for i in result.items], result.next_cursor, result.has_next


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
    ({"results": ITEMS}, "no list of items under `data` or `data`; keys seen: results"),
    ({"data": {"id": "1"}}, "the items are not a list of objects"),
    ("<html>", "expected a JSON object or array, got str"),
])
def test_no_items_is_an_error(body, words):
    with pytest.raises(EnvelopeError, match=words):
        page(body)
