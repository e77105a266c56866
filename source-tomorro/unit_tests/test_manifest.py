"""Structural lint of manifest.yaml: the layering rules of CONTRIBUTING.md ("Layout of manifest.yaml",
"Invariants"), asserted as structure so that a copied block cannot creep back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

CONNECTOR_DIR = Path(__file__).resolve().parent.parent
RAW = yaml.safe_load((CONNECTOR_DIR / "manifest.yaml").read_text())
RESOLVED = ManifestReferenceResolver().preprocess_manifest(yaml.safe_load((CONNECTOR_DIR / "manifest.yaml").read_text()))


def _listed(streams: list) -> list:
    """The streams list with each ConditionalStreams' streams in its place (each is one stream's variants)."""
    return [each for entry in streams
            for each in (entry["streams"] if entry.get("type") == "ConditionalStreams" else [entry])]


# A variant of a stream: the same stream, one key more (listed under a condition, in place of the stream).
VARIANTS = {"contract_signed_files_with_pdfs": "contract_signed_files"}
STREAM_NAMES = list(dict.fromkeys(VARIANTS.get(name, name) for name in
                                  (ref["$ref"].rsplit("/", 1)[-1] for ref in _listed(RAW["streams"]))))
DEFINED_STREAMS = RAW["definitions"]["streams"]
RESOLVED_STREAMS: dict = {}
for _stream in _listed(RESOLVED["streams"]):  # a variant does not replace the default stream it varies
    RESOLVED_STREAMS.setdefault(_stream["$parameters"]["name"], _stream)
INCREMENTAL = {"contracts", "counterparties", "contract_signed_files"}
FLAVOURS = {"#/definitions/list_stream", "#/definitions/array_stream", "#/definitions/per_parent_array_stream",
            "#/definitions/incremental_list_stream"}
# Keys a stream may set besides `$ref` and `$parameters`: what truly differs between streams.
STREAM_DELTA_KEYS = {"schema_loader", "transformations", "primary_key", "retriever", "incremental_sync"}
VARIANT_KEYS = {"file_uploader"}


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,), key, value
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, path + (index,))


def _templates(node, path=()):
    """The Jinja expressions (`{{ ... }}`) in every string under `node`."""
    for where, _, value in _walk(node, path):
        if isinstance(value, str):
            for expression in re.findall(r"{{(.*?)}}", value, flags=re.S):
                yield where, expression


def test_manifest_version_is_the_pinned_cdk():
    from importlib.metadata import version

    assert RAW["version"] == version("airbyte-cdk") == "7.39.1"


@pytest.mark.parametrize("stream", list(DEFINED_STREAMS))
def test_every_stream_is_a_ref_to_a_flavour_or_a_stream_plus_parameters_and_a_small_delta(stream):
    definition = DEFINED_STREAMS[stream]
    ref = definition["$ref"]
    assert ref in FLAVOURS or ref.startswith("#/definitions/streams/"), ref
    if stream in VARIANTS:
        assert ref == f"#/definitions/streams/{VARIANTS[stream]}" and set(definition) - {"$ref"} <= VARIANT_KEYS
        return
    assert set(definition) - {"$ref", "$parameters"} <= STREAM_DELTA_KEYS
    assert definition["$parameters"]["name"] == stream
    retriever = definition.get("retriever", {})
    assert not retriever or retriever.get("$ref"), "a stream's retriever re-$refs a flavour's, never a new block"
    assert not any(key == "type" and value in ("SimpleRetriever", "CustomRetriever", "DefaultErrorHandler")
                   for _, key, value in _walk(definition))


def test_one_error_handler_every_other_is_an_extension_falling_through_to_it():
    definitions = RAW["definitions"]
    answer_check, status_handler = {"$ref": "#/definitions/answer_check"}, {"$ref": "#/definitions/status_handler"}
    assert definitions["error_handler"] == {"type": "CompositeErrorHandler",
                                            "error_handlers": [answer_check, status_handler]}
    handlers = [(path, value) for path, key, value in _walk(RAW) if key == "error_handler"]
    # the one other: a signed file's download URL is no API URL (a PDF body, refusals that are not the key's)
    assert handlers.count((("definitions", "signed_file_requester", "error_handler"),
                           {"$ref": "#/definitions/download_error_handler"})) == 1
    assert definitions["download_error_handler"]["max_retries"] == "{{ config['max_retries'] }}"
    for path, handler in handlers:
        if path == ("definitions", "error_handler"):
            continue
        assert handler.get("$ref", "").endswith("error_handler"), path
    for name in ("per_parent_error_handler", "list_reader_error_handler"):
        extension = definitions[name]
        assert extension["type"] == "CompositeErrorHandler"
        first, own, last = extension["error_handlers"]
        # the composite returns the extension's SUCCESS for a 200 at once: the answer check must come before it
        assert (first, last) == (answer_check, status_handler)
        assert own["type"] == "DefaultErrorHandler" and len(own["response_filters"]) == 1
    # the composite's retries are its first handler's
    assert definitions["answer_check"]["max_retries"] == "{{ config['max_retries'] }}"


def test_no_response_filter_parses_the_body():
    # a predicate makes the CDK parse every response body again (the answer check parses it once, for all)
    predicates = [name for name, f in RAW["definitions"]["response_filters"].items() if "predicate" in f]
    assert predicates == []


def test_config_defaults_are_set_once_in_the_normalization_rules():
    """Outside `spec.config_normalization_rules` a template reads `config['x']`, never a default of its own.
    Exceptions, each commented in the manifest: `spec` builds the worker pool without a config, and
    `requests_per_minute` has no default (an absent budget is no budget)."""
    allowed = {("concurrency_level", "default_concurrency")}
    for where, template in _templates({key: value for key, value in RAW.items() if key != "spec"}):
        if where[:2] in allowed or "requests_per_minute" in template:
            continue
        assert "config.get(" not in template and " or " not in template, (where, template)
    assert not any("api.tomorro.com" in expression for _, expression in _templates(RAW["definitions"]))


def test_every_stream_resolves_to_base_requester():
    base = RESOLVED["definitions"]["base_requester"]
    for stream in STREAM_NAMES:
        retriever = RESOLVED_STREAMS[stream]["retriever"]
        for requester in (retriever.get("requester"), retriever.get("item_requester")):
            if requester:
                assert requester["authenticator"] == base["authenticator"], stream
                assert requester["request_headers"] == base["request_headers"], stream
                assert "config['base_url']" in requester["url"], stream


@pytest.mark.parametrize("stream", STREAM_NAMES)
def test_a_url_built_from_a_parent_record_skips_a_deleted_parent_and_no_other_does(stream):
    retriever = RESOLVED_STREAMS[stream]["retriever"]
    requesters = [(retriever["requester"], retriever["requester"]["url"])]
    if "item_requester" in retriever:
        requesters.append((retriever["item_requester"], retriever["item_requester"]["url"]))
    for requester, url in requesters:
        per_parent = "stream_partition" in url or "stream_slice" in url
        expected = "per_parent_error_handler" if per_parent else ("list_reader_error_handler"
                                                                 if requester is retriever["requester"]
                                                                 and retriever["type"] == "CustomRetriever"
                                                                 else "error_handler")
        assert requester["error_handler"] == RESOLVED["definitions"][expected], (stream, url)


@pytest.mark.parametrize("stream", STREAM_NAMES)
def test_every_stream_has_a_schema_and_a_primary_key(stream):
    resolved = RESOLVED_STREAMS[stream]
    assert resolved["primary_key"]
    loaders = resolved["schema_loader"] if isinstance(resolved["schema_loader"], list) else [resolved["schema_loader"]]
    static = loaders[0]["schema"]
    assert static["additionalProperties"] is True
    for key in resolved["primary_key"]:
        assert key in static["properties"] and key in static["required"]


@pytest.mark.parametrize("stream", STREAM_NAMES)
def test_incremental_streams_use_the_shared_updated_at_cursor(stream):
    resolved = RESOLVED_STREAMS[stream]
    if stream in INCREMENTAL:
        cursor = dict(resolved["incremental_sync"])
        shared = RESOLVED["definitions"]["updated_at_cursor"]
        assert {k: v for k, v in cursor.items() if k not in ("cursor_field", "global_substream_cursor")} == {
            k: v for k, v in shared.items() if k != "cursor_field"}
    else:
        assert "incremental_sync" not in resolved


def test_one_custom_fields_flavour_parameterised_by_object_kind():
    for stream, kind in (("contracts", "contract"), ("counterparties", "external_party")):
        raw = DEFINED_STREAMS[stream]
        assert raw["$ref"] == "#/definitions/incremental_list_stream" and raw["$parameters"]["object_kind"] == kind
        assert raw["schema_loader"][1] == {"$ref": "#/definitions/custom_fields_schema_loader"}
        classes = [t["class_name"].rsplit(".", 1)[-1] for t in RESOLVED_STREAMS[stream]["transformations"]]
        assert classes == ["WaitForWriter"]
        normalization = RESOLVED_STREAMS[stream]["retriever"]["record_selector"]["schema_normalization"]
        assert normalization["class_name"].endswith(".FlattenCustomFields")
    # one listing: the schema loader's; the flattener fills the columns of the schema it is given
    assert RAW["definitions"]["custom_fields_schema_loader"]["smart_fields"] == {
        "$ref": "#/definitions/smart_fields_of_kind"}
    assert "smart_fields" not in RAW["definitions"]["flatten_custom_fields"]


def test_stream_list_equals_the_contributing_table():
    text = (CONNECTOR_DIR / "CONTRIBUTING.md").read_text()
    table = text.split("## Streams", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M)
    assert documented == STREAM_NAMES


def test_custom_components_named_in_the_manifest_exist_and_say_why():
    from source_tomorro.run import register_components

    module = register_components()
    names = {value.rsplit(".", 1)[-1] for _, key, value in _walk(RAW) if key == "class_name"}
    assert names == {"ListRecordExtractor", "ListCursorPagination", "RetryAnswersNotJson", "TomorroListRetriever",
                     "CustomFieldsSchemaLoader", "FlattenCustomFields", "SanitizeState", "ConfigFieldValidator",
                     "SecretsInConfig", "WaitForWriter", "UtcInstants"}
    for name in names:
        assert getattr(module, name).__doc__.startswith("YAML cannot "), name


def test_every_default_in_code_equals_the_spec_default():
    """A component's own default (used where no config reaches it) is the spec's, never a second opinion."""
    from source_tomorro.run import register_components

    properties = RAW["spec"]["connection_specification"]["properties"]
    handler = register_components().RetryAnswersNotJson(config={}, parameters={})
    assert handler.max_retries == properties["max_retries"]["default"]


def test_every_stream_emits_its_date_times_as_utc_instants():
    """Each stream's `utc_instants` names exactly its schema's date-time properties; the list reader's streams use
    their schema itself (components.date_time_properties)."""
    from source_tomorro.run import register_components

    module = register_components()
    for stream, resolved in RESOLVED_STREAMS.items():
        schema = resolved["schema_loader"][0]["schema"] if isinstance(resolved["schema_loader"], list) else \
            resolved["schema_loader"]["schema"]
        wanted = list(module.date_time_properties(schema))
        named = [t.get("properties") for t in resolved.get("transformations") or []
                 if str(t.get("class_name", "")).endswith(".UtcInstants")]
        if resolved["retriever"].get("class_name", "").endswith(".TomorroListRetriever"):
            assert named == [], stream
        elif wanted:
            assert named == [wanted], stream
