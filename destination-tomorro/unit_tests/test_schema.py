"""schema.py: the workspace's contract types, templates and smart fields, read once per sync."""

from destination_tomorro.objects import CONTRACT, COUNTERPARTY


def test_field_matching_by_id_or_normalised_name(schema, ref):
    value = ref.field["Contract value"]
    assert schema.find_field(CONTRACT, "contract_value").id == value
    assert schema.find_field(CONTRACT, "CONTRACT VALUE").id == value
    assert schema.find_field(CONTRACT, value).id == value
    assert schema.find_field(CONTRACT, "SIREN") is None  # a counterparty field
    assert schema.find_field(COUNTERPARTY, "siren").id == ref.cp_field["SIREN"]


def test_templates_and_contract_types_by_id_or_name(schema, ref):
    nda = ref.contract_type["Non-Disclosure Agreement"]
    assert schema.find_contract_type("non-disclosure agreement")["id"] == nda
    assert schema.find_contract_type(ref.contract_type["Sales Contract"])["name"] == "Sales Contract"
    assert schema.find_contract_type("Leases") is None
    template, owner = schema.find_template("one-way nda")
    assert template["id"] == ref.template["One-way NDA"] and owner["id"] == nda
    assert schema.find_template("Mutual NDA", schema.find_contract_type("Sales Contract")) is None


def test_each_list_is_read_once(schema, sb, ref):
    for _ in range(3):
        schema.find_field(CONTRACT, "Industry")
        schema.find_template("Mutual NDA")
        schema.options(schema.find_field(CONTRACT, "Industry"))
    def reads(template):  # a list read from its first page (its next pages are the same read)
        return [r["path"] for r in sb.requests("GET", template) if "after" not in r["query"]]

    assert reads("/v2/smart-fields") == ["/v2/smart-fields"]
    assert reads("/v2/contract-types") == ["/v2/contract-types"]
    assert reads("/v2/smart-fields/{id}/options") == [f"/v2/smart-fields/{ref.field['Industry']}/options"]
