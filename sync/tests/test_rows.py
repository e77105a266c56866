"""Reading rows to push from CSV files and DuckDB tables."""

import datetime as dt
import decimal
import math

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


def test_given_csv_with_an_undecodable_byte_when_opened_then_fails_before_any_row_naming_line_and_byte(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes("name,city\nAcme,Paris\nGlobex,K\xf6ln\n".encode() + b"Initech,M\xfcnchen\n")
    with pytest.raises(SyncError, match=r"accounts.csv, line 4: byte 0xFC at position 10 is not UTF-8"):
        from_csv(path)  # raised by the call itself: nothing has been read by a consumer yet


@pytest.mark.parametrize(("content", "expected"), [
    ("name,city\nAcme,Paris,extra\n", r"line 2: 3 values for 2 columns"),
    ("name,city\nAcme\n", r"line 2: 1 values for 2 columns"),
    ("name,name\nAcme,Globex\n", r"column 'name' appears twice in the header"),
    ("name,\nAcme,lost value\n", r"line 2: column 2 has no name in the header but holds a value"),
])
def test_given_malformed_csv_when_opened_then_fails_naming_the_line(tmp_path, content, expected):
    path = tmp_path / "accounts.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SyncError, match=expected):
        from_csv(path)


def test_given_csv_that_breaks_after_the_check_when_read_then_the_iterator_raises(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("name\nAcme\nGlobex\n", encoding="utf-8")
    rows = from_csv(path)
    path.write_bytes(b"name\nAcme\nM\xfcnchen\n")
    with pytest.raises(SyncError, match="no longer valid UTF-8"):
        list(rows)


def test_given_duckdb_values_json_cannot_carry_when_read_then_they_are_passed_through_for_push_to_reject(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE deals (id VARCHAR, amount DOUBLE, tags VARCHAR[], meta STRUCT(since DATE, n DECIMAL(4,1)),"
                    " uid UUID)")
        con.execute("INSERT INTO deals VALUES ('a', 'nan'::DOUBLE, ['x'], {'since': DATE '2024-01-02', 'n': 2.0}, "
                    "'6f1c0b2e-0000-4000-8000-000000000001'), ('b', 'inf'::DOUBLE, [], NULL, NULL)")
    rows = list(from_duckdb(db, "deals"))
    assert math.isnan(rows[0]["amount"]) and rows[1]["amount"] == math.inf
    assert rows[0]["meta"] == {"since": "2024-01-02", "n": 2} and rows[0]["tags"] == ["x"]
    assert rows[0]["uid"] == "6f1c0b2e-0000-4000-8000-000000000001"
