"""Members, contract types and templates, creation forms, smart fields, options, custom objects
and clauses: shapes as documented."""

from tomorro_sandbox.testing import assert_error


def test_member_shape(api, sb):
    m = sb.records("members")[0]
    r = api.get(f"/members/{m['id']}").json()
    assert r == m
    assert set(r) == {"id", "role", "status", "user", "groupIds", "createdAt", "updatedAt"}
    assert set(r["user"]) == {"email", "firstname", "lastname"}
    assert_error(api.get("/members/nope"), 404, "Member with id 'nope' not found")


def test_contract_types_envelope_and_template_shape(api):
    body = api.get("/contract-types").json()
    assert set(body) == {"contractTypes", "hasNext", "hasPrevious", "nextCursor", "previousCursor"}
    ct = body["contractTypes"][0]
    assert set(ct) == {"id", "name", "isPublished", "templates"}
    assert 1 <= len(ct["templates"]) <= 3
    tpl = ct["templates"][0]
    assert set(tpl) == {"id", "name", "language", "smartFields"}
    assert set(tpl["smartFields"][0]) == {"id", "name", "defaultValue", "isMandatory"}
    assert [c["name"] for c in body["contractTypes"]] == sorted(c["name"] for c in body["contractTypes"])


def test_templates_of_a_contract_type_is_a_bare_array(api, sb):
    ct = sb.records("contract-types")[0]
    assert api.get(f"/contract-types/{ct['id']}/templates").json() == ct["templates"]
    assert_error(api.get("/contract-types/nope/templates"), 404, "Contract type")


def test_creation_form_lists_the_template_fields(api, sb):
    ct = sb.records("contract-types")[0]
    tpl = ct["templates"][-1]
    form = api.get(f"/contract-types/{ct['id']}/creation-form", templateId=tpl["id"]).json()
    assert form["fieldsCount"] == len(form["fields"]) == len(tpl["smartFields"])
    assert [f["smartFieldId"] for f in form["fields"]] == [f["id"] for f in tpl["smartFields"]]
    first = form["fields"][0]
    assert first["required"] is True and first["reasons"] == ["explicitMandatory"]
    assert isinstance(form["rules"], list)
    other = sb.records("contract-types")[1]["templates"][0]["id"]
    assert_error(api.get(f"/contract-types/{ct['id']}/creation-form", templateId=other), 400, "does not belong")


def test_smart_field_items_are_id_name_type(api):
    f = api.get("/smart-fields").json()["data"][0]
    assert set(f) == {"id", "name", "type"}


def test_option_shape(api, sb):
    f = next(f for f in sb.records("smart-fields") if f["type"] == "multiselect")
    o = api.get(f"/smart-fields/{f['id']}/options").json()["data"][0]
    assert set(o) == {"id", "translations", "integrationMappings"}
    assert {t["language"] for t in o["translations"]} == {"gb", "fr", "us", "es", "de"}
    assert {m["type"] for m in o["integrationMappings"]} == {"salesforce", "hubspot"}


def test_custom_object_is_snake_case(api, sb):
    co = sb.records("custom-objects")[0]
    r = api.get(f"/custom-objects/{co['id']}").json()
    assert set(r) == {"id", "name", "smart_fields", "help_text"}


def test_put_contract_records_creates_then_updates_and_bumps_contract(api, sb):
    co = sb.records("custom-objects")[0]
    num = next(c for c in co["smart_fields"] if c["type"] == "number")
    txt = next(c for c in co["smart_fields"] if c["type"] == "string")
    contract = sb.records("contracts")[0]
    url = f"/custom-objects/{co['id']}/contract/{contract['id']}/records"
    r = api.put(url, {"records": [{"id": None, "fromCatalogRecordId": None,
                                   "fields": [{"smartFieldId": txt["id"], "value": "INV-1"},
                                              {"smartFieldId": num["id"], "value": 120.5}]}]})
    assert r.status_code == 200, r.text
    rec = r.json()["records"][0]
    r2 = api.put(url, {"records": [{"id": rec["id"], "fields": [{"smartFieldId": num["id"], "value": 99}]}]})
    assert len(r2.json()["records"]) == 1 and r2.json()["records"][0]["fields"][0]["value"] == 99
    assert api.get(f"/contracts/{contract['id']}").json()["updatedAt"] > contract["updatedAt"]
    bad = api.put(url, {"records": [{"fields": [{"smartFieldId": num["id"], "value": "lots"}]}]})
    assert_error(bad, 400, "records[0].fields[0].value", "is not a number")
    assert_error(api.put(url, {"records": [{"id": "nope", "fields": []}]}), 400, "record 'nope' not found")
    sb.reset()


def test_clauses_alpha_bare_array_shape(api):
    clauses = api.get("/clauses").json()
    assert isinstance(clauses, list) and len(clauses) == 8
    assert set(clauses[0]) == {"id", "name", "description", "organizationId", "content", "listNumbering",
                               "translations", "languages", "createdAt", "updatedAt"}
    assert clauses[0]["content"][0]["type"] == "paragraph"
