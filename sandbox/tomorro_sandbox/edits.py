"""POST /_sandbox/edit: the changes an account goes through that the API cannot make, for the tests that
follow a warehouse over time. None of them touches a record's `updatedAt` unless the body says so: that is
what makes them hard for a sync (Tomorro documents no event for any of them).

Body (every key optional):
    {"fields":  [{"id", "name"?, "type"?}],        rename (every language) and / or retype a smart field
     "options": [{"id", "label"}],                  rename an option (every language)
     "remove":  {"fields"|"options"|"members"|"clauses"|"contract-types": [id, ...]},
     "records": {"contracts"|"counterparties": [{"id", ...keys}]}}   raw writes, stored as given

- A renamed field: records' `fields[].name` (contracts) follow, as the API serves the current name.
- A retyped field: stored values are converted (to text: numbers as their decimal text, anything else as
  JSON text; to number: numeric text as a number, any other value dropped) [ASSUMED: the docs say nothing of
  retyping; the help centre allows single -> multiple choice].
- A renamed option: every select / multiselect value holding its default-language label takes the new one.
- Removed definitions leave the values already stored in records as they are [ASSUMED].
- `records`: each item is merged into the stored record of that id (404 for an unknown id), stamps included,
  so a test can write a late write (an `updatedAt` in the past) or a date-time with an offset.
"""

import orjson

from . import assumptions as A
from .errors import BadRequest, NotFound

REMOVABLE = ("fields", "options", "members", "clauses", "contract-types")


def edit(store, body: dict) -> dict:
    out: dict = {"fields": [], "options": [], "removed": {}, "records": {}}
    with store.lock:
        for change in _items(body, "fields"):
            out["fields"].append(_field(store, change))
        for change in _items(body, "options"):
            out["options"].append(_option(store, change))
        remove = body.get("remove") or {}
        if not isinstance(remove, dict) or set(remove) - set(REMOVABLE):
            raise BadRequest(f"remove must be an object with keys among {', '.join(REMOVABLE)}")
        for kind, ids in remove.items():
            out["removed"][kind] = _remove(store, kind, _ids(ids, f"remove.{kind}"))
        records = body.get("records") or {}
        if not isinstance(records, dict) or set(records) - {"contracts", "counterparties"}:
            raise BadRequest("records must be an object with keys among contracts, counterparties")
        for name in records:
            coll = getattr(store, name)
            out["records"][name] = [_write(coll, item, name) for item in _items(records, name)]
        store.reference_changed()
    return out


def _items(body: dict, key: str) -> list:
    items = body.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        raise BadRequest(f"{key} must be an array of objects with an id")
    return items


def _ids(ids, where: str) -> list:
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest(f"{where} must be an array of ids")
    return ids


def _field(store, change: dict) -> str:
    f = store.field(change["id"])
    if f is None:
        raise NotFound(f"Smart field with ID '{change['id']}' not found")
    if "name" in change:
        name = change["name"]
        if not isinstance(name, str) or not name:
            raise BadRequest("fields[].name must be a non-empty string")
        f["names"] = dict.fromkeys(f["names"], name)
        _rewrite_values(store, f["id"], lambda item: {**item, "name": name}, names_only=True)
    if "type" in change and change["type"] != f["type"]:
        if change["type"] not in ("text", "number"):
            raise BadRequest("fields[].type: only a change to text or number is emulated")
        convert = _to_text if change["type"] == "text" else _to_number
        f["type"] = change["type"]
        store.drop_options(f["id"])
        _rewrite_values(store, f["id"], convert)
    return f["id"]


def _option(store, change: dict) -> str:
    label = change.get("label")
    if not isinstance(label, str) or not label:
        raise BadRequest("options[].label must be a non-empty string")
    for fid, opts in store.options_by_field().items():
        for i, opt in enumerate(opts):
            if opt["id"] == change["id"]:
                opts[i] = {**opt, "translations": [{**t, "value": label} for t in opt["translations"]]}
                _rewrite_values(store, fid, _relabel(opt["translations"][0]["value"], label))
                return opt["id"]
    raise NotFound(f"Option with ID '{change['id']}' not found")


def _relabel(old: str, label: str):
    """A select value (a label) or multiselect value (labels) with `old` replaced by `label`."""
    def relabel(value):
        if isinstance(value, list):
            return [label if v == old else v for v in value]
        return label if value == old else value
    return relabel


def _remove(store, kind: str, ids: list) -> list:
    removed = []
    for rid in ids:
        if kind == "members":
            ok = store.members.delete(rid)
        elif kind == "contract-types":
            ok = store.contract_types.delete(rid)
        else:
            ok = store.remove_reference(kind, rid)
        if ok:
            removed.append(rid)
    return removed


def _write(coll, item: dict, name: str) -> str:
    old = coll.get(item["id"])
    if old is None:
        raise NotFound(f"{name}: no record with ID '{item['id']}'")
    coll.put({**old, **item})
    return item["id"]


def _rewrite_values(store, fid: str, change, *, names_only: bool = False) -> None:
    """Every stored value of field `fid` through `change` (contracts' list items whole when `names_only`)."""
    for rec in list(store.contracts.records.values()):
        items = rec.get("fields") or []
        if not any(i.get("attributeDefinitionId") == fid for i in items):
            continue
        new = [(change(i) if names_only else {**i, "value": change(i.get("value"))})
               if i.get("attributeDefinitionId") == fid else i for i in items]
        store.contracts.put({**rec, "fields": [i for i in new if names_only or i.get("value") is not None]})
    if names_only:
        return
    for rec in list(store.counterparties.records.values()):
        values = rec.get("fields") or {}
        if fid in values:
            kept = {**values, fid: change(values[fid])}
            store.counterparties.put({**rec, "fields": {k: v for k, v in kept.items() if v is not None}})


def _to_text(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return orjson.dumps(value).decode()


def _to_number(value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


assert "text" in A.FIELD_TYPES and "number" in A.FIELD_TYPES  # the two types a retype can reach
