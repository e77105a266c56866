"""Deterministic, realistic seed data: the same SeedOptions give the same ids and the same records,
byte for byte. Everything is drawn from one `random.Random(seed)` in a fixed order (the order of
`generate`); the write rules never import this package."""

import gc
import random

from ..formats import new_id
from .contracts import generate_contracts
from .counterparties import generate_counterparties
from .options import SeedData, SeedOptions
from .reference import (
    generate_clauses,
    generate_contract_types,
    generate_custom_objects,
    generate_members,
    generate_smart_fields,
)

__all__ = ["SeedData", "SeedOptions", "generate"]


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
    generate_members(rng, d, opts.members)
    generate_smart_fields(rng, d, opts.fields)
    generate_contract_types(rng, d)
    generate_clauses(rng, d)
    generate_custom_objects(rng, d)
    generate_counterparties(rng, d, opts.counterparties, opts.updated_skew)
    generate_contracts(rng, d, opts.contracts, opts.updated_skew)
    return d
