"""`check`: one page of members, answered within seconds whatever is at `base_url` (one retry at most, where
a sync retries `max_retries` times), with a message that says what was found there. Asserted as behaviour
(attempts and waits counted), never as a timing."""

from __future__ import annotations

import logging

import pytest
import requests
from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from requests.adapters import HTTPAdapter
from source_tomorro.run import create_source

from .integration.config import ConfigBuilder
from .integration.request_builder import TomorroRequestBuilder


def _check(config):
    return create_source(config=config).check(logging.getLogger("airbyte"), config)


def test_an_unreachable_base_url_fails_after_one_retry_and_says_so(monkeypatch, no_sleep):
    attempts = []

    def refuse(adapter, request, *args, **kwargs):
        attempts.append(request.url)
        raise requests.ConnectionError("Connection refused")

    monkeypatch.setattr(HTTPAdapter, "send", refuse)
    status = _check(ConfigBuilder().with_values(max_retries=6).build())

    assert status.status == Status.FAILED
    assert len(attempts) == 2  # one retry, whatever `max_retries` a sync uses
    assert sum(call.args[0] for call in no_sleep.call_args_list if call.args) <= 10
    assert "Connection refused" in status.message


@HttpMocker()
def test_a_server_that_is_not_tomorro_fails_saying_so(http_mocker):
    http_mocker.get(TomorroRequestBuilder.members().with_limit(2).build(), HttpResponse("<html>Welcome</html>", 200))

    status = _check(ConfigBuilder().build())

    assert status.status == Status.FAILED
    assert "was not JSON (truncated, or base_url is not the Tomorro API" in status.message


@pytest.mark.parametrize("body", ['{"statusCode": 404, "message": "Cannot GET /v3/members"}', "<html>Not Found</html>"])
def test_a_base_url_with_a_wrong_path_fails_naming_base_url(body):
    with HttpMocker() as http_mocker:
        http_mocker.get(TomorroRequestBuilder.members().with_limit(2).build(), HttpResponse(body, 404))
        status = _check(ConfigBuilder().build())

    assert status.status == Status.FAILED and "is `base_url` the Tomorro API" in status.message
