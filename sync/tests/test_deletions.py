"""remove_deleted: the rows and their children go, each removal is recorded, in the caller's transaction."""

import duckdb
from tomorro_sync.deletions import DELETED_TABLE, remove_deleted


def _db():
    con = duckdb.connect()
    con.execute("CREATE TABLE contracts (id VARCHAR, name VARCHAR)")
    con.execute("CREATE TABLE contract_signed_files (id VARCHAR, contractid VARCHAR)")
    con.execute("INSERT INTO contracts VALUES ('c1', 'kept'), ('c2', 'gone')")
    con.execute("INSERT INTO contract_signed_files VALUES ('f1', 'c1'), ('f2', 'c2'), ('f3', 'c2')")
    return con


def test_given_a_deleted_contract_then_it_and_its_signed_files_leave_and_the_removal_is_recorded():
    con = _db()
    assert remove_deleted(con, "contracts", ["c2"], via="reconcile") == 1
    assert con.execute("SELECT id FROM contracts").fetchall() == [("c1",)]
    assert con.execute("SELECT id FROM contract_signed_files").fetchall() == [("f1",)]
    assert con.execute(f"SELECT stream, id, via FROM {DELETED_TABLE}").fetchall() == [("contracts", "c2", "reconcile")]


def test_given_the_same_delete_twice_then_it_is_recorded_once():
    con = _db()
    remove_deleted(con, "contracts", ["c2"], via="webhook")
    remove_deleted(con, "contracts", ["c2"], via="reconcile")
    assert con.execute(f"SELECT count(*) FROM {DELETED_TABLE}").fetchone() == (1,)


def test_given_a_rolled_back_transaction_then_nothing_is_removed():
    con = _db()
    con.execute("BEGIN")
    remove_deleted(con, "counterparties_absent", ["x"], via="reconcile")
    remove_deleted(con, "contracts", ["c2"], via="reconcile")
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM contracts").fetchone() == (2,)
    assert con.execute("SELECT count(*) FROM contract_signed_files").fetchone() == (3,)


def test_given_a_contract_re_read_then_its_files_the_visit_did_not_bring_again_leave_and_only_its_own():
    import datetime as dt

    from tomorro_sync.deletions import drop_children_gone

    con = duckdb.connect()
    con.execute("CREATE TABLE contract_signed_files (id VARCHAR, contractid VARCHAR, contractupdatedat TIMESTAMP, "
                "_airbyte_extracted_at TIMESTAMP)")
    since = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    old, new = "2026-03-01 11:00:00", "2026-03-01 12:00:01"
    con.execute(f"""INSERT INTO contract_signed_files VALUES
        ('f1', 'c1', '2026-01-01', '{new}'),   -- c1 re-read: f1 brought again with the new version
        ('f2', 'c1', '2025-06-01', '{old}'),   -- c1's file the new visit did not bring: gone in Tomorro
        ('f3', 'c2', '2025-06-01', '{old}'),   -- c2 not visited by this pull: untouched
        ('f4', 'c2', '2025-05-01', '{old}'),   -- (even with an older version than its sibling)
        ('f5', 'c3', '2026-01-02', '{new}'),   -- c3 re-read, every file brought again
        ('f6', 'c3', '2026-01-02', '{new}')""")
    assert drop_children_gone(con, since) == {"contract_signed_files": 1}
    assert [r[0] for r in con.execute("SELECT id FROM contract_signed_files ORDER BY id").fetchall()] == [
        "f1", "f3", "f4", "f5", "f6"]
    assert drop_children_gone(con, since) == {}  # nothing more on a second call


def test_given_no_signed_files_table_yet_then_nothing_is_dropped():
    import datetime as dt

    from tomorro_sync.deletions import drop_children_gone

    assert drop_children_gone(duckdb.connect(), dt.datetime.now(dt.UTC)) == {}
