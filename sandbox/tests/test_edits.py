"""POST /_sandbox/edit (renames, retypes, option renames, removals, raw record writes: none stamps
`updatedAt`) and the status profiles (`default-lists-hide-closed`, `status-in-refused`)."""

import pytest
from tomorro_sandbox.testing import Api, assert_error

ALL_CONTRACT_STATUSES = "in:draft,negotiating,signing,signed,canceled"


@pytest.fixture(autouse=True)
def _fresh(sb):
    yield
    sb.reset()
    sb.set_api_profiles([])


def _contract_values(sb, field_id: str) -> list:
    return [(c["id"], c["updatedAt"], item) for c in sb.records("contracts")
            for item in c["fields"] if item["attributeDefinitionId"] == field_id]


def test_rename_and_retype_reach_stored_values_without_touching_updated_at(sb):
    field = next(f for f in sb.records("smart-fields") if f["type"] == "number" and f["object"] == "contract")
    before = _contract_values(sb, field["id"])
    assert before
    sb.edit(fields=[{"id": field["id"], "name": "Renamed value", "type": "text"}])
    after = _contract_values(sb, field["id"])
    assert [(cid, at) for cid, at, _ in after] == [(cid, at) for cid, at, _ in before]
    assert all(item["name"] == "Renamed value" and isinstance(item["value"], str) for _, _, item in after)
    assert [item["value"] for _, _, item in after] == [str(item["value"]) for _, _, item in before]
    listed = next(f for f in Api(sb).walk("/smart-fields") if f["id"] == field["id"])
    assert listed == {"id": field["id"], "name": "Renamed value", "type": "text"}


def test_option_rename_relabels_stored_values(sb):
    options = sb.records("options")
    used = {(i["attributeDefinitionId"], v) for c in sb.records("contracts") for i in c["fields"]
            for v in (i["value"] if isinstance(i["value"], list) else [i["value"]]) if isinstance(v, str)}
    option = next(o for o in options if (o["smartFieldId"], o["translations"][0]["value"]) in used)
    old = option["translations"][0]["value"]
    sb.edit(options=[{"id": option["id"], "label": "Brand new label"}])
    values = [v for c in sb.records("contracts") for i in c["fields"] if i["attributeDefinitionId"] == option["smartFieldId"]
              for v in (i["value"] if isinstance(i["value"], list) else [i["value"]])]
    assert "Brand new label" in values and old not in values


def test_removals_and_raw_writes(sb):
    member, clause = sb.records("members")[0]["id"], sb.records("clauses")[0]["id"]
    contract = sb.records("contracts")[0]
    out = sb.edit(remove={"members": [member], "clauses": [clause, "no-such-id"]},
                  records={"contracts": [{"id": contract["id"], "updatedAt": "2020-01-01T00:00:00.000Z"}]})
    assert out["removed"] == {"members": [member], "clauses": [clause]}
    assert member not in {m["id"] for m in sb.records("members")}
    assert clause not in {c["id"] for c in sb.records("clauses")}
    stored = next(c for c in sb.records("contracts") if c["id"] == contract["id"])
    assert stored == {**contract, "updatedAt": "2020-01-01T00:00:00.000Z"}


def test_default_lists_hide_closed_unless_status_names_them(sb):
    api = Api(sb)
    every_cp, every_ct = sb.records("counterparties"), sb.records("contracts")
    sb.set_api_profiles(["default-lists-hide-closed"])
    assert len(api.walk("/counterparties")) == sum(c["status"] == "active" for c in every_cp)
    assert len(api.walk("/counterparties", status="in:active,archived")) == len(every_cp)
    assert len(api.walk("/counterparties", status="archived")) == sum(c["status"] == "archived" for c in every_cp)
    assert len(api.walk("/contracts", "contracts")) == sum(c["status"] != "canceled" for c in every_ct)
    assert len(api.walk("/contracts", "contracts", status=ALL_CONTRACT_STATUSES)) == len(every_ct)


def test_status_in_refused_takes_one_value(sb):
    api = Api(sb)
    sb.set_api_profiles(["status-in-refused"])
    assert_error(api.get("/contracts", status=ALL_CONTRACT_STATUSES), 400, "status: operator 'in' is not supported")
    assert_error(api.get("/counterparties", status="in:active,archived"), 400, "operator 'in'")
    assert api.get("/contracts", status="canceled").status_code == 200


def test_status_ignored_serves_the_default_list(sb):
    api = Api(sb)
    every_cp = sb.records("counterparties")
    sb.set_api_profiles(["default-lists-hide-closed", "status-ignored"])
    assert len(api.walk("/counterparties", status="in:active,archived")) == sum(c["status"] == "active" for c in every_cp)
