"""The admin API under /_sandbox/ (no API key, never faulted, not counted in stats)."""

import random
import time

from . import assumptions as A
from . import signed_pdfs as pdfs
from .edits import edit as apply_edit
from .errors import BadRequest, NotFound
from .ground_truth import COLLECTIONS
from .models_contract import create_contract
from .models_counterparty import create_counterparty
from .profiles import ApiShape, ProfileError, known_profiles
from .routes import API, Router
from .seed import SeedOptions
from .wire import Request, Response, ok, raw


def _body(req: Request) -> dict:
    if not req.raw_body:
        return {}
    body = req.json()
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def health(app, req):
    return ok({"status": "ok"})


def stats(app, req):
    return ok(app.stats.to_dict())


def stats_reset(app, req):
    app.stats.reset()
    return ok(app.stats.to_dict())


def get_faults(app, req):
    return ok(app.faults.settings.to_dict())


def post_faults(app, req):
    try:
        return ok(app.faults.update(**_body(req)))
    except (ValueError, TypeError) as e:
        raise BadRequest(str(e)) from None


def script(app, req):
    """POST {"method", "path": a /v2 route template, "outcomes": [...]} queues outcomes for that route's next
    requests (faults.Script); GET lists what is still queued. /_sandbox/reset clears them."""
    if req.method == "POST":
        body = _body(req)
        method, path, outcomes = body.get("method"), body.get("path"), body.get("outcomes")
        if (method, path) not in {(m, t) for m, t, _, _ in API.routes}:
            raise BadRequest(f"{method} {path} is not a route of the API (give its template, e.g. /v2/contracts/{{id}})")
        if not isinstance(outcomes, list):
            raise BadRequest("outcomes must be an array")
        try:
            app.script.add(method, path, outcomes)
        except ValueError as e:
            raise BadRequest(str(e)) from None
    return ok(app.script.to_dict())


def moves(app, req):
    """POST {"when": {"method", "path", "query"?}, "contracts"?, "counterparties"?: [{"id", "status"}]} cues status
    moves on a request (moves.py); GET lists the moves not fired yet. /_sandbox/reset clears them."""
    if req.method == "POST":
        return ok(app.moves.add(_body(req), {(m, t) for m, t, _, _ in API.routes}, app.store))
    return ok(app.moves.to_list())


def requests_log(app, req):
    """The last /v2 requests as sent, oldest first; `method` and `path` (a route template) filter them."""
    return ok(app.stats.requests(req.query.get("method"), req.query.get("path")))


def _counts(body: dict, *names: str) -> dict:
    out = {}
    for name in names:
        v = body.get(name, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise BadRequest(f"{name} must be a non-negative integer")
        out[name] = v
    return out


def mutate(app, req):
    body = _counts(_body(req), "contracts", "counterparties", "create", "create_counterparties")
    st = app.store
    with st.lock:
        app.mutations += 1
        rng = random.Random(f"{st.opts.seed}-{app.mutations}")
        now = st.clock.now_iso()  # one shared instant: ties on updatedAt on purpose
        out = {"contracts": {"updated": [], "created": []}, "counterparties": {"updated": [], "created": []},
               "updatedAt": now}
        for name, coll in (("contracts", st.contracts), ("counterparties", st.counterparties)):
            k = min(body[name], len(coll))
            for rid in rng.sample(sorted(coll.records), k):
                coll.put({**coll.records[rid], "updatedAt": now})
                out[name]["updated"].append(rid)
        for _ in range(body["create_counterparties"]):
            cp = _new_counterparty(app, rng, now)
            out["counterparties"]["created"].append(cp["id"])
        for _ in range(body["create"]):
            out["contracts"]["created"].append(_new_contract(app, rng, now)["id"])
    return ok(out)


def _new_counterparty(app, rng, now: str) -> dict:
    rec = create_counterparty(app.store, {"name": f"Mutated Partner {rng.randrange(10**6)}"})
    rec = {**rec, "createdAt": now, "updatedAt": now}
    app.store.counterparties.put(rec)
    return rec


def _new_contract(app, rng, now: str) -> dict:
    st = app.store
    tid = rng.choice(st.template_ids())
    cps = st.counterparties.records
    ref = {"id": rng.choice(sorted(cps))} if cps else {"name": "Mutated Partner"}
    rec = create_contract(st, {"templateId": tid, "counterparty": ref}, dedup=False)
    rec = {**rec, "createdAt": now, "updatedAt": now}
    st.contracts.put(rec)
    return rec


def reset(app, req):
    body = _body(req)
    base = app.config.seed
    unknown = sorted(set(body) - set(base.__dict__))
    if unknown:
        raise BadRequest(f"unknown seed options: {', '.join(unknown)} (known: {', '.join(base.__dict__)})")
    try:
        opts = SeedOptions(**{**base.__dict__, **body, **_counts(body, *(k for k in body if k != "updated_skew"))})
    except ValueError as e:  # updated_skew
        raise BadRequest(str(e)) from None
    app.store.load(opts)
    app.faults.reset_rng(opts.seed)
    app.shape = ApiShape(app.config.api_profiles)
    app.script.clear()
    app.moves.clear()
    app.mutations = 0
    app.webhooks.clear_pending()
    return ok({"status": "ok", "options": opts.__dict__, "counts": app.store.counts()})


def records(app, req, collection: str):
    fn = COLLECTIONS.get(collection)
    if fn is None:
        raise NotFound(f"unknown collection '{collection}' (known: {', '.join(COLLECTIONS)})")
    with app.store.lock:
        coll = getattr(app.store, collection, None)
        if collection in ("contracts", "counterparties", "members"):
            # join the cached wire bytes: fast for 200,000 contracts, and warms the cache
            return raw(b"[" + b",".join(coll.raw(rid) for rid in coll.records) + b"]")
        return ok(fn(app.store))


def delete(app, req):
    body = _body(req)
    out = {}
    with app.store.lock:
        for name, coll in (("contracts", app.store.contracts), ("counterparties", app.store.counterparties)):
            ids = body.get(name, [])
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise BadRequest(f"{name} must be an array of ids")
            out[name] = {"deleted": [i for i in ids if coll.delete(i)]}
    return ok(out)


def edit(app, req):
    return ok(apply_edit(app.store, _body(req)))


def clock(app, req):
    body = _body(req)
    if req.method == "POST":
        try:
            app.store.clock.offset = float(body.get("offset_seconds", 0))
        except (TypeError, ValueError):
            raise BadRequest("offset_seconds must be a number") from None
    return ok({"offset_seconds": app.store.clock.offset, "now": app.store.clock.now_iso()})


def warm(app, req):
    """Serialize every record now, so a benchmark measures its client, not first-time JSON."""
    t = time.perf_counter()
    out = {}
    with app.store.lock:
        for name in ("contracts", "counterparties", "members"):
            coll = getattr(app.store, name)
            for rid in coll.records:
                coll.raw(rid)
            out[name] = len(coll)
    return ok({**out, "seconds": round(time.perf_counter() - t, 3)})


def api_profiles(app, req):
    if req.method == "PUT":
        names = _body(req).get("profiles")
        if not isinstance(names, list):
            raise BadRequest("profiles must be an array of API profile names")
        try:
            app.shape = ApiShape(names)
        except ProfileError as e:
            raise BadRequest(str(e)) from None
    return ok({"profiles": list(app.shape.names), "known": known_profiles()})


def signed_file(app, req, id: str):
    """GET of a downloadUrl (server.py routes it, with faults): the file's current bytes, streamed."""
    try:
        expires = int(req.query.get("expires", "0"))
    except ValueError:
        expires = 0
    if expires < app.store.clock.now() * 1000:  # what an expired pre-signed S3 URL answers [ASSUMED]
        return Response(A.SIGNED_URL_EXPIRED_STATUS, pdfs.EXPIRED_BODY, {}, "application/xml")
    with app.store.lock:
        body = app.store.files.body(id) if app.store.contracts.get(app.store.files.contract_of.get(id, "")) else None
    if body is None:
        raise NotFound(f"signed file '{id}' not found")
    return Response(200, body, {"Content-Disposition": "attachment"}, A.SIGNED_FILE_CONTENT_TYPE)


def sign(app, req):
    """The end of Tomorro's signature process, now (the API cannot sign: signatories do), so tests can hold signed
    contracts of their own: unsigned ones are signed with a new file, signed ones re-signed (new bytes), canceled
    ones are left as they are (a canceled contract is final)."""
    ids = _body(req).get("contracts")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("contracts must be an array of contract ids")
    with app.store.lock:
        unknown = [i for i in ids if app.store.contracts.get(i) is None]
        if unknown:
            raise NotFound(f"contracts not found: {', '.join(unknown)}")
        return ok(pdfs.sign(app.store, ids))


def file_digests(app, req):
    """Ground truth of every signed file's current bytes: {file id: {contractId, size, sha256, revision}}."""
    with app.store.lock:
        files = [(f["id"], f["contractId"], app.store.files.body(f["id"]), app.store.files.revision[f["id"]])
                 for f in app.store.all_signed_files()]
    return ok({fid: {"contractId": cid, "size": len(body), "sha256": body.sha256(), "revision": rev}
               for fid, cid, body, rev in files})


def webhooks(app, req):
    if req.method == "POST":
        return ok(app.webhooks.register(_body(req)), 201)
    return ok(app.webhooks.describe())


def webhook(app, req, id: str):
    if req.method == "DELETE":
        app.webhooks.remove(id)
        return ok({"deleted": id})
    return ok(app.webhooks.describe(id))


def webhook_deliveries(app, req, id: str):
    return ok(app.webhooks.deliveries(id))


ADMIN = Router([
    ("GET", "/health", health),
    ("GET", "/stats", stats),
    ("POST", "/stats/reset", stats_reset),
    ("GET", "/requests", requests_log),
    ("GET", "/faults", get_faults),
    ("POST", "/faults", post_faults),
    ("GET", "/faults/script", script),
    ("POST", "/faults/script", script),
    ("GET", "/moves", moves),
    ("POST", "/moves", moves),
    ("POST", "/mutate", mutate),
    ("POST", "/reset", reset),
    ("GET", "/records/{collection}", records),
    ("POST", "/delete", delete),
    ("POST", "/edit", edit),
    ("POST", "/warm", warm),
    ("GET", "/clock", clock),
    ("POST", "/clock", clock),
    ("POST", "/sign", sign),
    ("POST", "/remove-signed-files", pdfs.remove_route),
    ("GET", "/file-digests", file_digests),
    ("GET", "/api-profiles", api_profiles),
    ("PUT", "/api-profiles", api_profiles),
    ("POST", "/webhooks", webhooks),
    ("GET", "/webhooks", webhooks),
    ("GET", "/webhooks/{id}", webhook),
    ("DELETE", "/webhooks/{id}", webhook),
    ("GET", "/webhooks/{id}/deliveries", webhook_deliveries),
], "/_sandbox")
