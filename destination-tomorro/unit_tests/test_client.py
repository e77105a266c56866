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
