"""Write rules of counterparties: create and PATCH bodies, and keeping the names embedded in
contracts true on a rename."""

from . import assumptions as A
from .bodies import forbid_unknown, object_body, string_field
from .errors import BadRequest, not_found
from .fieldvalues import check_fields
from .formats import new_id

_CP_KEYS = {"name", "status", "attributes"}


def _cp_common(store, body: dict, errors: list, required: bool):
    forbid_unknown(body, _CP_KEYS, errors)
    # on PATCH the name is optional, but a given name must still be a non-empty string
    name = string_field(body, "name", errors, required=required or "name" in body)
    status = body.get("status")
    if status is not None and status not in A.COUNTERPARTY_STATUSES:
        errors.append(f"status must be one of the following values: {', '.join(A.COUNTERPARTY_STATUSES)}")
    attrs = check_fields(store, body.get("attributes", []), "attributes", "external_party",
                         "attributeDefinitionId", None, errors)
    return name, status, attrs


def create_counterparty(store, body) -> dict:
    body, errors = object_body(body), []
    name, status, attrs = _cp_common(store, body, errors, required=True)
    if errors:
        raise BadRequest(errors)
    now = store.clock.now_iso()
    rec = {"id": new_id(store.id_rng), "name": name, "status": status or "active", "logoUrl": None,
           "fields": {k: v for k, v in attrs.items() if v is not None}, "createdAt": now, "updatedAt": now}
    store.counterparties.put(rec)
    return rec


def patch_counterparty(store, cpid: str, body, null_keeps: bool = False) -> dict:
    """Same body as create, all optional [ASSUMED]; attributes merge by id, `value: null` clears (keeps with
    the API profile null-keeps-value)."""
    old = store.counterparties.get(cpid)
    if old is None:
        raise not_found("Counterparty", cpid)
    body, errors = object_body(body), []
    name, status, attrs = _cp_common(store, body, errors, required=False)
    if errors:
        raise BadRequest(errors)
    fields = dict(old["fields"])
    for fid, value in attrs.items():
        if value is None:
            if not null_keeps:
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
