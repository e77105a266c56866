"""The loader on a real DuckDB file, fed the source's messages by hand: what is committed at each checkpoint,
what a failure leaves, full-refresh replacement, duplicates, keys and schema changes."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from tomorro_sync.cache_layout import StreamTable, open_cache
from tomorro_sync.errors import SyncError
from tomorro_sync.loader import Loader

SCHEMA = {"properties": {"id": {"type": "string"}, "name": {"type": ["null", "string"]},
                         "updatedAt": {"type": "string", "format": "date-time"}, "tags": {"type": "array"}}}


def configured(name="deals", schema=SCHEMA, key=(("id",),), cursor=("updatedAt",)) -> dict:
    return {"stream": {"name": name, "json_schema": schema}, "primary_key": [list(k) for k in key],
            "cursor_field": list(cursor)}


def record(data: dict, stream="deals") -> dict:
    return {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1_700_000_000_000}}


def state(value: dict, stream="deals", counted: float | None = None) -> dict:
    message = {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream},
                                                                        "stream_state": value}}}
    if counted is not None:  # as the CDK's entrypoint adds it: the records it printed since the last state
        message["state"]["sourceStats"] = {"recordCount": counted}
    return message


def complete(stream="deals") -> dict:
    return {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "stream_status": {
        "stream_descriptor": {"name": stream}, "status": "COMPLETE"}}}


@contextmanager
def loading(tmp_path, *streams: dict, replace=False):
    with open_cache(tmp_path / "w.duckdb") as con:
        loader = Loader(con, [StreamTable.of(s, replace=replace) for s in streams or [configured()]],
                        source_name="source-tomorro", spool_dir=tmp_path)
        try:
            yield loader
        finally:
            loader.close()


def rows(tmp_path, sql="SELECT id, name FROM main.deals ORDER BY id") -> list[tuple]:
    with open_cache(tmp_path / "w.duckdb") as con:
        return con.execute(sql).fetchall()


def saved_state(tmp_path, stream="deals") -> str | None:
    found = rows(tmp_path, f"SELECT state_json FROM main._airbyte_state WHERE stream_name = '{stream}'")
    return found[0][0] if found else None


def test_given_records_then_a_state_then_they_are_committed_together_and_later_records_are_not(tmp_path):
    with loading(tmp_path) as loader:
        loader.take(record({"id": "a", "name": "A"}))
        loader.take(record({"id": "b", "name": "B"}))
        assert loader.take(state({"updatedAt": "2024-01-02"})) == ["deals"]
        loader.take(record({"id": "c", "name": "C"}))  # no state after it, then the pull fails: no finish()
    assert rows(tmp_path) == [("a", "A"), ("b", "B")]
    assert '"2024-01-02"' in saved_state(tmp_path)


def test_given_two_copies_of_a_key_in_one_batch_then_the_later_one_is_kept(tmp_path):
    with loading(tmp_path) as loader:
        for name in ("first", "second", "third"):
            loader.take(record({"id": "a", "name": name}))
        loader.finish()
    assert rows(tmp_path) == [("a", "third")]


def test_given_a_record_seen_again_in_a_later_pull_then_its_row_is_updated_in_place(tmp_path):
    with loading(tmp_path) as loader:
        loader.take(record({"id": "a", "name": "old", "tags": ["x"]}))
        loader.take(record({"id": "b", "name": "kept"}))
        loader.finish()
    with loading(tmp_path) as loader:
        loader.take(record({"id": "a", "name": "new"}))
        loader.finish()
    assert rows(tmp_path, "SELECT id, name, tags FROM main.deals ORDER BY id") == [("a", "new", None), ("b", "kept", None)]


def test_given_keys_in_another_case_then_they_land_in_their_column_and_unknown_keys_are_dropped(tmp_path):
    with loading(tmp_path) as loader:
        loader.take(record({"ID": "a", "Name": "A", "UpdatedAt": "2024-01-02T03:04:05Z", "extra": 1, "--": 2}))
        loader.finish()
    assert rows(tmp_path, "SELECT id, name, CAST(updatedat AS VARCHAR) FROM main.deals") == [
        ("a", "A", "2024-01-02 03:04:05")]
    columns = rows(tmp_path, "SELECT column_name FROM information_schema.columns WHERE table_name = 'deals'")
    assert "extra" not in {column for (column,) in columns}


def test_given_a_record_without_its_key_then_the_pull_stops_naming_stream_and_key(tmp_path):
    with loading(tmp_path) as loader, pytest.raises(SyncError, match="stream 'deals' without a value for its "
                                                                      r"primary key \(id\)"):
        loader.take(record({"name": "no id"}))


@pytest.mark.parametrize("message", [record({"id": "a"}, stream="other"), state({}, stream="other")])
def test_given_a_message_of_a_stream_not_asked_for_then_the_pull_stops_naming_it(tmp_path, message):
    with loading(tmp_path) as loader, pytest.raises(SyncError, match="stream 'other', which this pull did not ask"):
        loader.take(message)


def test_given_full_refresh_then_a_table_is_replaced_only_once_its_stream_completed(tmp_path):
    other = configured("others")
    with loading(tmp_path, configured(), other) as loader:
        loader.take(record({"id": "old", "name": "gone"}))
        loader.take(record({"id": "o1"}, stream="others"))
        loader.take(state({"updatedAt": "old"}))
        loader.finish()
    with loading(tmp_path, configured(), other, replace=True) as loader:
        loader.take(record({"id": "new", "name": "N"}))
        assert loader.take(state({"updatedAt": "new"})) == []  # held: its records are not in the table yet
        loader.take(record({"id": "o2"}, stream="others"))
        assert rows(tmp_path) == [("old", "gone")] and '"old"' in saved_state(tmp_path)
        assert loader.take(complete()) == ["deals"]
        assert rows(tmp_path) == [("new", "N")] and '"new"' in saved_state(tmp_path)
        # then the pull fails: `others` never completed, so it is left as it was
    assert rows(tmp_path, "SELECT id FROM main.others") == [("o1",)]


def test_given_full_refresh_of_a_stream_with_no_record_left_then_its_table_is_emptied(tmp_path):
    with loading(tmp_path) as loader:
        loader.take(record({"id": "a"}))
        loader.finish()
    with loading(tmp_path, replace=True) as loader:
        loader.finish()
    assert rows(tmp_path) == []


def test_given_a_schema_with_a_new_property_then_its_column_is_added_to_the_table(tmp_path):
    with loading(tmp_path) as loader:
        loader.take(record({"id": "a"}))
        loader.finish()
    wider = {"properties": {**SCHEMA["properties"], "amount": {"type": "number"}}}
    with loading(tmp_path, configured(schema=wider)) as loader:
        loader.take(record({"id": "b", "amount": 12.5}))
        loader.finish()
    assert rows(tmp_path, "SELECT id, CAST(amount AS DOUBLE) FROM main.deals ORDER BY id") == [("a", None), ("b", 12.5)]


def test_given_streams_without_records_then_finish_creates_their_tables(tmp_path):
    with loading(tmp_path, configured(), configured("empty", key=(), cursor=())) as loader:
        loader.finish()
    assert rows(tmp_path, "SELECT count(*) FROM main.empty") == [(0,)]


def test_given_the_source_counted_the_records_received_then_each_checkpoint_is_saved(tmp_path):
    with loading(tmp_path) as loader:
        loader.take(record({"id": "a", "name": "A"}))
        loader.take(record({"id": "b", "name": "B"}))
        assert loader.take(state({"updatedAt": "1"}, counted=2.0)) == ["deals"]
        assert loader.take(state({"updatedAt": "2"}, counted=0.0)) == ["deals"]  # the count restarts at each state
        loader.take(record({"id": "c", "name": "C"}))
        assert loader.take(state({"updatedAt": "3"}, counted=1.0)) == ["deals"]
    assert [r[0] for r in rows(tmp_path)] == ["a", "b", "c"] and '"3"' in saved_state(tmp_path)


def test_given_fewer_records_than_the_source_counted_then_the_pull_stops_and_the_checkpoint_is_not_saved(tmp_path):
    with loading(tmp_path) as loader:
        loader.take(record({"id": "a", "name": "A"}))
        loader.take(state({"updatedAt": "1"}, counted=1.0))
        loader.take(record({"id": "b", "name": "B"}))  # a second record line never reached the pull
        with pytest.raises(SyncError, match=r"sent 2 records of stream 'deals' .* this pull received 1"):
            loader.take(state({"updatedAt": "2"}, counted=2.0))
    assert [r[0] for r in rows(tmp_path)] == ["a"] and '"1"' in saved_state(tmp_path)


@pytest.mark.parametrize("replace", [False, True])
def test_given_a_record_recorded_deleted_when_it_is_written_again_then_its_deletion_line_goes(tmp_path, replace):
    from tomorro_sync.deletions import remove_deleted

    with loading(tmp_path, replace=replace) as loader:
        loader.take(record({"id": "a", "name": "A"}))
        loader.take(record({"id": "b", "name": "B"}))
        loader.take(complete())
        loader.finish()
    with open_cache(tmp_path / "w.duckdb") as con:
        remove_deleted(con, "deals", ["a", "b"], via="reconcile")
        remove_deleted(con, "other", ["a"], via="webhook")  # the same id in another stream is another record
    with loading(tmp_path, replace=replace) as loader:
        loader.take(record({"id": "a", "name": "back"}))  # restored in Tomorro
        loader.take(complete())
        loader.finish()
    assert rows(tmp_path) == [("a", "back")]
    assert rows(tmp_path, "SELECT stream, id FROM main._tomorro_deleted ORDER BY stream, id") == [
        ("deals", "b"), ("other", "a")]
