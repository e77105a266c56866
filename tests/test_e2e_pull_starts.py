"""End to end: how often `tomorro-sync pull` starts the source, and when it asks for the catalog again.

A wrapper script stands in for the `source-tomorro` console script: it logs the command (`spec`,
`check`, `discover`, `read`) and runs the real one. A pull after a few changes must start the source
once (`read`, the catalog reused); a first pull, a changed config, changed smart fields, a failed
pull or `--refresh-catalog` start it twice (`discover`, `read`). Never `spec` or `check`.
"""

from __future__ import annotations

import stat

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.errors import SyncError
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target


@pytest.fixture
def counted_source(tmp_path):
    log = tmp_path / "starts.log"
    script = tmp_path / "source-tomorro"
    crash = tmp_path / "crash-the-next-read"  # present: the next `read` dies at once, as a killed connector would
    script.write_text(f'#!/bin/sh\necho "$1" >> {log}\n'
                      f'if [ "$1" = read ] && [ -f {crash} ]; then rm {crash}; exit 1; fi\n'
                      f'exec {_beside()} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)

    def starts() -> list[str]:
        commands = log.read_text().split() if log.exists() else []
        log.unlink(missing_ok=True)
        return commands

    return script, starts, crash


def _beside() -> str:
    from tomorro_sync.connectors import executable

    return str(executable("source-tomorro"))


@pytest.fixture
def sandbox(e2e_dir):  # e2e_dir: the session's folder for end-to-end files
    with SandboxServer(seed=5, contracts=60, counterparties=20, fields=20, members=4) as sb:
        yield sb


def target_for(sandbox, **options) -> Target:
    return Target.of_sandbox(sandbox, **{"lookback_window": 0, **options})


def test_given_pulls_then_the_source_starts_twice_first_and_once_after_changes(tmp_path, sandbox, counted_source):
    script, starts, _ = counted_source
    db = tmp_path / "w.duckdb"
    first = pull(target_for(sandbox), db, source_executable=script)
    assert starts() == ["discover", "read"] and first.discovered
    sandbox.mutate(contracts=4, counterparties=2)
    second = pull(target_for(sandbox), db, streams=["contracts", "counterparties"], source_executable=script)
    assert starts() == ["read"] and not second.discovered
    assert second.records["contracts"] >= 4
    with pytest.raises(SyncError, match="--streams: no stream named 'contrats'") as caught:
        pull(target_for(sandbox), db, streams=["contrats"], source_executable=script)
    assert caught.value.exit_code == 2 and starts() == []


def test_given_a_changed_config_then_the_catalog_is_discovered_again(tmp_path, sandbox, counted_source):
    script, starts, _ = counted_source
    db = tmp_path / "w.duckdb"
    pull(target_for(sandbox), db, streams=["members"], source_executable=script)
    starts()
    pull(target_for(sandbox, page_size=25), db, streams=["members"], source_executable=script)
    assert starts() == ["discover", "read"]
    pull(target_for(sandbox, page_size=25), db, streams=["members"], source_executable=script)
    assert starts() == ["read"]
    pull(target_for(sandbox, page_size=25), db, streams=["members"], refresh_catalog=True, source_executable=script)
    assert starts() == ["discover", "read"]


def test_given_new_smart_fields_in_the_account_then_the_catalog_is_discovered_again_with_their_columns(
        tmp_path, sandbox, counted_source):
    script, starts, _ = counted_source
    db = tmp_path / "w.duckdb"
    pull(target_for(sandbox), db, streams=["contracts"], source_executable=script)
    starts()
    before = {f["id"] for f in sandbox.records("smart-fields")}
    sandbox.reset(fields=30)
    added = [f for f in sandbox.records("smart-fields") if f["id"] not in before and f["object"] == "contract"]
    assert added, "the reset must add contract smart fields for this test to mean anything"
    pull(target_for(sandbox), db, streams=["contracts"], full_refresh=True, source_executable=script)
    assert starts() == ["discover", "read"]
    columns = {name for (name,) in query(db, "SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'contracts'")}
    assert all(any(name.startswith("cf_") and name.endswith(f["id"].replace("-", "")[:8]) for name in columns)
               for f in added)


def test_given_a_failed_pull_then_the_next_one_discovers_again(tmp_path, sandbox, counted_source):
    script, starts, crash = counted_source
    db = tmp_path / "w.duckdb"
    pull(target_for(sandbox), db, streams=["members"], source_executable=script)
    starts()
    crash.touch()
    with pytest.raises(SyncError, match="The sync failed"):
        pull(target_for(sandbox), db, streams=["members"], source_executable=script)
    assert starts() == ["read"]
    pull(target_for(sandbox), db, streams=["members"], source_executable=script)
    assert starts() == ["discover", "read"]
