"""identity.py: a contract's CRM identity, each id compared by the rules of the CRM that issued it."""

import pytest
from destination_tomorro.identity import (
    BadIdentifier,
    Identity,
    contract_identity,
    external_id_form,
    row_identity,
    salesforce_id15,
    salesforce_suffix,
)


def test_the_salesforce_suffix_encodes_the_case_of_the_15_characters():
    assert salesforce_suffix("006Qy00001AbCdE") == "IAV"  # crm-identity.md's worked example
    assert salesforce_suffix("006qy00001abcde") == "AAA"
    assert salesforce_suffix("ABCDEABCDEABCDE") == "555"


@pytest.mark.parametrize("given", ["006Qy00001AbCdEIAV", "006QY00001ABCDEIAV", "006qy00001abcdeiav", " 006Qy00001AbCdEIAV "])
def test_an_18_character_id_in_any_case_is_its_15_character_record(given):
    compared, sent = external_id_form("salesforce", given)
    assert (compared, sent) == ("006Qy00001AbCdE", "006Qy00001AbCdEIAV")


def test_15_character_salesforce_ids_are_case_sensitive():
    assert external_id_form("salesforce", "006Qy00001AbCdE")[0] != external_id_form("salesforce", "006Qy00001abcde")[0]
    assert external_id_form("salesforce", "006Qy00001abcde") == ("006Qy00001abcde", "006Qy00001abcde")


@pytest.mark.parametrize("given, problem", [
    ("006Qy00001AbCdEBAV", "marks the digit '0' as upper-case"),
    ("006Qy00001AbCdE9AV", "suffix character '9'"),
    ("006Qy00001AbCdE-AV", None),  # not 18 letters / digits: not shaped like a Salesforce id, kept exactly
])
def test_an_undecodable_suffix_is_refused(given, problem):
    if problem is None:
        assert external_id_form("salesforce", given) == (given, given)
        return
    with pytest.raises(BadIdentifier, match=problem):
        salesforce_id15(given)


@pytest.mark.parametrize("given", [12345, "12345", 12345.0, "12345.0", " 12345 ", "12345.00", "+12345"])
def test_hubspot_ids_are_numeric_by_value(given):
    assert external_id_form("hubspot", given) == ("12345", "12345")


@pytest.mark.parametrize("given, problem", [(12345.5, "whole numbers"), ("12345.5", "whole numbers"), (-3, "positive")])
def test_a_hubspot_id_that_is_no_whole_number_is_refused(given, problem):
    with pytest.raises(BadIdentifier, match=problem):
        external_id_form("hubspot", given)


@pytest.mark.parametrize("itype, given, compared", [
    ("hubspot", " D-1 ", "D-1"), ("hubspot", "d-1", "d-1"), ("salesforce", "sf-123456", "sf-123456"),
    ("salesforce", "Opp-Ref", "Opp-Ref"), ("docusign", "X-1", "X-1"),
])
def test_other_keys_are_exact_after_trimming(itype, given, compared):
    assert external_id_form(itype, given)[0] == compared


@pytest.mark.parametrize("value", [True, [1], {"a": 1}, None, "  "])
def test_what_cannot_be_an_external_id(value):
    with pytest.raises(ValueError):
        external_id_form("hubspot", value)


def test_identity_matches_on_type_entity_and_id_and_is_uncertain_without_one_entity():
    deal = row_identity("hubspot", "deal", 4242)[0]
    assert deal.matches(row_identity("HubSpot", " Deal ", "4242.0")[0]) is True
    assert deal.matches(row_identity("hubspot", "company", 4242)[0]) is False
    assert deal.matches(row_identity("salesforce", "deal", "4242")[0]) is False
    assert deal.matches(row_identity("hubspot", None, 4242)[0]) is None
    assert Identity("hubspot", None, "1").matches(Identity("hubspot", None, "1")) is True


def test_the_identity_of_a_contract_in_tomorro():
    link = {"type": "salesforce", "externalId": "006QY00001ABCDEIAV", "externalEntity": "Opportunity"}
    assert contract_identity({"integration": link}) == Identity("salesforce", "opportunity", "006Qy00001AbCdE")
    assert contract_identity({"integration": None}) is None
    assert contract_identity({"integration": {**link, "externalId": "006Qy00001AbCdE9AV"}}) is None  # malformed


@pytest.mark.parametrize(("crm", "one", "other"), [
    ("salesforce", "001Qy00001AbCdE", "001QY00001ABCDEIAV"),
    ("salesforce", "001Qy00001AbCdEIAV", "001qy00001abcdeiav"),
    ("hubspot", "9876543", "9876543.0"),
    ("hubspot", "9876543", "9876543"),
])
def test_a_crm_account_key_compares_by_its_crms_rules(crm, one, other):
    from destination_tomorro.identity import account_key

    assert account_key(crm, one) == account_key(crm, other)


@pytest.mark.parametrize(("crm", "one", "other"), [
    ("salesforce", "001Qy00001AbCdE", "001QY00001ABCDE"),  # 15 characters: case-sensitive
    ("hubspot", "98765.5", "98765"),  # no HubSpot id: compared exactly, never rejected
    (None, "ACC-1", "acc-1"),  # no CRM: exactly
    ("salesforce", "123456789", "123456789.0"),  # a SIREN under Salesforce: exactly
])
def test_a_key_that_is_not_written_as_its_crm_writes_ids_is_compared_exactly(crm, one, other):
    from destination_tomorro.identity import account_key

    assert account_key(crm, one) != account_key(crm, other)
    assert account_key(crm, "98765.5") == "98765.5"
