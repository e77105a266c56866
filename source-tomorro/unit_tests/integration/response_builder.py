"""Responses built from the canned bodies in unit_tests/resource/http/response/."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from airbyte_cdk.test.mock_http import HttpResponse

RESPONSES = Path(__file__).resolve().parent.parent / "resource" / "http" / "response"


def template(name: str) -> Any:
    return json.loads((RESPONSES / f"{name}.json").read_text())


def _record(name: str, key: str | None, **overrides: Any) -> dict[str, Any]:
    body = template(name)
    record = copy.deepcopy(body[key][0] if key else body[0])
    record.update(overrides)
    return record


def a_contract(**overrides: Any) -> dict[str, Any]:
    return _record("contracts", "contracts", **overrides)


def a_counterparty(**overrides: Any) -> dict[str, Any]:
    return _record("counterparties", "data", **overrides)


def a_member(**overrides: Any) -> dict[str, Any]:
    return _record("members", "data", **overrides)


def an_option(**overrides: Any) -> dict[str, Any]:
    return _record("options", "data", **overrides)


def contracts_page(records: Iterable[dict], next_cursor: str | None = None, key: str = "contracts") -> HttpResponse:
    body = {"hasPrevious": False, "previousCursor": None}
    body.update({key: list(records), "hasNext": next_cursor is not None, "nextCursor": next_cursor})
    return HttpResponse(json.dumps(body), 200)


def data_page(records: Iterable[dict], next_cursor: str | None = None) -> HttpResponse:
    records = list(records)
    body = {
        "data": records,
        "pagination": {"limit": 50, "next_cursor": next_cursor, "prev_cursor": None,
                       "has_next": next_cursor is not None, "has_previous": False},
        "links": {"self": "/v2", "next": None, "prev": None},
    }
    return HttpResponse(json.dumps(body), 200)


def intro_page(records: Iterable[dict], next_cursor: str | None = None, has_next: bool | None = None) -> HttpResponse:
    """The introduction pages' envelope: `{data, pagination: {hasNext, hasPrevious, nextCursor, previousCursor}}`;
    `has_next=None` leaves the flag out."""
    pagination = {"nextCursor": next_cursor, "previousCursor": None}
    if has_next is not None:
        pagination.update(hasNext=has_next, hasPrevious=False)
    return HttpResponse(json.dumps({"data": list(records), "pagination": pagination}), 200)


def canned(name: str, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse((RESPONSES / f"{name}.json").read_text(), status, headers or {})


def error(status: int, headers: dict[str, str] | None = None) -> HttpResponse:
    return canned(str(status), status, headers)
