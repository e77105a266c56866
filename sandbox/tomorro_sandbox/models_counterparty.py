"""Domain rules for counterparty writes and custom-object records (the rest of models.py)."""

from . import assumptions as A
from .errors import BadRequest, not_found
from .fieldvalues import check_fields
from .models import _CP_KEYS, _object_body, _str, _unknown_keys
from .seed import new_id


def _cp_common(store, body: dict, errors: list, required: bool):
    _unknown_keys(body, _CP_KEYS, errors)
    # on PATCH the name is optional, but a given name must still be a non-empty string
    name = _str(body, "name", errors, required=required or "name" in body)
    status = body.get("status")
    if status is not None and status not in A.COUNTERPARTY_STATUSES:
        errors.append(f"status must be one of the following values: {', '.join(A.COUNTERPARTY_STATUSES)}")
    attrs = check_fields(store, body.get("attributes", []), "attributes", "external_party",
                         "attributeDefinitionId", None, errors)
    return name, status, attrs


def create_counterparty(store, body) -> dict:
    body, errors = _object_body(body), []
    name, status, attrs = _cp_common(store, body, errors, required=True)
    if errors:
        raise BadRequest(errors)
    now = store.clock.now_iso()
    rec = {"id": new_id(store.id_rng), "name": name, "status": status or "active", "logoUrl": None,
           "fields": {k: v for k, v in attrs.items() if v is not None}, "createdAt": now, "updatedAt": now}
    store.counterparties.put(rec)
    return rec


def patch_counterparty(store, cpid: str, body) -> dict:
    """Same body as create, all optional [ASSUMED]; attributes merge by id, `value: null` clears."""
    old = store.counterparties.get(cpid)
    if old is None:
        raise not_found("Counterparty", cpid)
    body, errors = _object_body(body), []
    name, status, attrs = _cp_common(store, body, errors, required=False)
    if errors:
        raise BadRequest(errors)
    fields = dict(old["fields"])
    for fid, value in attrs.items():
        if value is None:
            fields.pop(fid, None)
        else:
            fields[fid] = value
    new = {**old, "name": name or old["name"], "status": status or old["status"], "fields": fields,
           "updatedAt": store.clock.now_iso()}
    store.counterparties.put(new)
    if new["name"] != old["name"]:
        _rename_in_contracts(store, cpid, new["name"])
    return new


def _rename_in_contracts(store, cpid: str, name: str) -> None:
    # contracts embed {id, name}; keep them true without bumping their updatedAt [ASSUMED]
    for c in list(store.contracts.records.values()):
        if c["counterparty"] and c["counterparty"]["id"] == cpid:
            store.contracts.put({**c, "counterparty": {"id": cpid, "name": name}})


def put_custom_records(store, coid: str, cid: str, body) -> dict:
    obj = store.d.custom_objects.get(coid)
    if obj is None:
        raise not_found("Custom object", coid)
    contract = store.contracts.get(cid)
    if contract is None:
        raise not_found("Contract", cid)
    body, errors = _object_body(body), []
    records = body.get("records")
    if not isinstance(records, list):
        raise BadRequest("records must be an array")
    columns = {c["id"]: c for c in obj["smart_fields"]}
    existing = {r["id"]: r for r in store.custom_records.get((coid, cid), [])}
    for i, rec in enumerate(records):
        _check_record(rec, i, columns, existing, errors)
    if errors:
        raise BadRequest(errors)
    for rec in records:
        rid = rec.get("id") or new_id(store.id_rng)
        existing[rid] = {"id": rid, "fromCatalogRecordId": rec.get("fromCatalogRecordId"),
                         "fields": [{"smartFieldId": f["smartFieldId"], "value": f["value"]}
                                    for f in rec.get("fields", [])]}
    store.custom_records[(coid, cid)] = list(existing.values())
    store.contracts.put({**contract, "updatedAt": store.clock.now_iso()})
    return {"records": store.custom_records[(coid, cid)]}


def _check_record(rec, i: int, columns: dict, existing: dict, errors: list) -> None:
    where = f"records[{i}]"
    if not isinstance(rec, dict):
        errors.append(f"{where} must be an object")
        return
    if rec.get("id") is not None and (not isinstance(rec["id"], str) or rec["id"] not in existing):
        errors.append(f"{where}.id: record '{rec['id']}' not found on this contract")
    if not isinstance(rec.get("fields", []), list):
        errors.append(f"{where}.fields must be an array")
        return
    for j, f in enumerate(rec.get("fields", [])):
        sfid = f.get("smartFieldId") if isinstance(f, dict) else None
        col = columns.get(sfid) if isinstance(sfid, str) else None
        if col is None:
            errors.append(f"{where}.fields[{j}].smartFieldId: unknown column of this custom object")
            continue
        value = f.get("value")
        ok = value is None or (isinstance(value, str) if col["type"] == "string"
                               else isinstance(value, int | float) and not isinstance(value, bool))
        if not ok:
            errors.append(f"{where}.fields[{j}].value: {value!r} is not a {col['type']} (column '{col['name']}')")
