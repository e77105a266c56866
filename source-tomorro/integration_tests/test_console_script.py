"""`source-tomorro spec | check | discover | read` from the shell, as the README documents them,
against the sandbox; the second read passes `--state` and must honour it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _script() -> str:
    found = shutil.which("source-tomorro") or str(Path(sys.executable).parent / "source-tomorro")
    assert Path(found).exists(), "the source-tomorro console script is not installed (uv sync)"
    return found


def _run(*args: str, tmp_path: Path) -> list[dict]:
    completed = subprocess.run([_script(), *args], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                               env={"PATH": "/usr/bin:/bin", "REQUEST_CACHE_PATH": str(tmp_path / "cache")})
    messages = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    return messages


def _of(messages, kind):
    return [m for m in messages if m["type"] == kind]


@pytest.fixture
def files(sandbox, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": "sandbox-key", "base_url": sandbox.url}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"api_key": "wrong-key-0042", "base_url": sandbox.url}))
    return {"config": str(config), "bad": str(bad), "incremental": str(HERE / "incremental_catalog.json")}


def test_spec(tmp_path):
    spec = _of(_run("spec", tmp_path=tmp_path), "SPEC")[0]["spec"]
    assert "api_key" in spec["connectionSpecification"]["properties"]


def test_check_succeeds_and_fails_with_a_readable_message(files, tmp_path):
    assert _of(_run("check", "--config", files["config"], tmp_path=tmp_path), "CONNECTION_STATUS")[0][
        "connectionStatus"]["status"] == "SUCCEEDED"
    failed = _run("check", "--config", files["bad"], tmp_path=tmp_path)
    status = _of(failed, "CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED" and "Tomorro rejected the API key" in status["message"]
    assert "wrong-key-0042" not in json.dumps(failed)


def test_discover_then_read_then_read_with_state(files, sandbox, tmp_path):
    catalog = _of(_run("discover", "--config", files["config"], tmp_path=tmp_path), "CATALOG")[0]["catalog"]
    assert len(catalog["streams"]) == 8

    first = _run("read", "--config", files["config"], "--catalog", files["incremental"], tmp_path=tmp_path)
    assert len(_of(first, "RECORD")) == len(sandbox.records("contracts")) + len(sandbox.records("counterparties"))
    states = [m["state"] for m in _of(first, "STATE")]
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(states))
    changed = sandbox.mutate(contracts=3)["contracts"]["updated"]

    second = _run("read", "--config", files["config"], "--catalog", files["incremental"], "--state", str(state_file),
                  tmp_path=tmp_path)
    contract_ids = {m["record"]["data"]["id"] for m in _of(second, "RECORD") if m["record"]["stream"] == "contracts"}
    assert set(changed) <= contract_ids
    assert len(contract_ids) < len(sandbox.records("contracts")) / 2  # state honoured


def test_the_script_ends_once_its_output_is_whole_zero_only_when_the_read_succeeded(files, tmp_path):
    """`main` skips Python's teardown after the last message: the output must still be whole (every record, then
    the final state and the closing log line) and a failed read must still exit non-zero."""
    ok = subprocess.run([_script(), "read", "--config", files["config"], "--catalog", files["incremental"]],
                        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    lines = [json.loads(line) for line in ok.stdout.splitlines() if line.startswith("{")]
    assert ok.returncode == 0 and lines[-1]["type"] == "LOG" and lines[-1]["log"]["message"] == "Finished syncing"
    assert any(m["type"] == "STATE" for m in lines[-4:])
    failed = subprocess.run([_script(), "read", "--config", files["bad"], "--catalog", files["incremental"]],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert failed.returncode != 0
