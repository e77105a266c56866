"""keys.py: the one matching rule, and the key of an object already in Tomorro."""

import pytest
from destination_tomorro.keys import MatchKey, contract_key, counterparty_key, match_key_for
from destination_tomorro.objects import CONTRACT, COUNTERPARTY
from destination_tomorro.schema import SmartField


def test_the_matching_rule(schema, cfg):
    assert match_key_for(CONTRACT, cfg(), schema) == MatchKey(CONTRACT, "external_id")
    assert match_key_for(COUNTERPARTY, cfg(), schema).on_name
    by_field = match_key_for(COUNTERPARTY, cfg(counterparty_match_field="siren"), schema)
    assert by_field.field.id == "cf-siren" and by_field.column == "SIREN" and not by_field.on_name
    with pytest.raises(ValueError, match="counterparty_match_field 'vat' is not a counterparty smart field"):
        match_key_for(COUNTERPARTY, cfg(counterparty_match_field="vat"), schema)


def test_keys_of_existing_objects():
    assert contract_key({"integration": {"externalId": "D-1"}}) == "d-1"
    assert contract_key({"integration": None}) is None
    by_name = MatchKey(COUNTERPARTY, "name")
    assert counterparty_key({"name": "  Acme SAS "}, by_name) == "acme sas"
    siren = MatchKey(COUNTERPARTY, "SIREN", SmartField("cf-siren", "SIREN", "text"))
    assert counterparty_key({"name": "Acme", "fields": {"cf-siren": " AB1 "}}, siren) == "ab1"
    assert counterparty_key({"name": "Acme", "fields": {}}, siren) is None
