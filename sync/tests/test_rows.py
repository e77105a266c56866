"""Reading rows to push from CSV files and DuckDB tables."""

import datetime as dt
import decimal

import duckdb
import pytest
from tomorro_sync.errors import SyncError
from tomorro_sync.rows import from_csv, from_duckdb


def test_given_csv_with_bom_and_empty_cells_when_read_then_empty_cells_are_null(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("\ufeffname,industry,amount\nAcme,Technology,\nGlobex,,12.5\n", encoding="utf-8")
    assert list(from_csv(path)) == [
        {"name": "Acme", "industry": "Technology", "amount": None},
        {"name": "Globex", "industry": None, "amount": "12.5"},
    ]


def test_given_missing_csv_when_read_then_clear_error(tmp_path):
    with pytest.raises(SyncError, match="Cannot read CSV file .*missing.csv"):
        list(from_csv(tmp_path / "missing.csv"))


def test_given_duckdb_table_when_read_then_values_are_json_ready(tmp_path):
    db = tmp_path / "warehouse.duckdb"  # a file stem equal to a schema name is ambiguous in DuckDB
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA crm")
        con.execute("CREATE TABLE crm.deals (external_id VARCHAR, amount DECIMAL(10,2), whole DECIMAL(10,2), "
                    "close_date DATE, seen TIMESTAMP)")
        con.execute("INSERT INTO crm.deals VALUES ('sf-1', 10.5, 7, DATE '2024-06-01', TIMESTAMP '2024-06-01 10:00:00')")
    rows = list(from_duckdb(db, "crm.deals"))
    assert rows == [{"external_id": "sf-1", "amount": 10.5, "whole": 7, "close_date": "2024-06-01",
                     "seen": "2024-06-01T10:00:00"}]
    assert isinstance(rows[0]["whole"], int)
    assert dt.date.fromisoformat(rows[0]["close_date"]) and not isinstance(rows[0]["amount"], decimal.Decimal)


def test_given_unknown_table_when_read_then_error_names_table(tmp_path):
    db = tmp_path / "crm.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(SyncError, match="Cannot read table 'nope'"):
        list(from_duckdb(db, "nope"))
