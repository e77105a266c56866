"""Columns -> Tomorro API bodies: the business rules of the destination, without I/O.

A row becomes a `MappedRow`: its matching key, the body to create the object with, and the
attributes to compare with an existing object (diff.py turns that comparison into the PATCH body
holding only what changed). Everything that cannot be written raises `RowRejected` with a reason
naming the column. Look-ups (templates, smart fields, options) are asked of `TomorroSchema`.

Column rules (README.md, "Columns"):
* Airbyte meta columns (`_airbyte_*`, `_ab_*`) are ignored; null values are never sent (a null
  never clears a value in Tomorro).
* Reserved columns are matched after normalising the name (names.normalise).
* Any other column matching a smart field of the object (by id, or by normalised name) becomes a
  field value, coerced to the field's type. Other columns are reported once per stream.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from .coercion import clip, coerce, text_value
from .config import DestinationTomorroConfig
from .errors import RowRejected
from .keys import MatchKey, name_key, value_key
from .names import is_meta_column, normalise
from .objects import CONTRACT, CONTRACT_STATUSES, COUNTERPARTY, COUNTERPARTY_STATUSES
from .schema import TomorroSchema

logger = logging.getLogger("airbyte")

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
    key: str | None  # matching key (contracts: external_id; counterparties: name or match field)
    create_body: dict[str, Any]
    name: str | None = None
    status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # smart field id -> coerced value
    counterparty_id: str | None = None
    counterparty_name: str | None = None  # to resolve (find or create) before writing


class RowMapper:
    """Maps the rows of one stream to one Tomorro object. Unknown columns are collected once."""

    def __init__(self, obj: str, schema: TomorroSchema, cfg: DestinationTomorroConfig, match: MatchKey):
        self.obj = obj
        self.schema = schema
        self.cfg = cfg
        self.match = match
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
        if self.match.field is not None:
            candidates = {self.match.field.id, normalise(self.match.field.name)}
            for column, value in row.items():
                if value is not None and (column in candidates or normalise(column) in candidates):
                    return str(value).strip().lower()
            return None
        wanted = "external_id" if self.obj == CONTRACT else "name"
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
                fields[what.id] = coerce(what, value, self.schema.options, self.schema.integration_type)
        if self.obj == COUNTERPARTY:
            return self._map_counterparty(reserved, fields)
        return self._map_contract(reserved, fields)

    def _status(self, reserved: dict[str, Any], allowed: set[str]) -> str | None:
        if "status" not in reserved:
            return None
        status = str(reserved["status"]).strip().lower()
        if status not in allowed:
            raise RowRejected(f"status: '{clip(reserved['status'])}' is not one of {', '.join(sorted(allowed))}")
        return status

    def _map_counterparty(self, reserved: dict[str, Any], fields: dict[str, Any]) -> MappedRow:
        name = reserved.get("name")
        if name is None:
            raise RowRejected("name: a counterparty needs a non-empty name")
        name = text_value(name, "column 'name'").strip()
        if not name:
            raise RowRejected("name: a counterparty needs a non-empty name")
        status = self._status(reserved, COUNTERPARTY_STATUSES)
        if self.match.field is not None:
            key_value = fields.get(self.match.field.id)
            if key_value is None:
                raise RowRejected(f"{self.match.field.name}: the matching field has no value")
            key = value_key(key_value)
        else:
            key = name_key(name)
        body: dict[str, Any] = {"name": name}
        if status:
            body["status"] = status
        if fields:
            body["attributes"] = [{"attributeDefinitionId": k, "value": v} for k, v in fields.items()]
        return MappedRow(COUNTERPARTY, key, body, name=name, status=status, fields=fields)

    def _map_contract(self, reserved: dict[str, Any], fields: dict[str, Any]) -> MappedRow:
        cfg = self.cfg
        ct_ref = reserved.get("contract_type") or cfg.default_contract_type
        contract_type = None
        if ct_ref is not None:
            contract_type = self.schema.find_contract_type(str(ct_ref))
            if contract_type is None:
                raise RowRejected(f"contract_type: '{clip(ct_ref)}' is not a contract type id or name")
        tpl_ref = reserved.get("template") or cfg.default_template
        if tpl_ref is None:
            if contract_type and len(contract_type.get("templates") or []) == 1:
                template = contract_type["templates"][0]
            else:
                raise RowRejected("template: no template column and no default_template configured")
        else:
            found = self.schema.find_template(str(tpl_ref), contract_type)
            if found is None:
                owner = f" of contract type '{contract_type['name']}'" if contract_type else ""
                raise RowRejected(f"template: '{clip(tpl_ref)}' is not a template{owner} (id or name)")
            template, owner_type = found
            contract_type = contract_type or owner_type
        name = text_value(reserved["name"], "column 'name'").strip() if "name" in reserved else None
        status = self._status(reserved, CONTRACT_STATUSES)
        external_id = str(reserved["external_id"]).strip() if "external_id" in reserved else None
        cp_id = str(reserved["counterparty_id"]).strip() if "counterparty_id" in reserved else None
        cp_name = (text_value(reserved["counterparty_name"], "column 'counterparty'").strip()
                   if "counterparty_name" in reserved else None)
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
                raise RowRejected("external_id: set integration_type (salesforce|hubspot) in the configuration "
                                  "to link contracts to the CRM")
            integration = {"type": cfg.integration_type, "externalId": external_id}
            if cfg.integration_entity:
                integration["externalEntity"] = cfg.integration_entity
            if "external_url" in reserved:
                integration["externalUrl"] = str(reserved["external_url"]).strip()
            body["integration"] = integration
        return MappedRow(CONTRACT, external_id, body, name=name, status=status, fields=fields,
                         counterparty_id=cp_id, counterparty_name=cp_name)
