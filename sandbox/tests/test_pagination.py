"""Keyset pagination: every list endpoint walks every record exactly once, before-cursors walk
back, updates between pages never make an unchanged record disappear, bad input -> 400."""

import pytest
from tomorro_sandbox.testing import assert_error

LISTS = [  # path, envelope key (None = data envelope), ground-truth collection
    ("/contracts", "contracts", "contracts"),
    ("/counterparties", None, "counterparties"),
    ("/members", None, "members"),
    ("/smart-fields", None, "smart-fields"),
    ("/contract-types", "contractTypes", "contract-types"),
]


@pytest.mark.parametrize(("path", "key", "collection"), LISTS)
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_walk_given_limit_returns_every_record_exactly_once(api, sb, path, key, collection, limit):
    if limit == 1 and collection == "contracts":
        limit = 3  # 300 round trips is enough; 1 is covered by the smaller collections
    items = api.walk(path, key, limit=limit)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r["id"] for r in sb.records(collection)}


def test_walk_options_of_a_select_field_with_more_than_one_page(api, sb):
    f = next(f for f in sb.records("smart-fields") if f["type"] == "select")
    opts = [o for o in sb.records("options") if o["smartFieldId"] == f["id"]]
    assert len(opts) > 50
    walked = api.walk(f"/smart-fields/{f['id']}/options", limit=50)
    assert sorted(o["id"] for o in walked) == sorted(o["id"] for o in opts)


def test_smart_fields_default_total_exceeds_one_page(api):
    r = api.get("/smart-fields", limit=50).json()
    assert len(r["data"]) == 50 and r["pagination"]["has_next"]


@pytest.mark.parametrize("sort", ["-createdAt", "updatedAt", "-updatedAt", "name", "-name,startAt", "status,-endAt"])
def test_walk_contracts_given_sort_is_ordered_and_complete(api, sb, sort):
    items = api.walk("/contracts", "contracts", limit=50, sort=sort)
    assert len(items) == len({i["id"] for i in items}) == len(sb.records("contracts"))
    field = sort.split(",")[0].lstrip("-")
    values = [i[field] for i in items]
    assert values == sorted(values, reverse=sort.startswith("-"))


def test_walk_given_updates_between_pages_never_skips_an_unchanged_record(api, sb):
    seen, cursor, touched = [], None, set()
    while True:
        q = {"limit": 20, "sort": "updatedAt", **({"after": cursor} if cursor else {})}
        body = api.get("/contracts", **q).json()
        seen += [c["id"] for c in body["contracts"]]
        out = sb.mutate(contracts=5, create=1)  # between every two pages
        touched |= set(out["contracts"]["updated"]) | set(out["contracts"]["created"])
        if not body["hasNext"]:
            break
        cursor = body["nextCursor"]
    final = {c["id"] for c in sb.records("contracts")}
    assert final - touched <= set(seen)  # every record that never changed was seen
    sb.reset()


def test_ties_on_updated_at_span_page_boundaries_without_loss(api, sb):
    sb.mutate(contracts=60)  # 60 records now share one updatedAt
    items = api.walk("/contracts", "contracts", limit=7, sort="-updatedAt")
    assert len({i["id"] for i in items}) == len(sb.records("contracts")) == len(items)
    sb.reset()


def test_before_cursor_returns_the_previous_page(api):
    p1 = api.get("/contracts", limit=10).json()
    p2 = api.get("/contracts", limit=10, after=p1["nextCursor"]).json()
    assert p2["hasPrevious"] and p2["previousCursor"]
    back = api.get("/contracts", limit=10, before=p2["previousCursor"]).json()
    assert [c["id"] for c in back["contracts"]] == [c["id"] for c in p1["contracts"]]
    assert back["hasNext"] and not back["hasPrevious"] and back["previousCursor"] is None


def test_data_envelope_links_and_prev_cursor(api):
    p1 = api.get("/counterparties", limit=5, status="active").json()
    assert p1["pagination"]["prev_cursor"] is None and p1["links"]["prev"] is None
    assert p1["links"]["self"] == "/counterparties?limit=5&status=active"
    assert p1["links"]["next"].endswith("after=" + p1["pagination"]["next_cursor"])
    p2 = api.get("/counterparties", limit=5, status="active", after=p1["pagination"]["next_cursor"]).json()
    back = api.get("/counterparties", limit=5, status="active", before=p2["pagination"]["prev_cursor"]).json()
    assert [c["id"] for c in back["data"]] == [c["id"] for c in p1["data"]]


def test_last_page_has_no_next(api, sb):
    n = len(sb.records("members"))
    body = api.get("/members", limit=50).json()
    assert len(body["data"]) == n and not body["pagination"]["has_next"]
    assert body["pagination"]["next_cursor"] is None and body["links"]["next"] is None


def test_default_limit_is_20(api):
    assert len(api.get("/contracts").json()["contracts"]) == 20
    assert api.get("/counterparties").json()["pagination"]["limit"] == 20


@pytest.mark.parametrize("path", ["/contracts", "/counterparties", "/members", "/smart-fields", "/contract-types"])
@pytest.mark.parametrize(("limit", "message"), [("0", "limit must not be less than 1"),
                                                ("51", "limit must not be greater than 50"),
                                                ("ten", "limit must be an integer number")])
def test_list_given_bad_limit_returns_400(api, path, limit, message):
    assert_error(api.get(path, limit=limit), 400, message)


def test_list_contracts_given_limit_51_returns_400(api):
    assert_error(api.get("/contracts", limit=51), 400, "limit must not be greater than 50")


@pytest.mark.parametrize("cursor", ["garbage!", "eyJpZCI6IjEyMyJ9", "e30", ""])
def test_list_given_bad_cursor_returns_400(api, cursor):
    assert_error(api.get("/contracts", after=cursor), 400, "after is not a valid cursor")


def test_cursor_reused_with_another_sort_or_filter_returns_400(api):
    c = api.get("/contracts", limit=5).json()["nextCursor"]
    assert_error(api.get("/contracts", after=c, sort="name"), 400, "different sort or filter")
    assert_error(api.get("/contracts", after=c, status="draft"), 400, "different sort or filter")
    assert api.get("/contracts", after=c, limit=50).status_code == 200  # another limit is fine


def test_after_and_before_together_returns_400(api):
    c = api.get("/contracts", limit=5).json()["nextCursor"]
    assert_error(api.get("/contracts", after=c, before=c), 400, "cannot be used together")


def test_cursor_of_a_deleted_record_still_resumes(api, sb):
    p1 = api.get("/contracts", limit=10).json()
    sb.delete(contracts=[p1["contracts"][-1]["id"]])
    p2 = api.get("/contracts", limit=10, after=p1["nextCursor"]).json()
    assert p2["contracts"] and p2["contracts"][0]["id"] not in {c["id"] for c in p1["contracts"]}
    sb.reset()
