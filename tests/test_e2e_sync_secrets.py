"""End to end: tomorro-sync never shows the API key, however it was pasted, nor credentials in `base_url`.

The commands run as a user runs them (`main`, the real connectors, a sandbox); what they
print on both file descriptors and every file they leave next to the DuckDB file is searched for the
key in each form a library may print it in.
"""

from __future__ import annotations

import json

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.cli import main
from tomorro_sync.redaction import secret_forms

SECRET = "tk_live/SYNC+secret=0123456789"


@pytest.fixture(scope="module")
def sandbox(e2e_dir):
    with SandboxServer(seed=3, contracts=8, counterparties=6, fields=14, members=3, api_key=SECRET) as sb:
        yield sb


def leaks(text: str) -> list[str]:
    return [form for form in secret_forms("  " + SECRET + "\n") if form in text]


def test_given_key_pasted_with_whitespace_when_pull_and_push_then_they_work_and_print_no_form_of_it(
        sandbox, tmp_path, capfd):
    config = tmp_path / "tomorro.json"
    config.write_text(json.dumps({"api_key": "  " + SECRET + "\n", "base_url": sandbox.url}))
    csv = tmp_path / "accounts.csv"
    csv.write_text("name,status\nSecret Test Ltd,active\n")
    db = tmp_path / "out" / "t.duckdb"
    assert main(["pull", "--config", str(config), "--db", str(db), "--streams", "members"]) == 0
    assert main(["push", "--config", str(config), "--csv", str(csv), "--object", "counterparty", "--dry-run",
                 "--db", str(db)]) == 0
    out, err = capfd.readouterr()
    assert "members" in out and leaks(out + err) == []
    written = [path for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert any(path.name.startswith("destination-tomorro") for path in written)
    assert [path for path in written if leaks(path.read_bytes().decode("utf-8", "replace"))] == []


def test_given_credentials_in_base_url_when_pull_then_refused_without_printing_them(sandbox, tmp_path, capfd):
    url = sandbox.url.replace("http://", "http://crm-admin:hunter2-p4ss@")
    config = tmp_path / "tomorro.json"
    config.write_text(json.dumps({"api_key": SECRET, "base_url": url}))
    assert main(["pull", "--config", str(config), "--db", str(tmp_path / "t.duckdb")]) == 1
    out, err = capfd.readouterr()
    assert "`base_url` must not contain a user name or password" in " ".join((out + err).split())
    assert "hunter2" not in out + err and "crm-admin" not in out + err and leaks(out + err) == []
