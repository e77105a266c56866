"""End to end: CRM rows pushed with `tomorro-sync push` (the destination-tomorro console script),
then pulled back with the source: the round trip keeps counterparty links and field values, and a
second identical push creates nothing.
"""

from __future__ import annotations

import json

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.pull import pull, query
from tomorro_sync.push import push
from tomorro_sync.target import Target

ACCOUNTS = [
    {"name": "Northwind Traders", "status": "active", "sf_account_id": "001A"},
    {"name": "Contoso Pharma", "status": "active", "sf_account_id": "001B"},
]
OPPORTUNITIES = [
    {"external_id": "006-1", "external_url": "https://crm.example.com/006-1", "name": "Northwind - MSA",
     "counterparty": "Northwind Traders", "template": "Standard Service Agreement", "Contract value": "125000"},
    {"external_id": "006-2", "external_url": "https://crm.example.com/006-2", "name": "Contoso - NDA",
     "counterparty": "Contoso Pharma", "template": "Mutual NDA", "Contract value": "0"},
]
CRM = {"integration_type": "salesforce", "integration_entity": "Opportunity"}


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=11, contracts=60, counterparties=30, fields=40, members=6) as sb:
        yield sb


@pytest.fixture(scope="module")
def target(sandbox) -> Target:
    return Target.of_sandbox(sandbox)


@pytest.fixture(scope="module")
def pushed(e2e_dir, target):
    accounts = push(target, ACCOUNTS, stream="crm_accounts", object_name="counterparty", work_dir=e2e_dir)
    deals = push(target, OPPORTUNITIES, stream="crm_opportunities", object_name="contract",
                 work_dir=e2e_dir, options=CRM)
    return accounts, deals


def test_given_new_crm_rows_when_pushed_then_each_is_created_once(pushed):
    accounts, deals = pushed
    assert accounts.failure is None and deals.failure is None
    assert accounts.committed and deals.committed
    assert accounts.counts["created"] == 2 and deals.counts["created"] == 2
    assert accounts.counts["rejected"] == 0 and deals.counts["rejected"] == 0


def test_given_pushed_rows_when_pulled_then_contracts_link_to_their_counterparties(pushed, e2e_dir, target,
                                                                                    sandbox):
    db = e2e_dir / "roundtrip.duckdb"
    pull(target, db, streams=["contracts", "counterparties"])
    value_field = next(f["id"] for f in sandbox.records("smart-fields")
                       if f["name"] == "Contract value" and f["object"] == "contract")
    rows = query(db, """
            SELECT json_extract_string(c.integration, '$.externalId'), cp.name, c.fields
            FROM main.contracts c JOIN main.counterparties cp ON cp.id = c.counterpartyid
            WHERE json_extract_string(c.integration, '$.externalId') IN ('006-1', '006-2')
            ORDER BY 1""")
    assert [(row[0], row[1]) for row in rows] == [("006-1", "Northwind Traders"), ("006-2", "Contoso Pharma")]
    fields = [row[2] if isinstance(row[2], list) else json.loads(row[2]) for row in rows]
    values = [{f["attributeDefinitionId"]: f["value"] for f in each}[value_field] for each in fields]
    assert values == [125000, 0]


def test_given_same_rows_when_pushed_again_then_nothing_is_created(pushed, e2e_dir, target, sandbox):
    counts = {name: len(sandbox.records(name)) for name in ("contracts", "counterparties")}
    again = push(target, OPPORTUNITIES, stream="crm_opportunities", object_name="contract",
                 work_dir=e2e_dir, options=CRM)
    assert again.failure is None
    assert again.counts["created"] == 0 and again.counts["updated"] == 0
    assert again.counts["unchanged"] == len(OPPORTUNITIES)
    assert {name: len(sandbox.records(name)) for name in counts} == counts
