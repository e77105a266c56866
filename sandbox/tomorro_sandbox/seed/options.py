"""What a seed is asked for (SeedOptions) and what it produces (SeedData)."""

from dataclasses import dataclass, field

from .grid import SKEWS


@dataclass
class SeedOptions:
    seed: int = 42  # drives every draw: same options, same data
    contracts: int = 500
    counterparties: int = 120
    fields: int = 60  # smart fields, split between contracts and counterparties (at least 14: every type for both)
    members: int = 15  # the first two are active admins
    # how contracts' and counterparties' createdAt / updatedAt are spread (seed/grid.py)
    updated_skew: str = "uniform"
    signed_file_bytes: int = 0  # size of every signed PDF served; 0: a few KB, varying by file

    def __post_init__(self):
        if self.updated_skew not in SKEWS:
            raise ValueError(f"updated_skew must be one of {', '.join(SKEWS)}, got {self.updated_skew!r}")


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
