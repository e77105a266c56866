"""The list-envelope rule table (tests/data/envelope_rules.json), shared as data with the destination's and
tomorro-sync's readers: components.read_list_page reads every case as the table says."""

import json
from pathlib import Path

import pytest
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from source_tomorro.run import register_components

RULES = json.loads((Path(__file__).resolve().parents[2] / "tests/data/envelope_rules.json").read_text())["cases"]
read_list_page = register_components().read_list_page


@pytest.mark.parametrize("case", RULES, ids=[case["name"] for case in RULES])
def test_the_source_reads_every_envelope_as_the_rule_table_says(case):
    if "error" in case["expect"]:
        with pytest.raises(AirbyteTracedException, match="shape this connector does not know"):
            read_list_page(case["body"], case["items_key"], case["limit"])
        return
    page = read_list_page(case["body"], case["items_key"], case["limit"])
    assert ([item["id"] for item in page.items], page.next_cursor) == (case["expect"]["items"], case["expect"]["next"])
