"""keys.py: the one matching rule, and the key of an object already in Tomorro."""

import unicodedata
from decimal import Decimal

import pytest
from destination_tomorro.keys import (
    MatchKey,
    canonical_text,
    counterparty_key,
    exact_key,
    match_key_for,
    name_lookup_term,
)
from destination_tomorro.objects import CONTRACT, COUNTERPARTY
from destination_tomorro.schema import SmartField


def test_the_matching_rule(schema, cfg, ref):
    assert match_key_for(CONTRACT, cfg(), schema) == MatchKey(CONTRACT, "external_id")
    assert match_key_for(COUNTERPARTY, cfg(), schema).on_name
    by_field = match_key_for(COUNTERPARTY, cfg(counterparty_match_field="siren"), schema)
    assert by_field.field.id == ref.cp_field["SIREN"] and by_field.column == "SIREN" and not by_field.on_name
    with pytest.raises(ValueError, match="counterparty_match_field 'vat' is not a counterparty smart field"):
        match_key_for(COUNTERPARTY, cfg(counterparty_match_field="vat"), schema)


def test_keys_of_existing_objects():
    by_name = MatchKey(COUNTERPARTY, "name")
    assert counterparty_key({"name": "  Acme SAS "}, by_name) == "acme sas"
    siren = MatchKey(COUNTERPARTY, "SIREN", SmartField("cf-siren", "SIREN", "text"))
    # an identifier is not a name: exact after trimming, case kept
    assert counterparty_key({"name": "Acme", "fields": {"cf-siren": " AB1 "}}, siren) == "AB1"
    assert counterparty_key({"name": "Acme", "fields": {}}, siren) is None


@pytest.mark.parametrize("a, b", [
    ("Café", unicodedata.normalize("NFD", "café")), ("İstanbul Ltd", "istanbul ltd"), ("Acme  SAS", "acme sas"),
    ("Straße", "STRASSE"), ("a\u00a0b", "A B"),
])
def test_names_compare_by_the_human_rules(a, b):
    assert canonical_text(a) == canonical_text(b)


@pytest.mark.parametrize("a, b", [
    (98765, 98765.0), (Decimal("12.50"), 12.5), (1e20, 100000000000000000000), (" AB-1 ", "AB-1"),
])
def test_identifiers_compare_exactly_after_trimming_numbers_by_value(a, b):
    assert exact_key(a) == exact_key(b)


@pytest.mark.parametrize("a, b", [("007", 7), ("D-1", "D 1"), (1.5, 15), ("AbC", "abc"),
                                  ("Café", unicodedata.normalize("NFD", "Café"))])
def test_different_identifiers_stay_different(a, b):
    assert exact_key(a) != exact_key(b)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, [1], {"a": 1}])
def test_what_cannot_be_a_key(value):
    with pytest.raises(ValueError):
        exact_key(value)
    assert exact_key(None) is None and exact_key("   ") is None


@pytest.mark.parametrize("name, term", [
    ("in:Acme Holding", "acme"), ("ne:gte:lte:xyz corp", "corp"), ("Café Lumière", "caf"), ("Boston Ltd", "ltd"),
    ("Lidl", None), ("株式会社", None), ("Großhandel", "handel"),
])
def test_look_up_terms_never_read_as_an_operator(name, term):
    assert name_lookup_term(name) == term
    if term:
        assert term.isascii() and term.isalnum() and term in canonical_text(name)
