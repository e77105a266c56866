"""`destination-tomorro discover --config c.json`: the DESTINATION_CATALOG of data activation.

Lists each Tomorro object of the registry (objects/) with its sync modes, matching keys and the
columns it accepts (its kind's reserved columns plus the workspace's smart fields, typed). The CDK's `AirbyteMessage` has no
`destination_catalog`, so the message is built with the protocol dataclasses and serialised here.
Read-only: smart fields are listed, nothing is written.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from airbyte_protocol_dataclasses.models import (
    DestinationCatalog,
    DestinationOperation,
    DestinationSyncMode,
)

from .config import DestinationTomorroConfig
from .keys import match_key_for
from .objects import KINDS
from .objects.kind import ObjectKind
from .schema import TomorroSchema

SMART_FIELD_SCHEMA = {
    "text": {"type": ["null", "string"]},
    "number": {"type": ["null", "number", "string"]},
    "date": {"type": ["null", "string"], "format": "date"},
    "select": {"type": ["null", "string"], "description": "an option label (any language) or the CRM value"},
    "multiselect": {"type": ["null", "array", "string"], "items": {"type": "string"}},
    "richtext": {"type": ["null", "string", "array"]},
    "duration": {"type": ["null", "string", "object"], "description": "'12 months' or {value, unit}"},
}
STRING = {"type": ["null", "string"]}


def build_catalog(config: DestinationTomorroConfig, schema: TomorroSchema) -> DestinationCatalog:
    operations = []
    for kind in KINDS:
        properties: dict[str, Any] = dict(kind.column_schema)
        for sf in schema.smart_fields(kind):
            properties.setdefault(sf.name, {**SMART_FIELD_SCHEMA.get(sf.type, STRING), "title": f"{sf.name} ({sf.type}, {sf.id})"})
        json_schema = {"type": "object", "additionalProperties": True, "properties": properties,
                       "required": list(kind.required_columns)}
        key = [[_key_column(kind, config, schema)]]
        operations.append(DestinationOperation(object_name=kind.name, sync_mode=DestinationSyncMode.append,
                                               json_schema=json_schema))
        operations.append(DestinationOperation(object_name=kind.name, sync_mode=DestinationSyncMode.append_dedup,
                                               json_schema=json_schema, matching_keys=key))
    return DestinationCatalog(operations=operations)


def _key_column(kind: ObjectKind, config: DestinationTomorroConfig, schema: TomorroSchema) -> str:
    """The column rows are matched on; an unknown configured one is shown as configured (check names
    the problem)."""
    try:
        return match_key_for(kind, config, schema).column
    except ValueError:
        return (kind.configured_key_column(config) or (kind.default_key_column,))[0]


def catalog_message(catalog: DestinationCatalog) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return {"type": "DESTINATION_CATALOG", "destination_catalog": clean(dataclasses.asdict(catalog))}
