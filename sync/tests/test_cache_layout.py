"""The column names and types `pull` writes are the ones PyAirbyte 0.71.3's DuckDB cache writes, for every kind
of property a JSON schema can hold (the e2e equivalence test covers the kinds our catalog has; these are all).

PyAirbyte (a dev dependency) is the reference here: its type converter and name normalizer decide."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from tomorro_sync.cache_layout import METADATA_COLUMNS, RawIds, StreamTable, column_name, column_type, literal
from tomorro_sync.errors import SyncError

pytestmark = pytest.mark.filterwarnings("ignore:You are using a Python version:FutureWarning")  # google libs
PROPERTIES = [
    {"type": "string"}, {"type": ["null", "string"]}, {"type": ["string", "null"], "format": "date"},
    {"type": "string", "format": "date-time"}, {"type": "string", "format": "time"},
    {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_with_timezone"},
    {"type": "string", "airbyte_type": "timestamp_without_timezone"}, {"type": "string", "airbyte_type": "time_with_timezone"},
    {"type": "integer"}, {"type": ["null", "integer"]}, {"type": "number"}, {"type": ["null", "number"]},
    {"type": "boolean"}, {"type": "object"}, {"type": ["object", "null"], "properties": {}},
    {"type": "array"}, {"type": ["null", "array"], "items": {"type": "string"}}, {"type": "array", "items": "x"},
    {}, {"type": ["string", "number"]}, {"type": ["null", "string", "integer"]}, {"type": "null"},
    {"type": "string", "airbyte_type": "big_integer"}, {"type": "array", "airbyte_type": "unknown"},
    {"type": "object", "airbyte_type": "unknown"}, {"type": "string", "format": "date", "airbyte_type": "unknown"},
    {"type": "string", "format": "date-time", "airbyte_type": "unknown"}, {"type": "string", "format": "email"},
]
NAMES = ["id", "updatedAt", "contractType", "cf_contract_value_930d6eaf", "Hello World!", "Average Sales (%)",
         "1st", "-1", "___x___", "Émission", "a.b", "ALLCAPS"]


@pytest.fixture(scope="module")
def pyairbyte():
    from airbyte._util.name_normalizers import LowerCaseNormalizer
    from airbyte.types import SQLTypeConverter

    return SQLTypeConverter(), LowerCaseNormalizer


@pytest.mark.parametrize("prop", PROPERTIES, ids=lambda prop: str(prop))
def test_given_a_property_then_its_column_type_is_pyairbyte_s(prop, pyairbyte):
    converter, _ = pyairbyte
    assert column_type(prop) == str(converter.to_sql_type(prop))


@pytest.mark.parametrize("name", NAMES)
def test_given_a_name_then_its_column_name_is_pyairbyte_s(name, pyairbyte):
    _, normalizer = pyairbyte
    assert column_name(name) == normalizer.normalize(name)


def test_given_a_name_without_letter_or_digit_then_it_is_refused_naming_it():
    with pytest.raises(SyncError, match="'__' .* has no letter or digit"):
        column_name("__")


def test_given_two_properties_with_the_same_column_then_the_stream_is_refused_naming_both():
    configured = {"stream": {"name": "deals", "json_schema": {"properties": {"dealId": {}, "dealid": {}}}},
                  "primary_key": [["dealId"]]}
    with pytest.raises(SyncError, match="properties 'dealId' and 'dealid' would both be column 'dealid'"):
        StreamTable.of(configured, replace=False)


@pytest.mark.parametrize(("key", "cursor", "replace", "method"), [
    ([["id"]], ["updatedAt"], False, "merge"), ([["id"]], [], False, "merge"), ([], ["updatedAt"], False, "append"),
    ([], [], False, "replace"), ([["id"]], ["updatedAt"], True, "replace")])
def test_given_keys_and_cursor_then_the_write_method_is_pyairbyte_s_auto_strategy(key, cursor, replace, method):
    configured = {"stream": {"name": "Deal Items", "json_schema": {"properties": {"id": {"type": "string"}}}},
                  "primary_key": key, "cursor_field": cursor}
    table = StreamTable.of(configured, replace=replace)
    assert table.method == method and table.table == "deal_items"
    assert list(table.columns) == ["id", *METADATA_COLUMNS]


def test_given_raw_ids_then_they_are_uuid7_and_strictly_increasing():
    ids = RawIds()
    values = [ids.next() for _ in range(10_000)]  # several share a millisecond
    assert values == sorted(values) and len(set(values)) == len(values)
    assert all(value[14] == "7" and value[19] in "89ab" for value in values)


@pytest.mark.parametrize("value", ["plain", "it's", "''; DROP TABLE x; --", "back\\slash\\'", 'dq"', "line\nbreak",
                                   "é ☃", "$name ? :x", None, ["a", "b'c"], []])
def test_given_a_value_then_its_literal_reads_back_as_the_same_value(value):
    con = duckdb.connect()
    assert con.execute(f"SELECT {literal(value)}").fetchone()[0] == value


def test_given_datetimes_then_their_literals_keep_the_instant():
    con = duckdb.connect()
    aware = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    assert con.execute(f"SELECT {literal(aware)} = TIMESTAMPTZ '2024-05-06 07:08:09.123456+00'").fetchone()[0]
    assert con.execute(f"SELECT {literal(aware.replace(tzinfo=None))}").fetchone()[0] == aware.replace(tzinfo=None)
