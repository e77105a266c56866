"""End to end: a `tomorro-sync pull` killed (SIGKILL, with its source) after some checkpoints keeps them,
and the next pull resumes from them and loses nothing.

The first pull runs as a user runs it (the console script, a slow sandbox, small pages); once its read
log says two states of `contracts` were saved with their records, the whole process group is killed.
The file must then hold those records and that state; the next pull must read less than everything,
and leave exactly the sandbox's contracts, each once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import duckdb
from tomorro_sandbox import SandboxServer
from tomorro_sync.connectors import executable
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target

CONTRACTS = 600
SAVED_CONTRACTS = "saved the state of contracts"


def wait_for(log, text: str, count: int, process, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count(text) >= count:
            return
        assert process.poll() is None, f"the pull ended (code {process.returncode}) before {count} × {text!r}"
        time.sleep(0.02)
    raise AssertionError(f"no {count} × {text!r} in {log} after {timeout} s")


def test_given_a_pull_killed_after_checkpoints_then_the_next_one_resumes_and_loses_nothing(tmp_path):
    with SandboxServer(seed=31, contracts=CONTRACTS, counterparties=30, fields=16, members=3, latency_ms=40) as sb:
        options = {"lookback_window": 0, "page_size": 20, "num_workers": 1}
        config = tmp_path / "tomorro.json"
        config.write_text(json.dumps({"api_key": sb.api_key, "base_url": sb.url, **options}))
        db = tmp_path / "w.duckdb"
        process = subprocess.Popen([str(executable("tomorro-sync")), "pull", "--config", str(config), "--db", str(db)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for(tmp_path / "logs" / "source-tomorro-read.log", SAVED_CONTRACTS, 2, process)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

        con = duckdb.connect(str(db), read_only=True)
        kept = con.execute("SELECT count(*) FROM main.contracts").fetchone()[0]
        state = con.execute("SELECT state_json FROM main._airbyte_state WHERE stream_name = 'contracts'").fetchone()
        con.close()
        assert 0 < kept < CONTRACTS and state is not None

        sb.set_faults(latency_ms=0)
        target = Target.of_sandbox(sb, **options)
        resumed = pull(target, db)
        from_scratch = pull(target, tmp_path / "from-scratch.duckdb")

        truth = {record["id"] for record in sb.records("contracts")}
        rows = query(db, "SELECT id, count(*) FROM main.contracts GROUP BY id")
        assert {row[0] for row in rows} == truth and {row[1] for row in rows} == {1}
        assert 0 < resumed.records["contracts"] <= CONTRACTS - kept + options["page_size"]  # the rest, not all
        assert resumed.requests < from_scratch.requests
