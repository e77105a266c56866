"""What push feeds the destination: valid JSON lines only, its own rejects, and no STATE after a failed read."""

from __future__ import annotations

import io
import json
import math

import pytest
from tomorro_sync.feed import Feed


def strict_json(line: str):
    def refuse(token):
        raise AssertionError(f"invalid JSON token {token}")

    return json.loads(line, parse_constant=refuse)


def run(feed: Feed) -> list[dict]:
    stdin = io.StringIO()
    stdin.close = lambda: None  # keep the buffer readable after the feeder closes it
    feed.run(stdin)
    return [strict_json(line) for line in stdin.getvalue().splitlines()]


def test_given_rows_with_nan_and_infinity_when_fed_then_those_rows_are_rejected_naming_the_column():
    rows = [{"external_id": "d-1", "amount": 10.5}, {"external_id": "d-2", "amount": math.nan},
            {"external_id": "d-3", "amount": -math.inf, "score": math.inf}, {"external_id": "d-4", "amount": None}]
    feed = Feed(rows, "deals", "external_id")
    messages = run(feed)
    records = [m["record"]["data"] for m in messages if m["type"] == "RECORD"]
    assert [r["external_id"] for r in records] == ["d-1", "d-4"]
    assert [(r["key"], r["reason"].split(" (")[0]) for r in feed.rejected] == [
        ("d-2", "column 'amount' holds nan, which JSON cannot carry"),
        ("d-3", "column 'amount' holds -inf, which JSON cannot carry; column 'score' holds inf, which JSON cannot carry"),
    ]
    assert feed.rejected[0]["data"] == {"external_id": "d-2", "amount": "nan"}  # valid JSON for the rejected-rows file
    assert (feed.rows_read, feed.fed) == (4, 2)
    assert messages[-1]["type"] == "STATE" and messages[-1]["state"]["stream"]["stream_state"] == {"pushed_rows": 2}
    assert feed.state_sent and feed.error is None


def test_given_binary_and_nested_nan_values_when_fed_then_rejected_with_their_kind():
    feed = Feed([{"name": "Acme", "logo": b"\x89PNG"}, {"name": "Globex", "scores": [1.0, math.nan]}], "acc", "name")
    run(feed)
    assert [r["reason"].split(" (")[0] for r in feed.rejected] == [
        "column 'logo' holds binary data, which cannot be sent",
        "column 'scores' holds a nested NaN, infinity or binary value, which JSON cannot carry"]


def test_given_a_reader_that_fails_half_way_when_fed_then_no_state_is_sent_and_the_error_is_kept():
    def rows():
        yield {"name": "Acme"}
        raise OSError("disk vanished")

    feed = Feed(rows(), "acc", "name")
    messages = run(feed)
    assert [m["type"] for m in messages] == ["RECORD"]
    assert not feed.state_sent
    assert isinstance(feed.error, OSError) and "disk vanished" in str(feed.error)


def test_given_a_destination_that_stops_reading_when_fed_then_it_is_noted_without_a_state():
    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError

    feed = Feed([{"name": "Acme"}], "acc", "name")
    feed.run(ClosedPipe())
    assert feed.destination_stopped and not feed.state_sent and feed.error is None


@pytest.mark.parametrize("key", [None, 98765.0])
def test_given_rejected_row_when_keyed_then_the_key_is_text_or_null(key):
    feed = Feed([{"external_id": key, "amount": math.nan}], "deals", "external_id")
    run(feed)
    assert feed.rejected[0]["key"] == (None if key is None else str(key))
