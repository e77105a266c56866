"""TomorroSchema: the workspace's contract types, templates, smart fields and options, each read
once per sync on first need. With the client, the only module that talks to Tomorro for the
mapping; the mapping rules (mapping.py, coercion.py) ask it and never touch the network."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .client import TomorroClient
from .names import normalise

if TYPE_CHECKING:  # annotations only: the object kinds import this module
    from .objects.kind import ObjectKind


@dataclass
class SmartField:
    id: str
    name: str
    type: str
    options: list[dict[str, Any]] | None = None  # loaded on first use for select / multiselect


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

    def smart_fields(self, kind: ObjectKind) -> list[SmartField]:
        with self._lock:
            if kind.smart_field_object not in self._fields:
                self._fields[kind.smart_field_object] = [
                    SmartField(id=f["id"], name=f.get("name") or "", type=f.get("type") or "text")
                    for f in self.client.iter_smart_fields(kind.smart_field_object)
                ]
            return self._fields[kind.smart_field_object]

    def options(self, sf: SmartField) -> list[dict[str, Any]]:
        with self._lock:
            if sf.options is None:
                sf.options = list(self.client.iter_options(sf.id))
            return sf.options

    # -- lookups ---------------------------------------------------------------------------------
    def find_field(self, kind: ObjectKind, column: str) -> SmartField | None:
        """The smart field of `kind` named by `column`: its id, or its name after `normalise`."""
        fields = self.smart_fields(kind)
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
