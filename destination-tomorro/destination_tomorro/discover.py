"""`destination-tomorro discover --config c.json`: the DESTINATION_CATALOG of data activation.

Lists each Tomorro object with its sync modes, matching keys and the columns it accepts
(reserved columns plus the workspace's smart fields, typed). The CDK's `AirbyteMessage` has no
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
from .objects import CONTRACT, COUNTERPARTY
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
RESERVED_SCHEMA = {
    COUNTERPARTY: {"name": {"type": "string"}, "status": {"type": ["null", "string"], "enum": [None, "active", "archived"]}},
    CONTRACT: {
        "name": STRING, "status": STRING, "template": STRING, "contract_type": STRING,
        "counterparty_id": STRING, "counterparty": STRING, "counterparty_key": STRING, "external_id": STRING, "external_url": STRING,
    },
}


def build_catalog(config: DestinationTomorroConfig, schema: TomorroSchema) -> DestinationCatalog:
    operations = []
    for obj in (COUNTERPARTY, CONTRACT):
        properties: dict[str, Any] = dict(RESERVED_SCHEMA[obj])
        for sf in schema.smart_fields(obj):
            properties.setdefault(sf.name, {**SMART_FIELD_SCHEMA.get(sf.type, STRING), "title": f"{sf.name} ({sf.type}, {sf.id})"})
        json_schema = {"type": "object", "additionalProperties": True, "properties": properties,
                       "required": ["name"] if obj == COUNTERPARTY else []}
        try:
            key = [[match_key_for(obj, config, schema).column]]
        except ValueError:  # an unknown match field: shown as configured (check names the problem)
            key = [[config.counterparty_match_field]]
        operations.append(DestinationOperation(object_name=obj, sync_mode=DestinationSyncMode.append, json_schema=json_schema))
        operations.append(DestinationOperation(object_name=obj, sync_mode=DestinationSyncMode.append_dedup,
                                               json_schema=json_schema, matching_keys=key))
    return DestinationCatalog(operations=operations)


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
