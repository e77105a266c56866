"""Write rule of custom-object records: PUT /custom-objects/{id}/contract/{contractId}/records
upserts a contract's rows (columns checked by type) and bumps the contract's updatedAt."""

from .bodies import object_body
from .errors import BadRequest, not_found
from .formats import new_id


def put_custom_records(store, coid: str, cid: str, body) -> dict:
    obj = store.custom_object(coid)
    if obj is None:
        raise not_found("Custom object", coid)
    contract = store.contracts.get(cid)
    if contract is None:
        raise not_found("Contract", cid)
    body, errors = object_body(body), []
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
