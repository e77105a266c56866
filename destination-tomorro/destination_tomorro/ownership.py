"""Which of a row's changes to an existing object may be written: Tomorro is the system of record.

Pure rules, applied to the PATCH that diff.py computed (only values that differ), in this order:

1. **A newer edit in Tomorro wins.** When the stream names a `row_updated_at` column and Tomorro's
   `updatedAt` is later than the row's (or the row has no such time, so it cannot prove it is newer),
   nothing is written. Not applied to objects this sync wrote itself (their `updatedAt` is ours).
2. **A signed or canceled contract is not changed**, except the targets listed in
   `after_signature_fields`; its status never changes.
3. **A status never moves back**: draft -> negotiating -> signing -> signed, canceled from any
   status that is not final. A row asking to move it back leaves it, and its other values go on.
4. **Field behaviours**: `on_create` targets are never updated; `if_empty` ones only while Tomorro's
   value is empty.

What rules 1-3 hold back makes the row `protected` (with one reason per rule); what rule 4 holds back
is the user's own setting and only noted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .diff import is_empty
from .mapping import MappedRow
from .objects import CONTRACT, FINAL_STATUSES
from .policy import WritePolicy

FORWARD = {"draft": 0, "negotiating": 1, "signing": 2, "signed": 3}
Describe = Callable[[str], str]  # target -> "column 'Amount' (smart field 'Contract value')"


@dataclass
class Decision:
    patch: dict[str, Any]  # what may be written (empty: nothing)
    withheld: list[str] = field(default_factory=list)  # why values were protected (the row is `protected`)
    skipped: list[str] = field(default_factory=list)  # left by the stream's field behaviours


def moves_forward(current: str | None, wanted: str) -> bool:
    """Whether a contract status change goes forward in Tomorro's lifecycle."""
    if current in FINAL_STATUSES:
        return False
    if current is not None and current not in FORWARD:  # a status this connector does not know: never assume
        return False
    if wanted == "canceled":
        return True
    return FORWARD.get(wanted, -1) > FORWARD.get(current or "draft", 0)


def _entries(patch: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(target, patch key, payload) of every change in a PATCH body."""
    out = []
    for key, value in patch.items():
        if key == "fields":
            out += [(f"field:{f['fieldId']}", key, f) for f in value]
        elif key == "attributes":
            out += [(f"field:{a['attributeDefinitionId']}", key, a) for a in value]
        else:
            out.append((key, key, value))
    return out


def current_value(obj: str, current: dict[str, Any], target: str) -> Any:
    if target.startswith("field:"):
        fid = target[6:]
        held = current.get("fields")
        if isinstance(held, dict):
            return held.get(fid)
        return next((f.get("value") for f in held or [] if f.get("attributeDefinitionId") == fid), None)
    if target == "counterparty":
        return (current.get("counterparty") or {}).get("id")
    return current.get(target)


def _timestamp(text: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def decide(obj: str, row: MappedRow, current: dict[str, Any], patch: dict[str, Any], policy: WritePolicy,
           *, ours: bool, describe: Describe) -> Decision:
    """Split `patch` into what may be written and what is held back, with the reasons (module docstring)."""
    entries = _entries(patch)
    if not entries:
        return Decision({})
    names = ", ".join(describe(t) for t, _, _ in entries)
    if policy.updated_at_column and not ours:
        theirs = _timestamp(current.get("updatedAt"))
        column = policy.updated_at_column
        if row.updated_at is None:
            return Decision({}, [f"{column}: the row has no last-modified time, so it cannot show it is newer than "
                                 f"Tomorro's edit of {current.get('updatedAt')}; not written: {names}"])
        if theirs is None:  # no comparison can prove the row newer: Tomorro's value stays
            return Decision({}, [f"{column}: Tomorro's object has no readable updatedAt "
                                 f"({current.get('updatedAt')!r}), so the row cannot show it is newer; not written: {names}"])
        if theirs > row.updated_at:
            return Decision({}, [f"{column}: Tomorro's edit of {current.get('updatedAt')} is newer than the row's "
                                 f"{row.updated_at.isoformat()}; not written: {names}"])
    status = current.get("status") if obj == CONTRACT else None
    kept: list[tuple[str, str, Any]] = []
    final, backward, skipped = [], [], []
    for target, key, payload in entries:
        if status in FINAL_STATUSES and (target == "status" or target not in policy.after_signature):
            final.append(target)
        elif obj == CONTRACT and target == "status" and not moves_forward(status, payload):
            backward.append(f"{describe(target)}: Tomorro's status '{status}' is ahead of the row's '{payload}' "
                            "(a status never moves back)")
        elif policy.behaviour(target) == "on_create":
            skipped.append(f"{describe(target)} (on_create)")
        elif policy.behaviour(target) == "if_empty" and not is_empty(current_value(obj, current, target)):
            skipped.append(f"{describe(target)} (if_empty: Tomorro has a value)")
        else:
            kept.append((target, key, payload))
    withheld = list(backward)
    if final:
        withheld.insert(0, f"contract {current.get('id')} is {status}: a {status} contract is not changed "
                           f"(after_signature_fields lists what may be); not written: "
                           f"{', '.join(describe(t) for t in final)}")
    allowed: dict[str, Any] = {}
    for _target, key, payload in kept:
        if key in ("fields", "attributes"):
            allowed.setdefault(key, []).append(payload)
        else:
            allowed[key] = payload
    return Decision(allowed, withheld, skipped)
