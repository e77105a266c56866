"""transport.py: the request choke point: headers, budget, retries, typed errors."""

import pytest
import requests
import requests_mock as rm
from destination_tomorro import transport
from destination_tomorro.client import TomorroClient
from destination_tomorro.errors import (
    AmbiguousWriteError,
    TomorroAuthError,
    TomorroClientError,
    TomorroTransientError,
    to_traced_exception,
)
from destination_tomorro.transport import TokenBucket

BASE = "https://api.tomorro.test/v2"
KEY = "client-test-key-abcdef"


@pytest.fixture
def sleeps(monkeypatch):
    waits = []
    monkeypatch.setattr(transport, "_sleep", waits.append)
    return waits


@pytest.fixture
def client(sleeps):
    return TomorroClient(BASE, KEY, max_retries=3, requests_per_minute=6000)


def test_headers_and_timeout(client):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", json={"data": []})
        client.list_members()
        request = m.request_history[0]
        assert request.headers["x-api-key"] == KEY
        assert request.headers["tomorro-version"] == "2025-01-29.alpha"
        assert request.qs == {"limit": ["1"]}
        assert request.timeout == 30.0


def test_429_honours_retry_after(client, sleeps):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", [{"status_code": 429, "headers": {"Retry-After": "7"}, "json": {}},
                                  {"status_code": 200, "json": {"data": []}}])
        assert client.list_members() == {"data": []}
    assert sleeps == [7.0]


def test_5xx_and_connection_errors_back_off_exponentially(client, sleeps):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", [{"status_code": 503, "json": {}}, {"exc": requests.ConnectionError},
                                  {"status_code": 502, "json": {}}, {"status_code": 200, "json": {"data": []}}])
        client.list_members()
    assert len(sleeps) == 3
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0 and 1.0 <= sleeps[2] <= 2.0


def test_retries_exhausted_raise_transient(client):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", status_code=500, json={"statusCode": 500, "message": "boom"})
        with pytest.raises(TomorroTransientError, match="after 4 attempts"):
            client.list_members()
        assert m.call_count == 4


def test_truncated_json_is_retried_on_get(client):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", [{"status_code": 200, "text": '{"data": ['}, {"status_code": 200, "json": {"data": []}}])
        assert client.list_members() == {"data": []}


@pytest.mark.parametrize("response", [{"status_code": 500, "json": {}}, {"exc": requests.ConnectTimeout},
                                      {"exc": requests.ConnectionError}, {"status_code": 201, "text": "{"}])
def test_post_failures_are_ambiguous_and_not_retried(client, response):
    with rm.Mocker() as m:
        m.post(f"{BASE}/contracts", [response])
        with pytest.raises(AmbiguousWriteError):
            client.create_contract({"templateId": "t"})
        assert m.call_count == 1


def test_post_429_is_retried(client):
    with rm.Mocker() as m:
        m.post(f"{BASE}/contracts", [{"status_code": 429, "json": {}}, {"status_code": 201, "json": {"id": "c1"}}])
        assert client.create_contract({})["id"] == "c1"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_are_config_errors_without_the_key(client, status):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", status_code=status, json={"statusCode": status, "message": f"bad key {KEY}"})
        with pytest.raises(TomorroAuthError) as info:
            client.list_members()
    traced = to_traced_exception(info.value)
    assert traced.failure_type.value == "config_error"
    assert "Tomorro rejected the API key" in traced.message
    assert KEY not in traced.message and KEY not in str(info.value)


def test_validation_error_message_is_kept(client):
    with rm.Mocker() as m:
        m.post(f"{BASE}/contracts", status_code=400, json={"statusCode": 400, "error": "Bad Request",
                                                           "message": ["fields[0].value: 'x' is not a number"]})
        with pytest.raises(TomorroClientError) as info:
            client.create_contract({})
    assert info.value.status_code == 400 and "is not a number" in info.value.message


def test_token_bucket_limits_rate():
    now = [0.0]
    waited = []

    def sleep(seconds):
        waited.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(60, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        bucket.acquire()
    # 2 tokens of burst, then one a second
    assert sum(waited) == pytest.approx(3.0)


def test_429_storm_has_its_own_budget(client, sleeps):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", [{"status_code": 429, "headers": {"Retry-After": "1"}, "json": {}}] * 10
              + [{"status_code": 200, "json": {"data": []}}])
        assert client.list_members() == {"data": []}  # max_retries is 3, but 429s are not failures
        assert m.call_count == 11


def test_429_forever_fails_transient(client):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", status_code=429, json={})
        with pytest.raises(TomorroTransientError, match="still rate limited"):
            client.list_members()
        assert m.call_count == 21
