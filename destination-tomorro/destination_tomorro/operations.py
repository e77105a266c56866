"""The write of one mapped row: the route's kind finds the existing object, then creates it, PATCHes
what differs, or leaves it (objects/<kind>.py); `RowOperations` holds what every kind's write
shares: the client, the indexes, dry run, and the ownership decision on a PATCH. `dry_run` runs the
same decisions and stops before every POST / PATCH.

    map (mapping.RowMapper) -> find (indexes) -> check -> create (recovery.create_once)
                                                        | PATCH what ownership.py allows | nothing

An existing object is changed only where ownership.py allows it (a newer edit in Tomorro, a signed
contract, a status that never moves back, the field behaviours): a row whose values were held back
is `protected`, accounted for but not rejected.

Nothing is written for a row that will be rejected: every check that can be made before a write is
made before the first one (a contract's status rules, before a counterparty is even created). Where
a second request is unavoidable (a new contract is a draft: its status is a PATCH), the outcome is
repairable by a re-run (objects/contract.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .client import TomorroClient
from .diff import is_empty
from .errors import RowRejected
from .ledger import Classified
from .mapping import MappedRow
from .ownership import current_value, decide

if TYPE_CHECKING:  # annotations only: the object kinds import this module, and routing imports them
    from .config import DestinationTomorroConfig
    from .routing import Route


class RowOperations:
    def __init__(self, client: TomorroClient, cfg: DestinationTomorroConfig, indexes: dict[str, Any]):
        self.client = client
        self.dry_run = cfg.dry_run
        self.indexes = indexes  # kind name -> its index (ObjectKind.make_index)
        self.would_create: set[str] = set()  # dry run: counterparties contract rows would create

    def write(self, route: Route, row: MappedRow) -> Classified:
        return route.kind.write(self, route, row)

    def update(self, route: Route, row: MappedRow, current: dict[str, Any], patch: dict[str, Any], ours: bool,
               extras: list[str]) -> tuple[Classified, dict[str, Any]]:
        """What of `patch` may be written (ownership.py), and the row's outcome; returns the body to send."""
        decision = decide(route.kind, row, current, patch, route.policy, ours=ours,
                          describe=lambda target: route.mapper.describe(target, row))
        written = ", ".join(sorted(decision.patch))
        notes = extras + [f"left: {'; '.join(decision.skipped)}"] * bool(decision.skipped)
        if decision.withheld:
            detail = "; ".join(decision.withheld) + (f"; written: {written}" if written else "")
            return Classified("protected", row.label, detail, notes), decision.patch
        if decision.patch:
            return Classified("updated", row.label, written, notes), decision.patch
        return Classified("unchanged", row.label, "", notes), {}


def named(column: str, find: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    """A look-up whose match is uncertain rejects the row; its reason starts with the row's column."""
    try:
        return find()
    except RowRejected as exc:
        raise RowRejected(f"{column}: {exc.reason}", exc.status_code) from None


def check_cleared(route: Route, row: MappedRow, patch: dict[str, Any], answer: dict[str, Any] | None,
                  read_back: Callable[[], dict[str, Any]]) -> None:
    """`empty_values: clear` sends `value: null`, which no document says clears a value: check that
    Tomorro's answer (or the object read back, when the answer has no fields) holds no value any more."""
    entries = patch.get("fields") or patch.get("attributes") or []
    cleared = [f"field:{e.get('fieldId') or e.get('attributeDefinitionId')}" for e in entries if e["value"] is None]
    if not cleared:
        return
    held = answer if isinstance(answer, dict) and "fields" in answer else read_back()
    kept = [target for target in cleared if not is_empty(current_value(held, target))]
    if kept:
        raise RowRejected(f"{', '.join(route.mapper.describe(t, row) for t in kept)}: Tomorro kept its value after "
                          "a PATCH with value null (empty_values: clear relies on null clearing a value, which the "
                          "API does not document); the row's other values were written")


def fields_as_read(body: dict[str, Any]) -> dict[str, Any]:
    """A write body in the shape Tomorro reads it back (`fields` as attributeDefinitionId / value)."""
    written = dict(body)
    if "fields" in written:
        written["fields"] = [{"attributeDefinitionId": f["fieldId"], "value": f["value"]} for f in written["fields"]]
    return written


def as_written(before: dict[str, Any], answer: dict[str, Any] | None, sent: dict[str, Any]) -> dict[str, Any]:
    """The object as it now is in Tomorro: the answer, completed with what we sent where the answer
    does not echo it (e.g. a create / PATCH answer without `integration` or `fields`)."""
    current = {**before, **(answer or {})}
    for key, value in sent.items():
        if key == "fields" and isinstance(value, list):
            merged = {f.get("attributeDefinitionId"): f for f in before.get("fields") or []}
            if "fields" in (answer or {}):
                merged = {f.get("attributeDefinitionId"): f for f in answer["fields"]}
            else:
                merged.update({f["attributeDefinitionId"]: f for f in value})
            current["fields"] = list(merged.values())
        elif key == "attributes" and isinstance(value, list) and "fields" not in (answer or {}):
            current["fields"] = {**(before.get("fields") or {}),
                                 **{a["attributeDefinitionId"]: a["value"] for a in value}}
        elif key not in (answer or {}) or (answer or {}).get(key) is None:
            current[key] = value
    return current
