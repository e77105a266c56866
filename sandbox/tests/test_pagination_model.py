"""Pagination against a brute-force model on a collection big enough (3,000 contracts) for the
indexed paths: every (sort, filter) pair walked forward with `after` and backward with `before`
must give exactly the model's order."""

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.testing import Api


@pytest.fixture(scope="module")
def big():
    with SandboxServer(seed=11, contracts=3000, counterparties=150) as server:
        yield server


def model(contracts, sort: str, pred) -> list:
    items = [c for c in contracts if pred(c)]
    keys = [(k.lstrip("-"), k.startswith("-")) for k in sort.split(",")]
    last_desc = keys[-1][1]
    items.sort(key=lambda c: c["id"], reverse=last_desc)
    for field, desc in reversed(keys):
        present = sorted((c for c in items if c[field] is not None), key=lambda c: c[field], reverse=desc)
        absent = [c for c in items if c[field] is None]
        items = present + absent if desc else absent + present
    return [c["id"] for c in items]


def walk_back(api, params: dict, limit: int) -> list:
    """Go to the last page with `after`, then follow `before` cursors back to the first one."""
    body = api.get("/contracts", limit=limit, **params).json()
    while body["hasNext"]:
        body = api.get("/contracts", limit=limit, **params, after=body["nextCursor"]).json()
    pages = [[c["id"] for c in body["contracts"]]]
    cursor = body["previousCursor"]
    while cursor:
        body = api.get("/contracts", limit=limit, **params, before=cursor).json()
        pages.append([c["id"] for c in body["contracts"]])
        cursor = body["previousCursor"] if body["hasPrevious"] else None
    return [i for page in reversed(pages) for i in page]


CASES = [
    ("-createdAt", {}, lambda c, cp: True),
    ("updatedAt", {"status": "signed"}, lambda c, cp: c["status"] == "signed"),
    ("-updatedAt", {"counterpartyId": "CP"}, lambda c, cp: c["counterparty"]["id"] == cp),
    ("name", {"counterpartyId": "CP", "status": "ne:draft"},
     lambda c, cp: c["counterparty"]["id"] == cp and c["status"] != "draft"),
    ("-startAt,name", {"updatedAt": "gte:2024-11-01"}, lambda c, cp: c["updatedAt"] >= "2024-11-01T00:00:00.000Z"),
    ("status,-endAt", {"createdAt": "lte:2023-03-01"}, lambda c, cp: c["createdAt"] <= "2023-03-01T00:00:00.000Z"),
    ("updatedAt", {"updatedAt": "gte:2024-06-01", "status": "in:draft,signing"},
     lambda c, cp: c["updatedAt"] >= "2024-06-01T00:00:00.000Z" and c["status"] in ("draft", "signing")),
]


@pytest.mark.parametrize(("sort", "params", "pred"), CASES)
def test_forward_and_backward_walks_match_the_model(big, sort, params, pred):
    api = Api(big)
    contracts = big.records("contracts")
    cp = contracts[0]["counterparty"]["id"]
    params = {k: v.replace("CP", cp) for k, v in params.items()}
    expected = model(contracts, sort, lambda c: pred(c, cp))
    assert expected, "the case should select something"
    forward = [c["id"] for c in api.walk("/contracts", "contracts", limit=7, sort=sort, **params)]
    assert forward == expected
    assert walk_back(api, {"sort": sort, **params}, 7) == expected
