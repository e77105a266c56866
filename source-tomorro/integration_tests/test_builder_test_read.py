"""A Connector Builder test read (*Builder → Import a YAML*), through the CDK's own entry point
(`python -m airbyte_cdk.connector_builder.main read`, as the Builder's server runs it) against the sandbox:
the list reader stops at the Builder's limits on records and pages, shows each list request as a page, keeps
to the Builder's slice limit, and says in the Builder's log what it left unread."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CONNECTOR_DIR = Path(__file__).resolve().parent.parent
PAGE_SIZE = 50  # the sandbox of conftest.py holds 500 contracts and 120 counterparties: 10 and 3 pages


def _test_read(sandbox_url: str, stream: str, limits: dict, tmp_path: Path) -> dict:
    components = (CONNECTOR_DIR / "components.py").read_text()
    config = {
        "api_key": "sandbox-key", "base_url": sandbox_url, "page_size": PAGE_SIZE, "num_workers": 4,
        "__command": "test_read",
        "__injected_declarative_manifest": yaml.safe_load((CONNECTOR_DIR / "manifest.yaml").read_text()),
        "__injected_components_py": components,
        "__injected_components_py_checksums": {"md5": hashlib.md5(components.encode()).hexdigest()},
        "__test_read_config": limits,
    }
    catalog = {"streams": [{"stream": {"name": stream, "json_schema": {}, "supported_sync_modes": ["incremental"]},
                            "sync_mode": "incremental", "destination_sync_mode": "append"}]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    completed = subprocess.run(
        [sys.executable, "-m", "airbyte_cdk.connector_builder.main", "read",
         "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true", "REQUEST_CACHE_PATH": str(tmp_path / "cache")})
    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    assert answer["type"] == "RECORD", completed.stdout[-2000:] + completed.stderr[-2000:]
    return answer["record"]["data"]


def _list_slices(read: dict, stream: str) -> list:
    """The slices whose pages list the stream (the schema loader's smart-field request has a slice of its own)."""
    return [s for s in read["slices"] if any(f"/{stream}?" in (p.get("request") or {}).get("url", "")
                                              for p in s["pages"])]


def _records(slices: list) -> list:
    return [record for s in slices for page in s["pages"] for record in page["records"]]


def _builder_log(read: dict) -> str:
    return "\n".join(log["message"] for log in read["logs"])


@pytest.mark.parametrize("stream", ["contracts", "counterparties"])
def test_the_record_limit_stops_the_read_and_is_logged(sandbox, stream, tmp_path):
    read = _test_read(sandbox.url, stream, {"max_records": 60, "max_pages_per_slice": 5, "max_slices": 5},
                      tmp_path)
    slices = _list_slices(read, stream)
    records = _records(slices)
    assert len(records) == 60 and read["test_read_limit_reached"]
    assert len(slices) == 1 and len(slices[0]["pages"]) == 2  # 50 + 10 of the second page, nothing after
    stamps = [record["updatedAt"] for record in records]
    assert stamps == sorted(stamps)  # one chain, in the order it was read
    assert f"{stream}: Connector Builder test read stopped at its limit max_records=60" in _builder_log(read)


def test_the_page_limit_stops_the_read_and_is_logged(sandbox, tmp_path):
    read = _test_read(sandbox.url, "contracts", {"max_records": 1000, "max_pages_per_slice": 3, "max_slices": 5},
                      tmp_path)
    slices = _list_slices(read, "contracts")
    assert len(slices) == 1 and len(slices[0]["pages"]) == 3
    assert [len(page["records"]) for page in slices[0]["pages"]] == [PAGE_SIZE] * 3
    assert "stopped at its limit max_pages_per_slice=3: 150 records from 3 list requests" in _builder_log(read)
    assert read["test_read_limit_reached"]


def test_the_default_limits_hold_without_a_test_read_config(sandbox, tmp_path):
    """The Builder may omit `__test_read_config`: the CDK's defaults (100 records, 5 pages, 5 slices) apply."""
    read = _test_read(sandbox.url, "contracts", {}, tmp_path)
    slices = _list_slices(read, "contracts")
    assert len(_records(slices)) == 100 and len(slices) <= 5
    assert all(len(s["pages"]) <= 5 for s in read["slices"])


def test_a_read_that_fits_the_limits_is_whole_and_says_nothing_of_a_cut(sandbox, tmp_path):
    read = _test_read(sandbox.url, "counterparties", {"max_records": 1000, "max_pages_per_slice": 5,
                                                       "max_slices": 5}, tmp_path)
    assert len(_records(_list_slices(read, "counterparties"))) == 120
    assert "Connector Builder test read stopped" not in _builder_log(read)
