"""mapping.py: rows -> API bodies, matching keys and rejections naming the column."""

import pytest
from destination_tomorro.errors import RowRejected
from destination_tomorro.keys import match_key_for
from destination_tomorro.mapping import RowMapper
from destination_tomorro.objects import CONTRACT, COUNTERPARTY


def mapper(schema, cfg, obj=CONTRACT, **overrides):
    config = cfg(**overrides)
    return RowMapper(obj, schema, config, match_key_for(obj, config, schema))


def test_contract_row(schema, cfg, ref):
    m = mapper(schema, cfg)
    row = m.map({"External ID": "D-1", "name": "Deal 1", "counterparty": "Acme", "contract_value": "100",
                 "external_url": "https://crm/D-1", "status": "negotiating", "_airbyte_raw_id": "x",
                 "_ab_cdc_lsn": 1, "owner_email": "a@b.c", "renewal_date": None})
    assert (row.key, row.label) == ("hubspot|deal|D-1", "D-1") and row.counterparty_name == "Acme"
    assert row.status == "negotiating"
    assert row.create_body == {
        "templateId": ref.template["Mutual NDA"], "contractTypeId": ref.contract_type["Non-Disclosure Agreement"],
        "name": "Deal 1", "fields": [{"fieldId": ref.field["Contract value"], "value": 100}],
        "integration": {"type": "hubspot", "externalId": "D-1", "externalEntity": "deal", "externalUrl": "https://crm/D-1"}}
    assert m.unknown_columns == {"owner_email"}


def test_contract_template_per_row_and_type_defaults(schema, cfg, ref):
    m = mapper(schema, cfg, default_template=None, default_contract_type="Employment Contract")
    only = ref.template["Permanent Contract"]
    assert m.map({"counterparty_id": "c"}).create_body["templateId"] == only  # the type's only template
    one_way, nda = ref.template["One-way NDA"], ref.contract_type["Non-Disclosure Agreement"]
    row = m.map({"counterparty_id": "c", "template": one_way, "contract_type": nda})
    assert row.create_body["templateId"] == one_way and row.create_body["contractTypeId"] == nda
    with pytest.raises(RowRejected, match="'Mutual NDA' is not a template of contract type 'Employment Contract'"):
        m.map({"counterparty_id": "c", "template": "Mutual NDA"})
    with pytest.raises(RowRejected, match="contract_type: 'Leases' is not a contract type"):
        m.map({"counterparty_id": "c", "contract_type": "Leases"})


@pytest.mark.parametrize("row, reason", [
    ({"name": "x"}, "needs a counterparty_id, counterparty_key or counterparty"),
    ({"counterparty": "A", "status": "approved"}, "status: 'approved' is not one of"),
    ({"counterparty": "A", "contract_value": "abc"}, "'abc' is not a number"),
])
def test_contract_row_rejections(schema, cfg, row, reason):
    with pytest.raises(RowRejected, match=reason):
        mapper(schema, cfg).map(row)


def test_external_id_needs_an_integration_type(schema, cfg):
    with pytest.raises(RowRejected, match="external_id: set integration_type"):
        mapper(schema, cfg, integration_type=None).map({"external_id": "D-1", "counterparty": "A"})


def test_counterparty_row_and_match_field(schema, cfg, ref):
    m = mapper(schema, cfg, COUNTERPARTY)
    row = m.map({"name": "  Acme SAS ", "siren": "123", "department": "Ressources humaines", "status": "Active"})
    assert row.key == "acme sas"
    assert row.create_body == {"name": "Acme SAS", "status": "active", "attributes": [
        {"attributeDefinitionId": ref.cp_field["SIREN"], "value": "123"},
        {"attributeDefinitionId": ref.cp_field["Department"], "value": "Human resources"}]}  # the French label
    with pytest.raises(RowRejected, match="name: a counterparty needs a non-empty name"):
        m.map({"name": "  "})
    by_siren = mapper(schema, cfg, COUNTERPARTY, counterparty_match_field="siren")
    assert by_siren.map({"name": "Acme", "SIREN": "123"}).key == "123"
    with pytest.raises(RowRejected, match="SIREN: the matching field .smart field 'SIREN'. has no value"):
        by_siren.map({"name": "Acme"})


def test_raw_key_of_a_row_that_cannot_be_mapped(schema, cfg):
    assert mapper(schema, cfg).raw_key({"External_ID": " D-9 ", "contract_value": "x"}) == ("hubspot|deal|D-9", "D-9")
    assert mapper(schema, cfg, COUNTERPARTY).raw_key({"Name": "ACME", "status": "bogus"}) == ("acme", "ACME")
    assert mapper(schema, cfg, COUNTERPARTY, counterparty_match_field="SIREN").raw_key({"siren": "X1"}) == ("X1", "X1")


@pytest.mark.parametrize("column, value", [
    ("contract_value", float("nan")), ("contract_value", float("inf")), ("owner_score", float("-inf")),
    ("Project code", float("nan")), ("nested", {"a": [1.0, float("nan")]}),
])
def test_a_non_finite_number_anywhere_rejects_the_row_naming_the_column(schema, cfg, column, value):
    with pytest.raises(RowRejected) as info:
        mapper(schema, cfg).map({"external_id": "D-1", "counterparty": "A", column: value})
    assert info.value.reason.startswith(f"{column}: ") and "is not a finite number" in info.value.reason


@pytest.mark.parametrize("value", [{"id": 1}, [1, 2], True])
def test_a_key_that_is_not_a_scalar_is_rejected_not_sent_as_its_repr(schema, cfg, value):
    with pytest.raises(RowRejected) as info:
        mapper(schema, cfg).map({"external_id": value, "counterparty": "A"})
    assert info.value.reason.startswith("external_id: a ")


def test_numbers_as_external_ids_are_sent_and_matched_by_value(schema, cfg):
    m = mapper(schema, cfg)
    for value in (98765, 98765.0, "98765", " 98765 ", "98765.0"):
        row = m.map({"external_id": value, "counterparty": "A"})
        assert (row.key, row.create_body["integration"]["externalId"]) == ("hubspot|deal|98765", "98765")
    with pytest.raises(RowRejected, match="external_id: '1234.5' is not a HubSpot id: HubSpot ids are whole numbers"):
        m.map({"external_id": 1234.5, "counterparty": "A"})


def test_line_breaks_of_every_kind_are_normalised(schema, cfg, ref):
    row = mapper(schema, cfg).map({"external_id": "D\r\n1", "name": "Deal\u2028One\u0085", "counterparty": "Acme\rSAS",
                                   "project code": "a\r\nb\rc\u0085d\u2028e\u2029f"})
    assert row.name == "Deal One" and row.counterparty_name == "Acme SAS" and row.label == "D 1"
    assert row.fields[ref.field["Project code"]] == "a\nb\nc\nd\ne\nf"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "ftp://crm/1",
                                 "//crm.example.com/1", "crm.example.com/deal/1"])
def test_only_http_links_are_sent(schema, cfg, url):
    with pytest.raises(RowRejected, match="external_url: .* is not an http"):
        mapper(schema, cfg).map({"external_id": "D-1", "counterparty": "A", "external_url": url})
    row = mapper(schema, cfg).map({"external_id": "D-1", "counterparty": "A", "external_url": "HTTPS://crm/1"})
    assert row.create_body["integration"]["externalUrl"] == "HTTPS://crm/1"


def test_colliding_counterparty_names_share_one_key(schema, cfg):
    import unicodedata

    m = mapper(schema, cfg, COUNTERPARTY)
    keys = {m.map({"name": n}).key for n in ("Café  Crème", unicodedata.normalize("NFD", "CAFÉ CRÈME"), " café crème")}
    assert keys == {"café crème"}
