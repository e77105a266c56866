"""Issue 7 §5: bad input fails with a clear message naming the field, and corrupts nothing.
Source `check` (console script): wrong API key, malformed start_date, http:// remote base URL, page
size 0 and 500. Destination `write` (console script): a counterparty without a name, a string in a
number field, an unknown select label, a 1 MB string, control characters, two rows with one key in
one batch, a record of an unknown stream. Every run is also checked for the secret (§6)."""

from __future__ import annotations

import json

import pytest
import requests
from faults_harness import SECRET
from tomorro_sandbox import SandboxServer

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(seed=5, contracts=40, counterparties=20, fields=30, members=5, api_key=SECRET, port=0) as server:
        yield server


@pytest.mark.parametrize(("change", "field"), [
    ({"api_key": "tk_live_SECRET_wrong_key_000"}, "api_key"),
    ({"start_date": "22/11/2026"}, "start_date"),
    ({"start_date": "2024-13-45T00:00:00Z"}, "start_date"),
    ({"base_url": "http://api.tomorro.example/v2"}, "base_url"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": 500}, "page_size"),
])
def test_source_check_with_bad_config_fails_naming_the_field(sb, work, change, field):
    config = {"api_key": SECRET, "base_url": sb.url, **change}
    sb.reset_stats()
    run = work.run("source-tomorro", "check", config)
    status = run.connection_status
    if status is not None:
        assert status["status"] == "FAILED", run.describe()
        message = status["message"]
    else:
        assert run.errors and run.errors[-1]["failure_type"] == "config_error", run.describe()
        message = run.errors[-1]["message"]
    assert f"`{field}`" in message or field in message, message
    if field != "api_key":  # a malformed value is refused before any request
        assert sb.stats()["total"] == 0
    work.assert_no_secret()
    work.assert_no_secret(secret="tk_live_SECRET_wrong_key_000")


def _smart_field(sb, ftype: str) -> dict:
    fields = requests.get(f"{sb.url}/smart-fields", params={"object": "contract", "limit": 50},
                          headers={"x-api-key": SECRET}, timeout=10).json()["data"]
    return next(f for f in fields if f["type"] == ftype)


def _record(stream, data):
    return {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 0}}


def _catalog(*streams):
    return {"streams": [{"stream": {"name": name, "json_schema": {"type": "object"},
                                    "supported_sync_modes": ["full_refresh", "incremental"]},
                         "sync_mode": "incremental", "destination_sync_mode": "append_dedup"} for name in streams]}


def test_destination_bad_rows_are_rejected_naming_the_field_and_nothing_else_changes(sb, work):
    sb.reset()
    number, select, text = _smart_field(sb, "number"), _smart_field(sb, "select"), _smart_field(sb, "text")
    config = {"api_key": SECRET, "base_url": sb.url, "default_contract_type": "Non-Disclosure Agreement",
              "default_template": "Mutual NDA", "integration_type": "hubspot", "integration_entity": "deal",
              "rejected_rows_path": str(work.path / "rejected.jsonl"), "max_retries": 2}
    counterparty = sb.records("counterparties")[0]
    # an existing contract that a bad row targets: it must stay as it is (no partial PATCH)
    seeded = [{"external_id": "BAD-existing", "name": "Existing deal", "counterparty_id": counterparty["id"]}]
    first = work.run("destination-tomorro", "write", config, _catalog("contracts"),
                     stdin="".join(json.dumps(_record("contracts", r)) + "\n" for r in seeded))
    assert first.returncode == 0, first.describe()
    before = {c["id"]: c for c in sb.records("contracts")}
    counterparties_before = len(sb.records("counterparties"))

    base = {"counterparty_id": counterparty["id"]}
    rows = [
        _record("counterparties", {"status": "active"}),                                              # missing name
        _record("contracts", {**base, "external_id": "BAD-number", number["name"]: "twelve"}),          # string in number
        _record("contracts", {**base, "external_id": "BAD-existing", "name": "Renamed by a bad row",
                              select["name"]: "No Such Option 42"}),                                   # unknown label
        _record("contracts", {**base, "external_id": "BAD-huge", text["name"]: "x" * 1_000_000}),      # 1 MB string
        _record("contracts", {**base, "external_id": "OK-control", text["name"]: "tab\there\x00nul\x07bell"}),
        _record("contracts", {**base, "external_id": "OK-dup", "name": "first version"}),              # same key twice
        _record("contracts", {**base, "external_id": "OK-dup", "name": "second version"}),
        _record("opportunities", {"external_id": "BAD-stream", "name": "unknown stream"}),             # unknown stream
    ]
    run = work.run("destination-tomorro", "write", config, _catalog("contracts", "counterparties"),
                   stdin="".join(json.dumps(m) + "\n" for m in rows))
    assert run.returncode != 0, run.describe()  # max_rejected_ratio 0: rejected rows fail the sync
    assert run.errors and run.errors[-1]["failure_type"] == "config_error", run.describe()
    rejected = [json.loads(line) for line in (work.path / "rejected.jsonl").read_text().splitlines()]
    reasons = {(r["stream"], r.get("key")): r["reason"] for r in rejected}

    def reason_for(key):
        return next(reason for (stream, k), reason in reasons.items() if k == key)

    assert any(s == "counterparties" and "name" in reason for (s, _), reason in reasons.items())
    assert number["name"] in reason_for("BAD-number") and "twelve" in reason_for("BAD-number")
    assert select["name"] in reason_for("BAD-existing") and "No Such Option 42" in reason_for("BAD-existing")
    assert text["name"] in reason_for("BAD-huge")
    assert any(s == "opportunities" and "opportunities" in reason for (s, _), reason in reasons.items())
    assert len(rejected) == 5, reasons
    assert "OK-control" not in {k for _, k in reasons} and "OK-dup" not in {k for _, k in reasons}

    # nothing partial: no rejected contract exists, the targeted one is unchanged, no counterparty added
    after = sb.records("contracts")
    by_key = {}
    for c in after:
        key = (c.get("integration") or {}).get("externalId")
        by_key.setdefault(key, []).append(c)
    for key in ("BAD-number", "BAD-huge", "BAD-stream"):
        assert key not in by_key, key
    existing = by_key["BAD-existing"][0]
    assert existing == before[existing["id"]] and existing["name"] == "Existing deal"
    assert len(sb.records("counterparties")) == counterparties_before
    # the good rows landed once: control characters removed, the later duplicate won
    assert len(by_key["OK-control"]) == 1
    value = next(f["value"] for f in by_key["OK-control"][0]["fields"] if f["attributeDefinitionId"] == text["id"])
    assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value) and "nul" in value and "bell" in value
    assert [c["name"] for c in by_key["OK-dup"]] == ["second version"]
    work.assert_no_secret()
