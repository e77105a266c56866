"""Running the source's console script: what its failure is reported with, what reaches the log (redacted,
never a CONTROL message), and the config file only its owner can read, gone afterwards."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from tomorro_sync import redaction
from tomorro_sync.source_run import run_source

SECRET = "tk_live_SOURCE_RUN_0123456789"


def fake_source(tmp_path, body: str):
    """An executable that stands in for source-tomorro: `body` is Python, `args` its arguments."""
    script = tmp_path / "source-tomorro"
    script.write_text(f"#!{sys.executable}\nimport json, os, stat, sys\nargs = sys.argv[1:]\n"
                      "def emit(message): print(json.dumps(message), flush=True)\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_given_a_trace_error_then_the_failure_is_its_message_and_the_log_holds_no_secret(tmp_path):
    redaction.register(SECRET)
    source = fake_source(tmp_path, f"""
emit({{"type": "LOG", "log": {{"level": "INFO", "message": "using key {SECRET}"}}}})
emit({{"type": "CONTROL", "control": {{"type": "CONNECTOR_CONFIG", "connectorConfig": {{"config": {{"x": "control-config"}}}}}}}})
emit({{"type": "RECORD", "record": {{"stream": "s", "data": {{}}, "emitted_at": 1}}}})
print("not json {SECRET}", flush=True)
print("Traceback: boom", file=sys.stderr, flush=True)
emit({{"type": "TRACE", "trace": {{"type": "ERROR", "emitted_at": 1, "error": {{"message": "API refused {SECRET}",
      "stack_trace": "at line 1"}}}}}})
sys.exit(1)
""")
    with run_source(source, "read", {"api_key": SECRET}, log_dir=tmp_path / "logs") as run:
        kinds = [message["type"] for message in run.messages()]
    assert kinds == ["RECORD"]
    assert run.failure() == "API refused ****"
    log = (tmp_path / "logs" / "source-tomorro-read.log").read_text()
    assert "INFO using key ****" in log and "not json ****" in log and "Traceback: boom" in log
    assert "ERROR API refused ****" in log and "at line 1" in log
    assert SECRET not in log and "control-config" not in log


def test_given_an_exit_code_without_trace_then_the_failure_names_it_with_the_last_stderr_line(tmp_path):
    source = fake_source(tmp_path, 'print("first", file=sys.stderr); print("last words", file=sys.stderr); sys.exit(3)')
    with run_source(source, "discover", {"api_key": SECRET}, log_dir=tmp_path / "logs") as run:
        assert list(run.messages()) == []
    assert run.failure() == "source-tomorro exited with code 3: last words"


def test_given_a_run_then_its_files_are_private_and_gone_afterwards(tmp_path):
    source = fake_source(tmp_path, """
paths = {name: args[args.index(name) + 1] for name in ("--config", "--catalog", "--state")}
emit({"type": "TRACE", "trace": {"type": "ANALYTICS", "paths": paths,
      "modes": {name: oct(stat.S_IMODE(os.stat(path).st_mode)) for name, path in paths.items()},
      "config": json.load(open(paths["--config"]))}})
""")
    with run_source(source, "read", {"api_key": SECRET}, log_dir=tmp_path / "logs", catalog={"streams": []},
                    state=[]) as run:
        trace = list(run.messages())[0]["trace"]
    assert run.failure() is None
    assert trace["config"] == {"api_key": SECRET}
    assert set(trace["modes"].values()) == {"0o600"}
    assert not any(Path(path).exists() for path in trace["paths"].values())
