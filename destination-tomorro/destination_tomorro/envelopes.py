"""The list envelopes of the Tomorro API, read in one place: a page's items, its next cursor and
whether more follows. Nothing else in the destination knows how a list answer is shaped.

Every envelope the documentation shows is accepted (tomorro-api.md §2):

* items under `contracts`, `contractTypes` or `data`, or the page is a bare array;
* the next cursor from `nextCursor`, `next_cursor`, `pagination.nextCursor`,
  `pagination.next_cursor`, `pagination.next` (the later introduction snapshot), or `links.next`
  (a URL: its `after` parameter);
* has-next from the flag of the same family (`hasNext`, `has_next`, `pagination.hasNext`,
  `pagination.has_next`); when the page carries no flag, from the presence of a cursor.

A page that says more follows (a flag), or implies it (no flag and a full page), but carries no
cursor this reader understands raises `EnvelopeError` naming the keys it saw: it is never taken
for the end of the list. A cursor key present with `null` is an explicit "no next page".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from .errors import UnexpectedResponseError

ITEM_KEYS = ("contracts", "contractTypes", "data")
CURSOR_KEYS = (("nextCursor",), ("next_cursor",), ("pagination", "nextCursor"), ("pagination", "next_cursor"))
# also read: pagination.next (a cursor or a URL) and links.next (a URL), see _cursor
FLAG_KEYS = (("hasNext",), ("has_next",), ("pagination", "hasNext"), ("pagination", "has_next"))
_ABSENT = object()


class EnvelopeError(UnexpectedResponseError):
    """A list answer this reader cannot page through safely."""


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    has_next: bool


def read_page(body: Any, *, limit: int, where: str = "list") -> Page:
    """Read one page of a list asked with `limit` (`where` names the request in errors)."""
    if isinstance(body, list):  # an unpaginated bare array
        return Page(_items(body, where), None, False)
    if not isinstance(body, dict):
        raise EnvelopeError(f"{where}: expected a JSON object or array, got {type(body).__name__}")
    items_key = next((k for k in ITEM_KEYS if k in body), None)
    if items_key is None:
        raise EnvelopeError(f"{where}: no list of items under {', '.join(ITEM_KEYS)}; keys seen: {_keys(body)}")
    items = _items(body[items_key], where)
    cursor, explicit_none, unreadable = _cursor(body)
    flag = next((v for path in FLAG_KEYS if (v := _get(body, path)) is not _ABSENT), _ABSENT)
    if flag is not _ABSENT and flag is not None:
        has_next = bool(flag)
    else:
        # no flag: a cursor says more follows; without one, a next link we cannot read or a full
        # page implies it, unless a cursor key explicitly says there is none
        has_next = cursor is not None or unreadable or (not explicit_none and len(items) >= limit)
    if has_next and cursor is None:
        if flag is not _ABSENT and flag is not None:
            said = "says more items follow"
        elif unreadable:
            said = "links to a next page"
        else:
            said = f"is full ({len(items)} items of {limit}) and has no has-next flag"
        raise EnvelopeError(f"{where}: the page {said} but carries no next cursor this connector understands "
                            f"(looked for {', '.join('.'.join(p) for p in CURSOR_KEYS)}, pagination.next, links.next with `after`); "
                            f"keys seen: {_keys(body)}")
    return Page(items, cursor if has_next else None, has_next)


def _items(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise EnvelopeError(f"{where}: the items are not a list of objects")
    return value


def _get(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def _cursor(body: dict[str, Any]) -> tuple[str | None, bool, bool]:
    """(the next cursor or None, whether a key said explicitly "no next page" (null), whether a
    next link was given that carries no `after` cursor)."""
    explicit_none = unreadable = False
    for path in CURSOR_KEYS:
        value = _get(body, path)
        if value is _ABSENT:
            continue
        if isinstance(value, str) and value:
            return value, False, False
        explicit_none = explicit_none or value is None
    for path in (("pagination", "next"), ("links", "next")):
        value = _get(body, path)
        if value is _ABSENT or value is None:
            explicit_none = explicit_none or value is None
            continue
        if not isinstance(value, str) or not value:
            unreadable = True
            continue
        if "?" not in value and "/" not in value:  # a bare cursor (pagination.next)
            return value, False, False
        after = parse_qs(urlparse(value).query).get("after")
        if after and after[0]:
            return after[0], False, False
        unreadable = True
    return None, explicit_none, unreadable


def _keys(body: dict[str, Any]) -> str:
    """Top-level keys, and the keys of nested objects one level down (e.g. pagination.next)."""
    names = []
    for key, value in body.items():
        names.append(key)
        if isinstance(value, dict):
            names.extend(f"{key}.{sub}" for sub in value)
    return ", ".join(names) or "(none)"
