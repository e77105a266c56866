"""Counterparties: create (attributes in) vs response (fields map out), PATCH, validation."""

import pytest
from tomorro_sandbox.testing import assert_error


@pytest.fixture(autouse=True)
def _fresh(sb):
    yield
    sb.reset()


def field(ids, ftype):
    return ids["field"](ftype, "external_party")


def test_create_counterparty_returns_201_with_fields_map(api, ids, label):
    sel, num = field(ids, "select"), field(ids, "number")
    body = {"name": "Acme Corporation", "status": "active",
            "attributes": [{"attributeDefinitionId": sel["id"], "value": label(ids, sel["id"], 0)},
                           {"attributeDefinitionId": num["id"], "value": 42}]}
    r = api.post("/counterparties", body)
    assert r.status_code == 201, r.text
    cp = r.json()
    assert set(cp) == {"id", "name", "status", "logoUrl", "fields", "createdAt", "updatedAt"}
    assert cp["fields"] == {sel["id"]: label(ids, sel["id"], 0), num["id"]: 42}
    assert api.get(f"/counterparties/{cp['id']}").json() == cp


def test_create_counterparty_defaults_to_active(api):
    assert api.post("/counterparties", {"name": "Plain"}).json()["status"] == "active"


def test_create_counterparty_without_name_returns_400(api):
    assert_error(api.post("/counterparties", {"status": "active"}), 400, "name should not be empty")


def test_create_counterparty_given_contract_field_returns_400(api, ids):
    f = ids["field"]("text")
    r = api.post("/counterparties", {"name": "X", "attributes": [{"attributeDefinitionId": f["id"], "value": "x"}]})
    assert_error(r, 400, "attributes[0].attributeDefinitionId", "belongs to contract")


def test_create_counterparty_given_bad_value_names_the_field(api, ids):
    f = field(ids, "date")
    r = api.post("/counterparties", {"name": "X", "attributes": [{"attributeDefinitionId": f["id"], "value": 3}]})
    assert_error(r, 400, "attributes[0].value", "is not a date", f["name"])


def test_create_counterparty_given_bad_status_returns_400(api):
    assert_error(api.post("/counterparties", {"name": "X", "status": "deleted"}), 400, "status must be one of")


def test_patch_counterparty_merges_attributes_and_null_clears(api, sb, ids):
    cp = next(c for c in sb.records("counterparties") if len(c["fields"]) >= 2)
    gone, kept = list(cp["fields"])[:2]
    text = field(ids, "text")
    r = api.patch(f"/counterparties/{cp['id']}", {"attributes": [
        {"attributeDefinitionId": gone, "value": None}, {"attributeDefinitionId": text["id"], "value": "new"}]})
    assert r.status_code == 200, r.text
    out = r.json()["fields"]
    assert gone not in out and out[kept] == cp["fields"][kept] and out[text["id"]] == "new"
    assert r.json()["updatedAt"] > cp["updatedAt"] and r.json()["name"] == cp["name"]


def test_patch_counterparty_rename_updates_contracts_embedding_it(api, sb):
    c = sb.records("contracts")[0]
    cpid = c["counterparty"]["id"]
    api.patch(f"/counterparties/{cpid}", {"name": "Renamed Ltd"})
    assert api.get(f"/contracts/{c['id']}").json()["counterparty"] == {"id": cpid, "name": "Renamed Ltd"}


def test_patch_counterparty_given_unknown_id_returns_404(api):
    assert_error(api.patch("/counterparties/nope", {"name": "X"}), 404, "Counterparty with id 'nope' not found")


def test_patch_counterparty_given_empty_name_returns_400(api, sb):
    cp = sb.records("counterparties")[0]
    assert_error(api.patch(f"/counterparties/{cp['id']}", {"name": ""}), 400, "name must be a non-empty string")


def test_counterparty_fields_of_every_type_are_seeded(sb):
    types = {f["id"]: f["type"] for f in sb.records("smart-fields") if f["object"] == "external_party"}
    seen = {types[fid] for cp in sb.records("counterparties") for fid in cp["fields"]}
    assert seen == set(types.values())
