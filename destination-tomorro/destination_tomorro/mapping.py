"""Columns -> Tomorro API bodies: the business rules of the destination, without I/O.

A row becomes a `MappedRow`: its matching key (canonical, keys.py) and its label (as the user wrote
it), the body to create the object with, and the attributes to compare with an existing object
(diff.py turns that comparison into the PATCH body). Everything that cannot be written raises
`RowRejected` naming the column. Look-ups (templates, smart fields, options) are asked of
`TomorroSchema`.

Column rules (README.md, "Columns"):
* Airbyte meta columns (`_airbyte_*`, `_ab_*`) are ignored; null values are never sent (a null
  never clears a value in Tomorro).
* Reserved columns are matched after normalising the name (names.normalise). The stream's key
  column (routing) holds the contract's external id, whatever its name.
* Any other column matching a smart field of the object (by id, or by normalised name) becomes a
  field value, coerced to the field's type. Other columns are reported once per stream.
* A non-finite number (NaN, Infinity, an overflowing 1.5e400) anywhere in a row rejects the row
  naming the column: it is not JSON, and Tomorro could not store it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from .coercion import clip, coerce, line_value
from .config import DestinationTomorroConfig
from .errors import RowRejected
from .keys import MatchKey, canonical_key, name_key, number_text, value_key
from .names import is_meta_column, normalise
from .objects import CONTRACT, CONTRACT_STATUSES, COUNTERPARTY, COUNTERPARTY_STATUSES
from .schema import TomorroSchema

# Reserved columns per object: normalised column name -> role.
RESERVED = {
    COUNTERPARTY: {"name": "name", "status": "status"},
    CONTRACT: {
        "name": "name", "status": "status",
        "template": "template", "templateid": "template", "templatename": "template",
        "contracttype": "contract_type", "contracttypeid": "contract_type", "contracttypename": "contract_type",
        "counterpartyid": "counterparty_id",
        "counterparty": "counterparty_name", "counterpartyname": "counterparty_name",
        "externalid": "external_id", "externalurl": "external_url",
    },
}


@dataclass
class MappedRow:
    object: str
    key: str | None  # canonical matching key (keys.canonical_key); None: the row has none
    create_body: dict[str, Any]
    name: str | None = None
    status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # smart field id -> coerced value
    counterparty_id: str | None = None
    counterparty_name: str | None = None  # to resolve (find or create) before writing
    label: str | None = None  # the key as the row wrote it, for reports


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

    def __init__(self, obj: str, schema: TomorroSchema, cfg: DestinationTomorroConfig, match: MatchKey):
        self.obj = obj
        self.schema = schema
        self.cfg = cfg
        self.match = match
        self.reserved = dict(RESERVED[obj])
        if obj == CONTRACT and normalise(match.column) != "externalid":
            # the stream's key column holds the external id; an `external_id` column is then not sent
            self.reserved["externalid"] = "ignored"
            self.reserved[normalise(match.column)] = "external_id"
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
            sf = self.schema.find_field(self.obj, column)
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
        return kind == "reserved" and what == ("external_id" if self.obj == CONTRACT else "name")

    def raw_key(self, row: Any) -> tuple[str | None, str | None]:
        """(canonical key, label) of a row that could not be mapped, best effort (reports, grouping)."""
        if not isinstance(row, dict):
            return None, None
        for column, value in row.items():
            if value is None or isinstance(value, (dict, list)) or _non_finite(value):
                continue
            kind, what = self.classify(column)
            wanted = (kind == "field" and self.match.field is not None and what.id == self.match.field.id) or (
                kind == "reserved" and self.match.field is None
                and what == ("external_id" if self.obj == CONTRACT else "name"))
            if wanted:
                try:
                    return canonical_key(value), str(value).strip() or None
                except ValueError:
                    return None, None
        return None, None

    def map(self, row: dict[str, Any]) -> MappedRow:
        reserved: dict[str, tuple[str, Any]] = {}  # role -> (column, value)
        fields: dict[str, Any] = {}
        for column, value in row.items():
            kind, what = self.classify(column)
            if kind == "meta":
                continue
            if _non_finite(value):
                raise RowRejected(f"{column}: {value!r} is not a finite number (NaN and infinities are not JSON)")
            if kind == "reserved":
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    reserved[what] = (column, value)
            elif kind == "field" and value is not None:
                if isinstance(value, str) and not value.strip() and what.type not in ("text", "richtext"):
                    continue
                fields[what.id] = coerce(what, value, self.schema.options, self.schema.integration_type)
        if self.obj == COUNTERPARTY:
            return self._map_counterparty(reserved, fields)
        return self._map_contract(reserved, fields)

    def _status(self, reserved: dict[str, tuple[str, Any]], allowed: set[str]) -> str | None:
        if "status" not in reserved:
            return None
        column, value = reserved["status"]
        status = scalar(value, column).lower()
        if status not in allowed:
            raise RowRejected(f"{column}: '{clip(value)}' is not one of {', '.join(sorted(allowed))}")
        return status

    def _text(self, reserved: dict[str, tuple[str, Any]], role: str) -> str | None:
        if role not in reserved:
            return None
        column, value = reserved[role]
        return scalar(value, column) or None

    def _map_counterparty(self, reserved: dict[str, tuple[str, Any]], fields: dict[str, Any]) -> MappedRow:
        name = self._text(reserved, "name")
        if not name:
            raise RowRejected("name: a counterparty needs a non-empty name")
        status = self._status(reserved, COUNTERPARTY_STATUSES)
        if self.match.field is not None:
            key_value = fields.get(self.match.field.id)
            if key_value is None:
                raise RowRejected(f"{self.match.field.name}: the matching field has no value")
            key, label = value_key(key_value), str(key_value)
        else:
            key, label = name_key(name), name
        body: dict[str, Any] = {"name": name}
        if status:
            body["status"] = status
        if fields:
            body["attributes"] = [{"attributeDefinitionId": k, "value": v} for k, v in fields.items()]
        return MappedRow(COUNTERPARTY, key, body, name=name, status=status, fields=fields, label=label)

    def _external_id(self, reserved: dict[str, tuple[str, Any]]) -> tuple[str | None, str | None]:
        """(canonical key, the id sent to Tomorro): numbers as plain decimal text (98765.0 -> 98765)."""
        if "external_id" not in reserved:
            return None, None
        column, value = reserved["external_id"]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sent = number_text(value)
        else:
            sent = scalar(value, column)
        return canonical_key(sent), sent or None

    def _map_contract(self, reserved: dict[str, tuple[str, Any]], fields: dict[str, Any]) -> MappedRow:
        cfg = self.cfg
        ct_ref = self._text(reserved, "contract_type") or cfg.default_contract_type
        contract_type = None
        if ct_ref is not None:
            contract_type = self.schema.find_contract_type(ct_ref)
            if contract_type is None:
                raise RowRejected(f"contract_type: '{clip(ct_ref)}' is not a contract type id or name")
        tpl_ref = self._text(reserved, "template") or cfg.default_template
        if tpl_ref is None:
            if contract_type and len(contract_type.get("templates") or []) == 1:
                template = contract_type["templates"][0]
            else:
                raise RowRejected("template: no template column and no default_template configured")
        else:
            found = self.schema.find_template(tpl_ref, contract_type)
            if found is None:
                owner = f" of contract type '{contract_type['name']}'" if contract_type else ""
                raise RowRejected(f"template: '{clip(tpl_ref)}' is not a template{owner} (id or name)")
            template, owner_type = found
            contract_type = contract_type or owner_type
        name = self._text(reserved, "name")
        status = self._status(reserved, CONTRACT_STATUSES)
        key, external_id = self._external_id(reserved)
        cp_id = self._text(reserved, "counterparty_id")
        cp_name = self._text(reserved, "counterparty_name")
        if not cp_id and not cp_name:
            raise RowRejected("counterparty: a contract needs a counterparty_id or a counterparty (name) column")
        body: dict[str, Any] = {"templateId": template["id"]}
        if contract_type:
            body["contractTypeId"] = contract_type["id"]
        if name:
            body["name"] = name
        if fields:
            body["fields"] = [{"fieldId": k, "value": v} for k, v in fields.items()]
        if external_id:
            if not cfg.integration_type:
                raise RowRejected(f"{self.match.column}: set integration_type (salesforce|hubspot) in the configuration "
                                  "to link contracts to the CRM")
            integration = {"type": cfg.integration_type, "externalId": external_id}
            if cfg.integration_entity:
                integration["externalEntity"] = cfg.integration_entity
            url = self._text(reserved, "external_url")
            if url:
                integration["externalUrl"] = _http_url(url, reserved["external_url"][0])
            body["integration"] = integration
        return MappedRow(CONTRACT, key, body, name=name, status=status, fields=fields,
                         counterparty_id=cp_id, counterparty_name=cp_name, label=external_id)


def _http_url(url: str, column: str) -> str:
    """Only absolute http(s) links: Tomorro shows them as links (a `javascript:` one would run)."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        raise RowRejected(f"{column}: '{clip(url)}' is not an http(s) URL")
    return url
