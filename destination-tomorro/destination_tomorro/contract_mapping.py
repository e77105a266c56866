"""Contract rows -> API bodies (the contract half of mapping.RowMapper, without I/O): the template
and contract type, the CRM identity (identity.py) and link, the counterparty by id, CRM account key
(`counterparty_key`) or name. Every reason starts with the row's column."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from .coercion import clip, coerce
from .errors import RowRejected
from .identity import Identity, row_identity
from .keys import value_key
from .mapping import MappedRow, RowMapper, scalar
from .objects import CONTRACT, CONTRACT_STATUSES


def crm_link(mapper: RowMapper, reserved: dict[str, tuple[str, Any]]) -> tuple[Identity | None, str | None]:
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


def counterparty_key(mapper: RowMapper, reserved: dict[str, tuple[str, Any]]) -> tuple[str | None, Any]:
    """(key, smart-field value) of a `counterparty_key` column: the CRM account key, matched on the
    counterparty match field (a smart field)."""
    if "counterparty_key" not in reserved:
        return None, None
    column, value = reserved["counterparty_key"]
    match = mapper.counterparty_match
    if match is None or match.field is None:
        raise RowRejected(f"{column}: a counterparty key needs counterparty_match_field (or the counterparty "
                          "stream's match_key) to be a counterparty smart field holding the CRM account key")
    try:
        coerced = coerce(match.field, value, mapper.schema.options, mapper.schema.integration_type)
        return value_key(coerced), coerced
    except RowRejected as exc:
        raise RowRejected(f"{column}: {exc.reason}") from None
    except ValueError as exc:
        raise RowRejected(f"{column}: {exc}") from None


def map_contract(mapper: RowMapper, reserved: dict[str, tuple[str, Any]], fields: dict[str, Any]) -> MappedRow:
    cfg = mapper.cfg
    ct_ref = mapper.text(reserved, "contract_type") or cfg.default_contract_type
    contract_type = None
    if ct_ref is not None:
        contract_type = mapper.schema.find_contract_type(ct_ref)
        if contract_type is None:
            column = reserved.get("contract_type", ("default_contract_type",))[0]
            raise RowRejected(f"{column}: '{clip(ct_ref)}' is not a contract type id or name")
    tpl_ref = mapper.text(reserved, "template") or cfg.default_template
    if tpl_ref is None:
        if contract_type and len(contract_type.get("templates") or []) == 1:
            template = contract_type["templates"][0]
        else:
            raise RowRejected("template: no template column and no default_template configured")
    else:
        found = mapper.schema.find_template(tpl_ref, contract_type)
        if found is None:
            owner = f" of contract type '{contract_type['name']}'" if contract_type else ""
            column = reserved.get("template", ("default_template",))[0]
            raise RowRejected(f"{column}: '{clip(tpl_ref)}' is not a template{owner} (id or name)")
        template, owner_type = found
        contract_type = contract_type or owner_type
    name = mapper.text(reserved, "name")
    status = mapper.status(reserved, CONTRACT_STATUSES)
    identity, external_id = crm_link(mapper, reserved)
    cp_id = mapper.text(reserved, "counterparty_id")
    cp_name = mapper.text(reserved, "counterparty_name")
    cp_key, cp_value = counterparty_key(mapper, reserved)
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
    return MappedRow(CONTRACT, identity.key if identity else None, body, name=name, status=status, fields=fields,
                     counterparty_id=cp_id, counterparty_name=cp_name, counterparty_key=cp_key,
                     counterparty_key_value=cp_value, label=external_id, identity=identity)


def _http_url(url: str, column: str) -> str:
    """Only absolute http(s) links: Tomorro shows them as links (a `javascript:` one would run)."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        raise RowRejected(f"{column}: '{clip(url)}' is not an http(s) URL")
    return url
