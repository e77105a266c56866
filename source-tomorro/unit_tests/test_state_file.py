"""source_tomorro/state_file.py: every shape a `--state` file comes in, through the console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from source_tomorro.state_file import per_stream_states

SCRIPT = Path(sys.executable).parent / "source-tomorro"
CONTRACTS = {"updatedAt": "2024-02-01T00:00:00.000Z"}
STREAM = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "contracts"}, "stream_state": CONTRACTS}}


@pytest.mark.parametrize("raw", [
    [STREAM],
    STREAM,  # one message, not a list
    {"contracts": CONTRACTS},  # the legacy map
    {"type": "LEGACY", "data": {"contracts": CONTRACTS}},
    {"type": "GLOBAL", "global": {"shared_state": {}, "stream_states": [
        {"stream_descriptor": {"name": "contracts"}, "stream_state": CONTRACTS}]}},
])
def test_every_shape_becomes_the_per_stream_list(raw):
    assert per_stream_states(raw) == [STREAM]


@pytest.mark.parametrize("state", ["garbage", 123, None, []])
def test_a_stream_state_that_is_not_an_object_is_dropped_with_a_warning(state, caplog):
    assert per_stream_states({"contracts": state, "counterparties": CONTRACTS}) == [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "counterparties"}, "stream_state": CONTRACTS}}]
    assert "The saved state of stream `contracts`" in caplog.text


@pytest.mark.parametrize("raw", [None, [], {}])
def test_no_state(raw):
    assert per_stream_states(raw) == []


def _read(tmp_path, state_text: str):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": "k-state-test", "base_url": "http://127.0.0.1:9/v2", "max_retries": 0}))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": [{"stream": {"name": "contracts", "json_schema": {},
                                                           "supported_sync_modes": ["incremental"]},
                                                "sync_mode": "incremental", "destination_sync_mode": "append"}]}))
    state = tmp_path / "state.json"
    state.write_text(state_text)
    return subprocess.run([str(SCRIPT), "read", "--config", str(config), "--catalog", str(catalog), "--state",
                           str(state)], capture_output=True, text=True, timeout=120)


def test_a_state_file_that_is_not_json_is_a_config_error_not_a_traceback(tmp_path):
    done = _read(tmp_path, "{not json")

    errors = [json.loads(line)["trace"]["error"] for line in done.stdout.splitlines() if '"TRACE"' in line]
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert errors[0]["failure_type"] == "config_error"
    assert errors[0]["message"].startswith("Invalid state: the state file state.json cannot be read as JSON")


def test_a_legacy_map_state_reaches_the_read(tmp_path):
    # the read then fails on the closed port: past the state, which is the point
    done = _read(tmp_path, json.dumps({"contracts": CONTRACTS}))

    assert "Traceback" not in done.stderr.split("Connection refused")[0]
    assert "Syncing stream: contracts" in done.stdout
