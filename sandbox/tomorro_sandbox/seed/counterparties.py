"""The seed's counterparties, with values for the external_party smart fields."""

from ..formats import new_id
from . import vocab as V
from .grid import time_grid
from .options import SeedData
from .reference import field_value


def generate_counterparties(rng, d: SeedData, n: int, skew: str) -> None:
    grid = time_grid(n, skew)
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
