"""Scripted outcomes (POST /_sandbox/faults/script) and the request log (GET /_sandbox/requests) over a real
socket: a route's next requests meet exactly the queued outcomes, in order, and the log shows what was sent."""

import pytest
import requests
from tomorro_sandbox.client import AdminError
from tomorro_sandbox.testing import Api, assert_error

CREATE = ("POST", "/v2/counterparties")


@pytest.fixture(autouse=True)
def _clean(sb):
    sb.reset()
    sb.reset_stats()
    yield
    sb.reset()


def names(sb) -> set:
    return {c["name"] for c in sb.records("counterparties")}


def test_outcomes_are_used_one_per_request_in_order_then_the_route_answers_as_usual(sb, api):
    sb.script(*CREATE, "pass", 503, "reset", "reset-after")
    assert api.post("/counterparties", {"name": "S1"}).status_code == 201
    assert_error(api.post("/counterparties", {"name": "S2"}), 503, "scripted")
    with pytest.raises(requests.ConnectionError):
        api.post("/counterparties", {"name": "S3"})
    with pytest.raises(requests.ConnectionError):
        Api(sb).post("/counterparties", {"name": "S4"})  # a fresh connection: the reset one is gone
    assert Api(sb).post("/counterparties", {"name": "S5"}).status_code == 201
    assert {"S1", "S4", "S5"} <= names(sb) and not {"S2", "S3"} & names(sb)  # reset-after: applied, answer lost
    assert sb.script(*CREATE) == []


def test_outcomes_belong_to_their_route_and_method_only(sb, api):
    sb.script("PATCH", "/v2/counterparties/{id}", 422)
    assert api.post("/counterparties", {"name": "Free"}).status_code == 201
    cid = next(c["id"] for c in sb.records("counterparties") if c["name"] == "Free")
    assert api.get(f"/counterparties/{cid}").status_code == 200
    assert_error(api.patch(f"/counterparties/{cid}", {"name": "Blocked"}), 422)
    assert api.patch(f"/counterparties/{cid}", {"name": "Done"}).status_code == 200


def test_reset_clears_the_script_and_a_bad_script_is_refused_naming_why(sb, api):
    sb.script(*CREATE, 500)
    sb.reset()
    assert sb.script(*CREATE) == [] and api.post("/counterparties", {"name": "Ok"}).status_code == 201
    with pytest.raises(AdminError, match="not a route of the API"):
        sb.script("POST", "/v2/counterparty", 500)
    with pytest.raises(AdminError, match="an outcome is one of"):
        sb.script(*CREATE, 200)


def test_the_request_log_shows_what_was_sent_and_clears_with_the_stats(sb, api):
    api.get("/counterparties", name="Acme", limit=5)
    api.post("/counterparties", {"name": "Logged"})
    log = sb.requests()
    assert [(r["method"], r["template"], r["status"]) for r in log] == [
        ("GET", "/v2/counterparties", 200), ("POST", "/v2/counterparties", 201)]
    assert log[0]["query"] == {"name": "Acme", "limit": "5"} and log[1]["body"] == {"name": "Logged"}
    assert [r["body"] for r in sb.requests("POST", "/v2/counterparties")] == [{"name": "Logged"}]
    assert sb.requests("PATCH") == []
    sb.reset_stats()
    assert sb.requests() == []
