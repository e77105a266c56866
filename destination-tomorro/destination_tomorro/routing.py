"""Stream routing: which Tomorro object each configured stream writes to, in which mode, matched on
which key, and the mapper that turns its rows into API bodies."""

from __future__ import annotations

from dataclasses import dataclass

from airbyte_cdk.models import ConfiguredAirbyteCatalog, DestinationSyncMode, FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .config import DestinationTomorroConfig
from .keys import MatchKey, match_key_for
from .mapping import RowMapper
from .objects import CONTRACT, COUNTERPARTY
from .schema import TomorroSchema

OBJECT_NAMES = {"counterparty": COUNTERPARTY, "counterparties": COUNTERPARTY, "contract": CONTRACT, "contracts": CONTRACT}
SUPPORTED_MODES = {DestinationSyncMode.append: "append", DestinationSyncMode.append_dedup: "append_dedup"}
StreamKey = tuple[str | None, str]


@dataclass
class Route:
    """Where one configured stream goes."""

    stream: str
    namespace: str | None
    object: str  # counterparty | contract
    mode: str  # append (create only) | append_dedup (upsert)
    match: MatchKey | None = None
    mapper: RowMapper | None = None

    @property
    def label(self) -> str:
        return f"{self.namespace}.{self.stream}" if self.namespace else self.stream


def resolve_routes(catalog: ConfiguredAirbyteCatalog, config: DestinationTomorroConfig) -> dict[StreamKey, Route]:
    """Route every configured stream to a Tomorro object, or fail naming every stream that cannot be.

    Order: the catalog's `destination_object_name`, then the stream name itself
    (counterparties/counterparty, contracts/contract), then the config's `object_mapping`.
    Runs before any request is sent.
    """
    routes: dict[StreamKey, Route] = {}
    problems: list[str] = []
    for configured in catalog.streams:
        name, namespace = configured.stream.name, configured.stream.namespace
        target = getattr(configured, "destination_object_name", None)
        if target:
            obj = OBJECT_NAMES.get(target.strip().lower())
            if obj is None:
                problems.append(f"stream '{name}': destination_object_name '{target}' is not a Tomorro object "
                                "(counterparty or contract)")
                continue
        else:
            obj = OBJECT_NAMES.get(name.lower()) or config.object_mapping.get(name)
            if obj is None:
                problems.append(f"stream '{name}' cannot be routed to a Tomorro object: set its destination_object_name, "
                                f"or add it to object_mapping (e.g. {{\"{name}\": \"contract\"}})")
                continue
        mode = SUPPORTED_MODES.get(configured.destination_sync_mode)
        if mode is None:
            sync_mode = getattr(configured.destination_sync_mode, "value", configured.destination_sync_mode)
            reason = ("destination-tomorro never deletes contracts or counterparties"
                      if sync_mode == "overwrite" else "it is not supported")
            problems.append(f"stream '{name}': destination sync mode '{sync_mode}' is refused because {reason}; "
                            "use append (create only) or append_dedup (upsert)")
            continue
        routes[(namespace, name)] = Route(stream=name, namespace=namespace, object=obj, mode=mode)
    if problems:
        raise _config_error("Cannot write: " + "; ".join(problems))
    return routes


def build_mappers(routes: dict[StreamKey, Route], schema: TomorroSchema, cfg: DestinationTomorroConfig) -> None:
    """Give every route its matching key and mapper. A key that cannot be resolved fails the sync
    (config_error) before anything is written."""
    try:
        for route in routes.values():
            route.match = match_key_for(route.object, cfg, schema)
            route.mapper = RowMapper(route.object, schema, cfg, route.match)
    except ValueError as exc:
        raise _config_error(str(exc)) from None


def _config_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)
