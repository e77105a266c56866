"""schema.py: the workspace's contract types, templates and smart fields, read once per sync."""

from destination_tomorro.objects import CONTRACT, COUNTERPARTY


def test_field_matching_by_id_or_normalised_name(schema):
    assert schema.find_field(CONTRACT, "contract_value").id == "f-value"
    assert schema.find_field(CONTRACT, "CONTRACT VALUE").id == "f-value"
    assert schema.find_field(CONTRACT, "f-value").id == "f-value"
    assert schema.find_field(CONTRACT, "SIREN") is None  # a counterparty field
    assert schema.find_field(COUNTERPARTY, "siren").id == "cf-siren"


def test_templates_and_contract_types_by_id_or_name(schema):
    assert schema.find_contract_type("non-disclosure agreement")["id"] == "ct-nda"
    assert schema.find_contract_type("ct-sales")["name"] == "Sales Contract"
    assert schema.find_contract_type("Leases") is None
    template, owner = schema.find_template("one-way nda")
    assert template["id"] == "tpl-oneway" and owner["id"] == "ct-nda"
    assert schema.find_template("Mutual NDA", schema.find_contract_type("Sales Contract")) is None


def test_each_list_is_read_once(schema, fake):
    for _ in range(3):
        schema.find_field(CONTRACT, "Industry")
        schema.find_template("Mutual NDA")
        schema.options(schema.find_field(CONTRACT, "Industry"))
    assert fake.calls("GET", "/smart-fields") - fake.calls("GET", "/smart-fields/") == 1  # the list, not options
    assert fake.calls("GET", "/contract-types") == 1
    assert fake.calls("GET", "/smart-fields/f-industry/options") == 1
