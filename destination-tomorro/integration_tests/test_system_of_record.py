"""Tomorro is the system of record (issue 20): identity per CRM integration, a lifecycle the
destination never reverses, fields it does not own, counterparties it never guesses, values as the
CRM meant them. One test per finding of the issue, each against the sandbox over a real socket;
ground truth from the sandbox (`sb.records`, `sb.stats`), never from the connector's output.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from airbyte_cdk.models import AirbyteMessageSerializer, ConfiguredAirbyteCatalogSerializer, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro import DestinationTomorro
from destination_tomorro.report import WriteReport

KEY = {"x-api-key": "sandbox-key"}
SALESFORCE = {"integration_type": "salesforce", "integration_entity": "Opportunity"}


def write(config: dict, h, streams, messages: list[dict]):
    """Run write() in-process: (the write report, the output messages, the failure or None)."""
    catalog = ConfiguredAirbyteCatalogSerializer.load(h.catalog(*streams))
    out, error = [], None
    try:
        out = list(DestinationTomorro().write(config, catalog, (AirbyteMessageSerializer.load(m) for m in messages)))
    except AirbyteTracedException as exc:
        error = exc
    report = next((WriteReport.from_json(m.trace.analytics.value) for m in out
                   if m.type == Type.TRACE and m.trace.analytics is not None), None)
    return report, out, error


def api(sb, method: str, path: str, body=None, **params):
    response = requests.request(method, sb.url + path, json=body, params=params, headers=KEY, timeout=10)
    assert response.status_code in (200, 201), response.text
    return response.json()


def field_id(sb, obj: str, name: str) -> str:
    return next(f["id"] for f in sb.records("smart-fields") if f["object"] == obj and f["name"] == name)


def template_id(sb) -> str:
    types = api(sb, "GET", "/contract-types", limit=50)
    items = types.get("data") or types.get("contractTypes") or []
    return next(t["id"] for ct in items for t in ct.get("templates") or [] if t["name"] == "Mutual NDA")


def linked_contract(sb, integration: dict, name: str) -> dict:
    """A contract linked to a CRM record, as another integration (or someone) made it in Tomorro."""
    cp = sb.records("counterparties")[0]
    return api(sb, "POST", "/contracts", {"templateId": template_id(sb), "counterparty": {"id": cp["id"]},
                                          "name": name, "integration": integration})


def contracts(sb, itype: str | None = None) -> list[dict]:
    return [c for c in sb.records("contracts") if c.get("integration") and (itype is None
                                                                            or c["integration"]["type"] == itype)]


def by_external_id(sb, external_id: str) -> list[dict]:
    return [c for c in contracts(sb) if c["integration"]["externalId"] == external_id]


def value_of(contract: dict, fid: str):
    return next((f["value"] for f in contract.get("fields") or [] if f["attributeDefinitionId"] == fid), None)


def deal(external_id, **values) -> dict:
    return {"external_id": external_id, "counterparty": "Record Co", **values}


# -- identity -------------------------------------------------------------------------------------
def test_finding_1_a_contract_of_another_crm_object_or_crm_is_another_record(sb, base_config, h):
    company = linked_contract(sb, {"type": "hubspot", "externalId": "4242", "externalEntity": "company"}, "Company 4242")
    opportunity = linked_contract(sb, {"type": "salesforce", "externalId": "777", "externalEntity": "Opportunity"},
                                  "Opportunity 777")
    unsure = linked_contract(sb, {"type": "hubspot", "externalId": "555"}, "No entity 555")  # no externalEntity
    rows = [deal(4242, name="Deal 4242"), deal("777", name="Deal 777"), deal(555, name="Deal 555")]
    report, _, error = write({**base_config, "max_rejected_ratio": 0.5}, h, [("deals", "append_dedup", "contract")],
                             [h.record("deals", r) for r in rows] + [h.state("deals", 1)])
    assert error is None, error
    counts = report.streams["deals"]
    assert (counts.created, counts.updated, counts.rejected) == (2, 0, 1)
    held = {c["id"]: c for c in sb.records("contracts")}
    assert held[company["id"]]["name"] == "Company 4242" and held[opportunity["id"]]["name"] == "Opportunity 777"
    assert held[unsure["id"]]["name"] == "No entity 555"
    mine = {c["integration"]["externalId"]: c for c in contracts(sb) if c["integration"].get("externalEntity") == "deal"
            and c["integration"]["externalId"] in ("4242", "777")}
    assert mine["4242"]["name"] == "Deal 4242" and mine["777"]["name"] == "Deal 777"
    reason = report.rejected_rows[0].reason
    assert reason.startswith("external_id: uncertain match") and "hubspot deal 555" in reason and unsure["id"] in reason
    assert not by_external_id(sb, "555")[1:]  # nothing created beside the uncertain one


def test_finding_2_salesforce_ids_are_case_sensitive_and_an_18_character_id_is_its_15_character_form(sb, base_config, h):
    config = {**base_config, **SALESFORCE, "max_rejected_ratio": 1.0}
    stream = [("opportunities", "append_dedup", "contract")]
    first = [deal("006Qy00001AbCdE", name="Upper"), deal("006Qy00001abcde", name="Lower")]
    report, _, error = write(config, h, stream, [h.record("opportunities", r) for r in first])
    assert error is None and report.streams["opportunities"].created == 2
    assert report.streams["opportunities"].superseded == 0
    again = [deal("006Qy00001AbCdEIAV", name="Upper (18)"), deal("006QY00001ABCDEIAV", name="Upper (18, upper-cased)"),
             deal("006qy00001abcdeIAA", name="Lower (18)"),
             deal("006Qy00001AbCdEBAV", name="a suffix marking a digit upper-case"),
             deal("006Qy00001AbCdE9AV", name="a suffix outside the alphabet")]
    report, _, error = write(config, h, stream, [h.record("opportunities", r) for r in again])
    counts = report.streams["opportunities"]
    assert (counts.created, counts.updated, counts.superseded, counts.rejected) == (0, 2, 1, 2)
    names = sorted(c["name"] for c in contracts(sb, "salesforce") if c["integration"]["externalId"].startswith("006"))
    assert names == ["Lower (18)", "Upper (18, upper-cased)"]
    reasons = " | ".join(r.reason for r in report.rejected_rows)
    assert "external_id: '006Qy00001AbCdEBAV' is not a Salesforce id: its suffix marks the digit" in reasons
    assert "external_id: '006Qy00001AbCdE9AV' is not a Salesforce id: its suffix character '9'" in reasons


def test_finding_3_every_numeric_form_of_a_hubspot_id_is_one_contract(sb, base_config, h):
    stream = [("deals", "append_dedup", "contract")]
    for value in ("12345", 12345.0, "12345.0", 12345, " 12345 "):
        report, _, error = write(base_config, h, stream, [h.record("deals", deal(value, name=f"Deal {value!r}"))])
        assert error is None, error
    assert [c["integration"]["externalId"] for c in by_external_id(sb, "12345")] == ["12345"]
    assert not [c for c in contracts(sb, "hubspot") if c["integration"]["externalId"].startswith("12345.")]


# -- lifecycle ------------------------------------------------------------------------------------
def test_finding_4_a_status_never_moves_back_and_the_rows_other_values_go_on(sb, base_config, h, airbyte_logs):
    stream = [("deals", "append_dedup", "contract")]
    write(base_config, h, stream, [h.record("deals", deal("LC-1", name="Out for signature", status="signing"))])
    report, _, error = write(base_config, h, stream, [h.record("deals", deal("LC-1", name="Renamed", status="draft"))])
    assert error is None, error
    held = by_external_id(sb, "LC-1")[0]
    assert (held["status"], held["name"]) == ("signing", "Renamed")
    assert report.streams["deals"].protected == 1 and report.streams["deals"].rejected == 0
    lines = [r.getMessage() for r in airbyte_logs if r.getMessage().startswith("Protected a row: ")]
    assert len(lines) == 1 and "Tomorro's status 'signing' is ahead of the row's 'draft'" in lines[0]


def test_finding_5_a_signed_contract_is_not_changed_unless_a_field_is_editable_after_signature(sb, base_config, h):
    value = field_id(sb, "contract", "Contract value")
    stream = [("deals", "append_dedup", "contract")]
    write(base_config, h, stream, [h.record("deals", deal("SG-1", name="Agreed", contract_value=1000))])
    signed = by_external_id(sb, "SG-1")[0]
    assert sb.sign([signed["id"]])["signed"] == [signed["id"]]
    sb.reset_stats()
    changed = deal("SG-1", name="Overwritten", contract_value=5, status="negotiating")
    report, _, error = write(base_config, h, stream, [h.record("deals", changed), h.state("deals", 1)])
    assert error is None and report.streams["deals"].protected == 1 and report.states_emitted == 1
    assert h.writes(sb) == 0
    held = by_external_id(sb, "SG-1")[0]
    assert (held["status"], held["name"], value_of(held, value)) == ("signed", "Agreed", 1000)
    allowed = {**base_config, "streams": [{"stream": "deals", "object": "contract",
                                           "after_signature_fields": ["Contract value"]}]}
    report, _, error = write(allowed, h, stream, [h.record("deals", changed)])
    held = by_external_id(sb, "SG-1")[0]
    assert (held["status"], held["name"], value_of(held, value)) == ("signed", "Agreed", 5)
    assert report.streams["deals"].protected == 1  # the name was still held back


# -- ownership ------------------------------------------------------------------------------------
def test_finding_6_a_newer_edit_in_tomorro_wins_and_field_behaviours_apply(sb, base_config, h):
    po = field_id(sb, "contract", "PO number")
    code = field_id(sb, "contract", "Project code")
    config = {**base_config, "streams": [{"stream": "deals", "object": "contract",
                                          "row_updated_at_column": "SystemModstamp",
                                          "if_empty_fields": ["PO number"], "on_create_fields": ["Project code"]}]}
    stream = [("deals", "append_dedup", "contract")]
    row = deal("OW-1", name="CRM name", po_number="PO-CRM", project_code="PRJ-1", SystemModstamp="2020-01-01T00:00:00Z")
    write(config, h, stream, [h.record("deals", row)])
    held = by_external_id(sb, "OW-1")[0]
    api(sb, "PATCH", f"/contracts/{held['id']}", {"name": "Legal's name", "fields": [{"fieldId": po, "value": "PO-LEGAL"}]})
    sb.reset_stats()
    report, _, error = write(config, h, stream, [h.record("deals", row)])  # the same, unchanged CRM row
    assert error is None and report.streams["deals"].protected == 1 and h.writes(sb) == 0
    held = by_external_id(sb, "OW-1")[0]
    assert (held["name"], value_of(held, po)) == ("Legal's name", "PO-LEGAL")
    # a row edited in the CRM after Tomorro's edit is written, but not over the fields Tomorro owns
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    report, _, error = write(config, h, stream, [h.record("deals", {**row, "name": "CRM rename", "SystemModstamp": later,
                                                                    "project_code": "PRJ-2"})])
    held = by_external_id(sb, "OW-1")[0]
    assert (held["name"], value_of(held, po), value_of(held, code)) == ("CRM rename", "PO-LEGAL", "PRJ-1")
    assert report.streams["deals"].updated == 1


def test_append_completes_a_draft_only_through_the_ownership_rules(sb, base_config, h):
    """`append` never updates, except to move a draft on to the status its row asks for; that one write is an
    update like any other: Tomorro's newer edit wins over an older row."""
    config = {**base_config, "streams": [{"stream": "deals", "object": "contract", "row_updated_at_column": "SystemModstamp"}]}
    stream = [("deals", "append", "contract")]
    draft = linked_contract(sb, {"type": "hubspot", "externalId": "7001", "externalEntity": "deal"},
                            "Draft made in Tomorro")
    assert draft["status"] == "draft"
    older = deal("7001", status="negotiating", SystemModstamp="2020-01-01T00:00:00Z")
    report, _, error = write(config, h, stream, [h.record("deals", older)])
    assert error is None and report.streams["deals"].protected == 1
    assert by_external_id(sb, "7001")[0]["status"] == "draft"
    newer = {**older, "SystemModstamp": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()}
    report, _, error = write(config, h, stream, [h.record("deals", newer)])
    assert error is None and report.streams["deals"].updated == 1
    assert by_external_id(sb, "7001")[0]["status"] == "negotiating"


def test_finding_7_empty_values_are_skipped_for_every_type_unless_clear(sb, base_config, h):
    names = {"po_number": "PO number", "contract_value": "Contract value", "renewal_date": "Renewal date",
             "special_conditions": "Special conditions"}
    ids = {column: field_id(sb, "contract", name) for column, name in names.items()}
    full = deal("EV-1", po_number="PO-1", contract_value=10, renewal_date="2027-01-01", special_conditions="Kept")
    stream = [("deals", "append_dedup", "contract")]
    write(base_config, h, stream, [h.record("deals", full)])
    for empty in ("", "   ", None):
        report, _, error = write(base_config, h, stream, [h.record("deals", {**full, **{c: empty for c in ids}})])
        assert error is None and report.streams["deals"].unchanged == 1, (empty, report)
    held = by_external_id(sb, "EV-1")[0]
    assert all(value_of(held, fid) is not None for fid in ids.values())
    clear = {**base_config, "streams": [{"stream": "deals", "object": "contract", "empty_values": "clear"}]}
    report, _, error = write(clear, h, stream, [h.record("deals", {**full, "po_number": " ", "contract_value": "",
                                                                   "renewal_date": None})])
    assert error is None and report.streams["deals"].updated == 1
    held = by_external_id(sb, "EV-1")[0]
    assert [value_of(held, ids[c]) for c in ("po_number", "contract_value", "renewal_date")] == [None, None, None]
    assert value_of(held, ids["special_conditions"]) is not None  # not in the row: left


# -- counterparties -------------------------------------------------------------------------------
@pytest.mark.parametrize("spellings", [("Twin Partners", "Twin Partners"), ("Twin Partners", "TWIN partners"),
                                       ("Twin Partners", "Twin  Partners ", "twin partners")])
def test_finding_8_an_ambiguous_counterparty_name_rejects_naming_the_candidates(sb, base_config, h, spellings):
    ids = [api(sb, "POST", "/counterparties", {"name": name})["id"] for name in spellings]
    sb.reset_stats()
    config = {**base_config, "max_rejected_ratio": 1.0}
    report, _, error = write(config, h, [("accounts", "append_dedup", "counterparty"), ("deals", "append_dedup", "contract")],
                             [h.record("accounts", {"name": "twin partners", "status": "archived"}),
                              h.record("deals", {"external_id": "AM-1", "counterparty": "Twin Partners"})])
    assert error is None and h.writes(sb) == 0
    assert report.streams["accounts"].rejected == 1 and report.streams["deals"].rejected == 1
    assert sorted(r.reason.split(":")[0] for r in report.rejected_rows) == ["counterparty", "name"]  # the columns
    for rejected in report.rejected_rows:
        assert all(cid in rejected.reason for cid in ids), rejected.reason
        assert f"{len(ids)} counterparties in Tomorro match the name" in rejected.reason


def test_finding_9_a_counterparty_key_survives_a_rename(sb, base_config, h):
    account_id = field_id(sb, "external_party", "Project code 2")
    config = {**base_config, "counterparty_match_field": "Project code 2"}
    streams = [("deals", "append_dedup", "contract"), ("accounts", "append_dedup", "counterparty")]  # deals first
    before = len(sb.records("counterparties"))
    write(config, h, streams, [h.record("deals", {"external_id": "RN-1", "counterparty_key": "ACC-RN-1",
                                                  "counterparty": "Old Name Co"}),
                               h.record("accounts", {"name": "Old Name Co", "Project code 2": "ACC-RN-1"})])
    # renamed in the CRM; this sync carries only the opportunity (the account comes in a later one)
    report, _, error = write(config, h, streams, [
        h.record("deals", {"external_id": "RN-1", "counterparty_key": "ACC-RN-1", "counterparty": "New Name Co"})])
    assert error is None, error
    mine = [cp for cp in sb.records("counterparties") if (cp.get("fields") or {}).get(account_id) == "ACC-RN-1"]
    assert len(sb.records("counterparties")) == before + 1 and [cp["name"] for cp in mine] == ["Old Name Co"]
    assert by_external_id(sb, "RN-1")[0]["counterparty"]["id"] == mine[0]["id"]
    assert not [cp for cp in sb.records("counterparties") if cp["name"] == "New Name Co"]
    # a key no counterparty holds, with a name: created once, holding the key
    write(config, h, streams, [h.record("deals", {"external_id": "RN-3", "counterparty_key": "ACC-RN-3",
                                                  "counterparty": "Fresh Key Co"})])
    fresh = [cp for cp in sb.records("counterparties") if (cp.get("fields") or {}).get(account_id) == "ACC-RN-3"]
    assert [cp["name"] for cp in fresh] == ["Fresh Key Co"]
    assert by_external_id(sb, "RN-3")[0]["counterparty"]["id"] == fresh[0]["id"]


@pytest.mark.parametrize(("crm", "held", "spellings"), [
    # a Salesforce account id: its 15-character form, its 18-character form in any letter case
    ({**SALESFORCE, "integration_entity": "Opportunity"}, "001Qy00001AbCdE", ["001Qy00001AbCdEIAV", "001QY00001ABCDEIAV"]),
    # a HubSpot company id: by value, whatever the warehouse made of the number
    ({"integration_type": "hubspot", "integration_entity": "deal"}, "9876543", ["9876543.0", " 9876543 "]),
])
def test_a_crm_account_key_is_compared_by_its_crms_id_rules_so_no_spelling_makes_a_second_counterparty(
        sb, base_config, h, crm, held, spellings):
    account_id = field_id(sb, "external_party", "Project code 2")
    config = {**base_config, **crm, "counterparty_match_field": "Project code 2"}
    streams = [("accounts", "append_dedup", "counterparty"), ("deals", "append_dedup", "contract")]
    write(config, h, streams, [h.record("accounts", {"name": "Spelt Co", "Project code 2": held})])
    before = len(sb.records("counterparties"))
    external = "006Qy00001AbCdE" if crm["integration_type"] == "salesforce" else "5551"
    report, _, error = write(config, h, streams, [
        h.record("accounts", {"name": "Spelt Co renamed", "Project code 2": spellings[0]}),
        h.record("deals", {"external_id": external, "counterparty_key": spellings[1], "counterparty": "Other name"})])
    assert error is None and report.streams["accounts"].rejected == 0 and report.streams["deals"].rejected == 0, report
    mine = [cp for cp in sb.records("counterparties") if (cp.get("fields") or {}).get(account_id) == held]
    assert len(sb.records("counterparties")) == before and [cp["name"] for cp in mine] == ["Spelt Co renamed"]
    assert by_external_id(sb, external)[0]["counterparty"]["id"] == mine[0]["id"]


def test_a_key_no_counterparty_holds_is_not_created_beside_a_keyless_one_of_its_name(sb, base_config, h):
    """Uncertain: the keyless 'Legal Co' made in Tomorro may be the CRM account; the row is rejected naming it
    and nothing is created. One of that name holding another key is another account: the key's is created."""
    account_id = field_id(sb, "external_party", "Project code 2")
    config = {**base_config, "counterparty_match_field": "Project code 2", "max_rejected_ratio": 1}
    keyless = api(sb, "POST", "/counterparties", {"name": "Legal Co"})
    other = api(sb, "POST", "/counterparties", {"name": "Twin Co", "attributes": [
        {"attributeDefinitionId": account_id, "value": "ACC-OTHER"}]})
    before = len(sb.records("counterparties"))
    stream = [("deals", "append_dedup", "contract")]
    report, _, error = write(config, h, stream, [
        h.record("deals", {"external_id": "8001", "counterparty_key": "ACC-LEGAL", "counterparty": "legal co"}),
        h.record("deals", {"external_id": "8002", "counterparty_key": "ACC-TWIN", "counterparty": "Twin Co"})])
    assert error is None and report.streams["deals"].rejected == 1 and report.streams["deals"].created == 1
    rejected = open(base_config["rejected_rows_path"]).read()
    assert keyless["id"] in rejected and "holds no Project code 2" in rejected, rejected
    assert not by_external_id(sb, "8001")
    twins = [cp for cp in sb.records("counterparties") if cp["name"] == "Twin Co"]
    assert len(sb.records("counterparties")) == before + 1 and len(twins) == 2
    assert by_external_id(sb, "8002")[0]["counterparty"]["id"] != other["id"]
    # a counterparty stream matched on the key: the same rule
    report, _, error = write(config, h, [("accounts", "append_dedup", "counterparty")], [
        h.record("accounts", {"name": "Legal Co", "Project code 2": "ACC-LEGAL"})])
    assert error is None and report.streams["accounts"].rejected == 1
    assert [cp["id"] for cp in sb.records("counterparties") if cp["name"] == "Legal Co"] == [keyless["id"]]


def test_finding_9_a_rename_never_splits_an_account_whatever_the_catalog_order(sb, base_config, h):
    """Contract rows naming the counterparty by its (new) name: the account row renaming it is written
    first, at every flush, though the opportunities stream comes first in the catalog and in arrival."""
    account_id = field_id(sb, "external_party", "Project code 2")
    config = {**base_config, "counterparty_match_field": "Project code 2"}
    streams = [("deals", "append_dedup", "contract"), ("accounts", "append_dedup", "counterparty")]
    api(sb, "POST", "/counterparties", {"name": "Before Rename Co",
                                        "attributes": [{"attributeDefinitionId": account_id, "value": "ACC-RN-2"}]})
    before = len(sb.records("counterparties"))
    report, _, error = write(config, h, streams, [
        h.record("deals", {"external_id": "RN-2", "counterparty": "After Rename Co"}),
        h.record("accounts", {"name": "After Rename Co", "Project code 2": "ACC-RN-2"}), h.state("deals", 1)])
    assert error is None, error
    assert len(sb.records("counterparties")) == before
    mine = [cp for cp in sb.records("counterparties") if (cp.get("fields") or {}).get(account_id) == "ACC-RN-2"]
    assert [cp["name"] for cp in mine] == ["After Rename Co"]
    assert by_external_id(sb, "RN-2")[0]["counterparty"]["id"] == mine[0]["id"]


def test_finding_9_rows_for_one_key_from_several_streams_apply_in_arrival_order(sb, base_config, h):
    config = {**base_config, "counterparty_match_field": "Project code 2"}
    streams = [("accounts_b", "append_dedup", "counterparty"), ("accounts_a", "append_dedup", "counterparty")]
    report, _, error = write(config, h, streams, [
        h.record("accounts_a", {"name": "Arrived first", "Project code 2": "ACC-AO-1"}),
        h.record("accounts_b", {"name": "Arrived second", "Project code 2": "ACC-AO-1"})])
    assert error is None, error
    account_id = field_id(sb, "external_party", "Project code 2")
    mine = [cp["name"] for cp in sb.records("counterparties") if (cp.get("fields") or {}).get(account_id) == "ACC-AO-1"]
    assert mine == ["Arrived second"]


# -- values ---------------------------------------------------------------------------------------
def test_finding_10_dates_keep_their_calendar_day_booleans_are_true_false_reasons_name_column_and_field(sb, base_config, h):
    renewal, review = field_id(sb, "contract", "Renewal date"), field_id(sb, "contract", "Review date")
    po = field_id(sb, "contract", "PO number")
    stream = [("deals", "append_dedup", "contract")]
    report, _, error = write({**base_config, "max_rejected_ratio": 1.0}, h, stream, [
        h.record("deals", deal("VA-1", renewal_date="2026-12-31T00:00:00+01:00", review_date="2026-12-31T18:00:00-08:00",
                               po_number=True)),
        h.record("deals", deal("VA-2", amount_column_x=1, contract_value="a lot"))])
    held = by_external_id(sb, "VA-1")[0]
    assert (value_of(held, renewal)[:10], value_of(held, review)[:10], value_of(held, po)) == (
        "2026-12-31", "2026-12-31", "true")
    assert report.rejected_rows[0].reason.startswith("contract_value: ")
    assert "smart field 'Contract value'" in report.rejected_rows[0].reason
