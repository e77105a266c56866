"""Write rules of contracts: create and PATCH bodies, status transitions, updatedAt stamping.

Handlers stay thin; everything a real server would refuse is refused here, with NestJS-style
messages that name the offending field. Records are rebuilt, never mutated (see collection.py).
"""

from . import assumptions as A
from .bodies import forbid_unknown, member_by_id, object_body, string_field
from .errors import BadRequest, Conflict, Unprocessable, not_found
from .fieldvalues import check_fields
from .filters import is_uuid, parse_instant
from .formats import member_ref, new_id

_CREATE_KEYS = {"templateId", "counterparty", "name", "signatories", "fields", "contractMembers",
                "contractMembersIds", "contractTypeId", "folderId", "referentId", "supervisorId", "integration"}
_PATCH_KEYS = {"name", "status", "folderId", "counterparty", "signatureDate", "signatories", "fields",
               "contractMembersIds", "integration"}


def _folder(body: dict, errors: list):
    v = body.get("folderId")
    if v is not None and not is_uuid(v):
        errors.append(f"folderId must be a UUID, got '{v}'")
    return v


# --- counterparty reference inside a contract body -----------------------------------------


def _counterparty_ref(store, ref, errors: list, now: str):
    if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
        errors.append("counterparty must be an object with id or name")
        return None
    errors.extend(f"counterparty.{k} should not exist" for k in ref if k not in ("id", "name"))
    if ref.get("id"):
        cp = store.counterparties.get(ref["id"]) if isinstance(ref["id"], str) else None
        if cp is None:
            errors.append(f"counterparty.id: counterparty '{ref['id']}' not found")
        return cp
    if not isinstance(ref["name"], str):
        errors.append("counterparty.name must be a string")
        return None
    # {name} creates a new counterparty, as documented, even when the name exists already
    return {"id": new_id(store.id_rng), "name": ref["name"], "status": "active", "logoUrl": None, "fields": {},
            "createdAt": now, "updatedAt": now}


def _signatories(store, raw, errors: list) -> list | None:
    if raw is None:
        return None
    # the documented object form, or the alpha example's list of such objects (a doc bug)
    parts = raw if isinstance(raw, list) else [raw]
    out = []
    for part in parts:
        if not isinstance(part, dict):
            errors.append("signatories must be an object {internalSignatoryMemberIds, externalSignatoryEmailList}")
            return None
        low = {k[:1].lower() + k[1:]: v for k, v in part.items()}
        errors.extend(f"signatories.{k} should not exist" for k in low
                      if k not in ("internalSignatoryMemberIds", "externalSignatoryEmailList"))
        bad = [k for k in ("internalSignatoryMemberIds", "externalSignatoryEmailList")
               if not isinstance(low.get(k) or [], list)]
        if bad:
            errors.extend(f"signatories.{k} must be an array" for k in bad)
            return None
        for i, mid in enumerate(low.get("internalSignatoryMemberIds") or []):
            m = member_by_id(store, mid, f"signatories.internalSignatoryMemberIds[{i}]", errors)
            if m:
                u = m["user"]
                out.append({"id": new_id(store.id_rng), "name": f"{u['firstname']} {u['lastname']}",
                            "email": u["email"], "type": "member"})
        for i, email in enumerate(low.get("externalSignatoryEmailList") or []):
            if not isinstance(email, str) or "@" not in email:
                errors.append(f"signatories.externalSignatoryEmailList[{i}] must be an email")
                continue
            out.append({"id": new_id(store.id_rng), "name": email.split("@")[0], "email": email, "type": "external"})
    return out


def _integration(raw, errors: list):
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("type") not in A.INTEGRATION_TYPES:
        errors.append(f"integration.type must be one of the following values: {', '.join(A.INTEGRATION_TYPES)}")
        return None
    if not isinstance(raw.get("externalId"), str) or not raw["externalId"]:
        errors.append("integration.externalId must be a non-empty string")
        return None
    errors.extend(f"integration.{k} should not exist" for k in raw
                  if k not in ("type", "externalId", "externalEntity", "externalUrl"))
    return {"type": raw["type"], "externalId": raw["externalId"],
            "externalEntity": raw.get("externalEntity"), "externalUrl": raw.get("externalUrl")}


def _merge_fields(current: list, changes: dict, store, null_keeps: bool = False) -> list:
    by_id = {f["attributeDefinitionId"]: f for f in current}
    for fid, value in changes.items():
        if value is None:
            if not null_keeps:  # the API profile null-keeps-value: accepted, nothing cleared
                by_id.pop(fid, None)
        else:
            by_id[fid] = {"attributeDefinitionId": fid, "name": store.field(fid)["names"][A.DEFAULT_LANG],
                          "value": value}
    return list(by_id.values())


# --- contracts -------------------------------------------------------------------------------


def create_contract(store, body, dedup: bool) -> dict:
    body, errors = object_body(body), []
    now = store.clock.now_iso()
    forbid_unknown(body, _CREATE_KEYS, errors)
    ct, tpl = _template_of(store, body, errors)
    if "counterparty" not in body:
        errors.append("counterparty should not be empty")
    cp = _counterparty_ref(store, body["counterparty"], errors, now) if "counterparty" in body else None
    name = string_field(body, "name", errors)
    integration = _integration(body.get("integration"), errors)
    fields = check_fields(store, body.get("fields", []), "fields", "contract", "fieldId",
                          integration and integration["type"], errors)
    signatories = _signatories(store, body.get("signatories"), errors) or []
    members = _contract_members(store, body, errors)
    refs = {k: member_by_id(store, body[k], k, errors) if body.get(k) is not None else None
            for k in ("referentId", "supervisorId")}
    folder = _folder(body, errors)
    if errors:
        raise BadRequest(errors)
    _check_duplicate(store, integration, dedup)
    if cp["id"] not in store.counterparties.records:
        store.counterparties.put(cp)
    author = next(m for m in store.members.records.values() if m["role"] == "ADMIN")  # the key's owner [ASSUMED]
    rec = {
        "id": new_id(store.id_rng), "name": name or tpl["name"], "status": "draft",
        "counterparty": {"id": cp["id"], "name": cp["name"]},
        "contractType": {"id": ct["id"], "name": ct["name"]},
        "template": {"id": tpl["id"], "name": tpl["name"]}, "templateId": tpl["id"],
        "author": member_ref(author),
        "referent": member_ref(refs["referentId"]) if refs["referentId"] else None,
        "supervisor": member_ref(refs["supervisorId"]) if refs["supervisorId"] else None,
        "folderId": folder, "startAt": None, "endAt": None, "signatureDate": None,
        "fields": _merge_fields([], fields, store), "signatories": signatories,
        "contractMembers": members or [], "integration": integration,
        "createdAt": now, "updatedAt": now,
    }
    store.contracts.put(rec)
    if integration:
        store.external_ids.setdefault((integration["type"], integration["externalId"]), rec["id"])
    return rec


def _template_of(store, body: dict, errors: list):
    """The template (and its contract type) a create body names; contractTypeId must own it."""
    tid = string_field(body, "templateId", errors, required=True)
    ct, tpl = store.template(tid) if tid else (None, None)
    if tid and tpl is None:
        errors.append(f"templateId: template '{tid}' not found")
    ctid = body.get("contractTypeId")
    if ctid is not None and not isinstance(ctid, str):
        errors.append("contractTypeId must be a string")
    elif ctid is not None and store.contract_type(ctid) is None:
        errors.append(f"contractTypeId: contract type '{ctid}' not found")
    elif ctid is not None and ct is not None and ct["id"] != ctid:
        errors.append(f"templateId: template '{tid}' does not belong to contract type '{ctid}'")
    return ct, tpl


def _check_duplicate(store, integration, dedup: bool) -> None:
    # only with the API profile dedup-external-id: nothing documents idempotency, so by default a repeat creates
    if dedup and integration and (integration["type"], integration["externalId"]) in store.external_ids:
        existing = store.external_ids[(integration["type"], integration["externalId"])]
        raise Conflict(f"A contract with integration.externalId '{integration['externalId']}' "
                       f"already exists: {existing}")


def _contract_members(store, body: dict, errors: list) -> list | None:
    if "contractMembers" in body:
        raw = body["contractMembers"]
        ids = [e.get("memberId") if isinstance(e, dict) else None for e in raw] if isinstance(raw, list) else None
        path = "contractMembers"
    elif "contractMembersIds" in body:
        ids, path = body["contractMembersIds"], "contractMembersIds"
    else:
        return None
    if not isinstance(ids, list):
        errors.append(f"{path} must be an array")
        return None
    found = [member_by_id(store, mid, f"{path}[{i}]", errors) for i, mid in enumerate(ids)]
    return [member_ref(m) for m in found if m]


def _status(current: str, target, errors: list) -> None:
    if target not in A.CONTRACT_STATUSES:
        errors.append(f"status must be one of the following values: {', '.join(A.CONTRACT_STATUSES)}")
        return
    if target == current:
        return
    if current in A.FINAL_STATUSES:
        raise Unprocessable(f"status: a {current} contract cannot move to {target}")
    if target not in A.PATCHABLE_TARGET_STATUSES:
        raise Unprocessable(f"status: a contract becomes {target} only through the signature process")


def patch_contract(store, cid: str, body, null_keeps: bool = False) -> dict:
    old = store.contracts.get(cid)
    if old is None:
        raise not_found("Contract", cid)
    body, errors = object_body(body), []
    now = store.clock.now_iso()
    forbid_unknown(body, _PATCH_KEYS, errors)
    new = dict(old)
    if "status" in body:
        _status(old["status"], body["status"], errors)
        new["status"] = body["status"]
    if "name" in body:
        new["name"] = string_field(body, "name", errors, required=True) or old["name"]
    if "folderId" in body:
        new["folderId"] = _folder(body, errors)
    cp = _counterparty_ref(store, body["counterparty"], errors, now) if "counterparty" in body else None
    if "signatureDate" in body:
        new["signatureDate"] = _instant(body["signatureDate"], "signatureDate", errors)
    if "signatories" in body:
        new["signatories"] = _signatories(store, body["signatories"], errors) or []
    members = _contract_members(store, body, errors)
    if members is not None:
        new["contractMembers"] = members
    itype = _patch_integration(body, errors)
    if "fields" in body:
        changes = check_fields(store, body["fields"], "fields", "contract", "fieldId", itype, errors)
        new["fields"] = _merge_fields(old["fields"], changes, store, null_keeps)
    if errors:
        raise BadRequest(errors)
    if cp is not None:
        if cp["id"] not in store.counterparties.records:
            store.counterparties.put(cp)
        new["counterparty"] = {"id": cp["id"], "name": cp["name"]}
    new["updatedAt"] = now
    store.contracts.put(new)
    return new


def _patch_integration(body: dict, errors: list) -> str | None:
    """PATCH's `integration` is `{type}` only: it picks the option mappings for `fields` and cannot
    relink the contract (other keys -> 400, NestJS forbidNonWhitelisted on the nested DTO)."""
    if "integration" not in body:
        return None
    raw = body["integration"]
    itype = raw.get("type") if isinstance(raw, dict) else None
    if itype not in A.INTEGRATION_TYPES:
        errors.append(f"integration.type must be one of the following values: {', '.join(A.INTEGRATION_TYPES)}")
        return None
    errors.extend(f"integration.{k} should not exist" for k in raw if k != "type")
    return itype


def _instant(value, path: str, errors: list):
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise BadRequest("")
        return parse_instant(value, path)[0]
    except BadRequest:
        errors.append(f"{path} must be an ISO-8601 date-time, got {value!r}")
        return None
