"""The `source-tomorro` console script refuses a config that breaks the spec with a config error that
names the field, before any request (the spec's bounds and patterns are what the Airbyte UI validates).

Each config points `base_url` at a closed loopback port: a config that got past the spec check would
try to connect and fail differently, so the message below can only come from the check itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "source-tomorro"
KEY = "platform-test-key-5f3a9c"
BASE = {"api_key": KEY, "base_url": "http://127.0.0.1:9/v2"}


def _run(verb: str, config: dict, tmp_path: Path) -> tuple[int, list[dict], str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run([str(SCRIPT), verb, "--config", str(path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, messages, done.stdout + done.stderr


@pytest.mark.parametrize(("change", "expected"), [
    ({"page_size": 51}, "Invalid config field `page_size`: 51 is outside the allowed range 1..50."),
    ({"num_workers": 0}, "Invalid config field `num_workers`: 0 is outside the allowed range 1..20."),
    ({"num_workers": "abc"}, "Invalid config field `num_workers`: 'abc' is not an integer."),
    ({"start_date": "1 January 2024"},
     "Invalid config field `start_date`: '1 January 2024' does not match the expected format YYYY-MM-DDTHH:mm:ssZ"),
    ({"base_url": "http://api.tomorro.com/v2"}, "Invalid config field `base_url`: must use https"),
    ({"api_key": None}, "Invalid config field `api_key`: the value is not a string."),
])
def test_check_with_a_config_that_breaks_the_spec_fails_naming_the_field(change, expected, tmp_path):
    code, messages, output = _run("check", {**BASE, **change}, tmp_path)

    statuses = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert code == 0, output
    assert [s["status"] for s in statuses] == ["FAILED"], output
    assert statuses[0]["message"].startswith(expected), statuses[0]["message"]
    assert KEY not in output


def test_every_problem_is_named_in_one_message(tmp_path):
    _, messages, _ = _run("check", {**BASE, "page_size": 0, "lookback_window": -1}, tmp_path)

    message = next(m for m in messages if m["type"] == "CONNECTION_STATUS")["connectionStatus"]["message"]
    assert "`lookback_window`: -1 is outside the allowed range 0..10080." in message
    assert "`page_size`: 0 is outside the allowed range 1..50." in message


def test_a_missing_required_field_is_named(tmp_path):
    _, messages, _ = _run("check", {"base_url": BASE["base_url"]}, tmp_path)

    message = next(m for m in messages if m["type"] == "CONNECTION_STATUS")["connectionStatus"]["message"]
    assert message == "Invalid config field `api_key`: it is required."


def test_discover_with_a_config_that_breaks_the_spec_is_a_config_error_trace(tmp_path):
    code, messages, output = _run("discover", {**BASE, "num_workers": "abc"}, tmp_path)

    errors = [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    assert code != 0
    assert [e["failure_type"] for e in errors] == ["config_error"], output
    assert errors[0]["message"] == "Invalid config field `num_workers`: 'abc' is not an integer."
    assert not [m for m in messages if m["type"] == "CATALOG"]
    assert KEY not in output


def test_a_start_date_given_as_a_date_alone_is_read_as_its_midnight_utc(tmp_path):
    """0.1.0 accepted `2024-01-01`: still accepted (the spec's pattern allows it), read as 2024-01-01T00:00:00Z
    in memory, and never rewritten into the saved config (a CONTROL message would carry the key)."""
    code, messages, output = _run("check", {**BASE, "start_date": "2024-01-01"}, tmp_path)

    assert not [m for m in messages if m["type"] == "CONTROL"]
    assert json.loads((tmp_path / "config.json").read_text())["start_date"] == "2024-01-01"
    status = next(m for m in messages if m["type"] == "CONNECTION_STATUS")["connectionStatus"]
    assert "start_date" not in status["message"] and "127.0.0.1" in status["message"]  # failed on the port
