"""Structural lint of manifest.yaml: the layering rules in CONTRIBUTING.md ("Invariants")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

CONNECTOR_DIR = Path(__file__).resolve().parent.parent
RAW = yaml.safe_load((CONNECTOR_DIR / "manifest.yaml").read_text())
RESOLVED = ManifestReferenceResolver().preprocess_manifest(yaml.safe_load((CONNECTOR_DIR / "manifest.yaml").read_text()))
STREAM_NAMES = [ref["$ref"].rsplit("/", 1)[-1] for ref in RAW["streams"]]
RESOLVED_STREAMS = {stream.get("name") or stream["$parameters"]["name"]: stream for stream in RESOLVED["streams"]}
INCREMENTAL = {"contracts", "counterparties"}
SHARED_PAGINATORS = {"#/definitions/data_envelope_paginator", "#/definitions/camel_envelope_paginator",
                     "#/definitions/camel_envelope_window_paginator"}


def _variants(stream: str) -> list[dict]:
    """The declarative stream(s) behind a listed stream: both sides of a StateDelegatingStream."""
    resolved = RESOLVED_STREAMS[stream]
    if resolved.get("type") == "StateDelegatingStream":
        return [resolved["full_refresh_stream"], resolved["incremental_stream"]]
    return [resolved]


def _raw_variants(stream: str) -> list[dict]:
    raw = RAW["definitions"]["streams"][stream]
    if raw.get("type") == "StateDelegatingStream":
        return [RAW["definitions"]["streams"][raw[side]["$ref"].rsplit("/", 1)[-1]]
                for side in ("full_refresh_stream", "incremental_stream")]
    return [raw]


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,), key, value
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, path + (index,))


def test_manifest_version_is_the_pinned_cdk():
    from importlib.metadata import version

    assert RAW["version"] == version("airbyte-cdk") == "7.39.1"


def test_the_error_handler_is_shared_and_the_per_parent_one_only_adds_the_404_skip():
    places = [path for path, key, _ in _walk(RAW) if key == "error_handler"]
    assert places == [("definitions", "base_requester", "error_handler"), ("definitions", "error_handler"),
                      ("definitions", "per_parent_requester", "error_handler")]
    shared = RESOLVED["definitions"]["error_handler"]
    per_parent = RESOLVED["definitions"]["per_parent_requester"]["error_handler"]
    assert RESOLVED["definitions"]["base_requester"]["error_handler"] == shared
    assert per_parent["response_filters"][:-1] == shared["response_filters"]
    assert per_parent["response_filters"][-1] == {"type": "HttpResponseFilter", "http_codes": [404], "action": "IGNORE"}
    assert {k: v for k, v in per_parent.items() if k != "response_filters"} == {
        k: v for k, v in shared.items() if k != "response_filters"}


def test_every_enveloped_list_parses_each_page_once():
    # the record selector and the paginator share one parse (OnceJsonDecoder); bare arrays keep JsonDecoder
    for path, key, value in _walk(RAW["definitions"]):
        if key == "retriever" and isinstance(value, dict) and value.get("type") == "SimpleRetriever":
            selector = value["record_selector"].get("$ref", "")
            enveloped = selector.endswith("envelope_selector")
            assert (value.get("decoder") == {"$ref": "#/definitions/once_json_decoder"}) == enveloped, path


def test_only_one_response_filter_parses_the_body():
    # a predicate makes the CDK parse every response body again; the not-JSON check is the one that must
    predicates = [f for f in RESOLVED["definitions"]["per_parent_requester"]["error_handler"]["response_filters"]
                  if "predicate" in f]
    assert [f["action"] for f in predicates] == ["RETRY"]


@pytest.mark.parametrize("stream", STREAM_NAMES)
def test_every_stream_is_a_ref_to_its_definition(stream):
    assert {"$ref": f"#/definitions/streams/{stream}"} in RAW["streams"]


@pytest.mark.parametrize("stream", STREAM_NAMES)
def test_every_stream_resolves_to_base_requester(stream):
    base = RESOLVED["definitions"]["base_requester"]
    per_parent = RESOLVED["definitions"]["per_parent_requester"]
    for variant in _variants(stream):
        requester = variant["retriever"]["requester"]
        partitioned = "stream_partition" in requester["url"]
        # a URL built from a parent record skips a deleted parent's 404; every other request fails on it
        assert requester["error_handler"] == (per_parent if partitioned else base)["error_handler"]
        assert requester["authenticator"] == base["authenticator"]
        assert requester["request_headers"] == base["request_headers"]


@pytest.mark.parametrize("stream", list(RAW["definitions"]["streams"]))
def test_no_stream_declares_its_own_paginator_or_error_handler(stream):
    definition = RAW["definitions"]["streams"][stream]
    for path, key, value in _walk(definition):
        if key == "paginator":
            assert value.get("$ref") in SHARED_PAGINATORS or value == {"type": "NoPagination"}, path
        assert key != "error_handler", path


@pytest.mark.parametrize("stream", STREAM_NAMES)
def test_every_stream_has_a_schema_and_a_primary_key(stream):
    for resolved in _variants(stream):
        assert resolved["primary_key"]
        loaders = resolved["schema_loader"] if isinstance(resolved["schema_loader"], list) else [resolved["schema_loader"]]
        static = loaders[0]["schema"]
        assert static["additionalProperties"] is True
        for key in resolved["primary_key"]:
            assert key in static["properties"] and key in static["required"]


@pytest.mark.parametrize("stream", STREAM_NAMES)
def test_incremental_streams_use_the_shared_updated_at_cursor(stream):
    for raw, resolved in zip(_raw_variants(stream), _variants(stream), strict=True):
        if stream in INCREMENTAL:
            assert raw["incremental_sync"]["$ref"] in ("#/definitions/updated_at_cursor",
                                                       "#/definitions/updated_at_window_cursor")
            assert resolved["incremental_sync"]["cursor_field"] == "updatedAt"
        else:
            assert "incremental_sync" not in resolved


def test_contracts_backfill_windows_feed_the_incremental_stream():
    """The first sync is the windowed backfill, later ones the single chain; same cursor and state key."""
    contracts = RESOLVED_STREAMS["contracts"]
    assert contracts["type"] == "StateDelegatingStream"
    backfill, incremental = contracts["full_refresh_stream"], contracts["incremental_stream"]
    assert backfill["$parameters"]["name"] == incremental["$parameters"]["name"] == "contracts"
    assert "step" not in incremental["incremental_sync"]
    window_cursor = backfill["incremental_sync"]
    assert window_cursor["step"] and window_cursor["cursor_granularity"] == "PT0.001S"
    for key in ("cursor_field", "datetime_format", "cursor_datetime_formats", "lookback_window"):
        assert window_cursor[key] == incremental["incremental_sync"][key], key
    assert backfill["retriever"]["record_selector"]["record_filter"]["class_name"].endswith(".WindowEndFilter")
    # the backfill floor appears in the cursor and in the open-below first window's request, the same
    floor = "2019-01-01T00:00:00"
    assert floor in window_cursor["start_datetime"]["datetime"]
    assert f"'{floor}.000Z'" in backfill["retriever"]["requester"]["request_parameters"]["updatedAt"]


def test_large_streams_flatten_custom_fields_in_one_transformation_then_wait_for_the_writer():
    for stream in INCREMENTAL:
        for variant in _variants(stream):
            classes = [t["class_name"].rsplit(".", 1)[-1] for t in variant["transformations"]]
            assert classes == ["FlattenCustomFields", "WaitForWriter"], (stream, classes)


def test_stream_list_equals_the_contributing_table():
    text = (CONNECTOR_DIR / "CONTRIBUTING.md").read_text()
    table = text.split("## Streams", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M)
    assert documented == STREAM_NAMES


def test_custom_components_named_in_the_manifest_exist_and_say_why():
    from source_tomorro.run import register_components

    module = register_components()
    names = {value.rsplit(".", 1)[-1] for _, key, value in _walk(RAW) if key == "class_name"}
    assert names == {"CustomFieldsSchemaLoader", "FlattenCustomFields", "ClampFutureState", "ConfigFieldValidator",
                     "WindowEndFilter", "EnvelopeExtractor", "OnceJsonDecoder", "WaitForWriter"}
    for name in names:
        assert getattr(module, name).__doc__.startswith("YAML cannot ")
