"""indexes.py: the objects already in Tomorro by canonical matching key, read once per sync; both
counterparty look-up paths (per name, whole list) find the same object."""

import unicodedata

import pytest
from destination_tomorro.errors import RowRejected
from destination_tomorro.identity import row_identity
from destination_tomorro.indexes import LIST_THRESHOLD, ContractIndex, CounterpartyIndex
from destination_tomorro.keys import MatchKey
from destination_tomorro.objects import COUNTERPARTY

BY_NAME = MatchKey(COUNTERPARTY, "name")


def test_match_on_smart_field_lists_once(sb, api, ref, config, ab, w):
    catalog = ab.catalog(("accounts", "append_dedup", "counterparty"))
    api.post("/counterparties", {"name": "Old name", "attributes": [
        {"attributeDefinitionId": ref.cp_field["SIREN"], "value": "111"}]})
    sb.reset_stats()
    out, error = w.run({**config, "counterparty_match_field": "SIREN"}, catalog,
                       [ab.record("accounts", {"name": "New name", "siren": "111"}),
                        ab.record("accounts", {"name": "Other", "siren": "222"})])
    assert error is None and "created 1, updated 1" in w.logs(out)
    assert len(sb.requests("GET", "/v2/counterparties")) == 1


@pytest.fixture
def contract(api, new_contract):
    """`contract(external_id, itype=, entity=)` -> the id of a new contract linked so (None: not linked)."""
    cp = api.post("/counterparties", {"name": "Holder"}).json()

    def create(external_id, itype="hubspot", entity="deal"):
        link = None if external_id is None else {"type": itype, "externalId": external_id, "externalEntity": entity}
        return new_contract(cp["id"], link)["id"]

    return create


def hubspot(value, entity="deal"):
    return row_identity("hubspot", entity, value)[0]


def test_contracts_are_matched_on_their_crm_identity(contract, client):
    deal = contract("4242")
    company = contract("4242", entity="company")  # another HubSpot object: another record
    contract("777", itype="salesforce", entity="Opportunity")  # another CRM
    contract(None)
    index = ContractIndex(client)
    assert index.get(hubspot(4242))["id"] == deal
    assert index.get(hubspot("4242.0", "Company"))["id"] == company
    assert index.get(hubspot(777)) is None  # a Salesforce 777 is not HubSpot deal 777
    assert index.get(hubspot(4243)) is None


def test_several_contracts_with_one_identity_or_a_missing_entity_reject_naming_them(contract, client):
    twins = sorted([contract("HS-1 "), contract("HS-1")])
    c = contract("55", entity=None)
    index = ContractIndex(client)
    with pytest.raises(RowRejected, match=f"2 contracts in Tomorro are linked to hubspot deal HS-1: {', '.join(twins)}"):
        index.get(hubspot("HS-1"))
    with pytest.raises(RowRejected, match=rf"uncertain match: .* contract {c} \(hubspot \(no entity\) 55\)"):
        index.get(hubspot(55))
    assert index.get(hubspot("hs-1")) is None  # a custom key is exact: case kept


def test_a_sure_match_with_an_entity_less_twin_is_uncertain_too(contract, client):
    contract("5")
    twin = contract("5", entity=None)  # may be the same CRM record: neither is written
    with pytest.raises(RowRejected, match=f"uncertain match: .* contract {twin}"):
        ContractIndex(client).get(hubspot(5))


def test_slim_contract_lists_are_fetched_whole(sb, contract, client):
    a = contract("E-1")
    sb.set_api_profiles(["slim-contracts"])
    sb.reset_stats()
    assert ContractIndex(client).get(hubspot("E-1"))["id"] == a
    assert [r["path"] for r in sb.requests("GET", "/v2/contracts/{id}")] == [f"/v2/contracts/{a}"]


def test_an_index_that_cannot_see_integration_rejects_rather_than_creates(sb, contract, client):
    contract("E-1")
    sb.set_api_profiles(["integration-hidden"])
    index = ContractIndex(client)
    with pytest.raises(RowRejected, match="cannot match contracts on external_id: Tomorro returned 1 contracts "
                                          "without an `integration` key, even from GET /contracts/{id}"):
        index.get(hubspot("E-1"))


def test_a_contract_is_claimed_once(client):
    index = ContractIndex(client)
    assert index.claim("x") and not index.claim("x")
    index.remember({"id": "y"}, None)
    assert not index.claim("y")


SPELLINGS = [  # (stored in Tomorro, written in the row): one canonical name each
    ("Café Lumière", unicodedata.normalize("NFD", "café lumière")),
    ("İstanbul Ltd", "istanbul ltd"),
    ("Acme  Holding", "ACME HOLDING"),
    ("in:Acme Holding", "IN:ACME HOLDING"),
    ("ne:Beta", "ne:beta"),
    ("Großhandel GmbH", "GROSSHANDEL GMBH"),
    ("Lidl", "LIDL"),  # no safe term: the whole list is read
]


@pytest.mark.parametrize("stored, written", SPELLINGS)
def test_both_look_up_paths_find_the_same_counterparty(sb, api, client, stored, written):
    cp = api.post("/counterparties", {"name": stored}).json()
    api.post("/counterparties", {"name": stored + " Subsidiary"})  # a partial match that is not this one
    sb.reset_stats()
    per_name = CounterpartyIndex(client, [BY_NAME])
    assert per_name.by_exact_name(written)["id"] == cp["id"]
    listed = CounterpartyIndex(client, [BY_NAME])
    listed.load_all()
    assert listed.by_exact_name(written)["id"] == cp["id"]
    asked = [r["query"]["name"] for r in sb.requests("GET", "/v2/counterparties") if "name" in r["query"]]
    assert all(":" not in value for value in asked), asked  # what was sent can never read as a filter operator


def test_absent_names_are_remembered_and_too_many_candidates_list_everything(sb, api, client):
    index = CounterpartyIndex(client, [BY_NAME])
    assert index.by_exact_name("Nobody Here") is None
    assert index.by_exact_name("NOBODY  here") is None
    assert len(sb.requests("GET", "/v2/counterparties")) == 1
    for i in range(101):
        api.post("/counterparties", {"name": f"Common Name {i}"})
    index = CounterpartyIndex(client, [BY_NAME])
    assert index.by_exact_name("common name 7")["name"] == "Common Name 7"
    assert index.loaded


def test_prepare_lists_everything_above_the_threshold_or_for_a_smart_field(client):
    index = CounterpartyIndex(client, [BY_NAME])
    index.prepare(LIST_THRESHOLD, on_field=False)
    assert not index.loaded
    index.prepare(LIST_THRESHOLD + 1, on_field=False)
    assert index.loaded
    index = CounterpartyIndex(client, [BY_NAME])
    index.prepare(1, on_field=True)
    assert index.loaded


def test_a_slim_counterparty_is_fetched_whole_when_matched(sb, api, ref, client):
    siren = ref.cp_field["SIREN"]
    cp = api.post("/counterparties", {"name": "Acme", "attributes": [{"attributeDefinitionId": siren, "value": "1"}]}).json()
    sb.set_api_profiles(["slim-counterparties"])
    sb.reset_stats()
    found = CounterpartyIndex(client, [BY_NAME]).get("acme", "acme", BY_NAME)
    assert found["fields"] == {siren: "1"}
    assert [r["path"] for r in sb.requests("GET", "/v2/counterparties/{id}")] == [f"/v2/counterparties/{cp['id']}"]


@pytest.mark.parametrize("listed", [False, True])
@pytest.mark.parametrize("names", [("Acme", "Acme"), ("Acme SAS", "ACME sas"), ("Acme  SAS", " Acme SAS"),
                                   ("Acme", "ACME", "acme")])
def test_names_equal_under_the_name_rule_are_ambiguous_and_named(api, client, names, listed):
    """Issue 20, finding 8: never the oldest, never silently: the row is rejected naming the candidates."""
    ids = [api.post("/counterparties", {"name": name}).json()["id"] for name in names]
    index = CounterpartyIndex(client, [BY_NAME])
    if listed:
        index.load_all()
    with pytest.raises(RowRejected, match=f"{len(ids)} counterparties in Tomorro match the name") as caught:
        index.by_exact_name(names[0].upper())
    assert all(cid in caught.value.reason for cid in ids)


def test_a_renamed_counterparty_leaves_its_old_name(api, client):
    cp = api.post("/counterparties", {"name": "Old Name"}).json()
    index = CounterpartyIndex(client, [BY_NAME])
    index.load_all()
    index.remember({**cp, "name": "New Name"})
    assert index.by_exact_name("old name") is None and index.by_exact_name("new name")["id"] == cp["id"]


def test_a_new_counterparty_is_spelt_as_the_first_row_naming_it_whichever_row_creates_it(client):
    index = CounterpartyIndex(client, [])
    index.note_spellings(["New One", "NEW ONE", "new  one", "Other"])
    index.note_spellings(["new one"])  # a later batch: the first spelling of the sync stays
    assert index.spelling_of("NEW ONE") == index.spelling_of("new one") == "New One"
    assert index.spelling_of("Never Named") == "Never Named"
