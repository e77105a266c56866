"""Columns -> Tomorro API bodies: the business rules of the destination.

A row becomes a `MappedRow`: its matching key, the body to create the object with, and the
attributes to compare with an existing object (`diff_*` turns that comparison into the PATCH
body holding only what changed). Everything that cannot be written raises `RowRejected` with a
reason naming the column.

Column rules (README.md, "Columns"):
* Airbyte meta columns (`_airbyte_*`, `_ab_*`) are ignored; null values are never sent (a null
  never clears a value in Tomorro).
* Reserved columns are matched after normalising the name (lower case, without spaces, `_`, `-`),
  so `external_id`, `externalId` and `External ID` are the same column.
* Any other column matching a smart field of the object (by id, or by normalised name) becomes a
  field value, coerced to the field's type. Other columns are reported once per stream.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .client import TomorroClient
from .errors import RowRejected

logger = logging.getLogger("airbyte")

COUNTERPARTY = "counterparty"
CONTRACT = "contract"
SMART_FIELD_OBJECT = {CONTRACT: "contract", COUNTERPARTY: "external_party"}
CONTRACT_STATUSES = {"draft", "negotiating", "signing", "signed", "canceled"}
COUNTERPARTY_STATUSES = {"active", "archived"}
DURATION_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
MAX_TEXT = 100_000


def normalise(name: str) -> str:
    """Column / field name comparison key: case-, space-, `_`- and `-`-insensitive."""
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def is_meta_column(name: str) -> bool:
    return name.startswith("_airbyte_") or name.startswith("_ab_")


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
class SmartField:
    id: str
    name: str
    type: str
    options: list[dict[str, Any]] | None = None  # loaded on first use for select / multiselect


@dataclass
class MappedRow:
    object: str
    key: str | None  # matching key (contracts: external_id; counterparties: name or match field)
    create_body: dict[str, Any]
    name: str | None = None
    status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # smart field id -> coerced value
    counterparty_id: str | None = None
    counterparty_name: str | None = None  # to resolve (find or create) before writing


class TomorroSchema:
    """Contract types, templates, smart fields and their options, read once per sync."""

    def __init__(self, client: TomorroClient, integration_type: str | None = None):
        self.client = client
        self.integration_type = integration_type
        self._lock = threading.Lock()
        self._contract_types: list[dict[str, Any]] | None = None
        self._fields: dict[str, list[SmartField]] = {}

    # -- loading ---------------------------------------------------------------------------------
    def contract_types(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._contract_types is None:
                self._contract_types = list(self.client.iter_contract_types())
            return self._contract_types

    def smart_fields(self, obj: str) -> list[SmartField]:
        with self._lock:
            if obj not in self._fields:
                self._fields[obj] = [
                    SmartField(id=f["id"], name=f.get("name") or "", type=f.get("type") or "text")
                    for f in self.client.iter_smart_fields(SMART_FIELD_OBJECT[obj])
                ]
            return self._fields[obj]

    def options(self, sf: SmartField) -> list[dict[str, Any]]:
        with self._lock:
            if sf.options is None:
                sf.options = list(self.client.iter_options(sf.id))
            return sf.options

    # -- lookups ---------------------------------------------------------------------------------
    def find_field(self, obj: str, column: str) -> SmartField | None:
        fields = self.smart_fields(obj)
        for sf in fields:
            if sf.id == column:
                return sf
        key = normalise(column)
        for sf in fields:
            if normalise(sf.name) == key:
                return sf
        return None

    def find_contract_type(self, ref: str) -> dict[str, Any] | None:
        types = self.contract_types()
        return next((t for t in types if t["id"] == ref), None) or next(
            (t for t in types if (t.get("name") or "").strip().lower() == ref.strip().lower()), None
        )

    def find_template(self, ref: str, contract_type: dict[str, Any] | None = None) -> tuple[dict, dict] | None:
        """(template, its contract type) by id, or by name (case-insensitive) within `contract_type`."""
        types = [contract_type] if contract_type else self.contract_types()
        for ct in types:
            for tpl in ct.get("templates") or []:
                if tpl["id"] == ref:
                    return tpl, ct
        for ct in types:
            for tpl in ct.get("templates") or []:
                if (tpl.get("name") or "").strip().lower() == ref.strip().lower():
                    return tpl, ct
        return None


# -- coercion ------------------------------------------------------------------------------------
def coerce(schema: TomorroSchema, sf: SmartField, value: Any) -> Any:
    """Coerce a warehouse value to the value format of smart field `sf` (sandbox README table)."""
    what = f"smart field '{sf.name}' ({sf.type})"
    t = sf.type
    if t == "number":
        if isinstance(value, bool):
            raise RowRejected(f"{value!r} is not a number for {what}")
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise RowRejected(f"'{_clip(value)}' is not a number for {what}") from None
            if not number.is_finite():
                raise RowRejected(f"'{_clip(value)}' is not a finite number for {what}")
            return int(number) if number == number.to_integral_value() and "." not in value else float(number)
        raise RowRejected(f"{type(value).__name__} value is not a number for {what}")
    if t == "date":
        return _coerce_date(value, what)
    if t == "select":
        return _coerce_option(schema, sf, value, what)
    if t == "multiselect":
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            raise RowRejected(f"{type(value).__name__} value is not a list for {what}")
        return [_coerce_option(schema, sf, item, what) for item in items]
    if t == "richtext":
        if isinstance(value, list) and all(isinstance(n, dict) for n in value):
            return value
        text = _text(value, what)
        return [{"type": "paragraph", "children": [{"text": line}]} for line in text.split("\n")]
    if t == "duration":
        return _coerce_duration(value, what)
    return _text(value, what)  # text and any type we do not know


def _clip(value: Any, n: int = 60) -> str:
    text = str(value)
    return text if len(text) <= n else text[:n] + "..."


def _text(value: Any, what: str) -> str:
    if isinstance(value, (dict, list)):
        raise RowRejected(f"{type(value).__name__} value is not text for {what}")
    text = str(value)
    if len(text) > MAX_TEXT:
        raise RowRejected(f"value of {len(text)} characters is longer than {MAX_TEXT} for {what}")
    return _strip_control(text)


def _strip_control(text: str) -> str:
    """Drop control characters except tab and newline (they break Tomorro's rendering)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)


def _coerce_date(value: Any, what: str) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text).isoformat()
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return _coerce_date(parsed, what)
        except ValueError:
            pass
    raise RowRejected(f"'{_clip(value)}' is not a date (YYYY-MM-DD or ISO datetime) for {what}")


def _option_label(option: dict[str, Any]) -> str | None:
    translations = option.get("translations") or []
    for tr in translations:
        if tr.get("language") == "gb":
            return tr.get("value")
    return translations[0].get("value") if translations else None


def _coerce_option(schema: TomorroSchema, sf: SmartField, value: Any, what: str) -> str:
    """An option's English label, matched (case-insensitively) on the English labels first, then on
    the other translations, then on the CRM values of `integration_type`."""
    if not isinstance(value, str):
        value = str(value)
    wanted = value.strip().lower()
    options = schema.options(sf)
    passes = (
        lambda opt: [tr.get("value") for tr in opt.get("translations") or [] if tr.get("language") == "gb"],
        lambda opt: [tr.get("value") for tr in opt.get("translations") or []],
        lambda opt: [m.get("value") for m in opt.get("integrationMappings") or []
                     if schema.integration_type is None or m.get("type") == schema.integration_type],
    )
    for candidates in passes:
        for opt in options:
            if any(isinstance(v, str) and v.strip().lower() == wanted for v in candidates(opt)):
                label = _option_label(opt)
                if label is not None:
                    return label
    known = ", ".join(sorted(filter(None, (_option_label(o) for o in options))))
    raise RowRejected(f"'{_clip(value)}' is not an option of {what}; options: {_clip(known, 200)}")


def _coerce_duration(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                pass
        else:
            match = re.fullmatch(r"(\d+)\s*([a-zA-Z]+?)s?", text)
            if match and match.group(2).lower() in DURATION_UNITS:
                return {"value": int(match.group(1)), "unit": DURATION_UNITS[match.group(2).lower()]}
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)) and not isinstance(value.get("value"), bool):
        unit = str(value.get("unit", "")).lower().rstrip("s")
        if unit in DURATION_UNITS:
            return {"value": value["value"], "unit": DURATION_UNITS[unit]}
    raise RowRejected(f"'{_clip(value)}' is not a duration (e.g. '12 months' or {{\"value\": 12, \"unit\": \"months\"}}) for {what}")


# -- row mapping ---------------------------------------------------------------------------------
class RowMapper:
    """Maps the rows of one stream to one Tomorro object. Unknown columns are collected once."""

    def __init__(self, obj: str, schema: TomorroSchema, *, default_template: str | None = None,
                 default_contract_type: str | None = None, integration_type: str | None = None,
                 integration_entity: str | None = None, match_field: str = "name"):
        self.obj = obj
        self.schema = schema
        self.default_template = default_template
        self.default_contract_type = default_contract_type
        self.integration_type = integration_type
        self.integration_entity = integration_entity
        self.match_field: SmartField | None = None
        if obj == COUNTERPARTY and normalise(match_field) != "name":
            self.match_field = schema.find_field(COUNTERPARTY, match_field)
            if self.match_field is None:
                raise ValueError(f"counterparty_match_field '{match_field}' is not a counterparty smart field")
        self.unknown_columns: set[str] = set()
        self._columns: dict[str, tuple[str, Any]] = {}  # column -> (kind, role | SmartField)
        self._lock = threading.Lock()

    def _classify(self, column: str) -> tuple[str, Any]:
        with self._lock:
            if column not in self._columns:
                role = RESERVED[self.obj].get(normalise(column))
                if is_meta_column(column):
                    self._columns[column] = ("meta", None)
                elif role:
                    self._columns[column] = ("reserved", role)
                else:
                    sf = self.schema.find_field(self.obj, column)
                    if sf is not None:
                        self._columns[column] = ("field", sf)
                    else:
                        self._columns[column] = ("unknown", None)
                        self.unknown_columns.add(column)
                        logger.warning(f"column '{column}' matches no {self.obj} attribute or smart field: not sent "
                                       "(reported once per stream)")
            return self._columns[column]

    def raw_key(self, row: dict[str, Any]) -> str | None:
        """Best-effort matching key of a row that could not be mapped (for reports and grouping)."""
        wanted = "external_id" if self.obj == CONTRACT else "name"
        if self.match_field is not None:
            candidates = {self.match_field.id, normalise(self.match_field.name)}
            for column, value in row.items():
                if value is not None and (column in candidates or normalise(column) in candidates):
                    return str(value).strip().lower()
            return None
        for column, value in row.items():
            if value is not None and RESERVED[self.obj].get(normalise(column)) == wanted and not is_meta_column(column):
                text = str(value).strip()
                return (text.lower() if self.obj == COUNTERPARTY else text) or None
        return None

    def map(self, row: dict[str, Any]) -> MappedRow:
        reserved: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        for column, value in row.items():
            kind, what = self._classify(column)
            if kind == "reserved":
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    reserved[what] = value
            elif kind == "field" and value is not None:
                if isinstance(value, str) and not value.strip() and what.type not in ("text", "richtext"):
                    continue
                fields[what.id] = coerce(self.schema, what, value)
        if self.obj == COUNTERPARTY:
            return self._map_counterparty(reserved, fields)
        return self._map_contract(reserved, fields)

    def _status(self, reserved: dict[str, Any], allowed: set[str]) -> str | None:
        if "status" not in reserved:
            return None
        status = str(reserved["status"]).strip().lower()
        if status not in allowed:
            raise RowRejected(f"status: '{_clip(reserved['status'])}' is not one of {', '.join(sorted(allowed))}")
        return status

    def _map_counterparty(self, reserved: dict[str, Any], fields: dict[str, Any]) -> MappedRow:
        name = reserved.get("name")
        if name is None:
            raise RowRejected("name: a counterparty needs a non-empty name")
        name = _text(name, "column 'name'").strip()
        if not name:
            raise RowRejected("name: a counterparty needs a non-empty name")
        status = self._status(reserved, COUNTERPARTY_STATUSES)
        if self.match_field is not None:
            key_value = fields.get(self.match_field.id)
            if key_value is None:
                raise RowRejected(f"{self.match_field.name}: the matching field has no value")
            key = json.dumps(key_value, sort_keys=True) if not isinstance(key_value, str) else key_value.strip().lower()
        else:
            key = name.lower()
        body: dict[str, Any] = {"name": name}
        if status:
            body["status"] = status
        if fields:
            body["attributes"] = [{"attributeDefinitionId": k, "value": v} for k, v in fields.items()]
        return MappedRow(COUNTERPARTY, key, body, name=name, status=status, fields=fields)

    def _map_contract(self, reserved: dict[str, Any], fields: dict[str, Any]) -> MappedRow:
        ct_ref = reserved.get("contract_type") or self.default_contract_type
        contract_type = None
        if ct_ref is not None:
            contract_type = self.schema.find_contract_type(str(ct_ref))
            if contract_type is None:
                raise RowRejected(f"contract_type: '{_clip(ct_ref)}' is not a contract type id or name")
        tpl_ref = reserved.get("template") or self.default_template
        if tpl_ref is None:
            if contract_type and len(contract_type.get("templates") or []) == 1:
                template = contract_type["templates"][0]
            else:
                raise RowRejected("template: no template column and no default_template configured")
        else:
            found = self.schema.find_template(str(tpl_ref), contract_type)
            if found is None:
                owner = f" of contract type '{contract_type['name']}'" if contract_type else ""
                raise RowRejected(f"template: '{_clip(tpl_ref)}' is not a template{owner} (id or name)")
            template, owner_type = found
            contract_type = contract_type or owner_type
        name = _text(reserved["name"], "column 'name'").strip() if "name" in reserved else None
        status = self._status(reserved, CONTRACT_STATUSES)
        external_id = str(reserved["external_id"]).strip() if "external_id" in reserved else None
        cp_id = str(reserved["counterparty_id"]).strip() if "counterparty_id" in reserved else None
        cp_name = _text(reserved["counterparty_name"], "column 'counterparty'").strip() if "counterparty_name" in reserved else None
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
            if not self.integration_type:
                raise RowRejected("external_id: set integration_type (salesforce|hubspot) in the configuration to link contracts to the CRM")
            integration = {"type": self.integration_type, "externalId": external_id}
            if self.integration_entity:
                integration["externalEntity"] = self.integration_entity
            if "external_url" in reserved:
                integration["externalUrl"] = str(reserved["external_url"]).strip()
            body["integration"] = integration
        return MappedRow(CONTRACT, external_id, body, name=name, status=status, fields=fields,
                         counterparty_id=cp_id, counterparty_name=cp_name)


# -- diffing -------------------------------------------------------------------------------------
def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    if isinstance(a, str) and isinstance(b, str) and a != b and (len(a) == 10 or len(b) == 10):
        # a date field may come back as a full ISO timestamp
        return _looks_like_date(a) and _looks_like_date(b) and a[:10] == b[:10]
    return a == b


def _looks_like_date(s: str) -> bool:
    return bool(re.match(r"\d{4}-\d{2}-\d{2}", s))


def diff_contract(row: MappedRow, current: dict[str, Any]) -> dict[str, Any]:
    """PATCH body holding only what differs from `current` (empty = unchanged).

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
    changed = [{"fieldId": k, "value": v} for k, v in row.fields.items() if k not in existing or not _same(v, existing[k])]
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
               if k not in existing or not _same(v, existing[k])]
    if changed:
        patch["attributes"] = changed
    return patch


def counterparty_key(obj: dict[str, Any], match_field: SmartField | None) -> str | None:
    """The matching key of an existing counterparty, computed like `RowMapper` computes it."""
    if match_field is None:
        return (obj.get("name") or "").strip().lower() or None
    value = (obj.get("fields") or {}).get(match_field.id)
    if value is None:
        return None
    return value.strip().lower() if isinstance(value, str) else json.dumps(value, sort_keys=True)


def contract_key(obj: dict[str, Any]) -> str | None:
    return ((obj.get("integration") or {}).get("externalId") or None)

