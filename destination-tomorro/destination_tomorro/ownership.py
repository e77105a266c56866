"""Which of a row's changes to an existing object may be written: Tomorro is the system of record.

Pure rules, applied to the PATCH that the kind's `diff` computed (only values that differ), in this
order; what depends on the object (final statuses, the status lifecycle) is asked of its kind:

1. **A newer edit in Tomorro wins.** When the stream names a `row_updated_at` column and Tomorro's
   `updatedAt` is later than the row's (or the row has no such time, so it cannot prove it is newer),
   nothing is written. Not applied to objects this sync wrote itself (their `updatedAt` is ours).
2. **An object in a final status (a signed or canceled contract) is not changed**, except the
   targets listed in `after_signature_fields`; its status never changes.
3. **A status never moves back** (`ObjectKind.moves_forward`; contracts: draft -> negotiating ->
   signing -> signed, canceled from any status that is not final). A row asking to move it back leaves it, and its other values go on.
4. **Field behaviours**: `on_create` targets are never updated; `if_empty` ones only while Tomorro's
   value is empty.

What rules 1-3 hold back makes the row `protected` (with one reason per rule); what rule 4 holds back
is the user's own setting and only noted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .diff import is_empty
from .mapping import MappedRow
from .policy import WritePolicy

if TYPE_CHECKING:  # annotations only: the object kinds import this module
    from .objects.kind import ObjectKind

Describe = Callable[[str], str]  # target -> "column 'Amount' (smart field 'Contract value')"


@dataclass
class Decision:
    patch: dict[str, Any]  # what may be written (empty: nothing)
    withheld: list[str] = field(default_factory=list)  # why values were protected (the row is `protected`)
    skipped: list[str] = field(default_factory=list)  # left by the stream's field behaviours


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


def current_value(current: dict[str, Any], target: str) -> Any:
    if target.startswith("field:"):
        fid = target[6:]
        held = current.get("fields")
        if isinstance(held, dict):
            return held.get(fid)
        return next((f.get("value") for f in held or [] if f.get("attributeDefinitionId") == fid), None)
    value = current.get(target)
    return value.get("id") if isinstance(value, dict) else value  # a link (a contract's counterparty): its id


def _timestamp(text: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def decide(kind: ObjectKind, row: MappedRow, current: dict[str, Any], patch: dict[str, Any], policy: WritePolicy,
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
    status = current.get("status")
    kept: list[tuple[str, str, Any]] = []
    final, backward, skipped = [], [], []
    for target, key, payload in entries:
        if status in kind.final_statuses and (target == "status" or target not in policy.after_signature):
            final.append(target)
        elif target == "status" and not kind.moves_forward(status, payload):
            backward.append(f"{describe(target)}: Tomorro's status '{status}' is ahead of the row's '{payload}' "
                            "(a status never moves back)")
        elif policy.behaviour(target) == "on_create":
            skipped.append(f"{describe(target)} (on_create)")
        elif policy.behaviour(target) == "if_empty" and not is_empty(current_value(current, target)):
            skipped.append(f"{describe(target)} (if_empty: Tomorro has a value)")
        else:
            kept.append((target, key, payload))
    withheld = list(backward)
    if final:
        withheld.insert(0, f"{kind.name} {current.get('id')} is {status}: a {status} {kind.name} is not changed "
                           f"(after_signature_fields lists what may be); not written: "
                           f"{', '.join(describe(t) for t in final)}")
    allowed: dict[str, Any] = {}
    for _target, key, payload in kept:
        if key in ("fields", "attributes"):
            allowed.setdefault(key, []).append(payload)
        else:
            allowed[key] = payload
    return Decision(allowed, withheld, skipped)
