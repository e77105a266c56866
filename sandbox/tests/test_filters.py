"""Filters (`v`, `in:`, `ne:`, `gte:`, `lte:`) and sort on every list endpoint that documents them."""

import pytest
from tomorro_sandbox.testing import assert_error


@pytest.fixture(scope="module")
def contracts(sb):
    return sb.records("contracts")


def ids_of(items):
    return {i["id"] for i in items}


def test_status_equals(api, contracts):
    got = api.walk("/contracts", "contracts", limit=50, status="signed")
    assert ids_of(got) == {c["id"] for c in contracts if c["status"] == "signed"} != set()


def test_status_in(api, contracts):
    got = api.walk("/contracts", "contracts", limit=50, status="in:draft,negotiating")
    assert ids_of(got) == {c["id"] for c in contracts if c["status"] in ("draft", "negotiating")}


def test_status_ne(api, contracts):
    got = api.walk("/contracts", "contracts", limit=50, status="ne:signed")
    assert ids_of(got) == {c["id"] for c in contracts if c["status"] != "signed"}


@pytest.mark.parametrize(("param", "key"), [("counterpartyId", "counterparty"), ("authorId", "author"),
                                            ("contractTypeId", "contractType"), ("referentId", "referent"),
                                            ("supervisorId", "supervisor")])
def test_reference_id_filters(api, contracts, param, key):
    target = next(c[key]["id"] for c in contracts if c[key])
    got = api.walk("/contracts", "contracts", limit=50, **{param: target})
    assert ids_of(got) == {c["id"] for c in contracts if c[key] and c[key]["id"] == target} != set()


def test_folder_id_filter(api, contracts):
    folder = next(c["folderId"] for c in contracts if c["folderId"])
    got = api.walk("/contracts", "contracts", limit=50, folderId=folder)
    assert ids_of(got) == {c["id"] for c in contracts if c["folderId"] == folder}


@pytest.mark.parametrize("field", ["createdAt", "updatedAt", "startAt", "endAt"])
def test_date_gte_and_lte(api, contracts, field):
    got = api.walk("/contracts", "contracts", limit=50, **{field: "gte:2024-03-01"})
    assert ids_of(got) == {c["id"] for c in contracts if c[field] and c[field] >= "2024-03-01T00:00:00.000Z"}
    got = api.walk("/contracts", "contracts", limit=50, **{field: "lte:2024-03-01T12:30:00Z"})
    assert ids_of(got) == {c["id"] for c in contracts if c[field] and c[field] <= "2024-03-01T12:30:00.000Z"}


def test_updated_at_gte_with_matching_sort_uses_the_range_and_stays_complete(api, contracts):
    mark = sorted(c["updatedAt"] for c in contracts)[len(contracts) // 2]
    for sort in ("updatedAt", "-updatedAt"):
        got = api.walk("/contracts", "contracts", limit=13, sort=sort, updatedAt=f"gte:{mark}")
        assert [c["id"] for c in got] == [c["id"] for c in sorted(
            (c for c in contracts if c["updatedAt"] >= mark),
            key=lambda c: (c["updatedAt"], c["id"]), reverse=sort.startswith("-"))]


def test_date_equals_a_day_matches_that_whole_day(api, contracts):
    day = contracts[0]["createdAt"][:10]
    got = api.walk("/contracts", "contracts", limit=50, createdAt=day)
    assert ids_of(got) == {c["id"] for c in contracts if c["createdAt"][:10] == day}


def test_combined_filters_and(api, contracts):
    got = api.walk("/contracts", "contracts", limit=50, status="signed", createdAt="gte:2024-01-01")
    assert ids_of(got) == {c["id"] for c in contracts
                           if c["status"] == "signed" and c["createdAt"] >= "2024-01-01T00:00:00.000Z"}


def test_counterparty_name_partial_case_insensitive(api, sb):
    cps = sb.records("counterparties")
    stem = cps[0]["name"].split()[0].lower()
    got = api.walk("/counterparties", limit=50, name=stem.upper())
    assert ids_of(got) == {c["id"] for c in cps if stem in c["name"].lower()}


def test_counterparty_status_in_and_sort_by_updated_at(api, sb):
    got = api.walk("/counterparties", limit=50, status="in:active,archived", sort="-updatedAt")
    assert [c["updatedAt"] for c in got] == sorted((c["updatedAt"] for c in got), reverse=True)
    assert len(got) == len(sb.records("counterparties"))


def test_members_role_and_status_filters(api, sb):
    members = sb.records("members")
    got = api.walk("/members", limit=50, role="ne:USER", status="active")
    assert ids_of(got) == {m["id"] for m in members if m["role"] != "USER" and m["status"] == "active"}


def test_contract_types_is_published(api, sb):
    types = sb.records("contract-types")
    got = api.walk("/contract-types", "contractTypes", isPublished="false")
    assert ids_of(got) == {t["id"] for t in types if not t["isPublished"]} != set()


def test_smart_fields_object_filter_and_lang(api, sb):
    fields = sb.records("smart-fields")
    got = api.walk("/smart-fields", limit=50, object="external_party")
    assert ids_of(got) == {f["id"] for f in fields if f["object"] == "external_party"}
    both = api.walk("/smart-fields", limit=50, object="in:contract,external_party")
    assert len(both) == len(fields)
    fr = {f["id"]: f["name"] for f in api.walk("/smart-fields", limit=50, lang="fr")}
    gb = {f["id"]: f["name"] for f in fields}
    assert fr.keys() == gb.keys() and fr != gb
    assert_error(api.get("/smart-fields", lang="xx"), 400, "lang must be one of")


def test_options_term_partial_label(api, sb):
    f = next(f for f in sb.records("smart-fields") if f["type"] == "select")
    got = api.walk(f"/smart-fields/{f['id']}/options", term="TECH")
    assert got and all(any("tech" in t["value"].lower() for t in o["translations"]) for o in got)


def test_options_of_a_text_field_returns_400(api, sb):
    f = next(f for f in sb.records("smart-fields") if f["type"] == "text")
    assert_error(api.get(f"/smart-fields/{f['id']}/options"), 400, "only select and multiselect")


def test_clauses_name_partial(api, sb):
    got = api.get("/clauses", name="LIAB").json()
    assert [c["name"] for c in got] == ["Limitation of liability"]


@pytest.mark.parametrize(("params", "fragment"), [
    ({"status": "archived"}, "status must be one of the following values"),
    ({"status": "gte:draft"}, "operator 'gte' is not supported"),
    ({"createdAt": "yesterday"}, "createdAt must be a date"),
    ({"sort": "colour"}, "'colour' is not a sortable field"),
    ({"colour": "red"}, "property colour should not exist"),
])
def test_list_contracts_given_bad_filter_returns_400(api, params, fragment):
    assert_error(api.get("/contracts", **params), 400, fragment)


def test_sort_fields_are_endpoint_specific(api):
    assert_error(api.get("/counterparties", sort="startAt"), 400, "'startAt' is not a sortable field")
    assert api.get("/members", sort="-role").status_code == 200


def test_sort_by_id_descending_then_anything_is_id_order(api, contracts):
    got = api.walk("/contracts", "contracts", limit=50, sort="-id,name")
    assert [c["id"] for c in got] == sorted((c["id"] for c in contracts), reverse=True)


def test_sort_with_nullable_field_puts_nulls_first_ascending_last_descending(api, contracts):
    asc = api.walk("/contracts", "contracts", limit=50, sort="startAt")
    desc = api.walk("/contracts", "contracts", limit=50, sort="-startAt")
    nulls = sum(c["startAt"] is None for c in contracts)
    assert nulls and all(c["startAt"] is None for c in asc[:nulls])
    assert all(c["startAt"] is None for c in desc[-nulls:])
    assert [c["id"] for c in desc] == [c["id"] for c in asc][::-1]


def test_exact_filters_on_a_large_collection_use_the_hash_index_and_stay_correct_after_writes():
    from tomorro_sandbox import SandboxServer
    from tomorro_sandbox.testing import Api

    with SandboxServer(contracts=3000, counterparties=200) as big:
        api2 = Api(big)
        contracts = big.records("contracts")
        cp = contracts[0]["counterparty"]["id"]
        expected = [c["id"] for c in sorted((c for c in contracts if c["counterparty"]["id"] == cp),
                                            key=lambda c: (c["createdAt"], c["id"]), reverse=True)]
        got = api2.walk("/contracts", "contracts", limit=3, counterpartyId=cp)
        assert [c["id"] for c in got] == expected
        # move one contract to that counterparty and one away: the index follows the writes
        other = next(c for c in contracts if c["counterparty"]["id"] != cp)
        api2.patch(f"/contracts/{other['id']}", {"counterparty": {"id": cp}})
        api2.patch(f"/contracts/{expected[0]}", {"counterparty": {"id": other["counterparty"]["id"]}})
        got = {c["id"] for c in api2.walk("/contracts", "contracts", limit=50, counterpartyId=cp)}
        assert got == set(expected[1:]) | {other["id"]}
        both = api2.walk("/contracts", "contracts", limit=50, counterpartyId=cp, status="ne:signed")
        status = {c["id"]: c["status"] for c in big.records("contracts")}
        assert {c["id"] for c in both} == {c for c in got if status[c] != "signed"}
        # a date range on another field than the sort key: answered from that field's own index
        now = big.records("contracts")
        mark = sorted(c["updatedAt"] for c in now)[-100]
        ranged = api2.walk("/contracts", "contracts", limit=7, updatedAt=f"gte:{mark}")
        assert [c["id"] for c in ranged] == [c["id"] for c in sorted(
            (c for c in now if c["updatedAt"] >= mark), key=lambda c: (c["createdAt"], c["id"]), reverse=True)]
