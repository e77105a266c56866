"""Contract writes that a real server refuses: status transitions, unknown ids, values that do not
fit their smart field, unknown properties. Every negative test asserts status and message."""

import pytest
from tomorro_sandbox.testing import assert_error


@pytest.fixture(autouse=True)
def _fresh(sb):
    yield
    sb.reset()


@pytest.mark.parametrize(("current", "target", "status"), [
    ("draft", "negotiating", 200), ("negotiating", "draft", 200), ("signing", "canceled", 200),
    ("draft", "canceled", 200), ("signed", "draft", 422), ("signed", "canceled", 422),
    ("canceled", "draft", 422), ("draft", "signed", 422),
])
def test_patch_contract_status_transition(api, sb, current, target, status):
    c = next(c for c in sb.records("contracts") if c["status"] == current)
    r = api.patch(f"/contracts/{c['id']}", {"status": target})
    if status == 200:
        assert r.status_code == 200 and r.json()["status"] == target
    else:
        assert_error(r, 422, "status", current if current in ("signed", "canceled") else "signature")


def test_patch_contract_given_unknown_status_returns_400(api, sb):
    c = sb.records("contracts")[0]
    assert_error(api.patch(f"/contracts/{c['id']}", {"status": "archived"}), 400, "status must be one of")


def test_create_contract_given_unknown_template_returns_400_naming_it(api):
    r = api.post("/contracts", {"templateId": "00000000-0000-4000-8000-000000000000", "counterparty": {"name": "X"}})
    assert_error(r, 400, "templateId", "00000000-0000-4000-8000-000000000000", "not found")


def test_create_contract_given_unknown_contract_type_returns_400(api, ids):
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "contractTypeId": "00000000-0000-4000-8000-000000000000"})
    assert_error(r, 400, "contractTypeId", "not found")


def test_create_contract_given_template_of_another_type_returns_400(api, ids):
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "contractTypeId": ids["other_type"]["id"]})
    assert_error(r, 400, "does not belong to contract type")


def test_create_contract_without_required_properties_returns_400_listing_them(api):
    assert_error(api.post("/contracts", {}), 400, "templateId should not be empty", "counterparty should not be empty")


def test_create_contract_given_unknown_property_returns_400(api, ids):
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"}, "colour": 1})
    assert_error(r, 400, "property colour should not exist")


def test_create_contract_given_unknown_field_id_returns_400_naming_it(api, ids):
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "fields": [{"fieldId": "nope", "value": 1}]})
    assert_error(r, 400, "fields[0].fieldId", "unknown smart field 'nope'")


def test_create_contract_given_counterparty_field_returns_400(api, ids):
    f = ids["field"]("text", "external_party")
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "fields": [{"fieldId": f["id"], "value": "x"}]})
    assert_error(r, 400, "belongs to external_party")


@pytest.mark.parametrize(("ftype", "bad", "fragment"), [
    ("number", "abc", "is not a number"),
    ("number", True, "is not a number"),
    ("text", 12, "is not a string"),
    ("date", "2024-13-45", "is not a date"),
    ("date", "01/02/2024", "is not a date"),
    ("select", "Definitely not an option", "is not an option label"),
    ("multiselect", "Technology", "is not an array of option labels"),
    ("multiselect", ["Definitely not an option"], "is not an option label"),
    ("richtext", "plain text", "is not rich text as Slate JSON"),
    ("duration", {"value": 3, "unit": "fortnights"}, "is not a duration"),
    ("duration", 12, "is not a duration"),
])
def test_create_contract_given_value_of_wrong_type_returns_400_naming_the_field(api, ids, ftype, bad, fragment):
    f = ids["field"](ftype)
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "fields": [{"fieldId": "ignored-first", "value": 1}, {"fieldId": f["id"], "value": bad}]})
    assert_error(r, 400, "fields[1].value", fragment, f"smart field '{f['name']}'", f"type {ftype}")


def test_create_contract_given_unknown_member_returns_400(api, ids):
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "referentId": "nobody"})
    assert_error(r, 400, "referentId: member 'nobody' not found")


def test_create_contract_given_invalid_json_returns_400(api):
    r = api.s.post(api.sb.url + "/contracts", data=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "not valid JSON")


def test_patch_contract_integration_takes_only_type(api, sb):
    c = sb.records("contracts")[0]
    r = api.patch(f"/contracts/{c['id']}", {"integration": {"type": "hubspot", "externalId": "hs-9"}})
    assert_error(r, 400, "integration.externalId should not exist")


@pytest.mark.parametrize(("extra", "fragment"), [
    ({"counterparty": {"name": "X", "vat": "FR1"}}, "counterparty.vat should not exist"),
    ({"integration": {"type": "hubspot", "externalId": "h", "owner": "me"}}, "integration.owner should not exist"),
    ({"fields": [{"fieldId": "x", "value": 1, "label": "y"}]}, "fields[0].label should not exist"),
    ({"signatories": {"internalSignatoryMemberIds": [], "cc": []}}, "signatories.cc should not exist"),
])
def test_create_contract_given_unknown_nested_property_returns_400(api, ids, extra, fragment):
    body = {"templateId": ids["template"]["id"], "counterparty": {"name": "X"}, **extra}
    assert_error(api.post("/contracts", body), 400, fragment)
