"""Columns -> Tomorro API bodies: the business rules of the destination, without I/O.

A row becomes a `MappedRow`: its matching key (canonical, keys.py) and its label (as the user wrote
it), the body to create the object with, and the attributes to compare with an existing object
(the kind's `diff` turns that comparison into the PATCH body). `RowMapper` does what every object
shares (columns, smart fields, empty values); the object's own reserved columns and body are its
kind's (objects/). Everything that cannot be written raises `RowRejected` naming the column.
Look-ups (templates, smart fields, options) are asked of `TomorroSchema`.

Column rules (README.md, "Columns"):
* Airbyte meta columns (`_airbyte_*`, `_ab_*`) are ignored. Empty values (null, "" and
  whitespace-only) are never sent, for every type; with `empty_values: clear` they clear a smart
  field's value instead (`MappedRow.clears`).
* Reserved columns (the kind's `reserved_columns`) are matched after normalising the name
  (names.normalise). The stream's key column (routing) holds the contract's external id, whatever
  its name (`ObjectKind.key_columns`).
* Any other column matching a smart field of the object (by id, or by normalised name) becomes a
  field value, coerced to the field's type. Other columns are reported once per stream.
* A contract's external id is compared by its CRM's rules (identity.py); names by the human rules.
* Every reason starts with the row's column (and names the smart field it maps to).
* A non-finite number (NaN, Infinity, an overflowing 1.5e400) anywhere in a row rejects the row
  naming the column: it is not JSON, and Tomorro could not store it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .coercion import clip, coerce, instant, line_value
from .errors import RowRejected
from .identity import Identity
from .keys import MatchKey
from .names import is_meta_column, normalise
from .policy import WritePolicy
from .schema import TomorroSchema

if TYPE_CHECKING:  # annotations only: the object kinds import this module
    from .config import DestinationTomorroConfig
    from .objects.kind import ObjectKind


@dataclass
class MappedRow:
    object: str  # the kind's name
    key: str | None  # the matching key as compared (a name, an identifier, an Identity.key); None: none
    create_body: dict[str, Any]
    name: str | None = None
    status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # smart field id -> coerced value
    counterparty_id: str | None = None
    counterparty_name: str | None = None  # to resolve (find or create) before writing
    counterparty_key: str | None = None  # the CRM account key, matched on the counterparty match field
    counterparty_key_value: Any = None  # ... as the smart field's value (to create the counterparty)
    label: str | None = None  # the key as the row wrote it, for reports
    identity: Identity | None = None  # a contract's CRM identity
    clears: set[str] = field(default_factory=set)  # smart field ids to clear (empty_values: clear)
    updated_at: Any = None  # the row's last-modified time (a datetime), when the stream names the column
    columns: dict[str, str] = field(default_factory=dict)  # target (policy.py) -> the row's column
    key_field: str | None = None  # the smart field the key is read from: the object matched holds the same key


def _non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_non_finite(v) for v in value)
    return False


def scalar(value: Any, column: str) -> str:
    """A reserved one-line value (a name, an id, a status) as text; lists and objects are refused
    (never sent as their Python repr)."""
    if isinstance(value, (dict, list, tuple)) or isinstance(value, bool):
        raise RowRejected(f"{column}: a {type(value).__name__} is not a valid value ({clip(value)})")
    return line_value(value, f"column '{column}'")


class RowMapper:
    """Maps the rows of one stream to one Tomorro object. Unknown columns are collected once."""

    def __init__(self, kind: ObjectKind, schema: TomorroSchema, cfg: DestinationTomorroConfig, match: MatchKey,
                 policy: WritePolicy | None = None, references: dict[str, MatchKey] | None = None):
        self.kind = kind
        self.schema = schema
        self.cfg = cfg
        self.match = match
        self.policy = policy or WritePolicy()
        self.references = references or {}  # kind name -> what this stream's rows name such objects by
        self.reserved = dict(kind.reserved_columns)
        if self.policy.updated_at_column:
            self.reserved[normalise(self.policy.updated_at_column)] = "updated_at"
        self.reserved.update(kind.key_columns(match))
        self.unknown_columns: set[str] = set()
        self.ignored_columns: set[str] = set()
        self._columns: dict[str, tuple[str, Any]] = {}  # column -> (kind, role | SmartField)
        self._lock = threading.Lock()

    def classify(self, column: str) -> tuple[str, Any]:
        """(kind, what) of a column: meta, reserved (role), field (SmartField), unknown."""
        with self._lock:
            known = self._columns.get(column)
        if known is not None:
            return known
        role = self.reserved.get(normalise(column))
        if is_meta_column(column):
            known = ("meta", None)
        elif role == "ignored":
            known = ("unknown", None)
        elif role:
            known = ("reserved", role)
        else:
            sf = self.schema.find_field(self.kind, column)
            known = ("field", sf) if sf is not None else ("unknown", None)
        with self._lock:
            self._columns[column] = known
            if known[0] == "unknown":
                (self.ignored_columns if role == "ignored" else self.unknown_columns).add(column)
        return known

    def is_key_column(self, column: str) -> bool:
        """Whether `column` is the stream's key column."""
        kind, what = self.classify(column)
        if self.match.field is not None:
            return kind == "field" and what.id == self.match.field.id
        return kind == "reserved" and what == self.kind.key_role

    def column_of(self, row: MappedRow, target: str) -> str:
        """The row's column behind a target (policy.py), for reasons; the target itself without one."""
        return row.columns.get(target, target)

    def describe(self, target: str, row: MappedRow) -> str:
        """A target as reasons name it: the row's column, and the smart field it maps to."""
        column = row.columns.get(target)
        if target.startswith("field:"):
            smart = self.schema.find_field(self.kind, target[6:])
            name = f"smart field '{smart.name}'" if smart else f"smart field {target[6:]}"
            return f"column '{column}' ({name})" if column else name
        return f"column '{column}'" if column else target

    def raw_key(self, row: Any) -> tuple[str | None, str | None]:
        """(canonical key, label) of a row that could not be mapped, best effort (reports, grouping)."""
        if not isinstance(row, dict):
            return None, None
        for column, value in row.items():
            if value is None or isinstance(value, (dict, list)) or _non_finite(value):
                continue
            kind, what = self.classify(column)
            wanted = (kind == "field" and self.match.field is not None and what.id == self.match.field.id) or (
                kind == "reserved" and self.match.field is None and what == self.kind.key_role)
            if wanted:
                try:
                    return self.kind.row_key(self, value), str(value).strip() or None
                except ValueError:
                    return None, None
        return None, None

    def map(self, row: dict[str, Any]) -> MappedRow:
        reserved: dict[str, tuple[str, Any]] = {}  # role -> (column, value)
        fields: dict[str, Any] = {}
        clears: set[str] = set()
        columns: dict[str, str] = {}
        for column, value in row.items():
            kind, what = self.classify(column)
            if kind == "meta":
                continue
            if _non_finite(value):
                raise RowRejected(f"{column}: {value!r} is not a finite number (NaN and infinities are not JSON)")
            empty = value is None or (isinstance(value, str) and not value.strip())
            if kind == "reserved":
                if not empty:
                    reserved[what] = (column, value)
                    if self.kind.targets.get(normalise(column)):
                        columns[self.kind.targets[normalise(column)]] = column
            elif kind == "field":
                columns[f"field:{what.id}"] = column
                if empty:
                    if self.policy.clear_empty:
                        clears.add(what.id)
                    continue
                try:
                    fields[what.id] = coerce(what, value, self.schema.options, self.schema.integration_type)
                except RowRejected as exc:
                    raise RowRejected(f"{column}: {exc.reason}") from None
        mapped = self.kind.map_row(self, reserved, fields)
        mapped.clears, mapped.columns = clears - set(fields), columns
        if "updated_at" in reserved:
            column, value = reserved["updated_at"]
            try:
                mapped.updated_at = instant(value)
            except ValueError as exc:
                raise RowRejected(f"{column}: {exc} (row_updated_at_column: the row's last-modified time)") from None
        return mapped

    def status(self, reserved: dict[str, tuple[str, Any]], allowed: set[str]) -> str | None:
        if "status" not in reserved:
            return None
        column, value = reserved["status"]
        status = scalar(value, column).lower()
        if status not in allowed:
            raise RowRejected(f"{column}: '{clip(value)}' is not one of {', '.join(sorted(allowed))}")
        return status

    def text(self, reserved: dict[str, tuple[str, Any]], role: str) -> str | None:
        if role not in reserved:
            return None
        column, value = reserved[role]
        return scalar(value, column) or None
