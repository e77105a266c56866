"""End to end: the warehouse stays true over a sequence of pulls, against a sandbox whose default lists hide
archived counterparties and canceled contracts (profile `default-lists-hide-closed`).

Between pulls: creates, updates, deletes, archives, cancels, a smart-field rename, a number -> text retype, a
relabelled option, removed reference data, a late write (an `updatedAt` older than the saved state minus the
lookback) and date-times written with offsets. After each `pull --reconcile` (and a plain pull once
`reconcile_every` is due) every table equals the sandbox's truth; after each plain pull, what a plain pull
promises holds (README, "What each pull guarantees"): every change with a newer `updatedAt` is in, reference
tables equal Tomorro's, smart-field changes are absorbed; only deletes and late writes may wait for a reconcile.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from source_tomorro.run import register_components
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.testing import Api
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target

components = register_components()
REFERENCE = {"fields": "smart-fields", "members": "members", "clauses": "clauses", "contract_types": "contract-types"}
SCALAR_TYPES = ("text", "number", "select", "multiselect", "date")


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=21, contracts=120, counterparties=40, fields=16, members=6,
                       api_profiles=("default-lists-hide-closed",)) as sb:
        yield sb


def _utc(value: str | None):
    at = components.parse_instant(value)
    return at.replace(tzinfo=None) if at else None


def _rows(db, table: str) -> dict[str, dict]:
    columns = [row[0] for row in query(db, "SELECT column_name FROM information_schema.columns WHERE table_name = "
                                           f"'{table}' ORDER BY ordinal_position")]
    rows = [dict(zip(columns, row, strict=True)) for row in query(db, f"SELECT {', '.join(columns)} FROM main.{table}")]
    return {str(row["id"]): row for row in rows}


def _columns_of(sandbox, kind: str) -> dict[str, tuple[str, str]]:
    """smart field id -> (its column, its type), by the source's naming rule, for the fields as they are now."""
    fields = [f for f in sandbox.records("smart-fields") if f["object"] == kind]
    return components.custom_field_columns(fields)


def _same_value(kind: str, stored, value) -> bool:
    if value is None:
        return stored is None
    if kind == "number":
        return stored is not None and Decimal(str(stored)) == Decimal(str(value))
    if kind == "multiselect":
        return stored is not None and json.loads(stored) == value
    if kind == "date":
        return str(stored) == value
    return stored == value


def _record_problems(row: dict, truth: dict, columns: dict, values: dict) -> list[str]:
    problems = []
    for key in ("name", "status"):
        if row.get(key) != truth.get(key):
            problems.append(f"{key} {row.get(key)!r} != {truth.get(key)!r}")
    for key in ("updatedAt", "createdAt", "startAt", "endAt", "signatureDate"):
        if key.lower() in row and row[key.lower()] != _utc(truth.get(key)):
            problems.append(f"{key} {row[key.lower()]} != {truth.get(key)} (as UTC)")
    for field_id, (column, kind) in columns.items():
        if kind in SCALAR_TYPES and column in row and not _same_value(kind, row[column], values.get(field_id)):
            problems.append(f"{column} {row[column]!r} != {values.get(field_id)!r}")
    return problems


def check_records(db, sandbox, *, reconciled: bool, late: set[str] = frozenset(), deleted: set[str] = frozenset()):
    """contracts and counterparties: each row equals its record; after a reconcile the ids are exactly
    Tomorro's; after a plain pull, only `deleted` ids may remain and only `late` rows may be stale."""
    for stream, kind in (("contracts", "contract"), ("counterparties", "external_party")):
        truth = {r["id"]: r for r in sandbox.records(stream)}
        rows, columns = _rows(db, stream), _columns_of(sandbox, kind)
        extra = set(rows) - set(truth)
        assert not set(truth) - set(rows), f"{stream}: records missing from the table"
        assert extra == set() if reconciled else extra <= deleted, f"{stream}: rows Tomorro does not have: {extra}"
        for rid, record in truth.items():
            values = ({i["attributeDefinitionId"]: i["value"] for i in record["fields"]} if stream == "contracts"
                      else record["fields"])
            problems = _record_problems(rows[rid], record, columns, values)
            if problems and (reconciled or rid not in late):
                raise AssertionError(f"{stream} {rid}: {'; '.join(problems)}")
    files = {r["id"] for r in sandbox.records("signed-files")}
    stored = set(_rows(db, "contract_signed_files"))
    assert (stored == files if reconciled else files <= stored), \
        f"contract_signed_files: missing {sorted(files - stored)}, not in Tomorro {sorted(stored - files)}"


def check_reference(db, sandbox):
    for table, collection in REFERENCE.items():
        assert set(_rows(db, table)) == {r["id"] for r in sandbox.records(collection)}, table
    names = {rid: (row["name"], row["type"]) for rid, row in _rows(db, "fields").items()}
    assert names == {f["id"]: (f["name"], f["type"]) for f in sandbox.records("smart-fields")}
    options = {(str(r[0]), str(r[1])): json.loads(r[2])[0]["value"]
               for r in query(db, "SELECT smartfieldid, id, CAST(translations AS VARCHAR) FROM main.field_options")}
    assert options == {(o["smartFieldId"], o["id"]): o["translations"][0]["value"] for o in sandbox.records("options")}


def _field(sandbox, kind: str, ftype: str) -> dict:
    return next(f for f in sandbox.records("smart-fields") if f["object"] == kind and f["type"] == ftype)


def _used_option(sandbox) -> dict:
    used = {(i["attributeDefinitionId"], v) for c in sandbox.records("contracts") for i in c["fields"]
            for v in (i["value"] if isinstance(i["value"], list) else [i["value"]]) if isinstance(v, str)}
    return next(o for o in sandbox.records("options") if (o["smartFieldId"], o["translations"][0]["value"]) in used)


def _deleted(db) -> set[tuple[str, str, str]]:
    return {(stream, rid, via) for stream, rid, _, via in query(db, "SELECT * FROM main._tomorro_deleted")}


def _saved_updated_at(db) -> dt.datetime:
    text = query(db, "SELECT state_json FROM main._airbyte_state WHERE stream_name = 'contracts'")[0][0]
    return components.parse_instant(json.loads(text)["stream"]["stream_state"]["updatedAt"])


def test_given_a_sequence_of_changes_when_pulled_then_the_tables_stay_true(e2e_dir, sandbox):
    target = Target.of_sandbox(sandbox)  # the default 5-minute lookback
    db = e2e_dir / "truth-over-time.duckdb"
    api = Api(sandbox)
    first = pull(target, db)
    assert first.reconciled is None  # a first read is whole: nothing to reconcile
    check_records(db, sandbox, reconciled=True)
    check_reference(db, sandbox)

    # --- round 1: every kind of change ----------------------------------------------------------------------
    contracts, counterparties = sandbox.records("contracts"), sandbox.records("counterparties")
    signed = next(c["id"] for c in contracts if c["status"] == "signed"
                  and c["id"] in {f["contractId"] for f in sandbox.records("signed-files")})
    gone = [signed, contracts[1]["id"]]
    unused_cp = next(cp["id"] for cp in counterparties if cp["status"] == "active"
                     and cp["id"] not in {(c.get("counterparty") or {}).get("id") for c in contracts})
    sandbox.delete(contracts=gone, counterparties=[unused_cp])
    sandbox.mutate(contracts=4, counterparties=2, create=3, create_counterparties=1)
    to_archive = next(cp["id"] for cp in sandbox.records("counterparties") if cp["status"] == "active")
    assert api.patch(f"/counterparties/{to_archive}", {"status": "archived"}).status_code == 200
    to_cancel = next(c["id"] for c in sandbox.records("contracts") if c["status"] in ("draft", "negotiating"))
    assert api.patch(f"/contracts/{to_cancel}", {"status": "canceled"}).status_code == 200
    renamed, retyped = _field(sandbox, "contract", "text"), _field(sandbox, "external_party", "number")
    sandbox.edit(fields=[{"id": renamed["id"], "name": "Renamed over time"}, {"id": retyped["id"], "type": "text"}],
                 remove={"members": [sandbox.records("members")[-1]["id"]],
                         "clauses": [sandbox.records("clauses")[0]["id"]]})
    late = next(c for c in sandbox.records("contracts") if c["id"] not in gone)
    late_at = _saved_updated_at(db) - dt.timedelta(hours=1)
    offsets = sandbox.records("contracts")[7]
    sandbox.edit(records={"contracts": [
        {"id": late["id"], "name": "Late write", "updatedAt": components.format_instant(late_at)},
        {"id": offsets["id"], "createdAt": "2024-03-01T10:00:00+05:30", "startAt": "2024-03-02T00:00:00.5-02:00",
         "updatedAt": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + "z"}]})

    plain = pull(target, db)
    assert plain.reconciled is None  # not due: the last reconcile (the first read) is recent
    assert any("renamed" in line for line in plain.changes) and any("changed type" in line for line in plain.changes)
    check_records(db, sandbox, reconciled=False, late={late["id"]}, deleted={*gone, unused_cp})
    check_reference(db, sandbox)
    assert _rows(db, "contracts")[late["id"]]["name"] != "Late write"  # what only a reconcile finds

    # counterparties were read whole (a retyped field): the deleted one left then, recorded like any deletion
    assert _deleted(db) == {("counterparties", unused_cp, "full read")}

    reconciled = pull(target, db, reconcile=True)
    assert set(reconciled.reconciled.streams["contracts"].deleted) == set(gone)
    assert reconciled.reconciled.streams["counterparties"].deleted == []
    check_records(db, sandbox, reconciled=True)
    check_reference(db, sandbox)
    assert _deleted(db) == {("contracts", gone[0], "reconcile"), ("contracts", gone[1], "reconcile"),
                            ("counterparties", unused_cp, "full read")}

    # --- round 2: a relabelled option (a contract field's: contracts read whole again), then deletes and a late write found by a due reconcile -------------
    option = _used_option(sandbox)
    sandbox.edit(options=[{"id": option["id"], "label": "Relabelled again"}])
    relabelled = pull(target, db)
    assert any("relabelled" in line for line in relabelled.changes)
    check_records(db, sandbox, reconciled=True)

    target.reconcile_every_hours = 0  # every pull reconciles
    more_gone = [c["id"] for c in sandbox.records("contracts")[:2]]
    sandbox.delete(contracts=more_gone)
    late = sandbox.records("contracts")[3]
    # a signature whose updatedAt lands late too: its files come only if their position moves back with the contracts'
    late_signed = next(c["id"] for c in sandbox.records("contracts")
                       if c["status"] in ("draft", "negotiating", "signing") and c["id"] != late["id"])
    sandbox.sign([late_signed])
    long_ago = components.format_instant(_saved_updated_at(db) - dt.timedelta(days=2))
    sandbox.edit(records={"contracts": [{"id": late["id"], "name": "Late again", "updatedAt": long_ago},
                                        {"id": late_signed, "updatedAt": long_ago}]})
    due = pull(target, db)
    assert due.reconciled is not None and set(due.reconciled.streams["contracts"].deleted) == set(more_gone)
    check_records(db, sandbox, reconciled=True)
    check_reference(db, sandbox)
