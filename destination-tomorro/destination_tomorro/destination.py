"""DestinationTomorro: spec, check, write and discover orchestration (the rest lives in the other
modules). The config is parsed once (config.py) and passed whole.

The console script reads stdin strictly (input.py) and prints every message through the CDK's
secret filter, after registering every form of the API key with it (masking.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from airbyte_cdk.destinations import Destination
from airbyte_cdk.exception_handler import init_uncaught_exception_handler
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    DestinationSyncMode,
    Status,
    Type,
)
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .check import check_connection
from .client import TomorroClient
from .config import DestinationTomorroConfig, connection_specification
from .discover import build_catalog, catalog_message
from .errors import TomorroError, to_traced_exception
from .input import read_messages
from .masking import register_secrets
from .routing import build_mappers, load_catalog, resolve_routes
from .schema import TomorroSchema
from .writer import TomorroWriter

DOCS_URL = "https://docs.airbyte.com/integrations/destinations/tomorro"
logger = logging.getLogger("airbyte")


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
        init_uncaught_exception_handler(logger)
        for line in self.run_lines(self.parse_args(args)):
            print(filter_secrets(line), flush=True)

    def run_lines(self, parsed: argparse.Namespace) -> Iterator[str]:
        """Every output line of one command, serialised (DESTINATION_CATALOG is not an AirbyteMessage
        of the CDK, see discover.py)."""
        if parsed.command == "discover":
            config = self.read_config(config_path=parsed.config)
            register_secrets(config)
            yield orjson.dumps(catalog_message(self.discover(config))).decode()
            return
        for message in self.run_cmd(parsed):
            yield orjson.dumps(AirbyteMessageSerializer.dump(message)).decode()

    def run_cmd(self, parsed_args: argparse.Namespace) -> Iterable[AirbyteMessage]:
        """spec as the CDK does it; check and write with the config parsed by config.py (messages
        that name the field) and, for write, stdin read strictly (input.py)."""
        if parsed_args.command not in ("check", "write"):
            yield from super().run_cmd(parsed_args)
            return
        config = self.read_config(config_path=parsed_args.config)
        register_secrets(config)
        if parsed_args.command == "check":
            yield AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=self.check(logger, config))
            return
        catalog = load_catalog(orjson.loads(Path(parsed_args.catalog).read_bytes()))
        yield from self.write(config, catalog, read_messages(sys.stdin.buffer))

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
        """Fast: unreachable or not Tomorro within ~20 s (check.py). Never writes."""
        try:
            return check_connection(DestinationTomorroConfig.parse(config))
        except AirbyteTracedException as exc:
            return AirbyteConnectionStatus(status=Status.FAILED, message=exc.message)

    def write(self, config: Mapping[str, Any], configured_catalog: ConfiguredAirbyteCatalog,
              input_messages: Iterable[AirbyteMessage]) -> Iterable[AirbyteMessage]:
        cfg = DestinationTomorroConfig.parse(config)
        routes = resolve_routes(configured_catalog, cfg)  # before anything is sent
        client = build_client(cfg)
        try:
            schema = TomorroSchema(client, cfg.integration_type)
            build_mappers(routes, schema, cfg)
            yield from TomorroWriter(client, routes, cfg).write(input_messages)
        except TomorroError as exc:
            raise to_traced_exception(exc) from None
        finally:
            client.close()
