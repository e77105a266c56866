"""No config value that could hold a secret is repeated by a validation message, ours or the CDK's, on any path
of either connector: `spec`, `check`, `discover`, `read` / `write`, each run as the process Airbyte starts.

A secret may sit in `base_url` (user:password@, a token in the query or the fragment) or be the API key itself
(of any JSON type). Each config below hides a sentinel in one of those places; the sentinel must appear nowhere
in the process's output, and the refusal must still name the field. The source runs twice: as our console
script (`source-tomorro`) and as the CDK's own `source-declarative-manifest` with the manifest injected (how
Airbyte runs a connector published from the Builder), whose spec check is the CDK's. Every `base_url` points at
a host that does not resolve: a config that got past validation would fail differently."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from airbyte_cdk.models import ConnectorSpecification
from airbyte_cdk.sources.utils.schema_helpers import check_config_against_spec_or_exit
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "Sentinel-7f3a-s3cret"
KEY = "platform-key-0b5e9d21"

SECRET_IN_BASE_URL = {
    "credentials on http": {"base_url": f"http://alice:{SECRET}@tomorro.invalid/v2"},  # the example
    "credentials on https": {"base_url": f"https://alice:{SECRET}@tomorro.invalid/v2"},
    "a token in the query": {"base_url": f"https://tomorro.invalid/v2?token={SECRET}"},
    "a token in the fragment": {"base_url": f"https://tomorro.invalid/v2#{SECRET}"},
    "not a URL": {"base_url": f"ftp://alice:{SECRET}@tomorro.invalid/v2"},
}
# The example on every path by default; the other places on every path with -m slow (each is also a unit
# test of both validators, and goes through the spec test below).
CASES = [pytest.param(case, marks=() if case == "credentials on http" else pytest.mark.slow)
         for case in SECRET_IN_BASE_URL]
KEY_NOT_A_STRING = {"api_key": {"key": SECRET}}


def _run(command: list[str], tmp_path: Path, stdin: str = "") -> str:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true",
                               "REQUEST_CACHE_PATH": str(tmp_path / "cache")})
    return done.stdout + done.stderr


def _messages(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _refusals(output: str) -> list[str]:
    """The messages a user sees: a FAILED connection status, or an error trace."""
    found = []
    for message in _messages(output):
        if message["type"] == "CONNECTION_STATUS" and message["connectionStatus"]["status"] == "FAILED":
            found.append(message["connectionStatus"]["message"])
        elif message["type"] == "TRACE" and message["trace"]["type"] == "ERROR":
            found.append(message["trace"]["error"]["message"])
    return found


def _write(tmp_path: Path, name: str, content: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


def _source_command(runner: str, verb: str, config: dict, tmp_path: Path) -> list[str]:
    config = {"api_key": KEY, "base_url": "https://tomorro.invalid/v2", **config}
    if runner == "source-declarative-manifest":
        components = (ROOT / "source-tomorro" / "components.py").read_text()
        config = {**config,
                  "__injected_declarative_manifest": yaml.safe_load((ROOT / "source-tomorro" / "manifest.yaml").read_text()),
                  "__injected_components_py": components,
                  "__injected_components_py_checksums": {"md5": hashlib.md5(components.encode()).hexdigest()}}
    command = [str(BIN / runner), verb, "--config", _write(tmp_path, "config.json", config)]
    if verb == "read":
        command += ["--catalog", str(ROOT / "source-tomorro" / "integration_tests" / "configured_catalog.json")]
    return command


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("runner", ["source-tomorro", "source-declarative-manifest"])
@pytest.mark.parametrize("verb", ["check", "discover", "read"])
def test_the_source_never_repeats_a_secret_in_base_url(runner, verb, case, tmp_path):
    output = _run(_source_command(runner, verb, SECRET_IN_BASE_URL[case], tmp_path), tmp_path)
    refusals = _refusals(output)
    assert refusals and all("base_url" in refusal for refusal in refusals), output[-3000:]
    assert SECRET not in output and KEY not in output


@pytest.mark.parametrize("runner", ["source-tomorro", "source-declarative-manifest"])
def test_the_source_never_repeats_an_api_key_that_is_not_a_string(runner, tmp_path):
    output = _run(_source_command(runner, "check", KEY_NOT_A_STRING, tmp_path), tmp_path)
    assert _refusals(output) and SECRET not in output


@pytest.mark.parametrize("script", ["source-tomorro", "destination-tomorro"])
def test_the_spec_gives_the_cdk_nothing_to_repeat(script, tmp_path):
    """`spec` prints no config; what it can do is give the CDK's spec check (run before `check`, `discover`,
    `read` and `write` wherever the CDK's entrypoint runs) a constraint whose failure quotes a secret. Each
    secret-bearing value is put through that check with the spec the process printed: it passes, or fails without
    the value (the connector's own validator then refuses it, as the process tests show)."""
    output = _run([str(BIN / script), "spec"], tmp_path)
    spec = next(m["spec"] for m in _messages(output) if m["type"] == "SPEC")
    for case, change in {**SECRET_IN_BASE_URL, "key": KEY_NOT_A_STRING}.items():
        try:
            check_config_against_spec_or_exit({"api_key": KEY, **change}, ConnectorSpecification(**spec))
        except AirbyteTracedException as refused:
            # the key's field is `airbyte_secret`: the CDK masks it where it prints (the process tests)
            assert SECRET not in f"{refused.message} {refused.internal_message}" or case == "key", case


# -- destination -------------------------------------------------------------------------------------------------
CATALOG = {"streams": [{"stream": {"name": "contracts", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}


def _destination(verb: str, config: dict, tmp_path: Path) -> str:
    config = {"api_key": KEY, "base_url": "https://tomorro.invalid/v2", **config}
    command = [str(BIN / "destination-tomorro"), verb, "--config", _write(tmp_path, "config.json", config)]
    if verb == "write":
        command += ["--catalog", _write(tmp_path, "catalog.json", CATALOG)]
    return _run(command, tmp_path)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("verb", ["check", "discover", "write"])
def test_the_destination_never_repeats_a_secret_in_base_url(verb, case, tmp_path):
    output = _destination(verb, SECRET_IN_BASE_URL[case], tmp_path)
    refusals = _refusals(output)
    assert refusals and all("base_url" in refusal for refusal in refusals), output[-3000:]
    assert SECRET not in output and KEY not in output


@pytest.mark.parametrize("verb", ["check", "write"])
def test_the_destination_never_repeats_an_api_key_that_is_not_a_string(verb, tmp_path):
    output = _destination(verb, KEY_NOT_A_STRING, tmp_path)
    assert _refusals(output) and SECRET not in output
