"""input.py: stdin is read strictly: a corrupt line stops the sync naming its number; a NaN or a
non-object record rejects the row; a byte order mark is harmless."""

import json

import pytest
from airbyte_cdk.models import Type
from destination_tomorro.input import InputError, UnreadableRecord, read_messages


def record(data, stream="contracts"):
    return json.dumps({"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 0}}).encode() + b"\n"


STATE = json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
    "stream_descriptor": {"name": "contracts"}, "stream_state": {"c": 1}}}}).encode() + b"\n"


def read(*lines):
    return list(read_messages(iter(lines)))


def test_records_states_a_bom_and_blank_lines():
    messages = read(b"\xef\xbb\xbf" + record({"a": 1}), b"\n", b"   \r\n", STATE)
    assert [m.type for m in messages] == [Type.RECORD, Type.STATE] and messages[0].record.data == {"a": 1}


def test_nan_and_infinity_tokens_are_read_as_non_finite_floats_for_the_row_to_be_rejected():
    line = b'{"type": "RECORD", "record": {"stream": "s", "emitted_at": 0, "data": {"v": NaN, "w": -Infinity, "x": 1.5e400}}}\n'
    data = read(line)[0].record.data
    assert data["v"] != data["v"] and data["w"] == float("-inf") and data["x"] == float("inf")


@pytest.mark.parametrize("data, said", [([1, 2], "a JSON list"), ("text", "a JSON str"), (None, "missing")])
def test_a_record_whose_data_is_not_an_object_is_kept_to_be_rejected(data, said):
    unreadable = read(record({"a": 1}), record(data, stream="deals"))[1]
    assert isinstance(unreadable, UnreadableRecord) and (unreadable.stream, unreadable.line) == ("deals", 2)
    assert unreadable.reason == f"record on stdin line 2: its data is {said}, not an object"


@pytest.mark.parametrize("line, problem", [
    (b'{"type": "RECORD", "record": {"stream": "s", "data": {"a": 1}\n', "is not valid JSON (Expecting ',' delimiter"),
    (b'{"name": "no type"}\n', "is not an Airbyte message (its `type` is missing)"),
    (b'{"type": "HELLO"}\n', "is not an Airbyte message (its `type` is not one of"),
    (b'[1, 2]\n', "is not an Airbyte message (a JSON list, not an object)"),
    (b'{"type": "RECORD", "record": {"data": {}}}\n', "is a RECORD without a `record.stream`"),
    (b'{"type": "STATE", "state": {"type": "STREAM", "stream": 7}}\n', "is not a valid STATE message"),
    (b'{"type": "RECORD", "record": {"stream": "s", "data": {"a": "\xff"}}}\n', "is not UTF-8 (invalid start byte at byte"),
])
def test_a_line_that_is_not_an_airbyte_message_stops_the_sync_naming_the_line(line, problem):
    messages = read_messages(iter([record({"a": 1}), line, STATE]))
    assert next(messages).type == Type.RECORD
    with pytest.raises(InputError) as info:
        next(messages)
    assert info.value.message.startswith(f"stdin line 2 {problem}")
    assert "no state after it was acknowledged" in info.value.message
    assert info.value.failure_type.value == "system_error"


def test_the_message_never_quotes_the_line():
    with pytest.raises(InputError) as info:
        read(b'{"type": "RECORD", "record": {"stream": "s", "data": {"zq9column": "zq9value\n')
    assert "zq9" not in info.value.message
