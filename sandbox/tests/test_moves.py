"""Status moves on cue (POST /_sandbox/moves) over a real socket: a move fires once, on the first request of its
route whose query holds the cue, before that request is served; it stamps updatedAt; bad cues are refused."""

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


@pytest.mark.parametrize("when, contracts, says", [
    ({"method": "GET", "path": "/v2/nowhere"}, [{"id": "x", "status": "draft"}], "route template"),
    ({**LIST, "query": {"status": 1}}, [{"id": "x", "status": "draft"}], "when.query"),
    (LIST, [{"id": "x", "status": "archived"}], "one of draft"),
    (LIST, [], "non-empty"),
    (LIST, [{"id": "no-such-contract", "status": "draft"}], "not found"),
])
def test_a_bad_cue_is_refused_naming_what_is_wrong(sb, when, contracts, says):
    with pytest.raises(AdminError, match=says):
        sb.move(when, contracts)
    assert sb.moves() == []
