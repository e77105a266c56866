"""Comparing a value we would send with the value Tomorro holds: what every kind's `diff` (the PATCH
body holding only what differs, objects/<kind>.py) and create-recovery share."""

from __future__ import annotations

import re
from typing import Any


def same_value(a: Any, b: Any) -> bool:
    """Whether a value we would send equals the value Tomorro holds."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    if isinstance(a, str) and isinstance(b, str) and a != b and (len(a) == 10 or len(b) == 10):
        # a date field may come back as a full ISO timestamp
        return _looks_like_date(a) and _looks_like_date(b) and a[:10] == b[:10]
    return a == b


def _looks_like_date(s: str) -> bool:
    return bool(re.match(r"\d{4}-\d{2}-\d{2}", s))


def is_empty(value: Any) -> bool:
    """An empty value in Tomorro: none, blank text, an empty list, rich text without any text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list) and value and all(isinstance(n, dict) and "children" in n for n in value):
        return all(is_empty(c.get("text")) for n in value for c in n.get("children") or [] if isinstance(c, dict))
    return isinstance(value, (list, dict)) and not value
