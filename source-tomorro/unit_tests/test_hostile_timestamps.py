"""Property-based: every timestamp is compared and stored as an instant in UTC, whatever offset, precision or
form the API writes it in, and a value that is not a datetime is emitted, never dropped (issue 13, "Source
cursors and state"). Bounded in `make test`; `make test-faults` runs the longer hypothesis profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from source_tomorro.run import register_components

from .test_list_reader import FakeListApi, RecordingCursor, _reader, _slice

components = register_components()
pytestmark = pytest.mark.faults  # `make test-faults` runs these with the long hypothesis profile (conftest.py)

instants = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
precisions = st.sampled_from(["seconds", "milliseconds", "microseconds"])


def _written(moment: datetime, offset: timezone, precision: str, zulu: bool) -> str:
    """`moment` as an API might write it: any offset, any precision, `Z` or `+00:00` for UTC."""
    text = moment.astimezone(offset).isoformat(timespec=precision)
    return text.replace("+00:00", "Z") if zulu else text


@given(instants, offsets, precisions, st.booleans())
def test_any_written_form_parses_to_the_same_instant_and_formats_to_one_utc_form(moment, offset, precision, zulu):
    moment = moment.replace(microsecond=moment.microsecond if precision == "microseconds" else
                            moment.microsecond - moment.microsecond % 1000 if precision == "milliseconds" else 0)
    parsed = components.parse_instant(_written(moment, offset, precision, zulu))
    assert parsed == moment and parsed.utcoffset() == timedelta(0)
    canonical = components.format_instant(parsed)
    assert canonical.endswith("Z") and components.parse_instant(canonical) == moment


@given(st.lists(st.tuples(instants, offsets, precisions, st.booleans()), min_size=1, max_size=120),
       st.lists(st.sampled_from(["garbage", "", "2024-13-45T00:00:00Z", "yesterday"]), max_size=3))
def test_a_read_places_every_record_by_its_instant_and_emits_the_rest_once(written, garbage):
    records = [{"id": f"r{i}", "updatedAt": _written(moment, offset, precision, zulu)}
               for i, (moment, offset, precision, zulu) in enumerate(written)]
    records += [{"id": f"g{i}", "updatedAt": value} for i, value in enumerate(garbage)]
    # the fake sorts by the text: the server's order is not ours. Its clock is past every record: a read without
    # order emits nothing changed after it began (test_list_reader.py has that rule)
    api = FakeListApi(records, honour_filter=False, server_now=datetime(2099, 1, 1, tzinfo=UTC))
    reader = _reader(api, workers=2, page_size=7)
    yielded: list = []
    reader.cursor = RecordingCursor(yielded)

    yielded.extend(reader.read_records({}, _slice(datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))))

    assert sorted(r["id"] for r in yielded) == sorted(r["id"] for r in records)  # nothing dropped, nothing twice
    originals = {record["id"]: record["updatedAt"] for record in records}
    for record in yielded:
        if record["id"].startswith("r"):  # emitted in UTC, the same instant
            assert record["updatedAt"].endswith("Z")
            assert components.parse_instant(record["updatedAt"]) == components.parse_instant(originals[record["id"]])


@pytest.mark.parametrize("written,utc", [
    ("2024-03-01T10:00:00+05:30", "2024-03-01T04:30:00.000Z"),
    ("2024-03-01T10:00:00z", "2024-03-01T10:00:00.000Z"),
    ("2024-03-01T10:00:00.123456-01:00", "2024-03-01T11:00:00.123456Z"),
    ("2024-03-01T10:00:00", "2024-03-01T10:00:00.000Z"),
    ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"),  # already a UTC instant DuckDB reads as such: kept
    ("not a date", "not a date"),  # left for the destination's type check to name
])
def test_every_date_time_property_is_rewritten_as_a_utc_instant(written, utc):
    record = {"createdAt": written, "name": written}
    components.UtcInstants(properties=["createdAt"]).transform(record)
    assert record == {"createdAt": utc, "name": written}
