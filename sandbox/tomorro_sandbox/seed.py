"""Deterministic, realistic seed data: same seed and sizes -> same ids and same records.

Everything is drawn from one `random.Random(seed)` in a fixed order. Timestamps sit on a coarse
grid so that many records share one `updatedAt` (clients must survive ties across page
boundaries), and all of them lie before GRID_END, i.e. in the past of the server clock.
"""

import gc
import random
import time
from dataclasses import dataclass, field

from . import assumptions as A
from . import vocab as V

GRID_START = 1672531200  # 2023-01-01T00:00:00Z
GRID_END = 1735689600  # 2025-01-01T00:00:00Z
_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_V4_SET = (0x8000 << 48) | (4 << 76)


def new_id(rng: random.Random) -> str:
    """Same string as str(uuid.UUID(int=rng.getrandbits(128), version=4)), five times faster."""
    h = f"{(rng.getrandbits(128) & _V4_CLEAR) | _V4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def iso(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


@dataclass
class SeedOptions:
    seed: int = 42
    contracts: int = 500
    counterparties: int = 120
    fields: int = 60
    members: int = 15


@dataclass
class SeedData:
    members: dict = field(default_factory=dict)
    smart_fields: dict = field(default_factory=dict)  # id -> {id, type, object, names{lang: name}}
    options: dict = field(default_factory=dict)  # field id -> [option]
    contract_types: dict = field(default_factory=dict)  # id -> {id, name, isPublished, templates}
    template_type: dict = field(default_factory=dict)  # template id -> contract type id
    counterparties: dict = field(default_factory=dict)
    contracts: dict = field(default_factory=dict)
    clauses: list = field(default_factory=list)
    contract_clauses: dict = field(default_factory=dict)  # contract id -> [contract clause]
    signed_files: dict = field(default_factory=dict)  # contract id -> [{id, filename, contentType}]
    custom_objects: dict = field(default_factory=dict)
    folders: list = field(default_factory=list)


class _Grid:
    """A coarse time grid: `slots` instants spread over the seeding period, formatted once."""

    def __init__(self, n_records: int):
        self.slots = max(24, n_records // 8)
        step = (GRID_END - GRID_START) // self.slots
        self.step = step - step % 60  # whole minutes
        self._iso = [iso(GRID_START + i * self.step) for i in range(self.slots)]

    def pair(self, rng: random.Random) -> tuple[str, str]:
        r = rng.random
        created = int(r() * self.slots)
        updated = created + int(r() * (self.slots // 6 + 1))
        # a record "updated" past the grid was simply never updated (no pile-up on the last slot)
        return self._iso[created], self._iso[updated if updated < self.slots else created]


def generate(opts: SeedOptions) -> SeedData:
    # The cyclic GC would re-scan the growing heap many times while we allocate ~10 objects per
    # record; the data has no cycles, so pause it and freeze the result out of later collections.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(opts)
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _generate(opts: SeedOptions) -> SeedData:
    rng = random.Random(opts.seed)
    d = SeedData()
    d.folders = [new_id(rng) for _ in range(8)]
    _members(rng, d, opts.members)
    _smart_fields(rng, d, opts.fields)
    _contract_types(rng, d)
    _clauses(rng, d)
    _custom_objects(rng, d)
    _counterparties(rng, d, opts.counterparties)
    from .seed_contracts import generate_contracts  # split for module size

    generate_contracts(rng, d, opts.contracts)
    return d


def _members(rng, d: SeedData, n: int) -> None:
    grid = _Grid(n)
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


def _smart_fields(rng, d: SeedData, total: int) -> None:
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


def _contract_types(rng, d: SeedData) -> None:
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


def _clauses(rng, d: SeedData) -> None:
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


def _custom_objects(rng, d: SeedData) -> None:
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


def _counterparties(rng, d: SeedData, n: int) -> None:
    grid = _Grid(n)
    cp_fields = [f for f in d.smart_fields.values() if f["object"] == "external_party"]
    for _ in range(n):
        cid = new_id(rng)
        created, updated = grid.pair(rng)
        name = f"{rng.choice(V.COMPANY_STEMS)} {rng.choice(V.COMPANY_SUFFIXES)}"
        chosen = rng.sample(cp_fields, min(len(cp_fields), rng.randint(0, 5)))
        d.counterparties[cid] = {
            "id": cid, "name": name,
            "status": "active" if rng.random() < 0.85 else "archived",
            "logoUrl": f"https://logo.example.com/{cid[:8]}.png" if rng.random() < 0.3 else None,
            "fields": {f["id"]: field_value(rng, f, d.options) for f in chosen},
            "createdAt": created, "updatedAt": updated,
        }
