"""Status moves on cue (POST /_sandbox/moves) over a real socket: a move fires once, on the first request of its
route whose query holds the cue, before that request is served; it stamps updatedAt; contracts and counterparties
alike; bad cues are refused."""

import pytest
from tomorro_sandbox.client import AdminError

LIST = {"method": "GET", "path": "/v2/contracts"}


@pytest.fixture(autouse=True)
def _clean(sb):
    sb.reset()
    yield
    sb.reset()


def ids(api, **params) -> set:
    return {c["id"] for c in api.walk("/contracts", "contracts", limit=50, **params)}


def test_a_move_fires_once_on_the_first_matching_request_before_it_is_served(sb, api):
    contract = next(c for c in sb.records("contracts") if c["status"] == "signing")
    sb.move({**LIST, "query": {"status": "draft"}}, [{"id": contract["id"], "status": "draft"}])
    assert contract["id"] in ids(api, status="signing")  # another query: not fired
    assert contract["id"] in ids(api, status="draft")  # fired before this list was served
    assert contract["id"] not in ids(api, status="signing")
    moved = next(c for c in sb.records("contracts") if c["id"] == contract["id"])
    assert moved["status"] == "draft" and moved["updatedAt"] > contract["updatedAt"]  # stamped now
    assert sb.moves() == []  # gone once fired
    sb.move({**LIST, "query": {"status": "draft"}}, [{"id": contract["id"], "status": "negotiating"}])
    sb.reset()
    assert sb.moves() == []  # reset clears moves not fired


def cp_ids(api, **params) -> set:
    return {c["id"] for c in api.walk("/counterparties", limit=50, **params)}


def test_a_counterparty_is_archived_and_unarchived_on_cue(sb, api):
    active = next(c for c in sb.records("counterparties") if c["status"] == "active")
    cp_list = {"method": "GET", "path": "/v2/counterparties"}
    sb.move({**cp_list, "query": {"status": "archived"}}, counterparties=[{"id": active["id"], "status": "archived"}])
    sb.move({**cp_list, "query": {"status": "active"}}, counterparties=[{"id": active["id"], "status": "active"}])
    assert active["id"] in cp_ids(api, status="archived")  # archived before the archived list was served
    archived = next(c for c in sb.records("counterparties") if c["id"] == active["id"])
    assert archived["status"] == "archived" and archived["updatedAt"] > active["updatedAt"]
    assert active["id"] in cp_ids(api, status="active") and active["id"] not in cp_ids(api, status="archived")  # and back
    assert sb.moves() == []


@pytest.mark.parametrize("when, records, says", [
    ({"method": "GET", "path": "/v2/nowhere"}, {"contracts": [{"id": "x", "status": "draft"}]}, "route template"),
    ({**LIST, "query": {"status": 1}}, {"contracts": [{"id": "x", "status": "draft"}]}, "when.query"),
    (LIST, {"contracts": [{"id": "x", "status": "archived"}]}, "one of draft"),
    (LIST, {"counterparties": [{"id": "x", "status": "draft"}]}, "one of active, archived"),
    (LIST, {}, "non-empty"),
    (LIST, {"contracts": [{"id": "no-such-contract", "status": "draft"}]}, "contracts not found"),
    (LIST, {"counterparties": [{"id": "no-such-counterparty", "status": "active"}]}, "counterparties not found"),
])
def test_a_bad_cue_is_refused_naming_what_is_wrong(sb, when, records, says):
    with pytest.raises(AdminError, match=says):
        sb.move(when, **records)
    assert sb.moves() == []
