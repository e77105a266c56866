"""The write of one mapped row: find the existing object, then create it, PATCH what differs, or
leave it. `dry_run` runs the same decisions and stops before every POST / PATCH.

    map (mapping.RowMapper) -> find (indexes) -> check -> create (recovery.create_once)
                                                        | PATCH what ownership.py allows | nothing

An existing object is changed only where ownership.py allows it (a newer edit in Tomorro, a signed
contract, a status that never moves back, the field behaviours): a row whose values were held back
is `protected`, accounted for but not rejected.

Nothing is written for a row that will be rejected: every check that can be made before a write is
made before the first one (the status rules below, before a counterparty is even created). Where a
second request is unavoidable (a new contract is a draft: its status is a PATCH), the outcome is
repairable by a re-run: the contract is remembered by its key before the status is set, so a re-run
finds it and sets the status (in `append` too: a contract still in draft whose row asks for another
status is completed, not left as a draft).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .client import TomorroClient
from .config import DestinationTomorroConfig
from .diff import diff_contract, diff_counterparty, is_empty
from .errors import RowRejected, TomorroClientError
from .indexes import ContractIndex, CounterpartyIndex
from .keys import MatchKey
from .ledger import Classified
from .mapping import MappedRow
from .objects import CONTRACT, COUNTERPARTY
from .ownership import current_value, decide, moves_forward
from .recovery import create_once, find_created_contract, find_landed_counterparty
from .routing import Route

logger = logging.getLogger("airbyte")
BY_NAME = MatchKey(COUNTERPARTY, "name")


class RowOperations:
    def __init__(self, client: TomorroClient, cfg: DestinationTomorroConfig, contracts: ContractIndex,
                 counterparties: CounterpartyIndex):
        self.client = client
        self.dry_run = cfg.dry_run
        self.contracts = contracts
        self.counterparties = counterparties
        self.would_create: set[str] = set()  # dry run: counterparties contract rows would create

    def write(self, route: Route, row: MappedRow) -> Classified:
        if route.object == CONTRACT:
            return self._write_contract(route, row)
        return self._write_counterparty(route, row)

    def _update(self, route: Route, row: MappedRow, current: dict[str, Any], patch: dict[str, Any], ours: bool,
                extras: list[str]) -> tuple[Classified, dict[str, Any]]:
        """What of `patch` may be written (ownership.py), and the row's outcome; returns the body to send."""
        decision = decide(route.object, row, current, patch, route.policy, ours=ours,
                          describe=lambda target: route.mapper.describe(target, row))
        written = ", ".join(sorted(decision.patch))
        notes = extras + [f"left: {'; '.join(decision.skipped)}"] * bool(decision.skipped)
        if decision.withheld:
            detail = "; ".join(decision.withheld) + (f"; written: {written}" if written else "")
            return Classified("protected", row.label, detail, notes), decision.patch
        if decision.patch:
            return Classified("updated", row.label, written, notes), decision.patch
        return Classified("unchanged", row.label, "", notes), {}

    # -- counterparties --------------------------------------------------------------------------
    def _write_counterparty(self, route: Route, row: MappedRow) -> Classified:
        with self.counterparties.name_lock(row.name or ""):
            current = _named(route.match.column, lambda: self.counterparties.get(row.name, row.key, route.match))
            if current is not None:
                if route.mode == "append":
                    return Classified("unchanged", row.label, "exists (append never updates)")
                result, patch = self._update(route, row, current, diff_counterparty(row, current),
                                             current["id"] in self.counterparties.written, [])
                if patch and not self.dry_run:
                    answer = self.client.update_counterparty(current["id"], patch)
                    self.counterparties.written.add(current["id"])
                    self.counterparties.remember(_as_written(current, answer, patch))
                    _check_cleared(route, row, patch, answer, lambda: self.client.get_counterparty(current["id"]))
                return result
            if self.dry_run:
                return Classified("created", row.label)
            created = create_once(self.client, lambda: self.client.create_counterparty(row.create_body),
                                  lambda since: find_landed_counterparty(self.client, row, route.match))
            self.counterparties.written.add(created["id"])
            self.counterparties.remember(_as_written({}, created, row.create_body))
            return Classified("created", row.label)

    def _resolve_counterparty(self, route: Route, row: MappedRow, create: bool) -> tuple[str | None, list[str]]:
        """A contract's counterparty: by CRM account key (counterparty_key), else by canonical name;
        found, or created once (not when `create` is False: the id is then a placeholder never sent)."""
        match = route.mapper.counterparty_match
        by_key = row.counterparty_key is not None
        name = row.counterparty_name
        with self.counterparties.name_lock(f"\x00{row.counterparty_key}" if by_key else name):
            found = _named(route.mapper.column_of(row, "counterparty"), lambda: (
                self.counterparties.by_key(match, row.counterparty_key) if by_key
                else self.counterparties.by_exact_name(name)))
            if found is not None:
                return found["id"], []
            what = f"{match.field.name} '{row.counterparty_key}'" if by_key else f"'{name}'"
            if not create:
                return f"(a new counterparty {what})", []
            if by_key and not name:
                column = route.mapper.column_of(row, "counterparty")
                raise RowRejected(f"{column}: no counterparty has {what} and the row names none to create it "
                                  "(add a counterparty name column)")
            body: dict[str, Any] = {"name": name}
            if by_key:
                body["attributes"] = [{"attributeDefinitionId": match.field.id, "value": row.counterparty_key_value}]
            if self.dry_run:
                self.would_create.add(name)
                return None, [f"would create counterparty '{name}'"]
            probe = MappedRow(COUNTERPARTY, row.counterparty_key if by_key else None, body, name=name)
            created = create_once(self.client, lambda: self.client.create_counterparty(body),
                                  lambda since: find_landed_counterparty(self.client, probe, match if by_key else BY_NAME))
            self.counterparties.written.add(created["id"])
            self.counterparties.remember(_as_written({}, created, body))
            logger.info(f"Created counterparty '{name}' for a contract row")
            return created["id"], [f"created counterparty '{name}'"]

    # -- contracts -------------------------------------------------------------------------------
    def _write_contract(self, route: Route, row: MappedRow) -> Classified:
        if row.key is None and (route.mode == "append_dedup" or route.match.chosen):
            # keyless creates only in append with the default key: a chosen key must be there
            raise RowRejected(f"{route.match.column}: the row has no value in the column contracts are matched on "
                              f"({route.match.source}); {route.mode} never creates a contract it could not find again")
        current = _named(route.match.column, lambda: self.contracts.get(row.identity)) if row.identity else None
        ours = current is not None and current["id"] in self.contracts.written
        _check_status(route, row, current)  # before anything is written, a counterparty included
        extras: list[str] = []
        if not row.counterparty_id and (row.counterparty_name or row.counterparty_key is not None):
            # a counterparty that could not be written to this contract is looked up, never created
            create = current is None or (route.mode == "append_dedup" and bool(decide(
                CONTRACT, row, current, {"counterparty": {"id": "?"}}, route.policy, ours=ours,
                describe=str).patch))
            row.counterparty_id, extras = self._resolve_counterparty(route, row, create)
        if current is not None:
            if route.mode == "append":
                return self._complete_status(row, current, extras)
            result, patch = self._update(route, row, current, diff_contract(row, current), ours, extras)
            if patch and not self.dry_run:
                answer = self.client.update_contract(current["id"], patch)
                self.contracts.remember(_as_written(current, answer, _fields_as_read(patch)), row.identity)
                _check_cleared(route, row, patch, answer, lambda: self.client.get_contract(current["id"]))
            return result
        if self.dry_run:
            return Classified("created", row.label, "", extras)
        body = {**row.create_body, "counterparty": {"id": row.counterparty_id}}
        created = create_once(self.client, lambda: self.client.create_contract(body),
                              lambda since: find_created_contract(self.client, since, row, self.contracts))
        created = _as_written({}, created, _fields_as_read(body))
        self.contracts.remember(created, row.identity)  # before the status: a re-run finds it and completes it
        if row.status and row.status != created.get("status"):
            # new contracts are drafts: the status is a second request
            try:
                answer = self.client.update_contract(created["id"], {"status": row.status})
                self.contracts.remember(_as_written(created, answer, {"status": row.status}), row.identity)
            except TomorroClientError as exc:
                column = route.mapper.column_of(row, "status")
                raise RowRejected(f"{column}: contract {created['id']} was created but its status could not be "
                                  f"set to '{row.status}': {exc.message} (a re-run sets it)", exc.status_code) from None
        return Classified("created", row.label, "", extras)

    def _complete_status(self, row: MappedRow, current: dict[str, Any], extras: list[str]) -> Classified:
        """`append` never updates, except to finish its own create: a draft whose row asks for a status."""
        if not row.status or current.get("status") != "draft" or row.status == "draft":
            return Classified("unchanged", row.label, "exists (append never updates)", extras)
        if not self.dry_run:
            answer = self.client.update_contract(current["id"], {"status": row.status})
            self.contracts.remember(_as_written(current, answer, {"status": row.status}), row.identity)
        return Classified("updated", row.label, "status (a create left in draft is completed)", extras)


def _named(column: str, find: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    """A look-up whose match is uncertain rejects the row; its reason starts with the row's column."""
    try:
        return find()
    except RowRejected as exc:
        raise RowRejected(f"{column}: {exc.reason}", exc.status_code) from None


def _check_status(route: Route, row: MappedRow, current: dict[str, Any] | None) -> None:
    """The status rules, checked before any write. A status Tomorro is past (a final one, or a move
    back) is not a reject: ownership.py holds it back and the row is `protected`."""
    status = row.status
    if not status or (current is not None and current.get("status") == status):
        return
    if current is not None and not moves_forward(current.get("status"), status):
        return
    column = route.mapper.column_of(row, "status")
    if status == "signed":
        raise RowRejected(f"{column}: 'signed' cannot be set through the API (a contract is signed through "
                          "Tomorro's signature process)")
    if current is None and row.key is None and status != "draft":
        raise RowRejected(f"{column}: a contract without a key is created as a draft and its status set by a "
                          f"second request; if that request failed a re-run could not find the draft to "
                          f"finish it. Give the row a '{route.match.column}' value to set status '{status}'")


def _check_cleared(route: Route, row: MappedRow, patch: dict[str, Any], answer: dict[str, Any] | None,
                   read_back: Callable[[], dict[str, Any]]) -> None:
    """`empty_values: clear` sends `value: null`, which no document says clears a value: check that
    Tomorro's answer (or the object read back, when the answer has no fields) holds no value any more."""
    entries = patch.get("fields") or patch.get("attributes") or []
    cleared = [f"field:{e.get('fieldId') or e.get('attributeDefinitionId')}" for e in entries if e["value"] is None]
    if not cleared:
        return
    held = answer if isinstance(answer, dict) and "fields" in answer else read_back()
    kept = [target for target in cleared if not is_empty(current_value(route.object, held, target))]
    if kept:
        raise RowRejected(f"{', '.join(route.mapper.describe(t, row) for t in kept)}: Tomorro kept its value after "
                          "a PATCH with value null (empty_values: clear relies on null clearing a value, which the "
                          "API does not document); the row's other values were written")


def _fields_as_read(body: dict[str, Any]) -> dict[str, Any]:
    """A write body in the shape Tomorro reads it back (`fields` as attributeDefinitionId / value)."""
    written = dict(body)
    if "fields" in written:
        written["fields"] = [{"attributeDefinitionId": f["fieldId"], "value": f["value"]} for f in written["fields"]]
    return written


def _as_written(before: dict[str, Any], answer: dict[str, Any] | None, sent: dict[str, Any]) -> dict[str, Any]:
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
