"""API profiles over a real socket: each profile serves exactly its documented alternative shape,
and a client that follows that shape's cursors still reads every record exactly once."""

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.testing import Api, assert_error

LISTS = [  # path, items key of its own (camel) envelope or None, ground-truth collection
    ("/contracts", "contracts", "contracts"),
    ("/contract-types", "contractTypes", "contract-types"),
    ("/counterparties", None, "counterparties"),
    ("/members", None, "members"),
    ("/smart-fields", None, "smart-fields"),
]
FULL_COUNTERPARTY = ["id", "name", "status", "logoUrl", "fields", "createdAt", "updatedAt"]


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(seed=5, contracts=130, counterparties=45, fields=30, members=12) as server:
        yield server


@pytest.fixture(scope="module")
def api(sb):
    return Api(sb)


@pytest.fixture(autouse=True)
def _default_profiles(sb):
    yield
    sb.reset()  # restores the start profiles (none) and the data


def page_parts(body: dict, style: str, items_key: str | None, flags: bool) -> tuple:
    """-> (items, next cursor, has-next flag or None), asserting the envelope's exact keys."""
    if style == "camel":
        assert list(body) == [items_key, *(["hasNext", "hasPrevious"] if flags else []), "nextCursor",
                              "previousCursor"]
        return body[items_key], body["nextCursor"], body.get("hasNext")
    pagination = body["pagination"]
    if style == "intro":
        assert list(body) == ["data", "pagination"]
        assert list(pagination) == [*(["hasNext", "hasPrevious"] if flags else []), "nextCursor", "previousCursor"]
        return body["data"], pagination["nextCursor"], pagination.get("hasNext")
    assert list(body) == ["data", "pagination", "links"]
    assert list(pagination) == ["limit", "next_cursor", "prev_cursor", *(["has_next", "has_previous"] if flags else [])]
    assert list(body["links"]) == ["self", "next", "prev"]
    assert (body["links"]["next"] is None) == (pagination["next_cursor"] is None)
    return body["data"], pagination["next_cursor"], pagination.get("has_next")


def walk(api: Api, path: str, style: str, items_key: str | None = None, flags: bool = True, **params) -> list:
    """Every item, following only the cursor the envelope gives (the flag, when served, must agree)."""
    out, cursor = [], None
    while True:
        r = api.get(path, **params, **({"after": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        items, cursor, has_next = page_parts(r.json(), style, items_key, flags)
        if flags:
            assert has_next == (cursor is not None)
        out += items
        if cursor is None:
            return out


def ids_of(items: list) -> list:
    return [i["id"] for i in items]


def assert_complete(sb, items: list, collection: str) -> None:
    ids = ids_of(items)
    assert len(ids) == len(set(ids)) and set(ids) == set(ids_of(sb.records(collection)))


@pytest.mark.parametrize(("path", "items_key", "collection"), LISTS)
def test_envelope_intro_serves_the_introduction_envelope_on_every_list(sb, api, path, items_key, collection):
    sb.set_api_profiles(["envelope-intro"])
    assert_complete(sb, walk(api, path, "intro", limit=7), collection)


@pytest.mark.parametrize(("path", "items_key", "collection"), LISTS)
def test_envelope_snake_serves_the_counterparties_envelope_on_every_list(sb, api, path, items_key, collection):
    sb.set_api_profiles(["envelope-snake"])
    assert_complete(sb, walk(api, path, "snake", limit=7), collection)
    assert api.get(path, limit=2).json()["links"]["self"] == f"{path}?limit=2"


@pytest.mark.parametrize("envelope", [[], ["envelope-intro"], ["envelope-snake"]])
@pytest.mark.parametrize(("path", "items_key", "collection"), LISTS)
def test_no_has_next_omits_the_flags_and_the_cursors_alone_walk_everything(sb, api, envelope, path, items_key,
                                                                             collection):
    sb.set_api_profiles([*envelope, "no-has-next"])
    native = "camel" if items_key else "snake"
    style = {"envelope-intro": "intro", "envelope-snake": "snake"}[envelope[0]] if envelope else native
    assert_complete(sb, walk(api, path, style, items_key, flags=False, limit=9), collection)


def test_options_follow_the_envelope_profiles(sb, api):
    select = next(f for f in sb.records("smart-fields") if f["type"] == "select")
    truth = [o for o in sb.records("options") if o["smartFieldId"] == select["id"]]
    sb.set_api_profiles(["envelope-intro", "no-has-next"])
    walked = walk(api, f"/smart-fields/{select['id']}/options", "intro", flags=False, limit=50)
    assert sorted(ids_of(walked)) == sorted(ids_of(truth)) and len(truth) > 50


def test_slim_contracts_serves_id_name_status_in_the_list_and_full_contracts_by_id(sb, api):
    sb.set_api_profiles(["slim-contracts"])
    items = walk(api, "/contracts", "camel", "contracts", limit=50)
    truth = {c["id"]: c for c in sb.records("contracts")}
    assert all(list(c) == ["id", "name", "status"] for c in items)
    assert {c["id"]: c for c in items} == {i: {k: c[k] for k in ("id", "name", "status")} for i, c in truth.items()}
    one = items[0]["id"]
    assert api.get(f"/contracts/{one}").json() == truth[one]
    assert list(api.get("/counterparties").json()["data"][0]) == FULL_COUNTERPARTY  # only contracts are slim


def test_slim_counterparties_serves_id_name_status_in_the_list_only(sb, api):
    sb.set_api_profiles(["slim-counterparties"])
    items = walk(api, "/counterparties", "snake", limit=50)
    assert all(list(c) == ["id", "name", "status"] for c in items)
    assert_complete(sb, items, "counterparties")
    truth = sb.records("counterparties")[0]
    assert api.get(f"/counterparties/{truth['id']}").json() == truth
    assert "updatedAt" in api.get("/contracts").json()["contracts"][0]  # contracts stay full


def test_counterparties_without_fields_drops_only_fields(sb, api):
    sb.set_api_profiles(["counterparties-without-fields"])
    items = walk(api, "/counterparties", "snake", limit=50)
    truth = {c["id"]: c for c in sb.records("counterparties")}
    assert {c["id"]: c for c in items} == {i: {k: v for k, v in c.items() if k != "fields"} for i, c in truth.items()}
    assert all(list(c) == [k for k in FULL_COUNTERPARTY if k != "fields"] for c in items)


def test_updated_filter_ignored_accepts_the_filter_and_serves_every_contract(sb, api):
    sb.set_api_profiles(["updated-filter-ignored"])
    future = {"updatedAt": "gte:2099-01-01"}
    assert api.get("/contracts", limit=20, **future).json() == api.get("/contracts", limit=20).json()
    assert_complete(sb, walk(api, "/contracts", "camel", "contracts", limit=50, **future), "contracts")
    assert_error(api.get("/contracts", createdAt="gte:nope"), 400, "createdAt must be a date")  # others still checked


def test_updated_filter_refused_answers_nestjs_400(sb, api):
    sb.set_api_profiles(["updated-filter-refused"])
    r = api.get("/contracts", updatedAt="gte:2024-01-01T00:00:00.000Z")
    assert r.status_code == 400
    assert r.json() == {"statusCode": 400, "message": ["property updatedAt should not exist"], "error": "Bad Request"}
    assert api.get("/contracts", createdAt="gte:2024-01-01").status_code == 200
    assert api.get("/contracts", sort="-updatedAt").status_code == 200  # the filter is refused, not the sort


def test_created_filter_ignored_accepts_the_filter_and_serves_every_contract(sb, api):
    sb.set_api_profiles(["created-filter-ignored"])
    future = {"createdAt": "gte:2099-01-01", "sort": "createdAt"}
    assert api.get("/contracts", limit=20, **future).json() == api.get("/contracts", limit=20, sort="createdAt").json()
    assert_complete(sb, walk(api, "/contracts", "camel", "contracts", limit=50, **future), "contracts")
    assert_error(api.get("/contracts", updatedAt="gte:nope"), 400, "updatedAt must be a date")  # others still checked


def test_created_filter_refused_answers_nestjs_400(sb, api):
    sb.set_api_profiles(["created-filter-refused"])
    r = api.get("/contracts", createdAt="gte:2024-01-01")
    assert r.status_code == 400
    assert r.json() == {"statusCode": 400, "message": ["property createdAt should not exist"], "error": "Bad Request"}
    assert api.get("/contracts", sort="createdAt").status_code == 200  # the filter is refused, not the sort


@pytest.mark.parametrize(("path", "style", "items_key", "collection"), [
    ("/contracts", "camel", "contracts", "contracts"),
    ("/counterparties", "snake", None, "counterparties"),
])
def test_sort_ignored_serves_the_default_order_with_valid_cursors(sb, api, path, style, items_key, collection):
    sb.set_api_profiles(["sort-ignored"])
    default = sorted(sb.records(collection), key=lambda r: (r["createdAt"], r["id"]), reverse=True)
    for sort in ("updatedAt", "-updatedAt", "name"):
        assert ids_of(walk(api, path, style, items_key, sort=sort, limit=11)) == ids_of(default)
    sb.set_api_profiles([])
    assert ids_of(walk(api, path, style, items_key, sort="updatedAt", limit=50)) != ids_of(default)


def test_sort_ignored_leaves_other_lists_sorted(sb, api):
    sb.set_api_profiles(["sort-ignored"])
    roles = [m["role"] for m in walk(api, "/members", "snake", sort="role", limit=50)]
    assert roles == sorted(roles)


def test_no_integration_echo_omits_integration_from_create_and_patch_responses_only(sb, api):
    sb.set_api_profiles(["no-integration-echo"])
    template = next(t for t in sb.records("contract-types") if t["templates"])["templates"][0]
    integration = {"type": "hubspot", "externalId": "hs-42", "externalEntity": "deal", "externalUrl": None}
    created = api.post("/contracts", {"templateId": template["id"], "counterparty": {"name": "Echo Ltd"},
                                      "integration": integration})
    assert created.status_code == 201 and "integration" not in created.json()
    cid = created.json()["id"]
    patched = api.patch(f"/contracts/{cid}", {"name": "Echo renamed"})
    assert patched.status_code == 200 and "integration" not in patched.json()
    assert patched.json()["name"] == "Echo renamed"
    assert api.get(f"/contracts/{cid}").json()["integration"] == integration
    listed = walk(api, "/contracts", "camel", "contracts", limit=50)
    assert next(c for c in listed if c["id"] == cid)["integration"] == integration


def _linked_contract(sb, api, external_id: str) -> str:
    template = next(t for t in sb.records("contract-types") if t["templates"])["templates"][0]
    created = api.post("/contracts", {"templateId": template["id"], "counterparty": {"name": "Link Ltd"},
                                      "integration": {"type": "hubspot", "externalId": external_id}})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_integration_hidden_never_serves_integration_but_keeps_it(sb, api):
    sb.set_api_profiles(["integration-hidden"])
    cid = _linked_contract(sb, api, "hs-hidden")
    assert "integration" not in api.patch(f"/contracts/{cid}", {"name": "Renamed"}).json()
    got = api.get(f"/contracts/{cid}").json()
    assert "integration" not in got and got["name"] == "Renamed"
    assert all("integration" not in c for c in walk(api, "/contracts", "camel", "contracts", limit=50))
    stored = next(c for c in sb.records("contracts") if c["id"] == cid)
    assert stored["integration"]["externalId"] == "hs-hidden"
    sb.set_api_profiles([])
    assert api.get(f"/contracts/{cid}").json()["integration"]["externalId"] == "hs-hidden"


@pytest.mark.parametrize("keeps", [False, True])
def test_null_keeps_value_accepts_a_null_and_clears_nothing(sb, api, keeps):
    sb.set_api_profiles(["null-keeps-value"] if keeps else [])
    number = next(f for f in sb.records("smart-fields") if f["object"] == "contract" and f["type"] == "number")
    text = next(f for f in sb.records("smart-fields") if f["object"] == "external_party" and f["type"] == "text")
    cid = _linked_contract(sb, api, "hs-null")
    assert api.patch(f"/contracts/{cid}", {"fields": [{"fieldId": number["id"], "value": 5}]}).status_code == 200
    r = api.patch(f"/contracts/{cid}", {"fields": [{"fieldId": number["id"], "value": None}]})
    assert r.status_code == 200
    values = [f["value"] for f in api.get(f"/contracts/{cid}").json()["fields"] if f["attributeDefinitionId"] == number["id"]]
    assert values == ([5] if keeps else [])
    cp = api.post("/counterparties", {"name": "Null Co", "attributes": [
        {"attributeDefinitionId": text["id"], "value": "x"}]}).json()
    api.patch(f"/counterparties/{cp['id']}", {"attributes": [{"attributeDefinitionId": text["id"], "value": None}]})
    assert api.get(f"/counterparties/{cp['id']}").json()["fields"].get(text["id"]) == ("x" if keeps else None)


def test_dedup_external_id_is_a_profile_switched_at_run_time(sb, api):
    _linked_contract(sb, api, "hs-twice")
    _linked_contract(sb, api, "hs-twice")  # by default a repeat creates
    sb.set_api_profiles(["dedup-external-id"])
    template = next(t for t in sb.records("contract-types") if t["templates"])["templates"][0]
    body = {"templateId": template["id"], "counterparty": {"name": "Link Ltd"},
            "integration": {"type": "hubspot", "externalId": "hs-twice"}}
    assert_error(api.post("/contracts", body), 409, "hs-twice")
    assert SandboxServer(dedup_external_id=True).config.api_profiles == ("dedup-external-id",)


def test_snake_envelope_no_has_next_and_slim_contracts_combine(sb, api):
    sb.set_api_profiles(["envelope-snake", "no-has-next", "slim-contracts"])
    items = walk(api, "/contracts", "snake", flags=False, limit=13)
    assert all(list(c) == ["id", "name", "status"] for c in items)
    assert_complete(sb, items, "contracts")


def test_intro_envelope_slim_counterparties_and_sort_ignored_combine(sb, api):
    sb.set_api_profiles(["envelope-intro", "slim-counterparties", "sort-ignored", "updated-filter-refused"])
    items = walk(api, "/counterparties", "intro", sort="-updatedAt", limit=8)
    default = sorted(sb.records("counterparties"), key=lambda r: (r["createdAt"], r["id"]), reverse=True)
    assert items == [{k: c[k] for k in ("id", "name", "status")} for c in default]
    assert_error(api.get("/contracts", updatedAt="gte:2024-01-01"), 400, "property updatedAt should not exist")


def test_no_module_but_the_registry_knows_a_profile_by_name():
    """Behaviour is declared as effects in assumptions.API_PROFILES; code asks ApiShape per aspect."""
    from pathlib import Path

    import tomorro_sandbox
    from tomorro_sandbox.assumptions import API_PROFILES

    package = Path(tomorro_sandbox.__file__).parent
    for module in package.glob("*.py"):
        if module.name != "assumptions.py":
            text = module.read_text()
            assert not [n for n in API_PROFILES if f'"{n}"' in text or f"'{n}'" in text], module.name
