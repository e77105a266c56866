"""The seed's reference data: members, smart fields (with their options and the values that fit
them), contract types and templates, clauses, custom objects."""

import time

from .. import assumptions as A
from ..formats import iso, new_id
from . import vocab as V
from .grid import GRID_START, TimeGrid
from .options import SeedData


def generate_members(rng, d: SeedData, n: int) -> None:
    grid = TimeGrid(n)
    for i in range(max(n, 1)):
        first, last = rng.choice(V.FIRST_NAMES), rng.choice(V.LAST_NAMES)
        created, updated = grid.pair(rng)
        mid = new_id(rng)
        d.members[mid] = {
            "id": mid,
            # the first two members are always active admins, so authors and referents exist
            "role": "ADMIN" if i < 2 else rng.choice(A.MEMBER_ROLES),
            "status": "active" if i < 2 or rng.random() < 0.75 else rng.choice(A.MEMBER_STATUSES[1:]),
            "user": {"email": f"{first}.{last}.{i}@example.com".lower().replace("é", "e").replace("ç", "c"),
                     "firstname": first, "lastname": last},
            "groupIds": [],
            "createdAt": created,
            "updatedAt": updated,
        }


def _field_names(gb: str, fr: str) -> dict:
    return {"gb": gb, "us": gb, "fr": fr, "es": gb + " (es)", "de": gb + " (de)"}


def generate_smart_fields(rng, d: SeedData, total: int) -> None:
    # every type exists for both objects; the rest of the total cycles through the types
    kinds = [(obj, t) for obj in A.FIELD_OBJECTS for t in A.FIELD_TYPES]
    while len(kinds) < total:
        kinds.append((A.FIELD_OBJECTS[len(kinds) % 5 == 0], A.FIELD_TYPES[len(kinds) % len(A.FIELD_TYPES)]))
    used: dict = {}
    for obj, ftype in kinds:
        names = V.FIELD_NAMES[ftype]
        k = used.get(ftype, 0)
        used[ftype] = k + 1
        gb, fr = names[k % len(names)]
        suffix = "" if k < len(names) else f" {k // len(names) + 1}"
        fid = new_id(rng)
        # "base" (the name without the numbering suffix) picks values that fit the field
        d.smart_fields[fid] = {"id": fid, "type": ftype, "object": obj, "base": gb,
                               "names": _field_names(gb + suffix, fr + suffix)}
        if ftype in A.SELECT_TYPES:
            labels = V.FIELD_OPTIONS.get(gb, V.OPTION_LABELS)
            # the very first select field has more options than one page, to exercise paging
            count = 60 if not d.options else rng.randint(3, len(labels))
            d.options[fid] = [_option(rng, labels, i) for i in range(count)]


def _option(rng, labels: tuple, i: int) -> dict:
    gb, fr = labels[i % len(labels)]
    if i >= len(labels):
        gb, fr = f"{gb} {i // len(labels) + 1}", f"{fr} {i // len(labels) + 1}"
    slug = gb.lower().replace(" ", "_")
    return {
        "id": new_id(rng),
        "translations": [{"language": lang, "value": name} for lang, name in _field_names(gb, fr).items()],
        "integrationMappings": [{"type": "salesforce", "value": f"SF_{slug.upper()}"},
                                {"type": "hubspot", "value": f"hs_{slug}"}],
    }


def generate_contract_types(rng, d: SeedData) -> None:
    contract_fields = [f for f in d.smart_fields.values() if f["object"] == "contract"]
    for i, (name, templates) in enumerate(V.CONTRACT_TYPES):
        ctid = new_id(rng)
        tpls = []
        for tname in templates:
            tid = new_id(rng)
            chosen = rng.sample(contract_fields, min(len(contract_fields), rng.randint(2, 6)))
            tpls.append({
                "id": tid, "name": tname, "language": rng.choice(V.TEMPLATE_LANGUAGES),
                "smartFields": [{"id": f["id"], "name": f["names"]["gb"], "defaultValue": None,
                                 "isMandatory": j == 0} for j, f in enumerate(chosen)],
            })
            d.template_type[tid] = ctid
        # the last type is unpublished, so the isPublished filter has something to filter
        d.contract_types[ctid] = {"id": ctid, "name": name, "isPublished": i < len(V.CONTRACT_TYPES) - 1,
                                  "templates": tpls}


def generate_clauses(rng, d: SeedData) -> None:
    for name, description in V.CLAUSES:
        text = rng.choice(V.PHRASES)
        content = [{"type": "paragraph", "children": [{"text": text}]}]
        d.clauses.append({
            "id": new_id(rng), "name": name, "description": description, "organizationId": "org-sandbox",
            "content": content, "listNumbering": rng.choice(["decimal", "none"]),
            "translations": [{"language": "gb", "content": content, "order": 0},
                             {"language": "fr", "content": content, "order": 1}],
            "languages": ["gb", "fr"], "createdAt": iso(GRID_START), "updatedAt": iso(GRID_START + 86400),
        })


def generate_custom_objects(rng, d: SeedData) -> None:
    for name, columns in V.CUSTOM_OBJECTS:
        oid = new_id(rng)
        d.custom_objects[oid] = {
            "id": oid, "name": name,
            "smart_fields": [{"id": new_id(rng), "name": c, "type": t} for c, t in columns],
            "help_text": f"One row per {name.lower()[:-1]} of the contract.",
        }


def field_value(rng, f: dict, options: dict):
    """A realistic value of smart field `f`, in the wire format of its type."""
    t, base = f["type"], f.get("base")
    if t == "text":
        if base in V.TEXT_PATTERNS:
            return V.TEXT_PATTERNS[base].format(rng.randrange(10000))
        return rng.choice(V.TEXT_CHOICES.get(base, V.PHRASES))
    if t == "number":
        return rng.randrange(*V.NUMBER_RANGES.get(base, (1000, 500000)))
    if t == "date":
        return time.strftime("%Y-%m-%d", time.gmtime(GRID_START + rng.randrange(1000) * 86400))
    if t == "select":
        return rng.choice(options[f["id"]])["translations"][0]["value"]
    if t == "multiselect":
        opts = options[f["id"]]
        return [o["translations"][0]["value"] for o in rng.sample(opts, rng.randint(1, min(3, len(opts))))]
    if t == "richtext":
        return [{"type": "paragraph", "children": [{"text": rng.choice(V.PHRASES)}]}]
    return {"value": rng.choice((1, 3, 6, 12, 24, 30)), "unit": rng.choice(A.DURATION_UNITS)}
