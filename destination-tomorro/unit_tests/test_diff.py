"""diff.py: a PATCH body holds only what differs; equal values of another type or precision are equal."""

from destination_tomorro.mapping import MappedRow
from destination_tomorro.objects import CONTRACT, COUNTERPARTY


def test_contract_diff_sends_only_changes():
    row = MappedRow("contract", "D", {}, name="N", counterparty_id="cp1",
                    fields={"f-value": 10, "f-renewal": "2025-01-01"})
    current = {"name": "N", "status": "draft", "counterparty": {"id": "cp1"},
               "fields": [{"attributeDefinitionId": "f-value", "value": 10.0},
                          {"attributeDefinitionId": "f-renewal", "value": "2025-01-01T00:00:00.000Z"}]}
    assert CONTRACT.diff(row, current) == {}
    current["fields"][0]["value"] = 9
    current["name"] = "Old"
    assert CONTRACT.diff(row, current) == {"name": "N", "fields": [{"fieldId": "f-value", "value": 10}]}
    row.status, row.counterparty_id = "negotiating", "cp2"
    assert CONTRACT.diff(row, current)["status"] == "negotiating"
    assert CONTRACT.diff(row, current)["counterparty"] == {"id": "cp2"}


def test_counterparty_diff_sends_only_changes():
    cp = MappedRow("counterparty", "acme", {}, name="Acme", fields={"cf-siren": "1"})
    assert COUNTERPARTY.diff(cp, {"name": "Acme", "status": "active", "fields": {"cf-siren": "1"}}) == {}
    assert COUNTERPARTY.diff(cp, {"name": "ACME", "fields": {}}) == {
        "name": "Acme", "attributes": [{"attributeDefinitionId": "cf-siren", "value": "1"}]}
