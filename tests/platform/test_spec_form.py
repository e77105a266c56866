"""Each connector's spec, rendered the way the Airbyte UI's connector form renders it (form_emulation.py,
written from airbyte-platform's form builder): every field reachable and typed, no empty group, secrets
masked, dates with a date picker whose output passes their own pattern, numbers bounded, `order` unique
per level, groups declared. The emulation's own rules are tested on small specs below."""

from __future__ import annotations

import logging

import pytest
from destination_tomorro.destination import DestinationTomorro
from form_emulation import form_problems, outline
from source_tomorro.run import create_source

LOGGER = logging.getLogger("airbyte")


def _source_spec() -> dict:
    return create_source().spec(LOGGER).connectionSpecification


def _destination_spec() -> dict:
    return DestinationTomorro().spec(LOGGER).connectionSpecification


def test_the_source_spec_renders_completely_in_the_airbyte_form():
    assert form_problems(_source_spec()) == []


def test_the_source_form_has_a_card_per_group_with_the_expected_controls():
    assert outline(_source_spec()) == [
        ("Connection", ["api_key: secret input, required", "base_url: text box"]),
        ("What to sync", ["start_date: date-time picker", "lookback_window: number input",
                          "copy_signed_files: switch"]),
        ("Performance", ["page_size: number input", "num_workers: number input",
                         "requests_per_minute: number input", "max_retries: number input"]),
    ]


def test_the_destination_spec_renders_completely_in_the_airbyte_form():
    assert form_problems(_destination_spec()) == []


GOOD = {
    "type": "object", "required": ["token", "mode"],
    "groups": [{"id": "auth", "title": "Authentication"}],
    "properties": {
        "token": {"type": "string", "title": "Token", "description": "d", "airbyte_secret": True,
                  "group": "auth", "order": 0},
        "since_date": {"type": "string", "title": "Since", "description": "d", "format": "date",
                       "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "examples": ["2024-01-01"], "order": 1},
        "flag": {"type": "boolean", "title": "Flag", "description": "d", "default": False, "order": 2},
        "size": {"type": "integer", "title": "Size", "description": "d", "minimum": 1, "maximum": 9,
                 "default": 3, "order": 3},
        "tags": {"type": "array", "title": "Tags", "description": "d", "items": {"type": "string"}, "order": 4},
        "rules": {"type": "array", "title": "Rules", "description": "d", "order": 5, "items": {
            "type": "object", "properties": {"stream": {"type": "string", "title": "Stream", "description": "d"}}}},
        "mode": {"type": "object", "title": "Mode", "description": "d", "order": 6, "oneOf": [
            {"title": "A", "properties": {"kind": {"type": "string", "const": "a", "title": "K", "description": "d"}}},
            {"title": "B", "properties": {"kind": {"type": "string", "const": "b", "title": "K", "description": "d"},
                                          "n": {"type": "number", "title": "N", "description": "d",
                                                "minimum": 0, "maximum": 1}}}]},
    },
}


def test_a_spec_using_every_kind_of_control_renders_clean():
    assert form_problems(GOOD) == []
    assert outline(GOOD) == [
        ("Authentication", ["token: secret input, required"]),
        (None, ["mode: condition, required", "since_date: date picker", "flag: switch", "size: number input",
                "tags: tag input", "rules: list"]),
    ]


def _with(name: str, **schema) -> dict:
    spec = {**GOOD, "properties": {**GOOD["properties"]}}
    if schema.pop("_drop", False):
        spec["properties"].pop(name)
    else:
        spec["properties"][name] = {"title": name, "description": "d", **schema}
    return spec


@pytest.mark.parametrize(("spec", "problem"), [
    (_with("mapping", type="object", additionalProperties={"type": "string"}),
     "mapping: an object without `properties` renders an empty group"),
    (_with("choice", anyOf=[{"type": "string"}, {"type": "integer"}]), "choice: `anyOf` is not read by the form"),
    (_with("choice", anyOf=[{"type": "string"}]), "choice: no usable `type`"),
    (_with("maybe", type=["null", "string"]), "maybe: no usable `type`"),
    (_with("nested", type=["object", "null"], properties={}), "nested: `object` inside a type list"),
    (_with("rows", type="array", items={"type": ["object", "null"]}), "rows: array items that are not string"),
    (_with("client_secret", type="string"), "client_secret: looks like a secret but is not `airbyte_secret`"),
    (_with("count", type="integer", minimum=0), "count: no maximum"),
    (_with("ratio", type="number", exclusiveMinimum=0, maximum=1), "ratio: no minimum"),
    (_with("end_date", type="string"), "end_date: a date without `format: date` / `date-time`"),
    (_with("end_date", type="string", format="date-time"), "end_date: a date without `pattern`"),
    (_with("end_date", type="string", format="date-time", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
     "end_date: the date picker writes '2024-01-31T13:45:00Z', which its own `pattern` refuses"),
    (_with("size", type="integer", minimum=1, maximum=9, default=12), "size: default 12 fails the field's own rules"),
    (_with("since_date", type="string", format="date", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$", examples=["1/2/24"]),
     "since_date: example '1/2/24' fails the field's own rules"),
    (_with("flag", type="boolean", order=1), "flag: `order` 1 is used twice at this level"),
    (_with("flag", type="boolean", order="2"), "flag: `order` '2' is not an integer"),
    (_with("flag", type="boolean", group="advanced"), "flag: group 'advanced' is not declared in `groups`"),
    (_with("token", _drop=True), "groups: 'auth' is declared but holds no field"),
    (_with("secret_stuff", type="object", properties={"inner": {"type": "string", "title": "I", "description": "d",
                                                                  "group": "auth"}}),
     "secret_stuff.inner: `group` below the top level is ignored"),
    ({**GOOD, "properties": {**GOOD["properties"], "flag": {"type": "boolean", "description": "d"}}},
     "flag: no `title` (the form labels it with the raw key `flag`)"),
    (_with("hidden", type="string", airbyte_hidden=True) | {"required": ["token", "mode", "hidden"]},
     "hidden: required but hidden, with no default"),
    (_with("mode", type="object", oneOf=[{"title": "A", "properties": {"x": {"type": "string"}}}]),
     "mode: `oneOf` options share no `const` property"),
])
def test_the_emulation_finds_what_the_form_cannot_render(spec, problem):
    assert any(found.startswith(problem) for found in form_problems(spec)), form_problems(spec)
