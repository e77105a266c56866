"""Contracts (`/contracts`): the CRM's deals, linked to their CRM record.

* Matched on their CRM identity (integration type, entity, external id by the CRM's rules:
  identity.py); the stream's key column holds the external id, whatever its name. Keyless rows are
  created in `append` with the default key (never found again, so never in `append_dedup`).
* A row needs a template (column, `default_template`, or its contract type's only one) and a
  counterparty: by id, CRM account key (`counterparty_key`) or name, found or created once
  (objects/counterparty.py) after every check that can reject the row.
* Statuses follow a lifecycle: draft -> negotiating -> signing -> signed, canceled from any status
  that is not final; signed / canceled contracts take only their `after_signature_fields`.
* New contracts are drafts: a row's other status is a second request, made after the contract is
  remembered by its key, so a re-run finds it and finishes it (in `append` too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ..coercion import clip, coerce
from ..diff import is_empty, same_value
from ..errors import RowRejected, TomorroClientError
from ..identity import Identity, row_identity
from ..indexes import ContractIndex
from ..keys import MatchKey, field_key
from ..ledger import Classified
from ..mapping import MappedRow, scalar
from ..names import normalise
from ..operations import as_written, check_cleared, fields_as_read, named
from ..ownership import decide
from ..recovery import create_once, find_created_contract
from .counterparty import COUNTERPARTY
from .kind import BatchRow, ObjectKind, Reserved

if TYPE_CHECKING:  # annotations only
    from ..client import TomorroClient
    from ..config import DestinationTomorroConfig
    from ..mapping import RowMapper
    from ..operations import RowOperations
    from ..routing import Route
    from ..schema import TomorroSchema

FORWARD = {"draft": 0, "negotiating": 1, "signing": 2, "signed": 3}
FINAL_STATUSES = frozenset({"signed", "canceled"})  # a contract in one of them never changes status again
STRING = {"type": ["null", "string"]}


def moves_forward(current: str | None, wanted: str) -> bool:
    """Whether a contract status change goes forward in Tomorro's lifecycle."""
    if current in FINAL_STATUSES:
        return False
    if current is not None and current not in FORWARD:  # a status this connector does not know: never assume
        return False
    if wanted == "canceled":
        return True
    return FORWARD.get(wanted, -1) > FORWARD.get(current or "draft", 0)


class ContractKind(ObjectKind):
    name = "contract"
    aliases = ("contracts",)
    smart_field_object = "contract"
    statuses = frozenset({"draft", "negotiating", "signing", "signed", "canceled"})
    final_statuses = FINAL_STATUSES
    is_signed = True
    reserved_columns = {
        "name": "name", "status": "status",
        "template": "template", "templateid": "template", "templatename": "template",
        "contracttype": "contract_type", "contracttypeid": "contract_type", "contracttypename": "contract_type",
        "counterpartyid": "counterparty_id",
        "counterparty": "counterparty_name", "counterpartyname": "counterparty_name",
        "counterpartykey": "counterparty_key",
        "externalid": "external_id", "externalurl": "external_url",
    }
    targets = {"name": "name", "status": "status", "counterparty": "counterparty", "counterpartyid": "counterparty",
               "counterpartyname": "counterparty", "counterpartykey": "counterparty"}
    column_schema = {
        "name": STRING, "status": STRING, "template": STRING, "contract_type": STRING, "counterparty_id": STRING,
        "counterparty": STRING, "counterparty_key": STRING, "external_id": STRING, "external_url": STRING,
    }
    default_key_column = "external_id"
    key_role = "external_id"
    key_always_required = False  # keyless creates in `append` with the default key
    key_description = "the external id of contracts"
    refers_to = (COUNTERPARTY.name,)

    # -- matching key ------------------------------------------------------------------------------
    def resolve_key(self, column: str, source: str, schema: TomorroSchema, where: str,
                    stream: str | None) -> MatchKey:
        return MatchKey(self, column, source=source)  # any column can hold the external id

    def key_columns(self, match: MatchKey) -> dict[str, str]:
        if normalise(match.column) == "externalid":
            return {}
        # the stream's key column holds the external id; an `external_id` column is then not sent
        return {"externalid": "ignored", normalise(match.column): "external_id"}

    # -- rows -> bodies ----------------------------------------------------------------------------
    def row_key(self, mapper: RowMapper, value: Any) -> str | None:
        return row_identity(mapper.cfg.integration_type or "", mapper.cfg.integration_entity, value)[0].key

    def map_row(self, mapper: RowMapper, reserved: Reserved, fields: dict[str, Any]) -> MappedRow:
        cfg = mapper.cfg
        template, contract_type = _template(mapper, reserved)
        name = mapper.text(reserved, "name")
        status = mapper.status(reserved, self.statuses)
        identity, external_id = _crm_link(mapper, reserved)
        cp_id = mapper.text(reserved, "counterparty_id")
        cp_name = mapper.text(reserved, "counterparty_name")
        cp_key, cp_value = _account_key(mapper, reserved)
        if not cp_id and not cp_name and cp_key is None:
            raise RowRejected("counterparty: a contract needs a counterparty_id, counterparty_key or counterparty "
                              "(name) column")
        body: dict[str, Any] = {"templateId": template["id"]}
        if contract_type:
            body["contractTypeId"] = contract_type["id"]
        if name:
            body["name"] = name
        if fields:
            body["fields"] = [{"fieldId": k, "value": v} for k, v in fields.items()]
        if external_id:
            integration = {"type": cfg.integration_type, "externalId": external_id}
            if cfg.integration_entity:
                integration["externalEntity"] = cfg.integration_entity
            url = mapper.text(reserved, "external_url")
            if url:
                integration["externalUrl"] = _http_url(url, reserved["external_url"][0])
            body["integration"] = integration
        return MappedRow(self.name, identity.key if identity else None, body, name=name, status=status, fields=fields,
                         counterparty_id=cp_id, counterparty_name=cp_name, counterparty_key=cp_key,
                         counterparty_key_value=cp_value, label=external_id, identity=identity)

    def diff(self, row: MappedRow, current: dict[str, Any]) -> dict[str, Any]:
        """PATCH body holding only what differs from `current` (empty = unchanged); a field to clear
        (empty_values: clear) is sent as null when Tomorro holds a value. Who may change what is
        ownership.py's question, asked of this body.

        templateId, contractTypeId and integration cannot change through PATCH and are not compared.
        """
        patch: dict[str, Any] = {}
        if row.name and row.name != current.get("name"):
            patch["name"] = row.name
        if row.status and row.status != current.get("status"):
            patch["status"] = row.status
        if row.counterparty_id and row.counterparty_id != (current.get("counterparty") or {}).get("id"):
            patch["counterparty"] = {"id": row.counterparty_id}
        existing = {f.get("attributeDefinitionId"): f.get("value") for f in current.get("fields") or []}
        changed = [{"fieldId": k, "value": v} for k, v in row.fields.items()
                   if k not in existing or not same_value(v, existing[k])]
        changed += [{"fieldId": k, "value": None} for k in sorted(row.clears) if not is_empty(existing.get(k))]
        if changed:
            patch["fields"] = changed
        return patch

    def moves_forward(self, current: str | None, wanted: str) -> bool:
        return moves_forward(current, wanted)

    # -- the write ---------------------------------------------------------------------------------
    def make_index(self, client: TomorroClient, routes: list[Route]) -> ContractIndex:
        return ContractIndex(client)

    def prepare_batch(self, indexes: dict[str, Any], tasks: list[list[BatchRow]]) -> None:
        """The counterparties the batch names: listed once when that is cheaper than a look-up each."""
        mapped = [m for task in tasks for _, _, _, m in task if isinstance(m, MappedRow)]
        names = {m.counterparty_name for m in mapped if m.counterparty_name and not m.counterparty_id}
        on_key = any(m.counterparty_key is not None for m in mapped)
        indexes[COUNTERPARTY.name].prepare(len(names), on_field=on_key)
        arrivals = sorted((seq, m.counterparty_name) for task in tasks for seq, _, _, m in task
                          if isinstance(m, MappedRow) and m.counterparty_name and not m.counterparty_id)
        indexes[COUNTERPARTY.name].note_spellings(name for _, name in arrivals)

    def write(self, ops: RowOperations, route: Route, row: MappedRow) -> Classified:
        index: ContractIndex = ops.indexes[self.name]
        if row.key is None and (route.mode == "append_dedup" or route.match.chosen):
            # keyless creates only in append with the default key: a chosen key must be there
            raise RowRejected(f"{route.match.column}: the row has no value in the column contracts are matched on "
                              f"({route.match.source}); {route.mode} never creates a contract it could not find again")
        current = named(route.match.column, lambda: index.get(row.identity)) if row.identity else None
        ours = current is not None and current["id"] in index.written
        _check_status(route, row, current)  # before anything is written, a counterparty included
        extras: list[str] = []
        if not row.counterparty_id and (row.counterparty_name or row.counterparty_key is not None):
            # a counterparty that could not be written to this contract is looked up, never created
            create = current is None or (route.mode == "append_dedup" and bool(decide(
                self, row, current, {"counterparty": {"id": "?"}}, route.policy, ours=ours, describe=str).patch))
            row.counterparty_id, extras = COUNTERPARTY.find_or_create_for(ops, route, row, create)
        if current is not None:
            if route.mode == "append":
                return _complete_status(ops, index, route, row, current, ours, extras)
            result, patch = ops.update(route, row, current, self.diff(row, current), ours, extras)
            if patch and not ops.dry_run:
                answer = ops.client.update_contract(current["id"], patch)
                index.remember(as_written(current, answer, fields_as_read(patch)), row.identity)
                check_cleared(route, row, patch, answer, lambda: ops.client.get_contract(current["id"]))
            return result
        if ops.dry_run:
            return Classified("created", row.label, "", extras)
        body = {**row.create_body, "counterparty": {"id": row.counterparty_id}}
        created = create_once(ops.client, lambda: ops.client.create_contract(body),
                              lambda since: find_created_contract(ops.client, since, row, index))
        created = as_written({}, created, fields_as_read(body))
        index.remember(created, row.identity)  # before the status: a re-run finds it and completes it
        if row.status and row.status != created.get("status"):
            # new contracts are drafts: the status is a second request
            try:
                answer = ops.client.update_contract(created["id"], {"status": row.status})
                index.remember(as_written(created, answer, {"status": row.status}), row.identity)
            except TomorroClientError as exc:
                column = route.mapper.column_of(row, "status")
                raise RowRejected(f"{column}: contract {created['id']} was created but its status could not be "
                                  f"set to '{row.status}': {exc.message} (a re-run sets it)", exc.status_code) from None
        return Classified("created", row.label, "", extras)

    # -- check -------------------------------------------------------------------------------------
    def settings_problems(self, cfg: DestinationTomorroConfig, schema: TomorroSchema) -> list[str]:
        problems = []
        contract_type = None
        if cfg.default_contract_type:
            contract_type = schema.find_contract_type(cfg.default_contract_type)
            if contract_type is None:
                problems.append(f"default_contract_type: '{cfg.default_contract_type}' is not a contract type id or name")
        if cfg.default_template and schema.find_template(cfg.default_template, contract_type) is None:
            problems.append(f"default_template: '{cfg.default_template}' is not a template"
                            + (" of that contract type" if contract_type else "") + " (id or name)")
        return problems


CONTRACT = ContractKind()


# -- mapping -----------------------------------------------------------------------------------------
def _template(mapper: RowMapper, reserved: Reserved) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(template, contract type) of a row: its columns, else the defaults, else the type's only template."""
    ct_ref = mapper.text(reserved, "contract_type") or mapper.cfg.default_contract_type
    contract_type = None
    if ct_ref is not None:
        contract_type = mapper.schema.find_contract_type(ct_ref)
        if contract_type is None:
            column = reserved.get("contract_type", ("default_contract_type",))[0]
            raise RowRejected(f"{column}: '{clip(ct_ref)}' is not a contract type id or name")
    tpl_ref = mapper.text(reserved, "template") or mapper.cfg.default_template
    if tpl_ref is None:
        if contract_type and len(contract_type.get("templates") or []) == 1:
            return contract_type["templates"][0], contract_type
        raise RowRejected("template: no template column and no default_template configured")
    found = mapper.schema.find_template(tpl_ref, contract_type)
    if found is None:
        owner = f" of contract type '{contract_type['name']}'" if contract_type else ""
        column = reserved.get("template", ("default_template",))[0]
        raise RowRejected(f"{column}: '{clip(tpl_ref)}' is not a template{owner} (id or name)")
    template, owner_type = found
    return template, contract_type or owner_type


def _crm_link(mapper: RowMapper, reserved: Reserved) -> tuple[Identity | None, str | None]:
    """(the row's CRM identity, the id sent to Tomorro), by the CRM's rules (identity.py)."""
    if "external_id" not in reserved:
        return None, None
    column, value = reserved["external_id"]
    if not mapper.cfg.integration_type:
        raise RowRejected(f"{column}: set integration_type (salesforce|hubspot) in the configuration "
                          "to link contracts to the CRM")
    if isinstance(value, (str, dict, list, tuple, bool)):
        value = scalar(value, column)  # a list, an object or a boolean is no id (never its repr)
    try:
        return row_identity(mapper.cfg.integration_type, mapper.cfg.integration_entity, value)
    except ValueError as exc:
        raise RowRejected(f"{column}: {exc}") from None


def _account_key(mapper: RowMapper, reserved: Reserved) -> tuple[str | None, Any]:
    """(key, smart-field value) of a `counterparty_key` column: the CRM account key, matched on the
    counterparty match field (a smart field)."""
    if "counterparty_key" not in reserved:
        return None, None
    column, value = reserved["counterparty_key"]
    match = mapper.references.get(COUNTERPARTY.name)
    if match is None or match.field is None:
        raise RowRejected(f"{column}: a counterparty key needs counterparty_match_field (or the counterparty "
                          "stream's match_key) to be a counterparty smart field holding the CRM account key")
    try:
        coerced = coerce(match.field, value, mapper.schema.options, mapper.schema.integration_type)
        return field_key(coerced, match), coerced
    except RowRejected as exc:
        raise RowRejected(f"{column}: {exc.reason}") from None
    except ValueError as exc:
        raise RowRejected(f"{column}: {exc}") from None


def _http_url(url: str, column: str) -> str:
    """Only absolute http(s) links: Tomorro shows them as links (a `javascript:` one would run)."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        raise RowRejected(f"{column}: '{clip(url)}' is not an http(s) URL")
    return url


# -- the write ---------------------------------------------------------------------------------------
def _complete_status(ops: RowOperations, index: ContractIndex, route: Route, row: MappedRow, current: dict[str, Any],
                     ours: bool, extras: list[str]) -> Classified:
    """`append` never updates, except to finish a create left in draft: a draft whose row asks for a status.
    That one change still goes through the ownership rules (a newer edit in Tomorro wins), like any update."""
    if not row.status or current.get("status") != "draft" or row.status == "draft":
        return Classified("unchanged", row.label, "exists (append never updates)", extras)
    result, patch = ops.update(route, row, current, {"status": row.status}, ours, extras)
    if not patch:
        return result
    if not ops.dry_run:
        answer = ops.client.update_contract(current["id"], patch)
        index.remember(as_written(current, answer, patch), row.identity)
    return Classified("updated", row.label, "status (a create left in draft is completed)", result.extras)


def _check_status(route: Route, row: MappedRow, current: dict[str, Any] | None) -> None:
    """The status rules, checked before any write. A status Tomorro is past (a final one, or a move
    back) is not a reject: ownership.py holds it back and the row is `protected`."""
    status = row.status
    if not status or (current is not None and current.get("status") == status):
        return
    if current is not None and not moves_forward(current.get("status"), status):
        return
    column = route.mapper.column_of(row, "status")
    if status == "signed":
        raise RowRejected(f"{column}: 'signed' cannot be set through the API (a contract is signed through "
                          "Tomorro's signature process)")
    if current is None and row.key is None and status != "draft":
        raise RowRejected(f"{column}: a contract without a key is created as a draft and its status set by a "
                          f"second request; if that request failed a re-run could not find the draft to "
                          f"finish it. Give the row a '{route.match.column}' value to set status '{status}'")
