"""DestinationTomorro: spec, check and write orchestration (the rest lives in the other modules)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.destinations import Destination
from airbyte_cdk.exception_handler import init_uncaught_exception_handler
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateStats,
    AirbyteStateType,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    DestinationSyncMode,
    FailureType,
    Level,
    Status,
    Type,
)
from airbyte_cdk.utils.airbyte_secrets_utils import get_secrets, update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .client import TomorroClient
from .config import DestinationTomorroConfig, connection_specification
from .discover import build_catalog, catalog_message
from .errors import TomorroError, to_traced_exception
from .mapping import COUNTERPARTY, RowMapper, TomorroSchema, normalise
from .routing import resolve_routes
from .writer import CounterpartyIndex, Route, TomorroWriter

DOCS_URL = "https://docs.airbyte.com/integrations/destinations/tomorro"


def build_client(config: DestinationTomorroConfig, *, max_retries: int | None = None) -> TomorroClient:
    return TomorroClient(
        config.base_url, config.api_key, timeout=config.request_timeout_seconds,
        max_retries=config.max_retries if max_retries is None else max_retries,
        max_concurrency=config.max_concurrency, requests_per_minute=config.requests_per_minute,
    )


def _build_mappers(routes: dict[tuple[str | None, str], Route], schema: TomorroSchema,
                   cfg: DestinationTomorroConfig):
    """One RowMapper per route; returns the counterparty match field (None: match on name).

    Raises ValueError when counterparty_match_field names no counterparty smart field."""
    for route in routes.values():
        route.mapper = RowMapper(
            route.object, schema, default_template=cfg.default_template,
            default_contract_type=cfg.default_contract_type, integration_type=cfg.integration_type,
            integration_entity=cfg.integration_entity, match_field=cfg.counterparty_match_field)
    if normalise(cfg.counterparty_match_field) == "name":
        return None
    return RowMapper(COUNTERPARTY, schema, match_field=cfg.counterparty_match_field).match_field


def _log(message: str, level: Level = Level.INFO) -> AirbyteMessage:
    return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=message))


class DestinationTomorro(Destination):
    VALID_CMDS = {"spec", "check", "write", "discover"}

    def parse_args(self, args: list[str]) -> argparse.Namespace:
        if args and args[0] == "discover":
            parser = argparse.ArgumentParser(prog="destination-tomorro")
            sub = parser.add_subparsers(dest="command")
            discover = sub.add_parser("discover", help="outputs the DESTINATION_CATALOG (objects, modes, matching keys, columns)")
            discover.add_argument("--config", type=str, required=True, help="path to the JSON configuration file")
            return parser.parse_args(args)
        return super().parse_args(args)

    def run(self, args: list[str]) -> None:
        if args and args[0] == "discover":
            init_uncaught_exception_handler(logging.getLogger("airbyte"))
            parsed = self.parse_args(args)
            config = self.read_config(config_path=parsed.config)
            update_secrets(get_secrets(self.spec(logging.getLogger("airbyte")).connectionSpecification, config))
            import orjson

            sys.stdout.write(orjson.dumps(catalog_message(self.discover(config))).decode() + "\n")
            return
        super().run(args)

    def discover(self, config: Mapping[str, Any]):
        """Objects, sync modes, matching keys and accepted columns (read-only)."""
        cfg = DestinationTomorroConfig.parse(config)
        client = build_client(cfg, max_retries=min(cfg.max_retries, 2))
        try:
            return build_catalog(cfg, TomorroSchema(client, cfg.integration_type))
        except TomorroError as exc:
            raise to_traced_exception(exc) from None
        finally:
            client.close()

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(
            documentationUrl=DOCS_URL,
            connectionSpecification=connection_specification(),
            supportsIncremental=True,
            supported_destination_sync_modes=[DestinationSyncMode.append, DestinationSyncMode.append_dedup],
        )

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """One cheap read (members, limit=1), then the configured template / contract type / match
        field, when set. Never writes."""
        try:
            cfg = DestinationTomorroConfig.parse(config)
            client = build_client(cfg, max_retries=min(cfg.max_retries, 1))
            try:
                client.list_members(limit=1)
                schema = TomorroSchema(client, cfg.integration_type)
                problems = []
                contract_type = None
                if cfg.default_contract_type:
                    contract_type = schema.find_contract_type(cfg.default_contract_type)
                    if contract_type is None:
                        problems.append(f"default_contract_type: '{cfg.default_contract_type}' is not a contract type id or name")
                if cfg.default_template and schema.find_template(cfg.default_template, contract_type) is None:
                    problems.append(f"default_template: '{cfg.default_template}' is not a template"
                                    + (" of that contract type" if contract_type else "") + " (id or name)")
                if normalise(cfg.counterparty_match_field) != "name" and schema.find_field(
                        COUNTERPARTY, cfg.counterparty_match_field) is None:
                    problems.append(f"counterparty_match_field: '{cfg.counterparty_match_field}' is not a counterparty smart field")
            finally:
                client.close()
            if problems:
                return AirbyteConnectionStatus(status=Status.FAILED, message="; ".join(problems))
            return AirbyteConnectionStatus(status=Status.SUCCEEDED)
        except AirbyteTracedException as exc:
            return AirbyteConnectionStatus(status=Status.FAILED, message=exc.message)
        except TomorroError as exc:
            return AirbyteConnectionStatus(status=Status.FAILED, message=to_traced_exception(exc).message)

    def write(self, config: Mapping[str, Any], configured_catalog: ConfiguredAirbyteCatalog,
              input_messages: Iterable[AirbyteMessage]) -> Iterable[AirbyteMessage]:
        cfg = DestinationTomorroConfig.parse(config)
        routes = resolve_routes(configured_catalog, cfg)  # before anything is sent
        names = Counter(name for _, name in routes)
        by_name = {name: key for key in routes for name in [key[1]] if names[name] == 1}
        client = build_client(cfg)
        try:
            schema = TomorroSchema(client, cfg.integration_type)
            try:
                match_field = _build_mappers(routes, schema, cfg)
            except ValueError as exc:
                raise AirbyteTracedException(message=str(exc), internal_message=str(exc),
                                             failure_type=FailureType.config_error) from None
            writer = TomorroWriter(
                client, routes, counterparties=CounterpartyIndex(client, match_field, cfg.dry_run),
                batch_size=cfg.batch_size, max_concurrency=cfg.max_concurrency, dry_run=cfg.dry_run,
                max_retries=cfg.max_retries, rejected_rows_path=cfg.rejected_rows_path)
            since_state: Counter[tuple[str | None, str]] = Counter()
            states_emitted = 0
            for message in input_messages:
                if message.type == Type.STATE and message.state is not None:
                    # Emitting a state message indicates that all records which came before it have been
                    # written to the destination. So we flush the queue to ensure writes happen, then
                    # output the state message to indicate it's safe to checkpoint state.
                    writer.flush_all()
                    message.state.destinationStats = AirbyteStateStats(recordCount=float(_pop_count(message, since_state)))
                    states_emitted += 1
                    yield message
                elif message.type == Type.RECORD and message.record is not None:
                    record = message.record
                    key = (record.namespace, record.stream)
                    if key not in routes:
                        key = by_name.get(record.stream)  # namespaces that differ: match on the unique name
                    if key is None:
                        writer.reject_unrouted(record.stream, dict(record.data or {}))
                        continue
                    since_state[key] += 1
                    if writer.queue(key, dict(record.data or {})):
                        writer.flush(key)
            writer.flush_all()
            yield from (_log(text, Level.WARN if warn else Level.INFO) for text, warn in writer.summary())
            yield writer.report(states_emitted).to_message()
        except TomorroError as exc:
            raise to_traced_exception(exc) from None
        finally:
            client.close()
        writer.raise_if_too_many_rejected(cfg.max_rejected_ratio)


def _pop_count(message: AirbyteMessage, since_state: Counter) -> int:
    """Records received since the previous state covering the same stream(s)."""
    state = message.state
    if state.type == AirbyteStateType.STREAM and state.stream is not None:
        descriptor = state.stream.stream_descriptor
        key = (descriptor.namespace, descriptor.name)
        if key not in since_state:
            key = next((k for k in since_state if k[1] == descriptor.name), key)
        return since_state.pop(key, 0)
    total = sum(since_state.values())
    since_state.clear()
    return total
