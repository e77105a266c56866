"""tomorro-sync's failure paths: a clear one-line message, a non-zero exit, never the API key."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tomorro_sandbox import SandboxServer
from tomorro_sync.cli import main

SECRET = "tk_live_DO_NOT_PRINT_0123456789"


def config(tmp_path, **content) -> str:
    path = tmp_path / "tomorro.json"
    path.write_text(json.dumps(content))
    return str(path)


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    text = out.out + out.err
    assert SECRET not in text
    return code, " ".join(text.split())  # rich wraps long lines


def test_given_unreachable_base_url_when_pull_then_fails_fast_naming_the_url(tmp_path, capsys):
    cfg = config(tmp_path, api_key=SECRET, base_url="http://127.0.0.1:9/v2")
    code, text = run(capsys, "pull", "--config", cfg, "--db", str(tmp_path / "t.duckdb"))
    assert code == 1
    assert "error: Cannot reach http://127.0.0.1:9/v2" in text and "Check `base_url`" in text


def test_given_wrong_key_when_pull_then_says_the_key_was_rejected(tmp_path, capsys):
    with SandboxServer(seed=1, contracts=5, counterparties=5, fields=14, members=2) as sb:
        cfg = config(tmp_path, api_key=SECRET, base_url=sb.url)
        code, text = run(capsys, "pull", "--config", cfg, "--db", str(tmp_path / "t.duckdb"))
    assert code == 1
    assert "error: Tomorro rejected the API key (HTTP 401): check `api_key`." in text


def test_given_sandbox_port_taken_when_pull_then_says_so(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, text = run(capsys, "pull", "--sandbox-port", str(port), "--db", str(tmp_path / "t.duckdb"))
    assert code == 1
    assert "Could not start the Tomorro sandbox" in text and "already in use" in text


def test_given_missing_csv_when_push_then_fails_before_starting_anything(tmp_path, capsys):
    code, text = run(capsys, "push", "--csv", str(tmp_path / "nope.csv"), "--object", "contract",
                     "--db", str(tmp_path / "t.duckdb"))
    assert code == 1
    assert "Cannot read CSV file" in text and "nope.csv" in text


def test_given_both_csv_and_table_when_push_then_usage_error(tmp_path, capsys):
    code, text = run(capsys, "push", "--csv", "a.csv", "--table", "t", "--object", "contract",
                     "--db", str(tmp_path / "t.duckdb"))
    assert code == 2
    assert "give exactly one of --csv FILE or --table NAME" in text


def test_given_dry_run_push_then_rows_are_classified_and_nothing_is_written(tmp_path, capsys):
    csv = tmp_path / "accounts.csv"
    csv.write_text("name,status\nDry Run Holdings,active\n")
    with SandboxServer(seed=1, contracts=5, counterparties=5, fields=14, members=2, api_key=SECRET) as sb:
        cfg = config(tmp_path, api_key=SECRET, base_url=sb.url)
        before = len(sb.records("counterparties"))
        code, text = run(capsys, "push", "--config", cfg, "--csv", str(csv), "--object", "counterparty",
                         "--dry-run", "--db", str(tmp_path / "t.duckdb"))
        writes = [r for r in sb.stats()["requests"] if r["method"] in ("POST", "PATCH")]
        assert len(sb.records("counterparties")) == before
    assert code == 0, text
    assert "dry run: nothing written" in text
    assert writes == []


def test_given_no_webhook_secrets_when_listen_then_says_what_to_add(tmp_path, capsys):
    for content in ({}, {"webhook_secrets": []}, {"webhook_secrets": ["ok", ""]}, {"webhook_secrets": "one"}):
        cfg = config(tmp_path, api_key=SECRET, base_url="http://127.0.0.1:9/v2", **content)
        code, text = run(capsys, "listen", "--config", cfg, "--port", "0", "--db", str(tmp_path / "t.duckdb"))
        assert code == 2
        assert "`webhook_secrets` must be a non-empty array" in text and "Settings → Integrations → Webhooks" in text


def test_given_no_config_when_listen_then_usage_error(tmp_path, capsys):
    code, text = run(capsys, "listen", "--port", "0", "--db", str(tmp_path / "t.duckdb"))
    assert code == 2 and "listen needs --config" in text


def test_webhook_secrets_are_not_passed_to_the_connectors(tmp_path):
    from tomorro_sync.target import load_config

    target = load_config(Path(config(tmp_path, api_key=SECRET, webhook_secrets=["whsec_x"])))
    assert "webhook_secrets" not in target.source_config and "webhook_secrets" not in target.destination_config()


def test_given_a_taken_port_when_listen_then_says_so(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = config(tmp_path, api_key=SECRET, base_url="http://127.0.0.1:9/v2", webhook_secrets=["whsec_x"])
        code, text = run(capsys, "listen", "--config", cfg, "--port", str(port), "--db", str(tmp_path / "t.duckdb"))
    assert code == 1 and f"error: Cannot listen on 127.0.0.1:{port}" in text and "whsec_x" not in text
