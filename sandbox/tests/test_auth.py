"""x-api-key and tomorro-version."""

import pytest
import requests
from tomorro_sandbox.testing import assert_error


def test_missing_api_key_returns_401(sb):
    assert_error(requests.get(sb.url + "/contracts", timeout=10), 401, "Missing API key")


def test_wrong_api_key_returns_401(sb):
    r = requests.get(sb.url + "/contracts", headers={"x-api-key": "nope"}, timeout=10)
    assert_error(r, 401, "Invalid API key")


def test_unknown_route_with_key_returns_404_nest_style(api):
    assert_error(api.get("/folders"), 404, "Cannot GET /v2/folders")


def test_wrong_method_returns_404(api):
    assert_error(api.s.delete(api.sb.url + "/contracts", timeout=10), 404, "Cannot DELETE /v2/contracts")


def test_current_version_has_no_deprecation_headers(api):
    r = api.s.get(api.sb.url + "/members", headers={"tomorro-version": "2025-01-29.alpha"}, timeout=10)
    assert r.status_code == 200 and "x-api-deprecation-warning" not in r.headers


def test_deprecated_version_adds_warning_and_sunset_headers(api):
    r = api.s.get(api.sb.url + "/members", headers={"tomorro-version": "2025-01-15.init"}, timeout=10)
    assert r.status_code == 200
    assert "2025-01-29.alpha" in r.headers["x-api-deprecation-warning"] and r.headers["sunset"]


def test_sunset_version_returns_410(api):
    r = api.s.get(api.sb.url + "/members", headers={"tomorro-version": "2024-12-01.legacy"}, timeout=10)
    assert_error(r, 410, "sunset")


@pytest.mark.parametrize("version", ["2099-01-01.future", "alpha", ""])
def test_unknown_version_returns_400(api, version):
    r = api.s.get(api.sb.url + "/members", headers={"tomorro-version": version}, timeout=10)
    assert_error(r, 400, "unknown version")


def test_auth_is_checked_before_version(sb):
    r = requests.get(sb.url + "/members", headers={"tomorro-version": "2024-12-01.legacy"}, timeout=10)
    assert r.status_code == 401


def test_openapi_document_needs_no_key(sb):
    r = requests.get(sb.url + "/openapi.json", timeout=10)
    assert r.status_code == 200 and r.json()["openapi"].startswith("3.")


def test_head_is_answered_like_get_without_a_body(api):
    r = api.s.head(api.sb.url + "/members", timeout=10)
    assert r.status_code == 200 and r.content == b"" and int(r.headers["Content-Length"]) > 0


def test_other_methods_get_the_nest_404(api):
    assert_error(api.s.options(api.sb.url + "/members", timeout=10), 404, "Cannot OPTIONS /v2/members")


def test_every_response_has_a_request_id_and_a_date(api):
    r = api.get("/members")
    assert r.headers["x-request-id"].startswith("req_") and r.headers["Date"].endswith("GMT")
