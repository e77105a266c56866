"""End to end: `tomorro-sync pull` (our loader) writes what PyAirbyte's `DuckDBCache` writes.

One sandbox is pulled twice side by side, into one file by `pull` and into another by PyAirbyte 0.71.3
(`get_source(local_executable="source-tomorro")` + `DuckDBCache`, as the pull of earlier versions did):
a full pull, an incremental pull after changes, and a full refresh after deletions. After each, every
stream table must match: the same columns with the same types in the same order, the same rows with
the same typed values (JSON columns as text), the same saved state per stream and the same stream
catalog. Only what is new on every write differs: `_airbyte_raw_id` (a fresh UUIDv7),
`_airbyte_extracted_at` (the read's time) and the signed-file download URLs the sandbox mints per call.

A file written by PyAirbyte then continues incrementally with `pull`: only the changes are read.
PyAirbyte is a test dependency (the `dev` group); `pull` does not import it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys

import duckdb
import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.connectors import executable
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target

FRESH_EACH_WRITE = ("_airbyte_raw_id", "_airbyte_extracted_at")
MINTED_PER_CALL = {"contract_signed_files": ("downloadurl", "expiresat")}
pytestmark = pytest.mark.filterwarnings("ignore:You are using a Python version:FutureWarning")  # google libs
PYAIRBYTE_TABLES = {"_airbyte_state", "_airbyte_streams", "_airbyte_destination_state"}
UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def pyairbyte_pull():
    """PyAirbyte's pull, offline (the root conftest sets PyAirbyte's settings before any module imports it)."""
    assert os.environ.get("AIRBYTE_OFFLINE_MODE") == "1"
    import airbyte as ab
    from airbyte.caches import DuckDBCache

    def run(target: Target, db, *, streams=None, full_refresh=False) -> None:
        source = ab.get_source("source-tomorro", config=target.source_config,
                               local_executable=str(executable("source-tomorro")))
        source.select_streams(streams or "*")
        cache = DuckDBCache(db_path=db, schema_name="main", cache_dir=db.parent / ".cache-pyairbyte")
        try:
            source.read(cache=cache, force_full_refresh=full_refresh,
                        write_strategy="replace" if full_refresh else "auto", skip_validation=True)
        finally:
            cache.dispose_engine()  # DuckDB refuses a second connection to an open file with other settings

    yield run
    assert "airbyte" in sys.modules  # it was really used here


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=21, contracts=150, counterparties=45, fields=48, members=6) as sb:
        yield sb


@pytest.fixture(scope="module")
def target(sandbox) -> Target:
    return Target.of_sandbox(sandbox, lookback_window=0)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("equivalence")
    return folder / "ours.duckdb", folder / "pyairbyte.duckdb"


def pull_both(files, target, pyairbyte_pull, **options):
    """One pull into each file, ours first; our summary."""
    ours, theirs = files
    summary = pull(target, ours, **options)
    pyairbyte_pull(target, theirs, **options)
    return summary


@pytest.fixture(scope="module")
def full(files, target, pyairbyte_pull):
    return pull_both(files, target, pyairbyte_pull)


@pytest.fixture(scope="module")
def incremental(full, files, target, sandbox, pyairbyte_pull):
    sandbox.mutate(contracts=14, counterparties=6, create=4)
    return pull_both(files, target, pyairbyte_pull)


@pytest.fixture(scope="module")
def refreshed(incremental, files, target, sandbox, pyairbyte_pull):
    signed = {f["contractId"] for f in sandbox.records("signed-files")}
    records = sandbox.records("contracts")
    gone = [r["id"] for r in records if r["id"] in signed][:2] + [r["id"] for r in records if r["id"] not in signed][:3]
    sandbox.delete(contracts=gone)
    return pull_both(files, target, pyairbyte_pull, streams=["contracts", "fields"], full_refresh=True)


def snapshot(db) -> dict:
    """Everything a user or PyAirbyte reads from the file, minus what is new on every write."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        streams = {name: json.loads(schema) for name, schema in con.execute(
            "SELECT stream_name, catalog_metadata FROM _airbyte_streams WHERE source_name = 'DuckDBCache' "
            "AND table_name = stream_name").fetchall()}
        states = {name: json.loads(state)["stream"]["stream_state"] for name, state in con.execute(
            "SELECT stream_name, state_json FROM _airbyte_state WHERE source_name = 'source-tomorro' "
            "AND table_name = stream_name").fetchall()}
        content = {name: _table(con, name) for name in streams}
    finally:
        con.close()
    return {"tables": tables, "streams": streams, "states": states, "content": content}


def _table(con, name: str) -> dict:
    columns = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' "
                          "AND table_name = $name ORDER BY ordinal_position", {"name": name}).fetchall()
    minted = MINTED_PER_CALL.get(name, ())
    compared = [column for column, _ in columns if column not in FRESH_EACH_WRITE + minted]
    select = ", ".join(f'"{column}"' for column in compared)
    rows = con.execute(f'SELECT {select} FROM main."{name}" ORDER BY ALL').fetchall()
    fresh = con.execute(f'SELECT _airbyte_raw_id, _airbyte_extracted_at, {", ".join(minted) or "NULL"} '
                        f'FROM main."{name}"').fetchall()
    assert all(UUID7.fullmatch(raw_id) and isinstance(extracted, dt.datetime) for raw_id, extracted, *_ in fresh)
    assert len({raw_id for raw_id, *_ in fresh}) == len(fresh), f"{name}: a raw id twice"
    assert all(value is not None for *_, value in fresh) or not minted
    return {"columns": columns, "rows": rows}


def assert_same(ours, theirs, *, deleted_contracts: set[str] = frozenset()) -> None:
    """Equal files, except (by design) the signed files of `deleted_contracts`: ours removes them with their
    contract, PyAirbyte keeps them."""
    mine, reference = snapshot(ours), snapshot(theirs)
    if deleted_contracts:
        files = reference["content"]["contract_signed_files"]
        at = [column for column, _ in files["columns"]].index("contractid")
        kept = [row for row in files["rows"] if row[at] not in deleted_contracts]
        assert len(kept) < len(files["rows"]), "no signed file of a deleted contract: the case is not exercised"
        files["rows"] = kept
    # ours alone: the stored catalog, the time of the last reconcile, the deletions seen (tomorro_sync.reconcile)
    assert mine["tables"] - reference["tables"] <= {"_tomorro_sync_catalog", "_tomorro_reconcile", "_tomorro_deleted"}
    assert "_tomorro_sync_catalog" in mine["tables"]
    assert reference["tables"] - mine["tables"] == set()
    assert PYAIRBYTE_TABLES <= mine["tables"]
    assert mine["streams"] == reference["streams"]
    assert mine["states"] == reference["states"]
    for name, table in reference["content"].items():
        assert mine["content"][name]["columns"] == table["columns"], f"{name}: columns differ"
        assert mine["content"][name]["rows"] == table["rows"], f"{name}: rows differ"


def test_given_a_full_pull_then_the_file_matches_pyairbyte_cache(full, files):
    assert_same(*files)
    content = snapshot(files[0])["content"]
    assert full.records["contracts"] == 150 and len(content) == 8
    # each kind of column the layout maps is in the comparison
    assert {"VARCHAR", "JSON", "TIMESTAMP", "DECIMAL(38,9)", "DATE"} <= {kind for table in content.values()
                                                                       for _, kind in table["columns"]}


def test_given_changes_then_the_incremental_pull_matches_pyairbyte_cache(incremental, files):
    assert 0 < incremental.records["contracts"] < 150  # incremental: the changes, not everything
    assert_same(*files)


def test_given_deletions_then_the_full_refresh_matches_pyairbyte_cache(refreshed, files, sandbox):
    assert refreshed.records["contracts"] == len(sandbox.records("contracts"))
    deleted = {row[0] for row in query(files[0], "SELECT id FROM main._tomorro_deleted WHERE stream = 'contracts'")}
    assert len(deleted) == 5
    assert_same(*files, deleted_contracts=deleted)


def test_given_a_file_written_by_pyairbyte_then_pull_continues_incrementally(tmp_path, pyairbyte_pull):
    with SandboxServer(seed=22, contracts=90, counterparties=30, fields=20, members=4) as sb:
        target = Target.of_sandbox(sb, lookback_window=0)
        db = tmp_path / "legacy.duckdb"
        pyairbyte_pull(target, db)
        watermark = max(dt.datetime.fromisoformat(r["updatedAt"].replace("Z", "+00:00"))
                        for r in sb.records("contracts"))
        changed = sb.mutate(contracts=6, counterparties=3, create=2)
        sb.reset_stats()

        summary = pull(target, db)

        truth = sb.records("contracts")
        expected = {r["id"] for r in truth if dt.datetime.fromisoformat(r["updatedAt"].replace("Z", "+00:00")) >= watermark}
        assert set(changed["contracts"]["updated"]) | set(changed["contracts"]["created"]) <= expected
        assert summary.records["contracts"] == len(expected) < len(truth)
        lists = {row["path"]: row["count"] for row in sb.stats()["requests"] if row["method"] == "GET"}
        assert lists.get("/v2/contracts", 0) <= 3
        pulled = query(db, "SELECT id, count(*) FROM main.contracts GROUP BY id")
        assert {row[0] for row in pulled} == {r["id"] for r in truth} and {row[1] for row in pulled} == {1}
