"""Counterparties (`/counterparties`): the parties contracts are signed with.

* Matched on their name by the human rules (keys.canonical_text), or on a counterparty smart field
  (a CRM account id, compared by its CRM's id rules, keys.field_key): `counterparty_match_field` or the
  stream's `match_key`.
* Every row needs a name (a counterparty is created with one) and its key.
* Statuses: active / archived, in either direction (no lifecycle).
* Contract rows name their counterparty (by id, CRM account key or name): `find_or_create_for` finds
  it, or creates it once; so counterparty rows are written before contract rows.
* Never created on a listing that could not be verified (`CounterpartyIndex.check_may_create`: where
  `status=in:` is refused, counterparty_listing.py).
* Smart fields are `external_party` fields in the API, written as `attributes`, read as a dict.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..diff import is_empty, same_value
from ..errors import RowRejected
from ..indexes import CounterpartyIndex
from ..keys import MatchKey, exact_key, field_key, match_key_for, name_key
from ..ledger import Classified
from ..mapping import MappedRow
from ..names import normalise
from ..operations import as_written, check_cleared, named
from ..recovery import create_once, find_landed_counterparty
from .kind import BatchRow, ObjectKind, Reserved

if TYPE_CHECKING:  # annotations only
    from ..client import TomorroClient
    from ..config import DestinationTomorroConfig
    from ..mapping import RowMapper
    from ..operations import RowOperations
    from ..routing import Route
    from ..schema import TomorroSchema

logger = logging.getLogger("airbyte")
NAME_AND_STATUS = {"name": "name", "status": "status"}


class CounterpartyKind(ObjectKind):
    name = "counterparty"
    aliases = ("counterparties",)
    smart_field_object = "external_party"
    statuses = frozenset({"active", "archived"})
    reserved_columns = NAME_AND_STATUS
    targets = NAME_AND_STATUS
    column_schema = {"name": {"type": "string"},
                     "status": {"type": ["null", "string"], "enum": [None, "active", "archived"]}}
    required_columns = ("name",)
    default_key_column = "name"
    key_role = "name"
    key_always_required = True  # a counterparty is created with its name, and found again by its key
    key_description = "counterparties"

    # -- matching key ------------------------------------------------------------------------------
    def configured_key_column(self, cfg: DestinationTomorroConfig) -> tuple[str, str] | None:
        if normalise(cfg.counterparty_match_field) != "name":
            return cfg.counterparty_match_field, "counterparty_match_field"
        return None

    def resolve_key(self, column: str, source: str, schema: TomorroSchema, where: str,
                    stream: str | None) -> MatchKey:
        if normalise(column) == "name":
            return MatchKey(self, "name", source=source)
        field = schema.find_field(self, column)
        if field is None:
            raise ValueError(f"{where}: '{column}' ({source}) is not a column counterparties can be matched on: use "
                             "name or a counterparty smart field (id or name)" if stream else
                             f"counterparty_match_field '{column}' is not a counterparty smart field")
        return MatchKey(self, field.name, field, source, crm=schema.integration_type)

    def reference_key(self, routes: list[Route], schema: TomorroSchema,
                      cfg: DestinationTomorroConfig) -> MatchKey | None:
        """What a contract row's `counterparty_key` is matched on: the smart field the counterparty
        streams match on (when they agree on one), else counterparty_match_field (None when it is `name`)."""
        fields = {r.match.field.id: r.match for r in routes
                  if r.kind is self and r.match is not None and r.match.field is not None}
        if len(fields) == 1:
            return next(iter(fields.values()))
        match = match_key_for(self, cfg, schema)
        return match if match.field is not None else None

    # -- rows -> bodies ----------------------------------------------------------------------------
    def row_key(self, mapper: RowMapper, value: Any) -> str | None:
        if mapper.match.field is None:
            return name_key(value)
        key = exact_key(value)
        return field_key(key, mapper.match) if key is not None else None

    def map_row(self, mapper: RowMapper, reserved: Reserved, fields: dict[str, Any]) -> MappedRow:
        name = mapper.text(reserved, "name")
        if not name:
            raise RowRejected("name: a counterparty needs a non-empty name")
        status = mapper.status(reserved, self.statuses)
        if mapper.match.field is not None:
            key_value = fields.get(mapper.match.field.id)
            if key_value is None:
                column = mapper.match.column
                raise RowRejected(f"{column}: the matching field (smart field '{mapper.match.field.name}') has no value")
            key, label = field_key(key_value, mapper.match), str(key_value)
        else:
            key, label = name_key(name), name
        body: dict[str, Any] = {"name": name}
        if status:
            body["status"] = status
        if fields:
            body["attributes"] = [{"attributeDefinitionId": k, "value": v} for k, v in fields.items()]
        return MappedRow(self.name, key, body, name=name, status=status, fields=fields, label=label,
                         key_field=mapper.match.field.id if mapper.match.field is not None else None)

    def diff(self, row: MappedRow, current: dict[str, Any]) -> dict[str, Any]:
        """PATCH body holding only what differs (counterparty smart fields are read as a dict)."""
        patch: dict[str, Any] = {}
        if row.name and row.name != current.get("name"):
            patch["name"] = row.name
        if row.status and row.status != current.get("status"):
            patch["status"] = row.status
        existing = current.get("fields") or {}
        # the key field of the counterparty the row matched holds the same key, maybe spelt another way (a
        # Salesforce 15- vs 18-character id): an identifier's spelling is not a change to write
        changed = [{"attributeDefinitionId": k, "value": v} for k, v in row.fields.items()
                   if (k not in existing or not same_value(v, existing[k]))
                   and not (k == row.key_field and not is_empty(existing.get(k)))]
        changed += [{"attributeDefinitionId": k, "value": None} for k in sorted(row.clears)
                    if not is_empty(existing.get(k))]
        if changed:
            patch["attributes"] = changed
        return patch

    # -- the write ---------------------------------------------------------------------------------
    def make_index(self, client: TomorroClient, routes: list[Route]) -> CounterpartyIndex:
        """By name and by every smart field counterparty rows, or contract rows' keys, match on."""
        referenced = [r.mapper.references[self.name] for r in routes
                      if r.mapper is not None and self.name in r.mapper.references]
        return CounterpartyIndex(client, [r.match for r in routes if r.kind is self] + referenced[:1])

    def prepare_batch(self, indexes: dict[str, Any], tasks: list[list[BatchRow]]) -> None:
        on_field = any(route.match.field is not None for task in tasks for _, route, _, _ in task)
        indexes[self.name].prepare(len(tasks), on_field=on_field)

    def write(self, ops: RowOperations, route: Route, row: MappedRow) -> Classified:
        index: CounterpartyIndex = ops.indexes[self.name]
        with index.find_or_create_lock(row.name, row.key if route.match.field is not None else None):
            current = named(route.match.column, lambda: index.get(row.name, row.key, route.match))
            if current is not None:
                if route.mode == "append":
                    return Classified("unchanged", row.label, "exists (append never updates)")
                result, patch = ops.update(route, row, current, self.diff(row, current), current["id"] in index.written, [])
                if patch and not ops.dry_run:
                    answer = ops.client.update_counterparty(current["id"], patch)
                    index.remember(as_written(current, answer, patch))
                    check_cleared(route, row, patch, answer, lambda: ops.client.get_counterparty(current["id"]))
                return result
            if route.match.field is not None:
                _no_keyless_twin(index, route.match, row.name, row.label, route.match.column)
            named(route.match.column, index.check_may_create)
            if ops.dry_run:
                return Classified("created", row.label)
            created = create_once(ops.client, lambda: ops.client.create_counterparty(row.create_body),
                                  lambda since: find_landed_counterparty(ops.client, row, route.match))
            index.remember(as_written({}, created, row.create_body))
            return Classified("created", row.label)

    def find_or_create_for(self, ops: RowOperations, route: Route, row: MappedRow, create: bool
                           ) -> tuple[str | None, list[str]]:
        """The counterparty a row of another object names: by CRM account key (`counterparty_key`),
        else by canonical name; found, or created once (not when `create` is False: the id is then a
        placeholder never sent). Returns (its id, notes for the row's outcome)."""
        index: CounterpartyIndex = ops.indexes[self.name]
        match = route.mapper.references.get(self.name)
        by_key = row.counterparty_key is not None
        name = row.counterparty_name
        with index.find_or_create_lock(name, row.counterparty_key):
            found = named(route.mapper.column_of(row, "counterparty"), lambda: (
                index.by_key(match, row.counterparty_key) if by_key else index.by_exact_name(name)))
            if found is not None:
                return found["id"], []
            what = f"{match.field.name} '{row.counterparty_key}'" if by_key else f"'{name}'"
            if not create:
                return f"(a new counterparty {what})", []
            column = route.mapper.column_of(row, "counterparty")
            if by_key and not name:
                raise RowRejected(f"{column}: no counterparty has {what} and the row names none to create it "
                                  "(add a counterparty name column)")
            if by_key:
                _no_keyless_twin(index, match, name, row.counterparty_key_value, column)
            named(column, index.check_may_create)
            name = index.spelling_of(name)  # the first row's spelling of this name, whichever row creates it
            body: dict[str, Any] = {"name": name}
            if by_key:
                body["attributes"] = [{"attributeDefinitionId": match.field.id, "value": row.counterparty_key_value}]
            if ops.dry_run:
                ops.would_create.add(name)
                return None, [f"would create counterparty '{name}'"]
            probe = MappedRow(self.name, row.counterparty_key if by_key else None, body, name=name)
            created = create_once(ops.client, lambda: ops.client.create_counterparty(body),
                                  lambda since: find_landed_counterparty(ops.client, probe, match if by_key else BY_NAME))
            index.remember(as_written({}, created, body))
            logger.info(f"Created counterparty '{name}' for a contract row")
            return created["id"], [f"created counterparty '{name}'"]

    # -- check -------------------------------------------------------------------------------------
    def settings_problems(self, cfg: DestinationTomorroConfig, schema: TomorroSchema) -> list[str]:
        try:
            match_key_for(self, cfg, schema)
        except ValueError:
            return [f"counterparty_match_field: '{cfg.counterparty_match_field}' is not a counterparty smart field"]
        return []


COUNTERPARTY = CounterpartyKind()
BY_NAME = MatchKey(COUNTERPARTY, "name")  # a counterparty named by a contract row, without a key


def _no_keyless_twin(index: CounterpartyIndex, match: MatchKey, name: str, key_value: Any, column: str) -> None:
    """A counterparty holding a key no counterparty holds is not created beside one of its name that holds no key:
    that one may be the same account (or another of the same name), so the match is uncertain and the row is
    rejected naming it, rather than attached or duplicated."""
    keyless = index.keyless_named(name, match)
    if keyless:
        raise RowRejected(f"{column}: no counterparty has {match.field.name} '{key_value}', but {', '.join(keyless)} "
                          f"named '{name}' holds no {match.field.name}: it may be this account. Give it "
                          f"{match.field.name} '{key_value}' in Tomorro to attach the row; a second '{name}' is not "
                          "created")
