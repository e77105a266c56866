"""Issue 7 §6: the API key never appears in stdout, stderr, LOG or TRACE messages or written files,
for every command of both console scripts, on success and on failure (wrong key, retries exhausted,
config errors). Every other test of this suite also ends with `work.assert_no_secret()`."""

from __future__ import annotations

import json

import pytest
from faults_harness import NO_FAULTS, SECRET, catalog
from tomorro_sandbox import SandboxServer

pytestmark = pytest.mark.faults
WRONG = "tk_live_SECRET_wrong_9f8e7d6c"  # noqa: S105


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(seed=9, contracts=20, counterparties=10, fields=16, members=3, api_key=SECRET, port=0) as server:
        yield server


def test_no_command_of_either_connector_prints_or_writes_the_key(sb, work):
    good = {"api_key": SECRET, "base_url": sb.url}
    wrong = {"api_key": WRONG, "base_url": sb.url}
    cat = catalog("contracts", "counterparties", "contract_signed_files")
    runs = [work.run("source-tomorro", "spec", None)]
    runs += [work.run("source-tomorro", verb, good, cat if verb == "read" else None)
             for verb in ("check", "discover", "read")]
    runs += [work.run("source-tomorro", verb, wrong, cat if verb == "read" else None) for verb in ("check", "read")]
    runs.append(work.run("source-tomorro", "discover", {**good, "page_size": "fifty"}))
    dest = {"base_url": sb.url, "default_template": "Mutual NDA", "integration_type": "hubspot",
            "integration_entity": "deal", "max_retries": 0, "rejected_rows_path": str(work.path / "rejected.jsonl")}
    dcat = {"streams": [{"stream": {"name": "contracts", "json_schema": {"type": "object"},
                                    "supported_sync_modes": ["full_refresh"]},
                         "sync_mode": "full_refresh", "destination_sync_mode": "append_dedup"}]}
    row = json.dumps({"type": "RECORD", "record": {"stream": "contracts", "emitted_at": 0,
                                                   "data": {"external_id": "S-1", "counterparty": "Secret Co"}}}) + "\n"
    runs.append(work.run("destination-tomorro", "spec", None))
    for key in (SECRET, WRONG):
        runs.append(work.run("destination-tomorro", "check", {**dest, "api_key": key}))
        runs.append(work.run("destination-tomorro", "write", {**dest, "api_key": key}, dcat, stdin=row))
    sb.set_faults(error_rate=1.0)  # retries exhausted (max_retries 0): the failure path with the real key
    runs.append(work.run("destination-tomorro", "write", {**dest, "api_key": SECRET}, dcat, stdin=row))
    sb.set_faults(**NO_FAULTS)
    runs.append(work.run("destination-tomorro", "write", {**dest, "api_key": SECRET, "bogus": 1}, dcat, stdin=row))
    # the failures did fail, with a message (the assertion below is not vacuous)
    failed = [r for r in runs if r.returncode != 0 or (r.connection_status or {}).get("status") == "FAILED"]
    assert len(failed) >= 6, [r.describe() for r in runs]
    assert any("Tomorro rejected the API key" in json.dumps(r.messages) for r in failed)
    work.assert_no_secret(SECRET)
    work.assert_no_secret(WRONG)
