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
