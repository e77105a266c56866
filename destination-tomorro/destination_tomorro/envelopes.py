"""The list envelopes of the Tomorro API, read in one place: a page's items, its next cursor and
whether more follows. Nothing else in the destination knows how a list answer is shaped.

The rules are a table shared as data with the source's and tomorro-sync's readers,
`tests/data/envelope_rules.json` (every documented shape of tomorro-api.md §2, and the shapes that
must fail); `unit_tests/test_envelope_rules.py` holds this reader to it:

* items under the list's own key (`contracts`, `contractTypes`, else `data`), or a bare array;
* the next cursor from the first of `nextCursor`, `next_cursor`, `pagination.nextCursor`,
  `pagination.next_cursor`, `pagination.next` (a cursor or a link), `links.next` (a link: its
  `after`) that is present; null or "" there is an explicit "no next page";
* has-next from the flag (`hasNext`, `has_next`, also under `pagination`); without a flag, from
  the cursor.

A page that says more follows (its flag), or implies it (a next link without a cursor, or a full
page with no cursor key at all), but carries no cursor raises `EnvelopeError` naming the keys it
saw: it is never taken for the end of the list. A flag that is not a boolean or a cursor that is not
a string is an error too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from .errors import UnexpectedResponseError

DEFAULT_ITEMS_KEY = "data"
ITEMS_KEY_OF = {"/contracts": "contracts", "/contract-types": "contractTypes"}  # list path -> items key
CURSOR_KEYS = ("nextCursor", "next_cursor")
FLAG_KEYS = ("hasNext", "has_next")


class EnvelopeError(UnexpectedResponseError):
    """A list answer this reader cannot page through safely."""


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    has_next: bool


def read_page(body: Any, *, limit: int | None, items_key: str = DEFAULT_ITEMS_KEY, where: str = "list") -> Page:
    """Read one page of a list asked with `limit` (None: unknown) whose items live under `items_key`
    (`where` names the request in errors)."""
    if isinstance(body, list):  # an unpaginated bare array
        return Page(_items(body, where), None, False)
    if not isinstance(body, dict):
        raise EnvelopeError(f"{where}: expected a JSON object or array, got {type(body).__name__}")
    key = items_key if items_key in body else DEFAULT_ITEMS_KEY
    if key not in body:
        raise EnvelopeError(f"{where}: no list of items under `{items_key}` or `{DEFAULT_ITEMS_KEY}`; keys seen: {_keys(body)}")
    items = _items(body[key], where)
    pagination = body["pagination"] if isinstance(body.get("pagination"), dict) else {}
    flag_key, flag = next(((p, v) for p, v in _present(body, pagination, FLAG_KEYS) if v is not None), (None, None))
    if flag is not None and not isinstance(flag, bool):
        raise EnvelopeError(f"{where}: the has-next flag `{flag_key}` is {flag!r}, not true or false; keys seen: {_keys(body)}")
    cursor_key, cursor, link_without_cursor = _next_cursor(body, pagination, where)
    if flag is False:
        return Page(items, None, False)
    if cursor:
        return Page(items, cursor, True)
    if flag:
        said = "says more items follow"
    elif link_without_cursor:
        said = "links to a next page"
    elif not cursor_key and limit and len(items) >= limit:
        said = f"is full ({len(items)} items of {limit}) and has no has-next flag"
    else:
        return Page(items, None, False)
    raise EnvelopeError(f"{where}: the page {said} but carries no next cursor this connector understands "
                        f"(looked for {', '.join(CURSOR_KEYS)}, pagination.*, links.next with `after`); keys seen: {_keys(body)}")


def _items(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise EnvelopeError(f"{where}: the items are not a list of objects")
    return value


def _present(body: dict[str, Any], pagination: dict[str, Any], keys: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """(key path, value) of each of `keys` present in the body, then under `pagination`."""
    for holder, prefix in ((body, ""), (pagination, "pagination.")):
        for key in keys:
            if key in holder:
                yield prefix + key, holder[key]


def _next_cursor(body: dict[str, Any], pagination: dict[str, Any], where: str) -> tuple[str | None, str | None, bool]:
    """(the path of the first next-cursor key present, its cursor or None, whether it is a link without one)."""
    links = body["links"] if isinstance(body.get("links"), dict) else {}
    candidates = [*_present(body, pagination, CURSOR_KEYS)]
    candidates += [("pagination.next", pagination["next"])] if "next" in pagination else []
    candidates += [("links.next", links["next"])] if "next" in links else []
    for path, value in candidates:
        if value is None or value == "":
            return path, None, False
        if not isinstance(value, str):
            raise EnvelopeError(f"{where}: the next cursor `{path}` is not a string; keys seen: {_keys(body)}")
        if path.endswith(".next") and ("/" in value or "?" in value):  # a link: its `after` is the cursor
            after = (parse_qs(urlparse(value).query).get("after") or [""])[0]
            return path, after or None, not after
        return path, value, False
    return None, None, False


def _keys(body: dict[str, Any]) -> str:
    """Top-level keys, and the keys of nested objects one level down (e.g. pagination.next)."""
    names = []
    for key, value in body.items():
        names.append(key)
        if isinstance(value, dict):
            names.extend(f"{key}.{sub}" for sub in value)
    return ", ".join(names) or "(none)"
