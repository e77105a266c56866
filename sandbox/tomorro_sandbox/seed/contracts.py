"""The seed's contracts: the bulk of the data, so written for speed (200k in seconds)."""

import calendar
import random

from ..formats import member_ref, new_id
from . import vocab as V
from .grid import time_grid
from .options import SeedData
from .reference import field_value

_STATUS_WEIGHTS = (("draft", 25), ("negotiating", 20), ("signing", 10), ("signed", 35), ("canceled", 10))
_STATUSES = [s for s, w in _STATUS_WEIGHTS for _ in range(w)]


def member_signatory(rng, m: dict) -> dict:
    u = m["user"]
    return {"id": new_id(rng), "name": f"{u['firstname']} {u['lastname']}", "email": u["email"], "type": "member"}


def generate_contracts(rng: random.Random, d: SeedData, n: int, skew: str) -> None:
    # rng.random() is C-fast while choice()/sample() are Python-level: pick through it, and draw
    # field values from small per-field pools, so that 200,000 contracts take seconds.
    r = rng.random
    grid = time_grid(n, skew)
    members = list(d.members.values())
    active = [m for m in members if m["status"] == "active"] or members
    refs = [member_ref(m) for m in active]
    cps = list(d.counterparties.values())
    cfields = [f for f in d.smart_fields.values() if f["object"] == "contract"]
    pools = {f["id"]: [field_value(rng, f, d.options) for _ in range(24)] for f in cfields}
    # nested {id, name} references are shared between records: nothing mutates a record in place
    # (writes rebuild it), and sharing saves three dicts per contract
    templates = [({"id": ct["id"], "name": ct["name"]}, {"id": t["id"], "name": t["name"]})
                 for ct in d.contract_types.values() for t in ct["templates"]]
    cp_refs = {cp["id"]: {"id": cp["id"], "name": cp["name"]} for cp in cps}
    clause_refs = [{"id": c["id"], "name": c["name"]} for c in d.clauses]
    for _ in range(n):
        cid = new_id(rng)
        ct, tpl = templates[int(r() * len(templates))]
        cp = cps[int(r() * len(cps))] if cps else None
        status = _STATUSES[int(r() * len(_STATUSES))]
        created, updated = grid.pair(rng)
        start = _start(r, created)
        k, first = 2 + int(r() * 7), int(r() * len(cfields))
        chosen = (cfields[first:] + cfields[:first])[:k]
        contract = {
            "id": cid,
            "name": f"{tpl['name']} - {cp['name']}" if cp else tpl["name"],
            "status": status,
            "counterparty": cp_refs[cp["id"]] if cp else None,
            "contractType": ct,
            "template": tpl,
            "templateId": tpl["id"],
            "author": refs[int(r() * len(refs))],
            "referent": refs[int(r() * len(refs))] if r() < 0.7 else None,
            "supervisor": refs[int(r() * len(refs))] if r() < 0.4 else None,
            "folderId": d.folders[int(r() * len(d.folders))] if r() < 0.6 else None,
            "startAt": start,
            "endAt": _end(r, start),
            "signatureDate": updated if status == "signed" else None,
            "fields": [{"attributeDefinitionId": f["id"], "name": f["names"]["gb"],
                        "value": pools[f["id"]][int(r() * 24)]} for f in chosen],
            "signatories": _signatories(rng, active, cp),
            "contractMembers": refs[int(r() * len(refs)):][:1 + int(r() * 3)],
            "integration": _integration(rng) if r() < 0.2 else None,
            "createdAt": created,
            "updatedAt": updated,
        }
        d.contracts[cid] = contract
        if status == "signed":
            d.signed_files[cid] = [{"id": new_id(rng), "filename": f"{tpl['name']} - signed.pdf",
                                    "contentType": "application/pdf"}]
        if r() < 0.5:
            first = int(r() * len(clause_refs))
            d.contract_clauses[cid] = [{"id": new_id(rng), "contractId": cid, "isCustom": r() < 0.2,
                                        "clause": c} for c in clause_refs[first:first + 1 + int(r() * 3)]]


def _start(r, created: str) -> str | None:
    if r() < 0.15:
        return None
    return created[:10] + "T00:00:00.000Z"


def _end(r, start: str | None) -> str | None:
    if start is None or r() < 0.2:
        return None
    year = int(start[:4]) + 1 + int(r() * 3)
    month_day = start[4:10]
    if month_day == "-02-29" and not calendar.isleap(year):
        month_day = "-02-28"  # a term starting on a leap day ends on the 28th in common years
    return f"{year}{month_day}T23:59:59.999Z"


def _signatories(rng, active: list, cp: dict | None) -> list:
    r = rng.random
    out = [member_signatory(rng, active[int(r() * len(active))])]
    if cp is not None:
        first, last = V.FIRST_NAMES[int(r() * 20)], V.LAST_NAMES[int(r() * len(V.LAST_NAMES))]
        out.append({"id": new_id(rng), "name": f"{first} {last}",
                    "email": f"{last.lower()}@{cp['name'].split()[0].lower()}.example.com", "type": "external"})
    return out


def _integration(rng) -> dict:
    kind = "salesforce" if rng.random() < 0.5 else "hubspot"
    ext = ("sf-" if kind == "salesforce" else "hs-") + str(1000000 + int(rng.random() * 9000000))
    entity = "Opportunity" if kind == "salesforce" else "deal"
    return {"type": kind, "externalId": ext, "externalEntity": entity,
            "externalUrl": f"https://crm.example.com/{entity.lower()}/{ext}"}


