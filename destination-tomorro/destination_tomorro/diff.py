"""What differs between a mapped row and the object Tomorro holds: the PATCH body, or nothing."""

from __future__ import annotations

import re
from typing import Any

from .mapping import MappedRow


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


def diff_contract(row: MappedRow, current: dict[str, Any]) -> dict[str, Any]:
    """PATCH body holding only what differs from `current` (empty = unchanged); a field to clear
    (empty_values: clear) is sent as null when Tomorro holds a value. Who may change what is
    ownership.py's question, asked of this body.

    templateId, contractTypeId and integration cannot change through PATCH and are not compared.
    """
    patch: dict[str, Any] = {}
    if row.name and row.name != current.get("name"):
        patch["name"] = row.name
    if row.status and row.status != current.get("status"):
        patch["status"] = row.status
    if row.counterparty_id and row.counterparty_id != (current.get("counterparty") or {}).get("id"):
        patch["counterparty"] = {"id": row.counterparty_id}
    existing = {f.get("attributeDefinitionId"): f.get("value") for f in current.get("fields") or []}
    changed = [{"fieldId": k, "value": v} for k, v in row.fields.items() if k not in existing or not same_value(v, existing[k])]
    changed += [{"fieldId": k, "value": None} for k in sorted(row.clears) if not is_empty(existing.get(k))]
    if changed:
        patch["fields"] = changed
    return patch


def diff_counterparty(row: MappedRow, current: dict[str, Any]) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    if row.name and row.name != current.get("name"):
        patch["name"] = row.name
    if row.status and row.status != current.get("status"):
        patch["status"] = row.status
    existing = current.get("fields") or {}
    changed = [{"attributeDefinitionId": k, "value": v} for k, v in row.fields.items()
               if k not in existing or not same_value(v, existing[k])]
    changed += [{"attributeDefinitionId": k, "value": None} for k in sorted(row.clears) if not is_empty(existing.get(k))]
    if changed:
        patch["attributes"] = changed
    return patch
