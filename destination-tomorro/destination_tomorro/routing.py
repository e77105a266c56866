"""Stream routing: which Tomorro object each configured stream writes to, in which mode, matched on
which key (keys.match_key_for), and the mapper that turns its rows into API bodies. Everything here
runs before any write: a stream that cannot be routed or matched fails the sync naming it."""

from __future__ import annotations

from dataclasses import dataclass, field

from airbyte_cdk.models import (
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    FailureType,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .config import DestinationTomorroConfig
from .keys import MatchKey, match_key_for
from .mapping import RowMapper
from .names import is_meta_column, normalise
from .objects import KINDS, OBJECT_NAMES, kind_named
from .objects.kind import ObjectKind
from .policy import WritePolicy, resolve_policy
from .schema import TomorroSchema

SUPPORTED_MODES = {DestinationSyncMode.append: "append", DestinationSyncMode.append_dedup: "append_dedup"}
_NEVER_DELETES = "destination-tomorro never deletes contracts or counterparties, nor replaces them (Tomorro is their record)"
REFUSAL_REASONS = {
    "overwrite": _NEVER_DELETES,
    "overwrite_dedup": _NEVER_DELETES,
    "soft_delete": _NEVER_DELETES,
    "update": "updating only the records already in Tomorro is not offered",
}
StreamKey = tuple[str | None, str]


@dataclass
class Route:
    """Where one configured stream goes."""

    stream: str
    namespace: str | None
    kind: ObjectKind  # the Tomorro object it writes (objects/)
    mode: str  # append (create only) | append_dedup (upsert)
    primary_key: list[list[str]] = field(default_factory=list)
    key_picked: bool = False  # the primary key is the user's choice, not only the source's
    columns: list[str] | None = None  # the stream's columns, when its JSON schema lists them
    match: MatchKey | None = None
    mapper: RowMapper | None = None
    policy: WritePolicy = field(default_factory=WritePolicy)

    @property
    def object(self) -> str:
        return self.kind.name

    @property
    def label(self) -> str:
        return f"{self.namespace}.{self.stream}" if self.namespace else self.stream

    @property
    def key_required(self) -> bool:
        """Whether the stream's rows must carry the key column: always for a kind that says so
        (counterparties), else when upserting or when the key was chosen (contracts: keyless
        `append` creates are allowed)."""
        return self.kind.key_always_required or self.mode == "append_dedup" or self.match.chosen


def resolve_routes(catalog: ConfiguredAirbyteCatalog, config: DestinationTomorroConfig) -> dict[StreamKey, Route]:
    """Route every configured stream to a Tomorro object, or fail naming every stream that cannot be.

    Order: the catalog's `destination_object_name` (set by the connection's mapping step), then the
    `streams` setting, then the stream name itself (counterparties / contracts).
    """
    routes: dict[StreamKey, Route] = {}
    problems: list[str] = []
    for configured in catalog.streams:
        name, namespace = configured.stream.name, configured.stream.namespace
        target = getattr(configured, "destination_object_name", None)
        entry = config.stream_mapping(name)
        if target:
            kind = kind_named(target.strip())
            if kind is None:
                problems.append(f"stream '{name}': destination_object_name '{target}' is not a Tomorro object "
                                f"({' or '.join(OBJECT_NAMES)})")
                continue
        else:
            kind = kind_named(entry.object if entry is not None else name)
            if kind is None:
                problems.append(f"stream '{name}' cannot be routed to a Tomorro object: add it to the stream mapping "
                                f"(streams: [{{\"stream\": \"{name}\", \"object\": \"contract\"}}]) or set its "
                                "destination_object_name")
                continue
        mode = SUPPORTED_MODES.get(configured.destination_sync_mode)
        if mode is None:
            problems.append(refused_mode(name, getattr(configured.destination_sync_mode, "value",
                                                       configured.destination_sync_mode)))
            continue
        routes[(namespace, name)] = Route(stream=name, namespace=namespace, kind=kind, mode=mode,
                                          primary_key=list(configured.primary_key or []),
                                          key_picked=_picked(configured), columns=_columns(configured))
    if problems:
        raise config_error("Cannot write: " + "; ".join(problems))
    return routes


def refused_mode(stream: str, mode: object) -> str:
    """Why a destination sync mode is refused, and what to use instead: the one message for every mode but the two
    this destination supports, whether the protocol knows the mode or not."""
    reason = REFUSAL_REASONS.get(mode, "it is not a destination sync mode destination-tomorro knows")
    return (f"stream '{stream}': destination sync mode '{mode}' is refused because {reason}; use append_dedup "
            "(Append + Deduped: creates new rows and updates those already in Tomorro) or append (create only)")


def load_catalog(raw: object) -> ConfiguredAirbyteCatalog:
    """The configured catalog, each stream's destination sync mode checked before the protocol's own schema: a mode
    the protocol does not list (`overwrite_dedup`, a newer platform's) would otherwise fail the sync as an
    unexplained schema error instead of getting its refusal."""
    streams = raw.get("streams") if isinstance(raw, dict) else None
    problems = [refused_mode(str((entry.get("stream") or {}).get("name")), entry["destination_sync_mode"])
                for entry in streams or [] if isinstance(entry, dict) and isinstance(entry.get("stream"), dict)
                and entry.get("destination_sync_mode") not in {m.value for m in SUPPORTED_MODES}]
    if problems:
        raise config_error("Cannot write: " + "; ".join(problems))
    try:
        return ConfiguredAirbyteCatalogSerializer.load(raw)
    except Exception as error:  # noqa: BLE001 - the protocol's schema error, named as the catalog's
        raise config_error(f"Cannot write: the configured catalog is not valid ({str(error)[:500]})") from None


def _picked(configured: ConfiguredAirbyteStream) -> bool:
    """Whether the configured primary key is the user's choice: the mapping step of data activation
    (which sets destination_object_name) writes the chosen matching key there; otherwise a key that
    differs from the source's own one was picked in the connection."""
    if not configured.primary_key:
        return False
    if getattr(configured, "destination_object_name", None):
        return True
    return configured.primary_key != (configured.stream.source_defined_primary_key or [])


def _columns(configured: ConfiguredAirbyteStream) -> list[str] | None:
    properties = (configured.stream.json_schema or {}).get("properties")
    return [c for c in properties if not is_meta_column(c)] if isinstance(properties, dict) and properties else None


def build_mappers(routes: dict[StreamKey, Route], schema: TomorroSchema, cfg: DestinationTomorroConfig) -> None:
    """Give every route its matching key, write policy and mapper. A key that cannot be resolved, or
    that is not among the columns the stream declares, a policy entry naming nothing, fails the sync
    (config_error) before anything is written."""
    problems = []
    for route in routes.values():
        try:
            route.match = match_key_for(route.kind, cfg, schema, stream=route.stream,
                                        primary_key=route.primary_key, picked=route.key_picked)
            route.policy = resolve_policy(cfg.stream_mapping(route.stream), route.kind, schema,
                                          f"stream '{route.label}'")
        except ValueError as exc:
            problems.append(str(exc))
    references = {} if problems else reference_keys(routes, schema, cfg)
    for route in routes.values():
        if route.match is None or problems:
            continue
        route.mapper = RowMapper(route.kind, schema, cfg, route.match, route.policy,
                                 {name: references[name] for name in route.kind.refers_to if name in references})
        if route.columns is not None and route.key_required and not any(route.mapper.is_key_column(c)
                                                                        for c in route.columns):
            problems.append(missing_key_column(route, route.columns))
        column = route.policy.updated_at_column
        if route.columns is not None and column and normalise(column) not in {normalise(c) for c in route.columns}:
            problems.append(f"stream '{route.label}' has no column '{column}' (its row_updated_at_column); its columns: "
                            f"{', '.join(route.columns[:30])}")
    if problems:
        raise config_error("Cannot write: " + "; ".join(problems))


def reference_keys(routes: dict[StreamKey, Route], schema: TomorroSchema,
                   cfg: DestinationTomorroConfig) -> dict[str, MatchKey]:
    """What rows naming an object of another kind match it on, per kind (ObjectKind.reference_key):
    e.g. a contract row's `counterparty_key`, on the smart field the counterparty streams match on."""
    keys = {kind.name: kind.reference_key(list(routes.values()), schema, cfg) for kind in KINDS}
    return {name: key for name, key in keys.items() if key is not None}


def missing_key_column(route: Route, columns: list[str]) -> str:
    shown = ", ".join(columns[:30]) + (f" and {len(columns) - 30} more" if len(columns) > 30 else "")
    return (f"stream '{route.label}' has no column '{route.match.column}' ({route.match.source}) to match "
            f"{route.kind.key_description} "
            f"on; its columns: {shown or '(none)'}. Set match_key in the stream mapping, or pick the stream's "
            "primary key")


def config_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)
