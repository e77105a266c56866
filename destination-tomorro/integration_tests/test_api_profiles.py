"""destination-tomorro against every documented alternative API shape the sandbox serves (its API
profiles, issue 12): each run lands every row exactly once, its report accounts for every row, and a
second run with the same rows creates and writes nothing; where no contract can be matched on its CRM link
(`integration-hidden`), every contract row is rejected naming why and none is created.

The rows are built to need what each profile takes away: more than one page of contracts and of
counterparties (envelopes, cursors without has-next flags), existing contracts matched on their
externalId (slim contract lists), counterparties matched on a smart field (slim counterparty lists,
lists without `fields`), one key in two batches (answers without `integration`).
"""

from __future__ import annotations

from collections import Counter

import pytest
import requests
from airbyte_cdk.models import AirbyteMessageSerializer, ConfiguredAirbyteCatalogSerializer, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro import DestinationTomorro
from destination_tomorro.report import WriteReport
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.assumptions import API_PROFILES

API_KEY = "sandbox-key"
# Every profile the sandbox declares, alone, then combinations that take away most at once.
COMBINATIONS = [
    ("envelope-snake", "no-has-next"), ("envelope-intro", "no-has-next"), ("default-lists-hide-closed", "status-in-refused"),
    ("envelope-intro", "no-has-next", "slim-contracts", "slim-counterparties", "no-integration-echo", "sort-ignored"),
]
PROFILES = [(), *((name,) for name in API_PROFILES), *COMBINATIONS]
# Shapes in which no contract can be matched on its CRM link: every deal row is rejected naming why, none created.
UNMATCHABLE = {"integration-hidden": "contracts without an `integration` key, even from GET /contracts/{id}"}


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=12, contracts=70, counterparties=60, fields=20, members=3, api_key=API_KEY, port=0) as sb:
        yield sb


def run(config, catalog, messages):
    out, error = [], None
    try:
        for message in DestinationTomorro().write(config, ConfiguredAirbyteCatalogSerializer.load(catalog),
                                                  (AirbyteMessageSerializer.load(m) for m in messages)):
            out.append(message)
    except AirbyteTracedException as exc:
        error = exc
    [report] = [WriteReport.from_json(m.trace.analytics.value) for m in out
                if m.type == Type.TRACE and m.trace.analytics is not None]
    return report, error


def stream(name, obj, pk):
    return {"stream": {"name": name, "json_schema": {"type": "object"}, "supported_sync_modes": ["incremental"]},
            "sync_mode": "incremental", "destination_sync_mode": "append_dedup", "destination_object_name": obj,
            "primary_key": [[pk]]}


def record(name, data):
    return {"type": "RECORD", "record": {"stream": name, "data": data, "emitted_at": 0}}


def workload(sb):
    """Rows that need every adaptation; the sandbox must be in its seeded state."""
    text_field = next(f for f in requests.get(f"{sb.url}/smart-fields", params={"object": "external_party", "limit": 50},
                                              headers={"x-api-key": API_KEY}, timeout=10).json()["data"]
                      if f["type"] == "text")
    # contracts linked to HubSpot deals, as the rows are (a Salesforce link is another record)
    # (a signed or canceled one is protected, not updated)
    seeded = [c for c in sb.records("contracts") if (c.get("integration") or {}).get("type") == "hubspot"
              and c["status"] not in ("signed", "canceled")]
    counterparties = sb.records("counterparties")
    # first, and a full batch: matched one name at a time, before another stream lists every counterparty
    companies = []
    for i in (10, 11):  # counterparties matched on their name (another case), archived: an update each
        companies.append(record("companies", {"name": counterparties[i]["name"].lower(), "status": "archived",
                                              text_field["name"]: f"PRF-CO-{i}"}))
    for name in ("Profile Company", "Profile Company Two"):
        companies.append(record("companies", {"name": name, "status": "active", text_field["name"]: "PRF-CO"}))
    rows = companies
    for c in seeded[:4]:  # existing contracts, found through their link (a changed name: an update)
        rows.append(record("deals", {"external_id": c["integration"]["externalId"], "name": c["name"] + " (renewed)",
                                     "counterparty_id": c["counterparty"]["id"]}))
    for i in range(6):  # new contracts, some on existing counterparties named in another case
        party = counterparties[i]["name"].upper() if i % 2 else f"Profile New Co {i % 3}"
        rows.append(record("deals", {"external_id": f"PRF-{i}", "name": f"Profile deal {i}", "counterparty": party}))
    rows.append(record("deals", {"external_id": " PRF-0 ", "name": "Profile deal 0 (again)", "counterparty": "Profile New Co 0"}))
    valued = []
    for cp in counterparties[20:22]:  # values held by one counterparty only (several: ambiguous, rejected)
        answer = requests.patch(f"{sb.url}/counterparties/{cp['id']}", headers={"x-api-key": API_KEY}, timeout=10,
                                json={"attributes": [{"attributeDefinitionId": text_field["id"],
                                                      "value": f"PRF-ONE-{cp['id'][:8]}"}]})
        assert answer.status_code == 200, answer.text
        valued.append(answer.json())
    for i in range(5):  # counterparties matched on a smart field: two existing values, three new ones
        value = valued[i]["fields"][text_field["id"]] if i < 2 else f"PRF-SF-{i}"
        rows.append(record("accounts", {"name": f"Profile account {i}", text_field["name"]: value}))
    catalog = {"streams": [stream("deals", "contract", "external_id"), stream("accounts", "counterparty", text_field["name"]),
                           stream("companies", "counterparty", "name")]}
    return catalog, rows


@pytest.mark.parametrize("profiles", PROFILES, ids=lambda p: "+".join(p) or "default")
def test_every_row_lands_once_and_a_rerun_writes_nothing(sandbox, tmp_path, profiles):
    sandbox.reset()
    sandbox.set_faults(error_rate=0, reset_rate=0, malformed_rate=0, rate_limit=None)
    catalog, rows = workload(sandbox)
    sandbox.set_api_profiles(list(profiles))
    config = {"api_key": API_KEY, "base_url": sandbox.url, "integration_type": "hubspot", "integration_entity": "deal",
              "default_template": "Mutual NDA", "default_contract_type": "Non-Disclosure Agreement",
              "batch_size": 4, "requests_per_minute": 6000, "max_retries": 2, "request_timeout_seconds": 5}
    try:
        report, error = run(config, catalog, rows)
        blind = [UNMATCHABLE[p] for p in profiles if p in UNMATCHABLE]
        if blind:
            deals = report.streams["deals"]
            assert (deals.rejected, deals.created, deals.updated) == (deals.received, 0, 0), deals
            assert all(blind[0] in r.reason for r in report.rejected_rows if r.stream == "deals")
            assert error is not None and "rows were rejected" in error.message
            assert not [c for c in sandbox.records("contracts")
                        if ((c.get("integration") or {}).get("externalId") or "").strip().startswith("PRF-")]
            return
        assert error is None, error
        for name, counts in report.streams.items():
            assert counts.accounted == counts.received, (name, counts)
        deals, accounts = report.streams["deals"], report.streams["accounts"]
        assert (deals.received, deals.created, deals.updated) == (11, 6, 5)  # PRF-0 again: an update, not a create
        assert (accounts.created, accounts.updated) == (3, 2)
        assert (report.streams["companies"].created, report.streams["companies"].updated) == (2, 2)
        links = Counter(((c.get("integration") or {}).get("externalId") or "").strip()
                        for c in sandbox.records("contracts"))
        assert all(links[f"PRF-{i}"] == 1 for i in range(6)), links
        names = Counter(c["name"] for c in sandbox.records("counterparties"))
        assert all(names[f"Profile New Co {i}"] == 1 for i in range(3))
        assert all(names[f"Profile account {i}"] == 1 for i in range(2, 5))  # created; 0 and 1 renamed existing ones

        sandbox.reset_stats()
        report, error = run(config, catalog, rows)
        assert error is None, error
        writes = sum(r["count"] for r in sandbox.stats()["requests"] if r["method"] in ("POST", "PATCH"))
        assert writes == 2, sandbox.stats()  # only PRF-0's two rows differ: each run sets its name twice
        assert report.streams["deals"].created == 0 and report.streams["accounts"].created == 0
        assert report.streams["companies"].unchanged == 4
    finally:
        sandbox.set_api_profiles([])
