"""The list envelopes, each declared once: a page's items (JSON bytes, joined as they are) wrapped
with its paging keys.

- "snake": `{data, pagination: {limit, next_cursor, prev_cursor, has_next, has_previous}, links}`
  (counterparties, members, smart fields, options; every list under `envelope-snake`);
- "camel": `{contracts|contractTypes, hasNext, hasPrevious, nextCursor, previousCursor}`
  (contracts and contract types; cursor keys [ASSUMED]);
- "intro": `{data, pagination: {hasNext, hasPrevious, nextCursor, previousCursor}}` (the
  introduction's generic envelope; every list under `envelope-intro`);
- "intro-next": `{data, pagination: {hasNext, hasPrevious, next, previous}}` (the later introduction
  snapshot's keys; every list under `envelope-intro-next`).

`flags=False` (profile `no-has-next`) drops the has-next / has-previous flags, keeping the cursors.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

import orjson

from . import assumptions as A
from .pagination import Page


@dataclass(frozen=True)
class PageContext:
    items_key: str  # the camel envelope's items key
    path: str  # for links, as the documentation shows them (without /v2)
    query: dict
    limit: int
    flags: bool = True


def _wrap(items_key: str, items: list[bytes], meta: dict) -> bytes:
    return b'{"' + items_key.encode() + b'":[' + b",".join(items) + b"]," + orjson.dumps(meta)[1:]


def _flags(flags: bool, has_next: str, has_prev: str, page: Page) -> dict:
    return {has_next: page.has_next, has_prev: page.has_previous} if flags else {}


def snake(page: Page, items: list[bytes], ctx: PageContext) -> bytes:
    base = {k: v for k, v in ctx.query.items() if k not in ("after", "before", "limit")}

    def link(extra: dict) -> str:
        return f"{ctx.path}?{urlencode({'limit': ctx.limit, **base, **extra})}"

    cursor_q = {k: ctx.query[k] for k in ("after", "before") if k in ctx.query}
    return _wrap("data", items, {
        "pagination": {"limit": ctx.limit, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor,
                       **_flags(ctx.flags, "has_next", "has_previous", page)},
        "links": {"self": link(cursor_q),
                  "next": link({"after": page.next_cursor}) if page.next_cursor else None,
                  "prev": link({"before": page.prev_cursor}) if page.prev_cursor else None},
    })


def camel(page: Page, items: list[bytes], ctx: PageContext) -> bytes:
    return _wrap(ctx.items_key, items, {**_flags(ctx.flags, "hasNext", "hasPrevious", page),
                                        A.CAMEL_NEXT_CURSOR_KEY: page.next_cursor,
                                        A.CAMEL_PREV_CURSOR_KEY: page.prev_cursor})


def intro(page: Page, items: list[bytes], ctx: PageContext) -> bytes:
    return _wrap("data", items, {"pagination": {**_flags(ctx.flags, "hasNext", "hasPrevious", page),
                                                "nextCursor": page.next_cursor,
                                                "previousCursor": page.prev_cursor}})


def intro_next(page: Page, items: list[bytes], ctx: PageContext) -> bytes:
    return _wrap("data", items, {"pagination": {**_flags(ctx.flags, "hasNext", "hasPrevious", page),
                                                "next": page.next_cursor, "previous": page.prev_cursor}})


ENVELOPES = {"snake": snake, "camel": camel, "intro": intro, "intro-next": intro_next}
