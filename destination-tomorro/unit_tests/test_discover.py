import json

from destination_tomorro import DestinationTomorro
from destination_tomorro.discover import catalog_message


def test_discover_lists_objects_modes_keys_and_smart_fields(sb, config, w):
    message = catalog_message(DestinationTomorro().discover({**config, "counterparty_match_field": "siren"}))
    assert message["type"] == "DESTINATION_CATALOG"
    ops = {(o["object_name"], o["sync_mode"]): o for o in message["destination_catalog"]["operations"]}
    assert set(ops) == {("counterparty", "append"), ("counterparty", "append_dedup"),
                        ("contract", "append"), ("contract", "append_dedup")}
    assert ops[("contract", "append_dedup")]["matching_keys"] == [["external_id"]]
    assert ops[("counterparty", "append_dedup")]["matching_keys"] == [["SIREN"]]
    assert "matching_keys" not in ops[("contract", "append")]
    contract_props = ops[("contract", "append")]["json_schema"]["properties"]
    assert contract_props["Renewal date"]["format"] == "date" and "external_id" in contract_props
    assert ops[("counterparty", "append")]["json_schema"]["required"] == ["name"]
    assert w.writes(sb) == []
    json.dumps(message)


def test_discover_is_a_cli_verb():
    parsed = DestinationTomorro().parse_args(["discover", "--config", "c.json"])
    assert parsed.command == "discover" and parsed.config == "c.json"
    assert DestinationTomorro().parse_args(["spec"]).command == "spec"
