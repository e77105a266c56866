import datetime as dt
from decimal import Decimal

import pytest
from destination_tomorro.client import TomorroClient
from destination_tomorro.errors import RowRejected
from destination_tomorro.mapping import (
    CONTRACT,
    COUNTERPARTY,
    RowMapper,
    TomorroSchema,
    coerce,
    diff_contract,
    diff_counterparty,
    normalise,
)

BASE = "https://api.tomorro.test/v2"
KEY = "unit-test-key-123456"


@pytest.fixture
def schema(fake):
    return TomorroSchema(TomorroClient(BASE, KEY, requests_per_minute=6000), integration_type="hubspot")


def field(schema, obj, name):
    return schema.find_field(obj, name)


@pytest.mark.parametrize("value, expected", [
    (12, 12), (1.5, 1.5), ("42", 42), (" 1250.50 ", 1250.5), (Decimal("10"), 10), ("-3e2", -300.0)])
def test_number(schema, value, expected):
    assert coerce(schema, field(schema, CONTRACT, "Contract value"), value) == expected


@pytest.mark.parametrize("value", ["abc", True, "nan", {"a": 1}, "1,5"])
def test_number_rejects(schema, value):
    with pytest.raises(RowRejected, match="Contract value"):
        coerce(schema, field(schema, CONTRACT, "Contract value"), value)


@pytest.mark.parametrize("value, expected", [
    ("2025-03-01", "2025-03-01"), ("2025-03-01T23:30:00Z", "2025-03-01"),
    ("2025-03-01T23:30:00-02:00", "2025-03-02"), (dt.date(2024, 2, 29), "2024-02-29"),
    (dt.datetime(2024, 1, 2, 3, 4), "2024-01-02")])
def test_date(schema, value, expected):
    assert coerce(schema, field(schema, CONTRACT, "Renewal date"), value) == expected


@pytest.mark.parametrize("value", ["01/03/2025", "2025-13-01", 20250301])
def test_date_rejects(schema, value):
    with pytest.raises(RowRejected, match="is not a date"):
        coerce(schema, field(schema, CONTRACT, "Renewal date"), value)


def test_select_matches_labels_translations_and_crm_values(schema):
    sf = field(schema, CONTRACT, "Industry")
    assert coerce(schema, sf, "technology") == "Technology"
    assert coerce(schema, sf, "Technologie") == "Technology"  # French translation
    assert coerce(schema, sf, "hs_finance") == "Finance"  # HubSpot integration value
    with pytest.raises(RowRejected) as info:
        coerce(schema, sf, "Bakery")
    assert "'Bakery' is not an option of smart field 'Industry'" in info.value.reason
    assert "Finance, Technology" in info.value.reason


def test_multiselect_from_list_or_comma_separated(schema):
    sf = field(schema, CONTRACT, "Products")
    assert coerce(schema, sf, "widgets, Gadgets") == ["Widgets", "Gadgets"]
    assert coerce(schema, sf, ["Gadgets FR"]) == ["Gadgets"]
    with pytest.raises(RowRejected):
        coerce(schema, sf, "Widgets, Sprockets")


def test_richtext_and_text(schema):
    assert coerce(schema, field(schema, CONTRACT, "Special conditions"), "a\nb") == [
        {"type": "paragraph", "children": [{"text": "a"}]}, {"type": "paragraph", "children": [{"text": "b"}]}]
    assert coerce(schema, field(schema, CONTRACT, "Project code"), "P-\x00\x07A1\tx") == "P-A1\tx"
    assert coerce(schema, field(schema, CONTRACT, "Project code"), 123) == "123"
    with pytest.raises(RowRejected, match="longer than"):
        coerce(schema, field(schema, CONTRACT, "Project code"), "x" * 1_000_001)


@pytest.mark.parametrize("value, expected", [
    ("12 months", {"value": 12, "unit": "months"}), ("1 year", {"value": 1, "unit": "years"}),
    ({"value": 30, "unit": "day"}, {"value": 30, "unit": "days"}), ('{"value": 2, "unit": "weeks"}', {"value": 2, "unit": "weeks"})])
def test_duration(schema, value, expected):
    assert coerce(schema, field(schema, CONTRACT, "Notice period"), value) == expected


def test_duration_rejects(schema):
    with pytest.raises(RowRejected, match="is not a duration"):
        coerce(schema, field(schema, CONTRACT, "Notice period"), 12)


def test_field_matching_by_id_or_normalised_name(schema):
    assert field(schema, CONTRACT, "contract_value").id == "f-value"
    assert field(schema, CONTRACT, "CONTRACT VALUE").id == "f-value"
    assert field(schema, CONTRACT, "f-value").id == "f-value"
    assert field(schema, CONTRACT, "SIREN") is None  # a counterparty field
    assert normalise("External ID") == normalise("external_id") == normalise("externalId")


def contract_mapper(schema, **kw):
    return RowMapper(CONTRACT, schema, default_template=kw.pop("default_template", "Mutual NDA"),
                     integration_type="hubspot", integration_entity="deal", **kw)


def test_contract_row(schema):
    mapper = contract_mapper(schema)
    row = mapper.map({"External ID": "D-1", "name": "Deal 1", "counterparty": "Acme", "contract_value": "100",
                      "external_url": "https://crm/D-1", "status": "negotiating", "_airbyte_raw_id": "x",
                      "_ab_cdc_lsn": 1, "owner_email": "a@b.c", "renewal_date": None})
    assert row.key == "D-1" and row.counterparty_name == "Acme" and row.status == "negotiating"
    assert row.create_body == {
        "templateId": "tpl-mutual", "contractTypeId": "ct-nda", "name": "Deal 1",
        "fields": [{"fieldId": "f-value", "value": 100}],
        "integration": {"type": "hubspot", "externalId": "D-1", "externalEntity": "deal", "externalUrl": "https://crm/D-1"}}
    assert mapper.unknown_columns == {"owner_email"}


def test_contract_template_per_row_and_type_defaults(schema):
    mapper = contract_mapper(schema, default_template=None, default_contract_type="Sales Contract")
    assert mapper.map({"counterparty_id": "c"}).create_body["templateId"] == "tpl-order"  # the type's only template
    row = mapper.map({"counterparty_id": "c", "template": "tpl-oneway", "contract_type": "ct-nda"})
    assert row.create_body["templateId"] == "tpl-oneway" and row.create_body["contractTypeId"] == "ct-nda"
    with pytest.raises(RowRejected, match="'Mutual NDA' is not a template of contract type 'Sales Contract'"):
        mapper.map({"counterparty_id": "c", "template": "Mutual NDA"})
    with pytest.raises(RowRejected, match="contract_type: 'Leases' is not a contract type"):
        mapper.map({"counterparty_id": "c", "contract_type": "Leases"})


@pytest.mark.parametrize("row, reason", [
    ({"name": "x"}, "needs a counterparty_id or a counterparty"),
    ({"counterparty": "A", "status": "approved"}, "status: 'approved' is not one of"),
    ({"counterparty": "A", "contract_value": "abc"}, "'abc' is not a number"),
])
def test_contract_row_rejections(schema, row, reason):
    with pytest.raises(RowRejected, match=reason):
        contract_mapper(schema).map(row)


def test_counterparty_row_and_match_field(schema):
    mapper = RowMapper(COUNTERPARTY, schema)
    row = mapper.map({"name": "  Acme SAS ", "siren": "123", "region": "Amérique du Nord", "status": "Active"})
    assert row.key == "acme sas"
    assert row.create_body == {"name": "Acme SAS", "status": "active", "attributes": [
        {"attributeDefinitionId": "cf-siren", "value": "123"}, {"attributeDefinitionId": "cf-region", "value": "North America"}]}
    with pytest.raises(RowRejected, match="name: a counterparty needs a non-empty name"):
        mapper.map({"name": "  "})
    by_siren = RowMapper(COUNTERPARTY, schema, match_field="siren")
    assert by_siren.map({"name": "Acme", "SIREN": "123"}).key == "123"
    with pytest.raises(RowRejected, match="SIREN: the matching field has no value"):
        by_siren.map({"name": "Acme"})
    with pytest.raises(ValueError, match="counterparty_match_field 'vat' is not a counterparty smart field"):
        RowMapper(COUNTERPARTY, schema, match_field="vat")


def test_diff_sends_only_changes(schema):
    mapper = contract_mapper(schema)
    row = mapper.map({"external_id": "D", "counterparty_id": "cp1", "name": "N", "contract_value": 10,
                      "renewal_date": "2025-01-01"})
    current = {"name": "N", "status": "draft", "counterparty": {"id": "cp1"},
               "fields": [{"attributeDefinitionId": "f-value", "value": 10.0},
                          {"attributeDefinitionId": "f-renewal", "value": "2025-01-01T00:00:00.000Z"}]}
    assert diff_contract(row, current) == {}
    current["fields"][0]["value"] = 9
    current["name"] = "Old"
    assert diff_contract(row, current) == {"name": "N", "fields": [{"fieldId": "f-value", "value": 10}]}
    cp = RowMapper(COUNTERPARTY, schema).map({"name": "Acme", "siren": "1"})
    assert diff_counterparty(cp, {"name": "Acme", "status": "active", "fields": {"cf-siren": "1"}}) == {}
    assert diff_counterparty(cp, {"name": "ACME", "fields": {}}) == {
        "name": "Acme", "attributes": [{"attributeDefinitionId": "cf-siren", "value": "1"}]}
