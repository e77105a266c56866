"""The list-envelope rule table (tests/data/envelope_rules.json), shared as data with the source's and
tomorro-sync's readers: envelopes.read_page reads every case as the table says."""

import json
from pathlib import Path

import pytest
from destination_tomorro.envelopes import EnvelopeError, read_page

RULES = json.loads((Path(__file__).resolve().parents[2] / "tests/data/envelope_rules.json").read_text())["cases"]


@pytest.mark.parametrize("case", RULES, ids=[case["name"] for case in RULES])
def test_the_destination_reads_every_envelope_as_the_rule_table_says(case):
    read = lambda: read_page(case["body"], limit=case["limit"], items_key=case["items_key"], where="GET /x")  # noqa: E731
    if "error" in case["expect"]:
        with pytest.raises(EnvelopeError, match="^GET /x: "):
            read()
        return
    page = read()
    assert ([item["id"] for item in page.items], page.next_cursor) == (case["expect"]["items"], case["expect"]["next"])
    assert page.has_next is (page.next_cursor is not None)
