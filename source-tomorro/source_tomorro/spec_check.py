"""The config checked against the connector's spec, with messages that name the field.

The CDK checks every config against the spec before `check`, `discover` and `read`
(`AirbyteEntrypoint.validate_connection`), but its message is jsonschema's alone: "51 is greater than
the maximum of 50" does not say which field. `FieldNamingEntrypoint` runs the same check (the same
draft-07 validator, no format assertions, internal `_limit`/`_page_size` keys removed) and reports each
problem as a config error that starts with the field:

    Invalid config field `page_size`: 51 is outside the allowed range 1..50.

The CDK then does what it does with any config error: a FAILED CONNECTION_STATUS for `check`, an error
TRACE and a non-zero exit for `discover` and `read`. A secret field's value is never repeated, nor a string typed
into a free-text field such as `base_url` (`_may_repeat`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import ConnectorSpecification, FailureType
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
               "object": "an object", "array": "a list"}


def config_problems(config: Mapping[str, Any], connection_specification: Mapping[str, Any]) -> list[str]:
    """One message per violation of the spec, ordered by field; empty when the config conforms."""
    connector_config, _ = split_config(config)
    errors = Draft7Validator(connection_specification).iter_errors(dict(connector_config))
    return [_describe(error) for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])]


def config_error(problems: list[str]) -> AirbyteTracedException:
    message = " ".join(problems)
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


class FieldNamingEntrypoint(AirbyteEntrypoint):
    """`AirbyteEntrypoint` whose spec check names the offending field (see the module docstring). `check` also
    runs the manifest's own config validations first (a `start_date` in the future...), which the CDK's
    `CheckStream` would otherwise report as "Encountered an error while discovering streams. Error: ..."."""

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        problems = config_problems(config, source_spec.connectionSpecification)
        if problems:
            raise config_error(problems)

    def check(self, source_spec: ConnectorSpecification, config: Any) -> Any:
        if not config_problems(config, source_spec.connectionSpecification):
            try:
                self.source.streams(config)  # where the manifest's validations run, before any request
            except AirbyteTracedException as error:
                if error.failure_type != FailureType.config_error:
                    raise
                yield error.as_connection_status_message()
                return
        yield from super().check(source_spec, config)


def _describe(error: ValidationError) -> str:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return f"Invalid config field `{'.'.join([*path, *missing[:1]])}`: it is required."
    field = ".".join(path) or "config"
    value = repr(error.instance) if _may_repeat(error) else "the value"
    return f"Invalid config field `{field}`: {_problem(error, value)}"


def _may_repeat(error: ValidationError) -> bool:
    """Whether the message may quote the value: never a secret field's, nor a string typed into a free-text string
    field (a URL may hold credentials or a token); a value the field constrains (a pattern, an enum, another type)
    is quoted, so the user sees what was refused."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if schema.get("airbyte_secret"):
        return False
    free_text = schema.get("type") in ("string", ["string"], ["string", "null"], ["null", "string"]) \
        and not schema.get("pattern") and not schema.get("enum")
    return not (free_text and isinstance(error.instance, str))


def _problem(error: ValidationError, value: str) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"{value} is not {' or '.join(_TYPE_NAMES.get(t, t) for t in wanted)}."
    if error.validator in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"{value} is outside the allowed range {low}..{high}."
        return f"{value} is {'below the minimum' if error.validator == 'minimum' else 'above the maximum'} " \
               f"{error.validator_value}."
    if error.validator == "pattern":
        expected = schema.get("pattern_descriptor") or f"the pattern {error.validator_value}"
        examples = schema.get("examples") or []
        hint = f" (e.g. {examples[0]})" if examples else ""
        return f"{value} does not match the expected format {expected}{hint}."
    if error.validator == "enum":
        return f"{value} is not one of {', '.join(map(repr, error.validator_value))}."
    if error.validator == "additionalProperties":
        return f"unknown field(s): {error.message}."
    return f"{error.message}." if value != "the value" else f"the value does not satisfy `{error.validator}`."
