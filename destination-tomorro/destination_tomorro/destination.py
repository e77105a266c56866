"""DestinationTomorro: spec, check and write orchestration (the rest lives in the other modules)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.destinations import Destination
from airbyte_cdk.exception_handler import init_uncaught_exception_handler
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    DestinationSyncMode,
    Status,
)
from airbyte_cdk.utils.airbyte_secrets_utils import get_secrets, update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .client import TomorroClient
from .config import DestinationTomorroConfig, connection_specification
from .discover import build_catalog, catalog_message
from .errors import TomorroError, to_traced_exception
from .keys import match_key_for
from .objects import COUNTERPARTY
from .routing import build_mappers, resolve_routes
from .schema import TomorroSchema
from .writer import TomorroWriter

DOCS_URL = "https://docs.airbyte.com/integrations/destinations/tomorro"


def build_client(config: DestinationTomorroConfig, *, max_retries: int | None = None) -> TomorroClient:
    return TomorroClient(
        config.base_url, config.api_key, timeout=config.request_timeout_seconds,
        max_retries=config.max_retries if max_retries is None else max_retries,
        max_concurrency=config.max_concurrency, requests_per_minute=config.requests_per_minute,
    )


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
                try:
                    match_key_for(COUNTERPARTY, cfg, schema)
                except ValueError:
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
        client = build_client(cfg)
        try:
            schema = TomorroSchema(client, cfg.integration_type)
            build_mappers(routes, schema, cfg)
            writer = TomorroWriter(client, routes, cfg)
            yield from writer.write(input_messages)
        except TomorroError as exc:
            raise to_traced_exception(exc) from None
        finally:
            client.close()
        writer.ledger.raise_if_too_many_rejected(cfg.max_rejected_ratio)
