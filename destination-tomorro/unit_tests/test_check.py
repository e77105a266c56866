"""check.py: fast and honest: unreachable, not Tomorro, key refused, or a setting naming nothing."""

import logging

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.models import Status
from destination_tomorro import DestinationTomorro

BASE = "https://api.tomorro.test/v2"


def check(config):
    return DestinationTomorro().check(logging.getLogger("t"), config)


def test_check_succeeds_and_never_writes(sb, config, w):
    status = DestinationTomorro().check(logging.getLogger("t"), {**config, "default_contract_type": "Non-Disclosure Agreement",
                                                                 "counterparty_match_field": "siren"})
    assert status.status == Status.SUCCEEDED, status.message
    assert w.writes(sb) == [] and sb.requests()[0]["path"] == "/v2/members"


def test_check_reports_each_missing_default(config):
    status = DestinationTomorro().check(logging.getLogger("t"), {
        **config, "default_template": "Lease", "default_contract_type": "Leases", "counterparty_match_field": "vat"})
    assert status.status == Status.FAILED
    assert "default_contract_type: 'Leases'" in status.message
    assert "default_template: 'Lease'" in status.message
    assert "counterparty_match_field: 'vat'" in status.message


def test_check_bad_key_and_bad_config(config):
    status = DestinationTomorro().check(logging.getLogger("t"), {**config, "api_key": "nope-secret"})
    assert status.status == Status.FAILED and "Tomorro rejected the API key" in status.message
    assert "nope-secret" not in status.message
    status = DestinationTomorro().check(logging.getLogger("t"), {**config, "base_url": "http://remote.example"})
    assert status.status == Status.FAILED and "base_url: must use https" in status.message


def test_an_unreachable_url_fails_quickly_saying_so(no_sleep):
    status = check({"api_key": "some-key-123456", "base_url": "http://127.0.0.1:1/v2"})  # a closed port
    assert status.status == Status.FAILED
    assert status.message.startswith("base_url http://127.0.0.1:1/v2 is unreachable (GET /members: ConnectionError "
                                     "after 2 attempts)")
    assert len(no_sleep) == 1 and no_sleep[0] <= 1.0  # one quick retry, no long backoff


@pytest.mark.parametrize("answer", [
    {"status_code": 404, "text": "<html>Not Found</html>"},
    {"status_code": 200, "text": "<!doctype html><title>Some app</title>"},
    {"status_code": 200, "json": {"status": "ok", "version": "3.2"}},
])
def test_a_url_that_is_not_the_tomorro_api_fails_saying_so(no_sleep, answer):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", **answer)
        status = check({"api_key": "some-key-123456", "base_url": BASE})
        assert m.call_count <= 2
    assert status.status == Status.FAILED
    assert status.message.startswith(f"base_url {BASE} answered, but not as the Tomorro API v2 does")


def test_check_never_waits_long(no_sleep):
    with rm.Mocker() as m:
        m.get(f"{BASE}/members", [{"status_code": 429, "headers": {"Retry-After": "120"}, "json": {}}] * 5
              + [{"exc": requests.ConnectTimeout}] * 5)
        status = check({"api_key": "some-key-123456", "base_url": BASE})
        assert m.call_count == 3  # two retries of a 429, then it gives up
    assert status.status == Status.FAILED and "answered with an error every time" in status.message
    assert max(no_sleep) <= 3.0  # Retry-After 120 is not honoured in full during check


def test_check_names_a_stream_matching_key_counterparties_cannot_match_on(config):
    status = check({**config, "streams": [{"stream": "accounts", "object": "counterparty", "match_key": "vat"},
                                          {"stream": "deals", "object": "contract", "match_key": "Id"},
                                          {"stream": "orgs", "object": "counterparty", "match_key": "SIREN"}]})
    assert status.status == Status.FAILED
    assert status.message == ("streams.0.match_key: stream 'accounts': 'vat' (the match_key of stream 'accounts') "
                              "is not a column counterparties can be matched on: use name or a counterparty smart "
                              "field (id or name)")
