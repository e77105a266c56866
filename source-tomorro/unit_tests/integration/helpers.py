"""Read helpers: build the source the way the console script does (state at construction)."""

from __future__ import annotations

from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, discover, read
from airbyte_cdk.test.state_builder import StateBuilder
from source_tomorro.run import create_source


def read_stream(stream: str, config: dict, sync_mode: SyncMode = SyncMode.full_refresh,
                state: dict[str, Any] | None = None, expecting_exception: bool = False) -> EntrypointOutput:
    catalog = CatalogBuilder().with_stream(stream, sync_mode).build()
    state_messages = StateBuilder().with_stream_state(stream, state).build() if state is not None else None
    source = create_source(config=config, catalog=catalog, state=state_messages)
    from airbyte_cdk.test.models import ExpectedOutcome

    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expecting_exception else ExpectedOutcome.EXPECT_SUCCESS
    return read(source, config, catalog, state_messages, expected_outcome=outcome)


def discover_catalog(config: dict) -> EntrypointOutput:
    return discover(create_source(config=config), config)


def records_of(output: EntrypointOutput) -> list[dict]:
    return [message.record.data for message in output.records]


def final_state(output: EntrypointOutput) -> dict:
    return dict(output.most_recent_state.stream_state.__dict__)


def smart_fields_mocked(http_mocker, object_kind: str, limit: int = 2):
    """Every read of contracts / counterparties lists the smart fields of its object kind once (for the schema
    and the typed columns), at the config's page size; answer that request from the canned definitions (one
    page: its `has_next` is false). Returns the request, for `assert_number_of_calls`."""
    from .request_builder import TomorroRequestBuilder
    from .response_builder import canned

    request = TomorroRequestBuilder.smart_fields(object_kind).with_limit(limit).build()
    http_mocker.get(request, canned(f"smart_fields_{object_kind}"))
    return request


def message_kinds(output: EntrypointOutput) -> list[tuple[str, Any]]:
    """("RECORD", id) and ("STATE", state dict) in the order they were emitted."""
    kinds = []
    for message in output._messages:
        if message.type.name == "RECORD":
            kinds.append(("RECORD", message.record.data.get("id")))
        elif message.type.name == "STATE":
            kinds.append(("STATE", dict(message.state.stream.stream_state.__dict__)))
    return kinds


def logs_of(output: EntrypointOutput) -> str:
    return "\n".join(message.log.message for message in output.logs)
