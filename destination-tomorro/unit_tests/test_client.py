"""client.py: one method per endpoint; every list through the one pagination loop."""

import pytest
import requests_mock as rm
from destination_tomorro.client import TomorroClient

BASE = "https://api.tomorro.test/v2"
KEY = "client-test-key-abcdef"


@pytest.fixture
def client():
    return TomorroClient(BASE, KEY, max_retries=3, requests_per_minute=6000)


def test_pagination_follows_cursors(client):
    with rm.Mocker() as m:
        m.get(f"{BASE}/contracts", [{"json": {"contracts": [{"id": "1"}], "hasNext": True, "nextCursor": "abc"}},
                                    {"json": {"contracts": [{"id": "2"}], "hasNext": False, "nextCursor": None}}])
        m.get(f"{BASE}/counterparties", [
            {"json": {"data": [{"id": "a"}], "pagination": {"has_next": True, "next_cursor": "n1"}}},
            {"json": {"data": [{"id": "b"}], "pagination": {"has_next": False, "next_cursor": None}}}])
        assert [c["id"] for c in client.iter_contracts(sort="createdAt")] == ["1", "2"]
        assert [c["id"] for c in client.iter_counterparties(name="Acme")] == ["a", "b"]
        assert m.request_history[1].qs["after"] == ["abc"] and m.request_history[1].qs["limit"] == ["50"]
        assert m.request_history[3].qs["name"] == ["acme"]


@pytest.mark.parametrize("pages", [
    # the introduction's envelope on contracts
    [{"data": [{"id": "1"}], "pagination": {"hasNext": True, "nextCursor": "k1"}},
     {"data": [{"id": "2"}], "pagination": {"hasNext": False, "nextCursor": None}}],
    # the counterparties' snake_case envelope on contracts
    [{"data": [{"id": "1"}], "pagination": {"has_next": True, "next_cursor": "k1"}, "links": {}},
     {"data": [{"id": "2"}], "pagination": {"has_next": False, "next_cursor": None}, "links": {"next": None}}],
    # no has-next flag: the cursor decides
    [{"contracts": [{"id": "1"}], "nextCursor": "k1"}, {"contracts": [{"id": "2"}], "nextCursor": None}],
    # only a next link
    [{"data": [{"id": "1"}], "links": {"next": "/contracts?limit=50&after=k1"}}, {"data": [{"id": "2"}], "links": {"next": None}}],
])
def test_one_pagination_loop_reads_every_envelope(client, pages):
    with rm.Mocker() as m:
        m.get(f"{BASE}/contracts", [{"json": p} for p in pages])
        assert [c["id"] for c in client.iter_contracts(sort="createdAt")] == ["1", "2"]
        assert m.request_history[1].qs["after"] == ["k1"]


def test_a_page_that_says_more_without_a_cursor_stops_the_list_with_the_keys_it_saw(client):
    from destination_tomorro.errors import UnexpectedResponseError, to_traced_exception

    with rm.Mocker() as m:
        m.get(f"{BASE}/contracts", json={"contracts": [{"id": "1"}], "hasNext": True, "hasPrevious": False})
        with pytest.raises(UnexpectedResponseError) as info:
            list(client.iter_contracts())
    message = to_traced_exception(info.value).message
    assert "GET /contracts" in message and "keys seen: contracts, hasNext, hasPrevious" in message


def test_slim_items_are_fetched_whole_once_and_logged_once(sb, api, new_contract, airbyte_logs):
    from destination_tomorro.client import TomorroClient

    client = TomorroClient(sb.url, sb.api_key, requests_per_minute=6000, max_concurrency=3)
    cp = api.post("/counterparties", {"name": "Acme"}).json()
    for i in range(7):
        new_contract(cp["id"], {"type": "hubspot", "externalId": f"E{i}"}, name=f"C{i}")
    sb.set_api_profiles(["slim-contracts"])
    listed = [c["id"] for c in client.iter_contracts()]
    sb.reset_stats()
    contracts = list(client.iter_full_contracts())
    list(client.iter_full_contracts())
    assert [c["id"] for c in contracts] == listed  # whole, in the list's order
    assert sorted(c["integration"]["externalId"] for c in contracts) == [f"E{i}" for i in range(7)]
    assert len(sb.requests("GET", "/v2/contracts/{id}")) == 14 and client.hydrated == {"contracts": 14}
    assert [r.getMessage() for r in airbyte_logs if "slim" in r.getMessage()] == [
        "GET /contracts serves slim list items (without counterparty, fields, integration): each such item is "
        "fetched with GET /contracts/{id}, one extra request per item (up to 3 at a time, within requests_per_minute)"]
    sb.set_api_profiles([])
    sb.reset_stats()
    assert len(list(client.iter_full_contracts())) == 7 and sb.requests("GET", "/v2/contracts/{id}") == []  # full


def test_a_slim_item_deleted_before_it_is_fetched_is_left_out(sb, api):
    from destination_tomorro.client import TomorroClient

    client = TomorroClient(sb.url, sb.api_key, requests_per_minute=6000)
    sb.set_api_profiles(["slim-counterparties"])
    keep, gone = (api.post("/counterparties", {"name": name}).json() for name in ("Keep", "Gone"))
    listed = list(client.iter_counterparties())
    sb.delete(counterparties=[gone["id"]])
    whole = list(client._full(listed, ("fields",), "counterparties", client.get_counterparty))
    assert [c["id"] for c in whole] == [keep["id"]] and "fields" in whole[0]
