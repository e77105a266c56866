"""The registry of the Tomorro objects the destination writes: one `ObjectKind` per object, each in
its own module (objects/counterparty.py, objects/contract.py). Routing, keys, mapping, policy,
ownership, operations, the writer, discover and check never branch on an object: they ask the
route's kind (objects/kind.py documents every member), and iterate `KINDS` where they need all.

Adding an object (e.g. the custom-object records of the API guide's first pattern,
`PUT /custom-objects/{customObjectId}/contract/{contractId}/records`) is one module plus its tests:

1. `objects/<name>.py`: a subclass of `ObjectKind` and its one instance. It must give
   * the facts: `name` (config, catalog and reports), `aliases`, `smart_field_object` (or an
     equivalent source of its typed columns for `TomorroSchema.smart_fields`), `statuses`,
     `reserved_columns` (normalised column -> role) and `targets` (what a PATCH can change, for
     the field behaviours), `column_schema` / `required_columns` (DESTINATION_CATALOG),
     `default_key_column`, `key_role`, `key_always_required`, `key_description`; `refers_to`
     names the kinds its rows point at (records: `contract`), which are written first;
   * the rules: `resolve_key` (what a column can be a key of, keys.match_key_for calls it),
     `row_key` and `map_row` (a row -> `MappedRow`, rejecting naming the column), `diff` (the PATCH
     body holding only what differs; ownership.py then decides what may be written);
   * the I/O: `make_index` (the objects already in Tomorro, by canonical key: never a guess when
     several hold one key), `write` (find, then create once through recovery.create_once, PATCH
     what `RowOperations.update` allows, or leave; nothing in dry run), and, where it applies,
     `prepare_batch`, `moves_forward`, `final_statuses`, `configured_key_column`,
     `reference_key` (what other kinds' rows name it by), `settings_problems` (for check).
   Endpoints go in client.py (one method per endpoint), as for every object.
2. Its instance in `KINDS` below, after the kinds it `refers_to`.
3. Its tests: its rules (key, mapping, diff, statuses) as unit tests, its write against the sandbox
   (integration_tests/); unit_tests/test_objects.py already checks that it gives every fact, comes
   after what it refers to, and that no generic module names it.

The config's object names (`streams[].object`, the spec's enum) come from this registry, so the
modules a kind imports must not import config.py or stream_mapping.py at run time (annotations only).
"""

from __future__ import annotations

from .contract import CONTRACT
from .counterparty import COUNTERPARTY
from .kind import ObjectKind

# in write order: a kind after every kind it refers_to (contract rows name counterparties)
KINDS: tuple[ObjectKind, ...] = (COUNTERPARTY, CONTRACT)
OBJECT_NAMES = tuple(kind.name for kind in KINDS)
OBJECT_ALIASES = {alias: kind.name for kind in KINDS for alias in kind.aliases}
_BY_NAME = {**{kind.name: kind for kind in KINDS}, **{alias: kind for kind in KINDS for alias in kind.aliases}}


def kind_named(name: str) -> ObjectKind | None:
    """The kind a name or alias (any case) stands for; None when no object has that name."""
    return _BY_NAME.get(name.lower())

