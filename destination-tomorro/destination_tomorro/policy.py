"""Who owns what, per stream: the field behaviours, the fields editable after signature, the row's
last-modified column and the empty-values rule of one stream mapping, resolved against Tomorro's
schema before anything is written (an entry naming nothing fails the sync, naming it).

Targets are what a row can change: the kind's `targets` (`name`, `status`, `counterparty`: a
contract's counterparty, whichever column names it) and `field:<smart field id>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .names import normalise

if TYPE_CHECKING:  # annotations only: the object kinds import this module
    from .objects.kind import ObjectKind
    from .schema import TomorroSchema
    from .stream_mapping import StreamMapping


@dataclass(frozen=True)
class WritePolicy:
    if_empty: frozenset[str] = field(default_factory=frozenset)  # written only while Tomorro's value is empty
    on_create: frozenset[str] = field(default_factory=frozenset)  # written only when creating
    after_signature: frozenset[str] = field(default_factory=frozenset)  # still written to signed / canceled
    updated_at_column: str | None = None  # the CRM's last-modified column: Tomorro's newer edit wins
    clear_empty: bool = False  # empty_values: clear

    def behaviour(self, target: str) -> str:
        if target in self.on_create:
            return "on_create"
        return "if_empty" if target in self.if_empty else "always"


def resolve_policy(entry: StreamMapping | None, kind: ObjectKind, schema: TomorroSchema, where: str) -> WritePolicy:
    """The policy of one stream; ValueError naming every entry that names no column or smart field."""
    if entry is None:
        return WritePolicy()
    problems: list[str] = []

    def targets(names: list[str], setting: str) -> frozenset[str]:
        out = set()
        for name in names:
            role = kind.targets.get(normalise(name))
            smart = None if role else schema.find_field(kind, name)
            if role:
                out.add(role)
            elif smart is not None:
                out.add(f"field:{smart.id}")
            else:
                known = ", ".join(sorted(set(kind.targets.values())))
                problems.append(f"{where}: {setting} entry '{name}' is neither a {kind.name} smart field (id or name) "
                                f"nor one of {known}")
        return frozenset(out)

    policy = WritePolicy(targets(entry.if_empty_fields, "if_empty_fields"),
                         targets(entry.on_create_fields, "on_create_fields"),
                         targets(entry.after_signature_fields, "after_signature_fields"),
                         entry.row_updated_at_column, entry.empty_values == "clear")
    if "status" in policy.after_signature:
        problems.append(f"{where}: after_signature_fields cannot hold status (a signed or canceled contract "
                        "keeps its status)")
    if problems:
        raise ValueError("; ".join(problems))
    return policy
