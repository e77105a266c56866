"""The list envelopes of the Tomorro API, read in one place: a page's items, next cursor and whether
more follows. Nothing else in the destination knows how a list answer is shaped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    has_next: bool


def read_page(body: Any) -> Page:
    """`{contracts|contractTypes, hasNext, nextCursor}` or `{data, pagination: {has_next, next_cursor}}`."""
    body = body or {}
    if "data" in body:
        pagination = body.get("pagination") or {}
        return Page(body.get("data") or [], pagination.get("next_cursor"), bool(pagination.get("has_next")))
    items = body.get("contracts") if "contracts" in body else body.get("contractTypes")
    return Page(items or [], body.get("nextCursor"), bool(body.get("hasNext")))
