"""Contracts: the documented seed examples, create/get/patch shapes, validation, transitions."""

import re

import pytest
from tomorro_sandbox.testing import assert_error

PLACEHOLDER_FOLDER = "550e8400-e29b-41d4-a716-446655440005"
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture(autouse=True)
def _fresh(sb):
    yield
    sb.reset()
    sb.set_clock(0)


def seed_create_body(ids, label):
    """seeds/001 (POST /contracts), with seeded ids in place of the documentation's placeholders."""
    m = ids["member"]["id"]
    industry = ids["field"]("select")
    return {
        "templateId": ids["template"]["id"],
        "counterparty": {"name": "Acme Corporation"},
        "name": "Service Agreement - Acme Corp",
        "signatories": [{"InternalSignatoryMemberIds": [m], "ExternalSignatoryEmailList": ["signatory@example.com"]}],
        "fields": [{"fieldId": industry["id"], "value": label(ids, industry["id"], 0)}],
        "contractMembers": [{"memberId": m}],
        "contractTypeId": ids["type"]["id"],
        "folderId": PLACEHOLDER_FOLDER,
        "referentId": ids["members"][1]["id"],
        "supervisorId": ids["members"][0]["id"],
    }


def test_create_contract_given_seed_example_returns_201_with_documented_shape(api, ids, label):
    body = seed_create_body(ids, label)
    r = api.post("/contracts", body)
    assert r.status_code == 201, r.text
    c = r.json()
    for key in ("id", "name", "status", "counterparty", "contractType", "template", "author", "referent",
                "supervisor", "startAt", "endAt", "fields", "signatories", "createdAt", "updatedAt"):
        assert key in c
    assert c["status"] == "draft" and c["name"] == "Service Agreement - Acme Corp"
    assert c["counterparty"]["name"] == "Acme Corporation"
    assert c["template"] == {"id": ids["template"]["id"], "name": ids["template"]["name"]}
    assert c["templateId"] == ids["template"]["id"]
    assert c["contractType"]["id"] == ids["type"]["id"]
    assert c["fields"][0]["attributeDefinitionId"] == body["fields"][0]["fieldId"]
    assert c["fields"][0]["value"] == body["fields"][0]["value"]
    assert {s["type"] for s in c["signatories"]} == {"member", "external"}
    assert set(c["signatories"][0]) == {"id", "name", "email", "type"}
    assert c["referent"]["id"] == ids["members"][1]["id"] and "email" in c["referent"]
    assert ISO_MS.match(c["createdAt"]) and c["createdAt"] == c["updatedAt"]
    assert c["integration"] is None
    assert api.get(f"/contracts/{c['id']}").json() == c


def test_create_contract_given_counterparty_name_creates_a_new_counterparty_each_time(api, ids, label, sb):
    before = len(sb.records("counterparties"))
    a = api.post("/contracts", seed_create_body(ids, label)).json()
    b = api.post("/contracts", seed_create_body(ids, label)).json()
    assert a["counterparty"]["id"] != b["counterparty"]["id"]
    assert len(sb.records("counterparties")) == before + 2


def test_create_contract_given_existing_counterparty_id_links_it(api, ids, sb):
    cp = sb.records("counterparties")[0]
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"id": cp["id"]}})
    assert r.status_code == 201
    assert r.json()["counterparty"] == {"id": cp["id"], "name": cp["name"]}
    assert r.json()["name"] == ids["template"]["name"]  # defaults to the template's name


def test_patch_contract_given_seed_example_returns_documented_shape(api, ids, label):
    created = api.post("/contracts", seed_create_body(ids, label)).json()
    m = ids["member"]["id"]
    select = ids["field"]("select")
    body = {  # seeds/002
        "name": "Service Agreement - Acme Corp",
        "status": "draft",
        "folderId": PLACEHOLDER_FOLDER,
        "counterparty": {"name": "Acme Corporation"},
        "signatureDate": "2024-06-01T00:00:00.000Z",
        "signatories": {"internalSignatoryMemberIds": [m], "externalSignatoryEmailList": ["signatory@example.com"]},
        "fields": [{"fieldId": select["id"], "value": label(ids, select["id"], 0)}],
        "contractMembersIds": [m],
        "integration": {"type": "salesforce"},
    }
    r = api.patch(f"/contracts/{created['id']}", body)
    assert r.status_code == 200, r.text
    c = r.json()
    for key in ("id", "name", "status", "counterparty", "contractType", "templateId", "author", "fields",
                "signatories", "createdAt", "contractMembers"):
        assert key in c
    assert c["fields"][0] == {"attributeDefinitionId": select["id"], "name": select["name"],
                              "value": label(ids, select["id"], 0)}
    assert c["contractMembers"] == [{"id": m, "email": ids["member"]["user"]["email"]}]
    assert c["signatureDate"] == "2024-06-01T00:00:00.000Z"


def test_get_contract_given_seeded_id_returns_documented_shape(api, sb):
    c = sb.records("contracts")[0]
    r = api.get(f"/contracts/{c['id']}")  # seeds/003
    assert r.status_code == 200
    assert r.json() == c
    assert set(c) >= {"id", "name", "status", "counterparty", "contractType", "templateId", "author", "fields",
                      "signatories", "integration", "createdAt", "updatedAt", "contractMembers"}


def test_get_contract_given_unknown_id_returns_404_with_message(api):
    assert_error(api.get("/contracts/00000000-0000-4000-8000-000000000000"), 404, "Contract", "not found")


def test_patch_contract_bumps_updated_at_to_server_clock(api, sb):
    c = next(c for c in sb.records("contracts") if c["status"] == "draft")
    r = api.patch(f"/contracts/{c['id']}", {"name": "Renamed"})
    assert r.json()["name"] == "Renamed"
    assert r.json()["updatedAt"] > c["updatedAt"] and r.json()["createdAt"] == c["createdAt"]


def test_patch_contract_given_fields_merges_by_id_and_null_clears(api, sb, ids):
    c = next(c for c in sb.records("contracts") if len(c["fields"]) >= 2)
    first, second = c["fields"][0], c["fields"][1]
    r = api.patch(f"/contracts/{c['id']}", {"fields": [{"fieldId": first["attributeDefinitionId"], "value": None}]})
    out = {f["attributeDefinitionId"]: f for f in r.json()["fields"]}
    assert first["attributeDefinitionId"] not in out and out[second["attributeDefinitionId"]] == second


@pytest.mark.parametrize(("ftype", "good"), [
    ("number", 12.5), ("text", "hello"), ("date", "2024-02-29"),
    ("richtext", [{"type": "paragraph", "children": [{"text": "hi"}]}]),
    ("duration", {"value": 12, "unit": "months"}),
])
def test_create_contract_given_value_of_each_type_stores_it(api, ids, ftype, good):
    f = ids["field"](ftype)
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "fields": [{"fieldId": f["id"], "value": good}]})
    assert r.status_code == 201, r.text
    assert r.json()["fields"] == [{"attributeDefinitionId": f["id"], "name": f["name"], "value": good}]


def test_create_contract_given_french_select_label_stores_the_default_language_label(api, ids):
    f = ids["field"]("select")
    opt = next(o for o in ids["options"] if o["smartFieldId"] == f["id"])
    fr = next(t["value"] for t in opt["translations"] if t["language"] == "fr")
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "fields": [{"fieldId": f["id"], "value": fr}]})
    assert r.json()["fields"][0]["value"] == opt["translations"][0]["value"]


def test_patch_contract_with_integration_type_resolves_select_values_through_mappings(api, ids, sb):
    f = ids["field"]("select")
    opt = next(o for o in ids["options"] if o["smartFieldId"] == f["id"])
    sf_value = next(m["value"] for m in opt["integrationMappings"] if m["type"] == "salesforce")
    c = sb.records("contracts")[0]
    body = {"fields": [{"fieldId": f["id"], "value": sf_value}]}
    assert_error(api.patch(f"/contracts/{c['id']}", body), 400, "is not an option label")
    r = api.patch(f"/contracts/{c['id']}", {**body, "integration": {"type": "salesforce"}})
    assert r.status_code == 200, r.text
    assert {x["attributeDefinitionId"]: x["value"] for x in r.json()["fields"]}[f["id"]] == opt["translations"][0]["value"]


def test_create_contract_with_integration_echoes_it_back(api, ids):
    integ = {"type": "hubspot", "externalId": "hs-1", "externalEntity": "deal", "externalUrl": "https://crm/x"}
    r = api.post("/contracts", {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
                                "integration": integ})
    assert r.json()["integration"] == integ
    assert api.get(f"/contracts/{r.json()['id']}").json()["integration"] == integ


def test_create_contract_twice_with_same_external_id_creates_two_by_default(api, ids):
    body = {"templateId": ids["template"]["id"], "counterparty": {"name": "X"},
            "integration": {"type": "salesforce", "externalId": "sf-dup"}}
    a, b = api.post("/contracts", body), api.post("/contracts", body)
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_signed_files_of_signed_contract_have_fresh_expiring_url(api, sb):
    c = next(c for c in sb.records("contracts") if c["status"] == "signed")
    files = api.get(f"/contracts/{c['id']}/signed-files").json()
    assert files and files[0]["filename"].endswith(".pdf") and files[0]["contentType"] == "application/pdf"
    assert files[0]["expiresAt"] > c["updatedAt"]
    pdf = api.s.get(files[0]["downloadUrl"], timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    draft = next(c for c in sb.records("contracts") if c["status"] == "draft")
    assert api.get(f"/contracts/{draft['id']}/signed-files").json() == []


def test_contract_clauses_returns_bare_array(api, sb):
    cc = sb.records("contract-clauses")[0]
    r = api.get(f"/contracts/{cc['contractId']}/clauses")
    assert r.status_code == 200 and cc in r.json()
    assert set(r.json()[0]) == {"id", "contractId", "isCustom", "clause"}


def test_dedup_external_id_mode_returns_409_on_second_create(ids):
    from tomorro_sandbox import SandboxServer
    from tomorro_sandbox.testing import Api

    with SandboxServer(contracts=20, counterparties=5, dedup_external_id=True) as sb2:
        api2 = Api(sb2)
        tpl = sb2.records("contract-types")[0]["templates"][0]["id"]
        body = {"templateId": tpl, "counterparty": {"name": "X"},
                "integration": {"type": "salesforce", "externalId": "sf-once"}}
        first = api2.post("/contracts", body)
        assert first.status_code == 201
        assert_error(api2.post("/contracts", body), 409, "sf-once", first.json()["id"])
