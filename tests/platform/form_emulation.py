"""A connector spec rendered the way the Airbyte UI's connector form renders it, and what a user of that
form could not fill in.

A small emulation of the form builder, written from airbytehq/airbyte-platform at commit
310e6cb6ac0e7bd310fe99bfd505d5c36ba71f2e (2026-08-21), files under airbyte-webapp/src/:

- `core/form/schemaToFormBlock.ts` (`jsonSchemaToFormBlock`): a `oneOf` becomes a condition whose options
  must be objects sharing a `const` property (else the form fails to build); `type: "array"` with
  `items.type === "object"` becomes a list of sub-forms; `type === "object"` (the string, not a list)
  becomes a group of its `properties` (none: a group with nothing in it); anything else becomes one
  field whose type is `type` (the first entry of a type list, `"null"` when missing). `anyOf`, `allOf`
  and `additionalProperties` are not read.
- `area/connector/components/ConnectorForm/components/Property/Control.tsx`: which control a field gets.
  An array without `enum` is a tag input (string, number or integer tags); `string` with `format: date`
  or `date-time` is a date picker (`date-time` adds the time; a pattern ending `.[0-9]{3}Z$` or
  `.[0-9]{6}Z$` adds milliseconds or microseconds); `enum` a list box; `airbyte_secret` a secret input;
  integer and number a number input; `boolean` a switch (`Sections/PropertySection.tsx`); else a text box.
- `components/ui/DatePicker/DatePicker.tsx` and `utils.ts`: the picker writes `YYYY-MM-DDTHH:mm:ss[Z]`
  (or `.SSS[Z]`, `.SSSSSS[Z]`), `YYYY-MM-DD`, or `YYYY-MM` when the pattern is `^[0-9]{4}-[0-9]{2}$`.
- `core/form/schemaToYup.ts`: the form validates `pattern` (JavaScript RegExp, search semantics),
  `minimum` / `maximum` (not `exclusiveMinimum` / `exclusiveMaximum`), `enum` and `required`.
- `area/connector/components/ConnectorForm/useBuildForm.tsx`, `utils.ts` (`OrderComparator`) and
  `Sections/useGroupsAndSections.tsx`: top-level fields are split into cards by `group`, in the order of
  the spec's `groups` list (`{id, title}`; an undeclared group is a card without a title, placed after the
  declared ones); `group` below the top level is ignored. Within a card, required fields come first, then
  integer `order`, then the field name. `airbyte_hidden` fields are not shown. The label is `title`, else
  the raw key; `description` and `examples` are the tooltip.

Python's `re` stands in for JavaScript's RegExp (the patterns used here mean the same in both).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator

SECRET_NAME = re.compile(r"(^|_)(api_?key|apikey|token|secret|password|passwd|private_key|access_key)($|_)")
DATE_NAME = re.compile(r"(^|_)(date|datetime|timestamp)($|_)|_at$")
TAG_TYPES = {"string", "number", "integer"}


@dataclass
class Block:
    kind: str  # "field", "group", "list" (array of objects) or "condition" (oneOf)
    path: str
    schema: Mapping[str, Any]
    type: str = "null"
    children: list[Block] = field(default_factory=list)
    required: bool = False


def build(schema: Any, key: str = "", path: str = "", parent: Mapping[str, Any] | None = None) -> Block:
    """`jsonSchemaToFormBlock`: the tree of form blocks for a JSON schema."""
    required = bool(parent is not None and key in (parent.get("required") or []))
    if not isinstance(schema, Mapping):
        return Block("field", path or key, {}, "null", required=required)
    if schema.get("oneOf"):
        options = [build({**option, "type": schema.get("type")}, key, path) if isinstance(option, Mapping)
                   else Block("field", path, {}) for option in schema["oneOf"]]
        return Block("condition", path or key, schema, children=options, required=required)
    items = schema.get("items")
    if schema.get("type") == "array" and isinstance(items, Mapping) and items.get("type") == "object":
        return Block("list", path or key, schema, "array", [build(items, key, path)], required)
    if schema.get("type") == "object":
        children = [build(sub, name, f"{path}.{name}" if path else name, schema)
                    for name, sub in (schema.get("properties") or {}).items()]
        return Block("group", path or key, schema, "object", children, required)
    kind = schema.get("type")
    return Block("field", path or key, schema, (kind[0] if isinstance(kind, list) and kind else kind) or "null",
                 required=required)


def control(block: Block) -> str:
    """`Control.tsx` / `PropertySection.tsx`: the control a field is rendered with."""
    schema = block.schema
    if block.type == "boolean":
        return "switch"
    if block.type == "array":
        return "multi-select" if _enum(schema) else "tag input"
    if block.type == "string" and schema.get("format") in ("date", "date-time"):
        return "date-time picker" if schema["format"] == "date-time" else "date picker"
    if "enum" in schema:
        return "list box"
    if schema.get("multiline") and not schema.get("airbyte_secret"):
        return "text area"
    if schema.get("airbyte_secret"):
        return "secret input"
    return "number input" if block.type in ("integer", "number") else "text box"


def picker_output(schema: Mapping[str, Any]) -> str:
    """What the date picker writes for 2024-01-31 13:45 (`DatePicker.tsx`, `utils.ts`)."""
    pattern = schema.get("pattern") or ""
    if schema.get("format") == "date-time":
        if pattern.endswith(".[0-9]{3}Z$"):
            return "2024-01-31T13:45:00.000Z"
        return "2024-01-31T13:45:00.000000Z" if pattern.endswith(".[0-9]{6}Z$") else "2024-01-31T13:45:00Z"
    return "2024-01" if pattern == "^[0-9]{4}-[0-9]{2}$" else "2024-01-31"


def outline(spec: Mapping[str, Any]) -> list[tuple[str | None, list[str]]]:
    """The form's cards, in order, each with its fields in order as `name: control[, required]`."""
    titles = {g.get("id"): g.get("title") for g in spec.get("groups") or [] if isinstance(g, Mapping)}
    declared = list(titles)
    cards: dict[str, list[Block]] = {}
    for block in build(spec).children:
        if not block.schema.get("airbyte_hidden"):
            cards.setdefault(block.schema.get("group") or "default", []).append(block)
    order = sorted(cards, key=lambda g: (g not in declared, declared.index(g) if g in declared else 0, g))
    return [(titles.get(group), [_line(b) for b in sorted(cards[group], key=_ui_order)]) for group in order]


def form_problems(spec: Mapping[str, Any]) -> list[str]:
    """Everything that keeps the form from being filled in as the spec intends, as `path: problem`."""
    problems: list[str] = []
    root = build(spec)
    if root.kind != "group":
        return ["spec: the top level is not an object (the form does not build)"]
    problems += _group_problems(spec, root)
    _walk(root, problems, top_level=True)
    return problems


def _walk(block: Block, problems: list[str], top_level: bool = False) -> None:
    siblings = [child for child in block.children if block.kind == "group"]
    orders = [child.schema.get("order") for child in siblings if "order" in child.schema]
    for child in siblings:
        value = child.schema.get("order")
        if "order" in child.schema and (not isinstance(value, int) or isinstance(value, bool)):
            problems.append(f"{child.path}: `order` {value!r} is not an integer (the form ignores it)")
        elif "order" in child.schema and orders.count(value) > 1:
            problems.append(f"{child.path}: `order` {value} is used twice at this level")
        if not top_level and "group" in child.schema:
            problems.append(f"{child.path}: `group` below the top level is ignored by the form")
    for child in block.children:
        if block.kind in ("condition", "list"):
            _walk(child, problems)  # a oneOf option or the item form: only what they hold is checked
            continue
        problems += _block_problems(child)
        _walk(child, problems)


def _block_problems(block: Block) -> list[str]:
    schema, path = block.schema, block.path
    found = [f"{path}: `{key}` is not read by the form" for key in ("anyOf", "allOf", "not") if key in schema]
    name = path.rsplit(".", 1)[-1]
    if schema.get("airbyte_hidden") and block.required and "default" not in schema and "const" not in schema:
        found.append(f"{path}: required but hidden, with no default (nobody can fill it in)")
    if block.kind == "condition":
        return found + _condition_problems(block)
    if block.kind == "group" and not block.children:
        found.append(f"{path}: an object without `properties` renders an empty group with nothing to type into")
    if block.kind == "list" and not block.children[0].children:
        found.append(f"{path}: list items without `properties` render empty sub-forms")
    if not schema.get("title"):
        found.append(f"{path}: no `title` (the form labels it with the raw key `{name}`)")
    if not schema.get("description"):
        found.append(f"{path}: no `description` (the field has no help tooltip)")
    if block.kind != "field":
        return found
    return found + _field_problems(block, name)


def _field_problems(block: Block, name: str) -> list[str]:
    schema, path, kind = block.schema, block.path, block.type
    found = []
    if kind == "null":
        found.append(f"{path}: no usable `type` (missing, or `null` first): an untyped text box")
    elif kind == "object":
        found.append(f"{path}: `object` inside a type list renders as a text box")
    elif kind == "array" and not _enum(schema) and _item_type(schema) not in TAG_TYPES:
        found.append(f"{path}: array items that are not string, number or integer render as text tags")
    if SECRET_NAME.search(name) and not schema.get("airbyte_secret"):
        found.append(f"{path}: looks like a secret but is not `airbyte_secret` (shown in clear)")
    if schema.get("airbyte_secret") and kind != "string":
        found.append(f"{path}: `airbyte_secret` on a {kind} field")
    if kind in ("integer", "number"):
        missing = [bound for bound in ("minimum", "maximum") if bound not in schema]
        if missing:
            found.append(f"{path}: no {' / '.join(missing)} (the form validates only `minimum` / `maximum`)")
    if kind == "string" and (DATE_NAME.search(name) or schema.get("format") in ("date", "date-time")):
        found += _date_problems(schema, path)
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except re.error as error:
            found.append(f"{path}: `pattern` does not compile ({error})")
            return found
    for label, values in (("default", [schema["default"]] if "default" in schema else []),
                          ("example", schema.get("examples") or [])):
        for value in values:
            for error in Draft7Validator(schema).iter_errors(value):
                found.append(f"{path}: {label} {value!r} fails the field's own rules ({error.message})")
    return found


def _date_problems(schema: Mapping[str, Any], path: str) -> list[str]:
    if schema.get("format") not in ("date", "date-time"):
        return [f"{path}: a date without `format: date` / `date-time` gets a text box, not a date picker"]
    if "pattern" not in schema:
        return [f"{path}: a date without `pattern`: the form accepts any text in the picker's input"]
    written = picker_output(schema)
    if not re.search(schema["pattern"], written):
        return [f"{path}: the date picker writes {written!r}, which its own `pattern` refuses"]
    return []


def _condition_problems(block: Block) -> list[str]:
    if any(option.kind != "group" for option in block.children):
        return [f"{block.path}: a `oneOf` option is not an object (the form does not build)"]
    shared = None
    for option in block.children:
        consts = {child.path.rsplit(".", 1)[-1] for child in option.children if "const" in child.schema}
        shared = consts if shared is None else shared & consts
    return [] if shared else [f"{block.path}: `oneOf` options share no `const` property (the form does not build)"]


def _group_problems(spec: Mapping[str, Any], root: Block) -> list[str]:
    declared = [g.get("id") for g in spec.get("groups") or [] if isinstance(g, Mapping)]
    titled = {g.get("id") for g in spec.get("groups") or [] if isinstance(g, Mapping) and g.get("title")}
    used = {child.schema.get("group") for child in root.children if child.schema.get("group")}
    found = [f"{child.path}: group {child.schema['group']!r} is not declared in `groups` (a card with no title)"
             for child in root.children if child.schema.get("group") and child.schema["group"] not in declared]
    found += [f"groups: {group!r} is declared but holds no field" for group in declared if group not in used]
    found += [f"groups: {group!r} has no `title`" for group in declared if group not in titled]
    return found


def _item_type(schema: Mapping[str, Any]) -> str | None:
    # schemaToFormBlock.ts reads `items.type` only when it is a single type name
    items = schema.get("items")
    kind = items.get("type") if isinstance(items, Mapping) else None
    return kind if isinstance(kind, str) else None


def _enum(schema: Mapping[str, Any]) -> bool:
    items = schema.get("items")
    return bool(schema.get("enum") or (isinstance(items, Mapping) and items.get("enum")))


def _ui_order(block: Block) -> tuple:
    # OrderComparator: required (and groups, conditions, always_show) first; then integer order; then name
    first = block.required or block.kind in ("group", "condition") or bool(block.schema.get("always_show"))
    order = block.schema.get("order")
    has_order = isinstance(order, int) and not isinstance(order, bool)
    return (not first, not has_order, order if has_order else 0, block.path)


def _line(block: Block) -> str:
    shown = control(block) if block.kind == "field" else block.kind
    return f"{block.path}: {shown}" + (", required" if block.required else "")
