"""ownership.py (and policy.py): which of a row's changes an existing object takes. Pure rules."""

import datetime as dt

import pytest
from destination_tomorro.mapping import MappedRow
from destination_tomorro.objects import CONTRACT, COUNTERPARTY
from destination_tomorro.objects.contract import moves_forward
from destination_tomorro.ownership import decide
from destination_tomorro.policy import WritePolicy, resolve_policy
from destination_tomorro.stream_mapping import StreamMapping

UTC = dt.UTC


def row(**values) -> MappedRow:
    return MappedRow(CONTRACT, "k", {}, **values)


def contract(status="draft", updated="2026-06-01T12:00:00.000Z", **extra):
    return {"id": "c1", "status": status, "name": "Tomorro", "updatedAt": updated,
            "fields": [{"attributeDefinitionId": "f-value", "value": 10}], **extra}


def decided(patch, current=None, policy=None, ours=False, **values):
    return decide(CONTRACT, row(**values), current or contract(), patch, policy or WritePolicy(), ours=ours,
                  describe=str)


@pytest.mark.parametrize("current, wanted, forward", [
    ("draft", "negotiating", True), ("negotiating", "signing", True), ("signing", "signed", True),
    ("draft", "signing", True), ("signing", "canceled", True), ("draft", "canceled", True),
    ("signing", "draft", False), ("negotiating", "draft", False), ("signing", "negotiating", False),
    ("signed", "canceled", False), ("canceled", "draft", False), ("signed", "negotiating", False),
])
def test_a_status_only_moves_forward(current, wanted, forward):
    assert moves_forward(current, wanted) is forward


def test_a_move_back_is_held_and_the_other_values_go_on():
    d = decided({"status": "draft", "name": "CRM"}, contract("signing"))
    assert d.patch == {"name": "CRM"} and "'signing' is ahead of the row's 'draft'" in d.withheld[0]


@pytest.mark.parametrize("status", ["signed", "canceled"])
def test_a_final_contract_takes_only_its_after_signature_fields(status):
    patch = {"name": "CRM", "status": "negotiating", "fields": [{"fieldId": "f-value", "value": 5}]}
    assert decided(patch, contract(status)).patch == {}
    allowed = WritePolicy(after_signature=frozenset({"field:f-value"}))
    d = decided(patch, contract(status), allowed)
    assert d.patch == {"fields": [{"fieldId": "f-value", "value": 5}]} and f"is {status}" in d.withheld[0]


def test_a_newer_edit_in_tomorro_wins_unless_the_last_edit_was_this_syncs():
    policy = WritePolicy(updated_at_column="SystemModstamp")
    older = dt.datetime(2026, 5, 1, tzinfo=UTC)
    d = decided({"name": "CRM"}, policy=policy, updated_at=older)
    assert d.patch == {} and "newer than the row's" in d.withheld[0] and "SystemModstamp" in d.withheld[0]
    assert decided({"name": "CRM"}, policy=policy, updated_at=older, ours=True).patch == {"name": "CRM"}
    assert decided({"name": "CRM"}, policy=policy, updated_at=dt.datetime(2026, 7, 1, tzinfo=UTC)).patch == {"name": "CRM"}
    d = decided({"name": "CRM"}, policy=policy)  # no last-modified time: it cannot show it is newer
    assert d.patch == {} and "has no last-modified time" in d.withheld[0]
    for unreadable in (None, "yesterday"):  # nor can it when Tomorro's own time cannot be read
        d = decided({"name": "CRM"}, contract(updated=unreadable), policy=policy, updated_at=older)
        assert d.patch == {} and "no readable updatedAt" in d.withheld[0]


@pytest.mark.parametrize("unknown", ["archived", "in_review", "SIGNED"])
def test_a_status_this_connector_does_not_know_never_moves(unknown):
    assert not any(moves_forward(unknown, wanted) for wanted in ("negotiating", "signing", "signed", "canceled"))


def test_field_behaviours_leave_values_without_protecting_the_row():
    patch = {"name": "CRM", "fields": [{"fieldId": "f-value", "value": 5}, {"fieldId": "f-code", "value": "P"}]}
    policy = WritePolicy(if_empty=frozenset({"field:f-value", "field:f-code"}), on_create=frozenset({"name"}))
    d = decided(patch, policy=policy)
    assert d.patch == {"fields": [{"fieldId": "f-code", "value": "P"}]}  # f-code is empty in Tomorro
    assert not d.withheld and len(d.skipped) == 2


def test_nothing_differs_nothing_is_decided():
    assert decided({}, contract("signed")).withheld == []


def test_counterparties_have_no_lifecycle():
    d = decide(COUNTERPARTY, MappedRow(COUNTERPARTY, "k", {}), {"id": "p", "status": "archived"},
               {"status": "active"}, WritePolicy(), ours=False, describe=str)
    assert d.patch == {"status": "active"} and not d.withheld


def test_a_policy_entry_naming_nothing_fails_naming_it(schema, ref):
    code = ref.field["Project code"]
    entry = StreamMapping(stream="deals", object="contract", if_empty_fields=["Contract value", "name"],
                          on_create_fields=[code], after_signature_fields=["Renewal date"],
                          row_updated_at_column=" SystemModstamp ", empty_values="clear")
    policy = resolve_policy(entry, CONTRACT, schema, "stream 'deals'")
    assert policy.if_empty == {f"field:{ref.field['Contract value']}", "name"} and policy.on_create == {f"field:{code}"}
    assert policy.after_signature == {f"field:{ref.field['Renewal date']}"}
    assert policy.updated_at_column == "SystemModstamp"
    assert policy.clear_empty
    with pytest.raises(ValueError, match="stream 'deals': if_empty_fields entry 'Nope' is neither"):
        resolve_policy(StreamMapping(stream="deals", object="contract", if_empty_fields=["Nope"]), CONTRACT, schema,
                       "stream 'deals'")
    with pytest.raises(ValueError, match="cannot hold status"):
        resolve_policy(StreamMapping(stream="deals", object="contract", after_signature_fields=["status"]), CONTRACT,
                       schema, "stream 'deals'")
    with pytest.raises(ValueError, match="both in if_empty_fields and on_create_fields"):
        StreamMapping(stream="deals", object="contract", if_empty_fields=["a"], on_create_fields=["a"])
