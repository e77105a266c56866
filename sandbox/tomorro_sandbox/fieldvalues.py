"""Smart-field values in write bodies: does a value fit its field's type? [ASSUMED formats]

Every message names the body path, the value, the smart field and its type, e.g.
`fields[2].value: "abc" is not a number (smart field 'Contract value', type number)`.
"""

import datetime as dt

import orjson

from . import assumptions as A


class ValueProblem(Exception):
    pass


def describe(f: dict) -> str:
    return f"(smart field '{f['names'][A.DEFAULT_LANG]}', type {f['type']})"


def _show(value) -> str:
    return orjson.dumps(value).decode()[:80]


def check_value(f: dict, value, options: list | None, integration: str | None = None):
    """-> the value as stored (select labels normalised to the default language)."""
    t = f["type"]
    if t == "text":
        if not isinstance(value, str):
            raise ValueProblem(f"{_show(value)} is not a string")
        return value
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueProblem(f"{_show(value)} is not a number")
        return value
    if t == "date":
        return _date(value)
    if t == "select":
        return _label(f, value, options or [], integration)
    if t == "multiselect":
        if not isinstance(value, list):
            raise ValueProblem(f"{_show(value)} is not an array of option labels")
        return [_label(f, v, options or [], integration) for v in value]
    if t == "richtext":
        return _slate(value)
    if t == "duration":
        return _duration(value)
    raise ValueProblem(f"fields of type {t} cannot be written")


def _date(value) -> str:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueProblem(f"{_show(value)} is not a date (YYYY-MM-DD)") from None
    return value


def _label(f: dict, value, options: list, integration: str | None) -> str:
    if isinstance(value, str):
        for opt in options:
            if any(t["value"] == value for t in opt["translations"]):
                return opt["translations"][0]["value"]
            if integration and any(m["type"] == integration and m["value"] == value
                                   for m in opt["integrationMappings"]):
                return opt["translations"][0]["value"]
    labels = ", ".join(o["translations"][0]["value"] for o in options[:8])
    more = ", …" if len(options) > 8 else ""
    raise ValueProblem(f"{_show(value)} is not an option label of this field (options: {labels}{more})")


def _slate(value) -> list:
    ok = isinstance(value, list) and all(
        isinstance(n, dict) and isinstance(n.get("type"), str) and isinstance(n.get("children"), list)
        for n in value)
    if not ok:
        raise ValueProblem(f"{_show(value)} is not rich text as Slate JSON "
                           '([{"type": "paragraph", "children": [{"text": "…"}]}])')
    return value


def _duration(value) -> dict:
    ok = (isinstance(value, dict) and set(value) == {"value", "unit"} and value["unit"] in A.DURATION_UNITS
          and isinstance(value["value"], int | float) and not isinstance(value["value"], bool)
          and value["value"] >= 0)
    if not ok:
        raise ValueProblem(f"{_show(value)} is not a duration "
                           f'({{"value": <number>, "unit": {"|".join(A.DURATION_UNITS)}}})')
    return value


def check_fields(store, entries, path: str, obj: str, id_key: str, integration: str | None,
                 errors: list) -> dict:
    """Validate `[{<id_key>, value}]`; -> {field id: stored value or None (clear)}."""
    out: dict = {}
    if not isinstance(entries, list):
        errors.append(f"{path} must be an array")
        return out
    for i, entry in enumerate(entries):
        where = f"{path}[{i}]"
        if not isinstance(entry, dict) or id_key not in entry or "value" not in entry:
            errors.append(f"{where} must be an object with {id_key} and value")
            continue
        errors.extend(f"{where}.{k} should not exist" for k in entry if k not in (id_key, "value"))
        fid = entry[id_key]
        f = store.field(fid) if isinstance(fid, str) else None
        if f is None:
            errors.append(f"{where}.{id_key}: unknown smart field '{fid}'")
            continue
        if f["object"] != obj:
            errors.append(f"{where}.{id_key}: smart field '{f['names']['gb']}' belongs to {f['object']}, not {obj}")
            continue
        if entry["value"] is None:
            if not A.NULL_VALUE_CLEARS_A_FIELD:
                errors.append(f"{where}.value should not be null")
                continue
            out[fid] = None
            continue
        try:
            out[fid] = check_value(f, entry["value"], store.options(fid), integration)
        except ValueProblem as e:
            errors.append(f"{where}.value: {e} {describe(f)}")
    return out
