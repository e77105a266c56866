"""envelopes.py: the one place that reads list envelopes."""

from destination_tomorro.envelopes import read_page


def test_camel_envelope_of_contracts_and_contract_types():
    page = read_page({"contracts": [{"id": "1"}], "hasNext": True, "nextCursor": "c1"})
    assert ([i["id"] for i in page.items], page.next_cursor, page.has_next) == (["1"], "c1", True)
    page = read_page({"contractTypes": [{"id": "t"}], "hasNext": False, "nextCursor": None})
    assert ([i["id"] for i in page.items], page.has_next) == (["t"], False)


def test_snake_envelope_of_the_other_lists():
    page = read_page({"data": [{"id": "a"}], "pagination": {"has_next": True, "next_cursor": "n1"}})
    assert ([i["id"] for i in page.items], page.next_cursor, page.has_next) == (["a"], "n1", True)
