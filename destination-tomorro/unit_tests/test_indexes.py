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


def test_match_on_smart_field_lists_once(fake, config, ab, w):
    catalog = ab.catalog(("accounts", "append_dedup", "counterparty"))
    fake._new_cp({"name": "Old name", "attributes": [{"attributeDefinitionId": "cf-siren", "value": "111"}]})
    out, error = w.run({**config, "counterparty_match_field": "SIREN"}, catalog,
                       [ab.record("accounts", {"name": "New name", "siren": "111"}),
                        ab.record("accounts", {"name": "Other", "siren": "222"})])
    assert error is None and "created 1, updated 1" in w.logs(out)
    assert fake.calls("GET", "/counterparties") == 1


def contract(fake, cid, external_id, created="2024-01-01T00:00:00.000Z", itype="hubspot", entity="deal", **extra):
    fake.contracts[cid] = {"id": cid, "name": cid, "status": "draft", "counterparty": {"id": "cp"}, "fields": [],
                           "integration": None if external_id is None else {"type": itype, "externalId": external_id,
                                                                            "externalEntity": entity},
                           "createdAt": created, **extra}


def hubspot(value, entity="deal"):
    return row_identity("hubspot", entity, value)[0]


def test_contracts_are_matched_on_their_crm_identity(fake, client):
    contract(fake, "deal", "4242")
    contract(fake, "company", "4242", entity="company")  # another HubSpot object: another record
    contract(fake, "sf", "777", itype="salesforce", entity="Opportunity")  # another CRM
    contract(fake, "none", None)
    index = ContractIndex(client)
    assert index.get(hubspot(4242))["id"] == "deal"
    assert index.get(hubspot("4242.0", "Company"))["id"] == "company"
    assert index.get(hubspot(777)) is None  # a Salesforce 777 is not HubSpot deal 777
    assert index.get(hubspot(4243)) is None


def test_several_contracts_with_one_identity_or_a_missing_entity_reject_naming_them(fake, client):
    contract(fake, "a", "HS-1 ", created="2024-05-01T00:00:00.000Z")
    contract(fake, "b", "HS-1", created="2024-01-01T00:00:00.000Z")
    contract(fake, "c", "55", entity=None)
    index = ContractIndex(client)
    with pytest.raises(RowRejected, match="2 contracts in Tomorro are linked to hubspot deal HS-1: a, b"):
        index.get(hubspot("HS-1"))
    with pytest.raises(RowRejected, match=r"uncertain match: .* contract c \(hubspot \(no entity\) 55\)"):
        index.get(hubspot(55))
    assert index.get(hubspot("hs-1")) is None  # a custom key is exact: case kept


def test_a_sure_match_with_an_entity_less_twin_is_uncertain_too(fake, client):
    contract(fake, "sure", "5")
    contract(fake, "twin", "5", entity=None)  # may be the same CRM record: neither is written
    with pytest.raises(RowRejected, match=r"uncertain match: .* contract twin"):
        ContractIndex(client).get(hubspot(5))


def test_slim_contract_lists_are_fetched_whole(fake, client):
    contract(fake, "a", "E-1")
    fake.slim = {"contracts"}
    assert ContractIndex(client).get(hubspot("E-1"))["id"] == "a"
    assert fake.calls("GET", "/contracts/a") == 1


def test_an_index_that_cannot_see_integration_rejects_rather_than_creates(fake, client):
    contract(fake, "a", "E-1")
    fake.hide_integration = True
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
def test_both_look_up_paths_find_the_same_counterparty(fake, client, stored, written):
    cp = fake._new_cp({"name": stored})
    fake._new_cp({"name": stored + " Subsidiary"})  # a partial match that is not this one
    per_name = CounterpartyIndex(client, [BY_NAME])
    assert per_name.by_exact_name(written)["id"] == cp["id"]
    listed = CounterpartyIndex(client, [BY_NAME])
    listed.load_all()
    assert listed.by_exact_name(written)["id"] == cp["id"]
    for value in fake.name_queries:  # what was sent can never read as a filter operator
        assert ":" not in value


def test_absent_names_are_remembered_and_too_many_candidates_list_everything(fake, client):
    index = CounterpartyIndex(client, [BY_NAME])
    assert index.by_exact_name("Nobody Here") is None
    assert index.by_exact_name("NOBODY  here") is None
    assert fake.calls("GET", "/counterparties") == 1
    for i in range(101):
        fake._new_cp({"name": f"Common Name {i}"})
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


def test_a_slim_counterparty_is_fetched_whole_when_matched(fake, client):
    cp = fake._new_cp({"name": "Acme", "attributes": [{"attributeDefinitionId": "cf-siren", "value": "1"}]})
    fake.slim = {"counterparties"}
    found = CounterpartyIndex(client, [BY_NAME]).get("acme", "acme", BY_NAME)
    assert found["fields"] == {"cf-siren": "1"} and fake.calls("GET", f"/counterparties/{cp['id']}") == 1


@pytest.mark.parametrize("listed", [False, True])
@pytest.mark.parametrize("names", [("Acme", "Acme"), ("Acme SAS", "ACME sas"), ("Acme  SAS", " Acme SAS"),
                                   ("Acme", "ACME", "acme")])
def test_names_equal_under_the_name_rule_are_ambiguous_and_named(fake, client, names, listed):
    """Issue 20, finding 8: never the oldest, never silently: the row is rejected naming the candidates."""
    ids = [fake._new_cp({"name": name})["id"] for name in names]
    index = CounterpartyIndex(client, [BY_NAME])
    if listed:
        index.load_all()
    with pytest.raises(RowRejected, match=f"{len(ids)} counterparties in Tomorro match the name") as caught:
        index.by_exact_name(names[0].upper())
    assert all(cid in caught.value.reason for cid in ids)


def test_a_renamed_counterparty_leaves_its_old_name(fake, client):
    cp = fake._new_cp({"name": "Old Name"})
    index = CounterpartyIndex(client, [BY_NAME])
    index.load_all()
    index.remember({**cp, "name": "New Name"})
    assert index.by_exact_name("old name") is None and index.by_exact_name("new name")["id"] == cp["id"]
