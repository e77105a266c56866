"""Thin handlers: read parameters, call the store or the domain rules, return a Response.

Signature: handler(app, req, **path_params) -> Response. All rules live in models*.py.
"""

import uuid

from . import assumptions as A
from . import listing as L
from .collection import Collection
from .errors import BadRequest, not_found
from .formats import iso
from .models_contract import create_contract, patch_contract
from .models_counterparty import create_counterparty, patch_counterparty
from .models_records import put_custom_records
from .signed_pdfs import STORAGE_PREFIX
from .wire import Request, Response, ok, raw

# --- contracts ---


def list_contracts(app, req: Request) -> Response:
    with app.store.lock:
        return L.run_list(req, L.CONTRACTS, app.store.contracts, app.shape)


def get_contract(app, req: Request, id: str) -> Response:
    L.check_params(req.query, ())
    with app.store.lock:
        _need(app.store.contracts, id, "Contract")
        omit = app.shape.read_omit(L.CONTRACTS.path)
        if omit:
            return ok({k: v for k, v in app.store.contracts.get(id).items() if k not in omit})
        return raw(app.store.contracts.raw(id))


def post_contract(app, req: Request) -> Response:
    body = req.json()
    with app.store.lock:
        rec = create_contract(app.store, body, app.shape.dedups_creates(L.CONTRACTS.path))
    return ok(app.shape.write_echo(L.CONTRACTS.path, rec), 201)


def patch_contract_(app, req: Request, id: str) -> Response:
    body = req.json()
    with app.store.lock:
        rec = patch_contract(app.store, id, body, app.shape.null_keeps_value(L.CONTRACTS.path))
    return ok(app.shape.write_echo(L.CONTRACTS.path, rec))


def contract_signed_files(app, req: Request, id: str) -> Response:
    L.check_params(req.query, ())
    with app.store.lock:
        _need(app.store.contracts, id, "Contract")
        files = app.store.signed_files(id)
    now = app.store.clock.now()
    expires = int((now + A.SIGNED_URL_TTL_SECONDS) * 1000)
    # a fresh short-lived URL on every call, as the documentation says; served by admin.signed_file
    return ok([{**f, "downloadUrl": f"{req.root_url}{STORAGE_PREFIX}{f['id']}?expires={expires}",
                "expiresAt": iso(expires / 1000)} for f in files])


def contract_clauses(app, req: Request, id: str) -> Response:
    L.check_params(req.query, ())
    with app.store.lock:
        _need(app.store.contracts, id, "Contract")
        return ok(app.store.contract_clauses(id))


# --- counterparties and members ---


def list_counterparties(app, req: Request) -> Response:
    with app.store.lock:
        return L.run_list(req, L.COUNTERPARTIES, app.store.counterparties, app.shape)


def get_counterparty(app, req: Request, id: str) -> Response:
    L.check_params(req.query, ())
    with app.store.lock:
        _need(app.store.counterparties, id, "Counterparty")
        return raw(app.store.counterparties.raw(id))


def post_counterparty(app, req: Request) -> Response:
    body = req.json()
    with app.store.lock:
        return ok(create_counterparty(app.store, body), 201)


def patch_counterparty_(app, req: Request, id: str) -> Response:
    body = req.json()
    with app.store.lock:
        return ok(patch_counterparty(app.store, id, body, app.shape.null_keeps_value(L.COUNTERPARTIES.path)))


def list_members(app, req: Request) -> Response:
    with app.store.lock:
        return L.run_list(req, L.MEMBERS, app.store.members, app.shape)


def get_member(app, req: Request, id: str) -> Response:
    L.check_params(req.query, ())
    with app.store.lock:
        _need(app.store.members, id, "Member")
        return raw(app.store.members.raw(id))


# --- contract types and templates ---


def list_contract_types(app, req: Request) -> Response:
    with app.store.lock:
        return L.run_list(req, L.CONTRACT_TYPES, app.store.contract_types, app.shape)


def contract_type_templates(app, req: Request, id: str) -> Response:
    L.check_params(req.query, ())
    ct = app.store.contract_type(id)
    if ct is None:
        raise not_found("Contract type", id)
    return ok(ct["templates"])


def creation_form(app, req: Request, id: str) -> Response:
    L.check_params(req.query, ("templateId",))
    ct = app.store.contract_type(id)
    if ct is None:
        raise not_found("Contract type", id)
    tid = req.query.get("templateId")
    tpls = [t for t in ct["templates"] if tid in (None, t["id"])]
    if not tpls:
        raise BadRequest(f"templateId: template '{tid}' does not belong to contract type '{id}'")
    tpl = tpls[0]  # without templateId: the type's first template [ASSUMED]
    fields = [{"smartFieldId": f["id"], "typeAttributeId": str(uuid.uuid5(uuid.NAMESPACE_OID, tpl["id"] + f["id"])),
               "reasons": ["explicitMandatory"] if f["isMandatory"] else [], "required": f["isMandatory"]}
              for f in tpl["smartFields"]]
    rules = []
    if len(fields) > 1:  # one json-rules-engine rule: the second field shows once the first is set
        rules.append({"conditions": {"all": [{"fact": fields[0]["smartFieldId"], "operator": "notEqual",
                                              "value": None}]},
                      "event": {"type": "show", "params": {"smartFieldId": fields[1]["smartFieldId"]}}})
    return ok({"fields": fields, "fieldsCount": len(fields), "rules": rules})


# --- smart fields, custom objects, clauses ---


def list_smart_fields(app, req: Request) -> Response:
    lang = req.query.get("lang", A.DEFAULT_LANG)
    if lang not in A.LANGS:
        raise BadRequest(f"lang must be one of the following values: {', '.join(A.LANGS)}")
    with app.store.lock:
        return L.run_list(req, L.SMART_FIELDS, app.store.fields_in(lang), app.shape,
                          project=lambda f: {"id": f["id"], "name": f["name"], "type": f["type"]})


def list_options(app, req: Request, id: str) -> Response:
    f = app.store.field(id)
    if f is None:
        raise not_found("Smart field", id)
    if f["type"] not in A.SELECT_TYPES:
        raise BadRequest(f"smart field '{f['names']['gb']}' is of type {f['type']}; only select and "
                         "multiselect fields have options")
    with app.store.lock:
        return L.run_list(req, L.OPTIONS, app.store.options_list(id), app.shape, path=f"/smart-fields/{id}/options")


def get_custom_object(app, req: Request, id: str) -> Response:
    L.check_params(req.query, ())
    obj = app.store.custom_object(id)
    if obj is None:
        raise not_found("Custom object", id)
    return ok(obj)


def put_contract_records(app, req: Request, customObjectId: str, contractId: str) -> Response:
    body = req.json()
    with app.store.lock:
        return ok(put_custom_records(app.store, customObjectId, contractId, body))


def list_clauses(app, req: Request) -> Response:
    L.check_params(req.query, ("name",))
    term = req.query.get("name", "").lower()
    return ok([c for c in app.store.clauses() if term in c["name"].lower()])


def _need(coll: Collection, rid: str, kind: str) -> None:
    if coll.get(rid) is None:
        raise not_found(kind, rid)
