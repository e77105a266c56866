"""components.py, section 1: the one place that knows the shapes of Tomorro's list answers (tomorro-api.md §2)."""

from __future__ import annotations

import pytest
import requests
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from source_tomorro.run import register_components

components = register_components()
read = components.read_list_page
ITEMS = [{"id": "a"}, {"id": "b"}]


@pytest.mark.parametrize("body,items_key,cursor", [
    # contracts / contract types as the init pages show them, with the camelCase cursor
    ({"contracts": ITEMS, "hasNext": True, "hasPrevious": False, "nextCursor": "N"}, "contracts", "N"),
    ({"contractTypes": ITEMS, "hasNext": False, "nextCursor": None}, "contractTypes", None),
    # the counterparties' envelope, also on contracts
    ({"data": ITEMS, "pagination": {"limit": 2, "next_cursor": "N", "prev_cursor": None, "has_next": True,
                                    "has_previous": False}, "links": {"next": "/x?after=N"}}, "contracts", "N"),
    # the introduction's envelope
    ({"data": ITEMS, "pagination": {"hasNext": True, "hasPrevious": False, "nextCursor": "N",
                                    "previousCursor": None}}, "contracts", "N"),
    # no has-next flag: the cursor decides
    ({"data": ITEMS, "pagination": {"nextCursor": "N"}}, "data", "N"),
    ({"data": [{"id": "a"}], "pagination": {"nextCursor": None}}, "data", None),
    # only a `links.next` URL
    ({"data": ITEMS, "links": {"next": "/v2/counterparties?limit=2&after=FROM%20LINK"}}, "data", "FROM LINK"),
    # a bare array: unpaginated
    (ITEMS, "data", None),
])
def test_every_documented_envelope(body, items_key, cursor):
    page = read(body, items_key, 2)
    assert page.items == (ITEMS if len(page.items) == 2 else [{"id": "a"}])
    assert page.next_cursor == cursor


def test_a_false_flag_ends_the_list_even_on_a_full_page_with_a_cursor():
    assert read({"data": ITEMS, "pagination": {"has_next": False, "next_cursor": "N"}}, "data", 2).next_cursor is None


@pytest.mark.parametrize("body", [
    {"data": ITEMS, "pagination": {"next_cursor": None, "limit": 2}},  # no flag, the known cursor key is null
    {"contracts": ITEMS, "nextCursor": None},
    {"data": ITEMS, "links": {"self": "/x", "next": None}},
])
def test_a_known_cursor_key_set_to_null_ends_a_full_page(body):
    assert read(body, "contracts", 2).next_cursor is None


@pytest.mark.parametrize("body,problem", [
    ({"data": ITEMS, "pagination": {"has_next": True}}, "its has-next flag says more pages follow"),
    ({"data": ITEMS, "pagination": {"has_next": True, "next_cursor": None}}, "its has-next flag says more pages"),
    ({"data": ITEMS, "meta": {"cursor": "N"}}, "a full page without a has-next flag or a next cursor"),
    ({"records": ITEMS}, "no list of records under `contracts` or `data`"),
    ({"data": ITEMS, "hasNext": "yes"}, "a has-next flag that is 'yes'"),
    ({"data": ITEMS, "nextCursor": 7}, "a next cursor that is not a string"),
    ({"data": [1, 2]}, "items are not all JSON objects"),
    ("nope", "a list answer that is a str"),
])
def test_a_shape_it_cannot_read_is_an_error_naming_the_keys_never_an_end(body, problem):
    with pytest.raises(AirbyteTracedException) as raised:
        read(body, "contracts", 2)
    assert problem in raised.value.message
    if isinstance(body, dict):
        assert "Keys seen: " + ", ".join(body) in raised.value.message


def test_the_keys_are_named_never_the_values():
    with pytest.raises(AirbyteTracedException) as raised:
        read({"data": ITEMS, "pagination": {"has_next": True, "secret_token": "s3cr3t"}}, "data", 2)
    assert "pagination.secret_token" in raised.value.message and "s3cr3t" not in raised.value.message


def _response(content: bytes) -> requests.Response:
    response = requests.Response()
    response._content, response.status_code, response.url = content, 200, "https://api.tomorro.com/v2/contracts?x=1"
    return response


def test_a_page_is_parsed_once_for_the_extractor_and_the_paginator(monkeypatch):
    calls = []
    real_loads = components.orjson.loads
    monkeypatch.setattr(components.orjson, "loads", lambda data: calls.append(1) or real_loads(data))
    response = _response(b'{"contracts": [{"id": "a"}], "hasNext": true, "nextCursor": "N"}')
    extractor = components.ListRecordExtractor(config={}, parameters={}, items_key="contracts")
    paginator = components.ListCursorPagination(config={"page_size": 1}, parameters={}, page_size="{{ config['page_size'] }}",
                                                items_key="contracts")

    check = components.RetryAnswersNotJson(config={"max_retries": 3}, parameters={},
                                           max_retries="{{ config['max_retries'] }}")

    assert check.interpret_response(response) is None  # the error handler's look at the body comes first
    assert list(extractor.extract_records(response)) == [{"id": "a"}]
    assert paginator.next_page_token(response, 1, None, None) == "N"
    assert paginator.get_page_size() == 1 and len(calls) == 1
    assert check.max_retries == 3


@pytest.mark.parametrize("content", [b'{"contracts": [{"id"', b"<html>Welcome</html>", b"", b"{}"])
def test_an_answer_that_is_not_json_or_empty_is_retried_naming_the_url_without_its_query(content):
    resolution = components.RetryAnswersNotJson(config={}, parameters={}).interpret_response(_response(content))
    assert resolution.response_action.name == "RETRY" and resolution.failure_type.name == "transient_error"
    assert "https://api.tomorro.com/v2/contracts was not JSON (truncated" in resolution.error_message


@pytest.mark.parametrize("status", [400, 404, 429, 500])
def test_the_answer_check_has_no_opinion_on_other_statuses_or_exceptions(status):
    response = _response(b"<html>nope</html>")
    response.status_code = status
    check = components.RetryAnswersNotJson(config={}, parameters={})
    assert check.interpret_response(response) is None  # left to status_handler
    assert check.interpret_response(requests.ConnectionError("refused")) is None


def test_a_body_that_is_not_json_is_an_error_naming_the_path():
    with pytest.raises(AirbyteTracedException) as raised:
        components.decode_json(_response(b"<html>Welcome</html>"))
    assert "the answer to /v2/contracts is not JSON" in raised.value.message
