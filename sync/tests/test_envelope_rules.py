"""The list-envelope rule table (tests/data/envelope_rules.json): tomorro-sync's fast path for the documented
envelope (target.documented_page) reads a case exactly as the table says, or defers it to the source's reader."""

import json
from pathlib import Path

import pytest
from tomorro_sync.target import OtherEnvelope, documented_page

RULES = json.loads((Path(__file__).resolve().parents[2] / "tests/data/envelope_rules.json").read_text())["cases"]
SMART_FIELD_CASES = [case for case in RULES if case["items_key"] == "data"]  # the fast path reads /smart-fields


@pytest.mark.parametrize("case", SMART_FIELD_CASES, ids=[case["name"] for case in SMART_FIELD_CASES])
def test_the_fast_path_agrees_with_the_rule_table_or_defers(case):
    try:
        items, cursor = documented_page(case["body"])
    except OtherEnvelope:
        return  # the source's reader reads it (tested against the same table)
    assert "error" not in case["expect"], "the fast path read an answer the rules refuse"
    assert ([item["id"] for item in items], cursor) == (case["expect"]["items"], case["expect"]["next"])


def test_the_fast_path_takes_the_documented_envelope_itself():
    taken = []
    for case in SMART_FIELD_CASES:
        try:
            documented_page(case["body"])
            taken.append(case["name"])
        except OtherEnvelope:
            pass
    assert any(name.startswith("counterparties (init)") for name in taken)  # else the fast path is dead code
