"""reconcile.py: when a reconcile is due, how it moves a state back for late writes, and what it writes (in the
caller's transaction); `reconcile_every` in the config file."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from source_tomorro.run import register_components
from tomorro_sync import reconcile
from tomorro_sync.errors import SyncError
from tomorro_sync.target import load_config

NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
components = register_components()


@pytest.fixture
def con():
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE main.contracts (id VARCHAR, updatedat TIMESTAMP, _airbyte_extracted_at TIMESTAMP)")
    con.execute("CREATE TABLE main.counterparties (id VARCHAR, updatedat TIMESTAMP, _airbyte_extracted_at TIMESTAMP)")
    yield con
    con.close()


def test_a_stream_never_reconciled_is_not_due_but_starts_its_clock(con):
    assert reconcile.due(con, ["contracts", "counterparties", "members"], 0, now=NOW) == []
    assert reconcile.unclocked(con, ["contracts", "counterparties", "members"]) == ["contracts", "counterparties"]
    reconcile.mark_reconciled(con, ["contracts"], NOW)
    assert reconcile.unclocked(con, ["contracts", "counterparties"]) == ["counterparties"]
    con.execute("DROP TABLE main.contracts")
    assert reconcile.due(con, ["contracts"], 0, now=NOW) == []  # no table: nothing to reconcile


def test_due_once_the_last_reconcile_is_older_than_every_hours_and_always_with_zero(con):
    reconcile.mark_reconciled(con, ["contracts", "counterparties"], NOW - dt.timedelta(hours=23))
    assert reconcile.due(con, ["contracts", "counterparties"], 24, now=NOW) == []
    assert reconcile.due(con, ["contracts"], 23, now=NOW) == ["contracts"]
    assert reconcile.due(con, ["contracts", "counterparties"], 0, now=NOW) == ["contracts", "counterparties"]


def test_the_state_moves_back_to_the_oldest_stale_updated_at_only_when_older():
    plan = reconcile.Reconcile(streams={"contracts": reconcile.StreamReconcile(
        "contracts", stale={"late": "2026-01-01T00:00:00.000Z", "new": "2026-01-09T00:00:00.000Z"})})
    state = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "contracts"},
                                          "stream_state": {"updatedAt": "2026-01-08T00:00:00.000Z"}}}
    other = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "members"}, "stream_state": {}}}
    moved = reconcile.move_states_back(plan, [state, other], components.parse_instant, components.format_instant)
    assert moved[0]["stream"]["stream_state"] == {"updatedAt": "2026-01-01T00:00:00.000Z"}
    assert moved[1] == other and state["stream"]["stream_state"]["updatedAt"] == "2026-01-08T00:00:00.000Z"
    assert plan.streams["contracts"].read_from == "2026-01-01T00:00:00.000Z"
    plan.streams["contracts"].stale = {"new": "2026-01-09T00:00:00.000Z"}
    kept = reconcile.move_states_back(plan, [state], components.parse_instant, components.format_instant)
    assert kept[0]["stream"]["stream_state"] == {"updatedAt": "2026-01-08T00:00:00.000Z"}


def test_apply_removes_records_each_deletion_and_notes_the_time(con):
    con.execute("INSERT INTO main.contracts VALUES ('a', NULL, '2026-01-01'), ('b', NULL, '2026-01-01')")
    plan = reconcile.Reconcile(streams={"contracts": reconcile.StreamReconcile("contracts", deleted=["b"])}, at=NOW)
    reconcile.apply(con, plan)
    assert con.execute("SELECT id FROM main.contracts").fetchall() == [("a",)]
    assert con.execute("SELECT stream, id, via FROM main._tomorro_deleted").fetchall() == [("contracts", "b", "reconcile")]
    assert reconcile.due(con, ["contracts"], 24, now=NOW + dt.timedelta(hours=1)) == []


def test_apply_keeps_a_row_the_listing_lacked_but_this_pull_read(con):
    """The listing ran before the read; a record the read emitted after it exists, whatever the listing missed."""
    con.execute("INSERT INTO main.contracts VALUES ('old', NULL, '2026-01-01'), ('read-now', NULL, '2026-01-10 12:00:05')")
    plan = reconcile.Reconcile(streams={"contracts": reconcile.StreamReconcile("contracts", deleted=["old", "read-now"])},
                               at=NOW)
    reconcile.apply(con, plan)
    assert con.execute("SELECT id FROM main.contracts").fetchall() == [("read-now",)]
    assert plan.streams["contracts"].deleted == ["old"] and "read by this pull" in plan.streams["contracts"].notes[0]


@pytest.mark.parametrize("value,hours", [(None, 24.0), (0, 0.0), (6.5, 6.5)])
def test_reconcile_every_in_the_config_file_is_hours_and_not_a_source_option(tmp_path, value, hours):
    config = {"api_key": "k", **({} if value is None else {"reconcile_every": value})}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    target = load_config(path)
    assert target.reconcile_every_hours == hours and "reconcile_every" not in target.source_config


@pytest.mark.parametrize("value", [-1, "daily", True])
def test_a_bad_reconcile_every_names_the_key_and_what_is_expected(tmp_path, value):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"api_key": "k", "reconcile_every": value}))
    with pytest.raises(SyncError, match="`reconcile_every` must be a number of hours"):
        load_config(path)


BASE = "https://api.tomorro.test/v2"


@pytest.fixture
def lister():
    from tomorro_sync.id_listing import Lister
    from tomorro_sync.target import Target

    return Lister(Target(api_key="unit-test-key-123456", base_url=BASE), sleep=lambda _: None)


@pytest.mark.parametrize(("status", "exists"), [(200, True), (404, False), (410, False)])
def test_a_missing_id_is_deleted_only_when_tomorro_answers_404_or_410_for_it(lister, requests_mock, status, exists):
    from tomorro_sync.id_listing import Listing

    requests_mock.get(f"{BASE}/contracts/c-1", status_code=status, json={"id": "c-1"} if status == 200 else {})
    assert lister.exists("contracts", "c-1", Listing("contracts")) is exists


@pytest.mark.parametrize("status", [400, 422, 409])
def test_an_answer_that_is_neither_a_record_nor_404_stops_the_reconcile_naming_the_id(lister, requests_mock, status):
    from tomorro_sync.id_listing import Listing

    requests_mock.get(f"{BASE}/counterparties/p-9", status_code=status, json={"message": "nope"})
    with pytest.raises(SyncError, match=rf"counterparties p-9 was deleted .* HTTP {status} .*nothing was removed"):
        lister.exists("counterparties", "p-9", Listing("counterparties"))


def test_after_twenty_missing_ids_that_all_still_exist_the_rest_are_kept_without_asking(lister, requests_mock):
    import re

    from tomorro_sync.id_listing import Listing

    requests_mock.get(re.compile(f"{BASE}/contracts/c-"), status_code=200, json={"id": "x"})  # every id exists
    plan = reconcile.StreamReconcile("contracts")
    missing = [f"c-{i:03d}" for i in range(50)]
    assert reconcile._confirmed_deleted(lister, Listing("contracts"), plan, missing) == []
    assert requests_mock.call_count == reconcile.STILL_THERE_BEFORE_GIVING_UP
    assert "20 contracts the list did not return still exist" in plan.notes[0]
    assert "30 more missing ids kept without asking" in plan.notes[0]


def test_the_signed_files_position_moves_back_with_the_contracts_so_late_signatures_get_their_files():
    plan = reconcile.Reconcile(streams={"contracts": reconcile.StreamReconcile(
        "contracts", stale={"late": "2026-01-01T00:00:00.000Z"})})
    files = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "contract_signed_files"}, "stream_state": {
        "use_global_cursor": True, "state": {"contractUpdatedAt": "2026-01-08T00:00:00.000Z"}, "lookback_window": 1,
        "parent_state": {"signed_contracts": {"updatedAt": "2026-01-07T00:00:00.000Z"}}}}}
    moved = reconcile.move_states_back(plan, [files], components.parse_instant, components.format_instant)
    saved = moved[0]["stream"]["stream_state"]
    assert saved["state"] == {"contractUpdatedAt": "2026-01-01T00:00:00.000Z"}
    assert saved["parent_state"] == {"signed_contracts": {"updatedAt": "2026-01-01T00:00:00.000Z"}}
    assert saved["use_global_cursor"] is True and saved["lookback_window"] == 1
    assert files["stream"]["stream_state"]["state"]["contractUpdatedAt"] == "2026-01-08T00:00:00.000Z"  # a copy
    # with no late write among the contracts, the files' position stays
    plan.streams["contracts"].stale = {}
    assert reconcile.move_states_back(plan, [files], components.parse_instant, components.format_instant) == [files]


def test_a_signed_files_position_of_a_shape_not_known_is_left_and_reported():
    plan = reconcile.Reconcile(streams={"contracts": reconcile.StreamReconcile(
        "contracts", stale={"late": "2026-01-01T00:00:00.000Z"})})
    files = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "contract_signed_files"}, "stream_state": {
        "states": [{"partition": {"parent_id": "c1"}, "cursor": {"contractUpdatedAt": "2026-01-08T00:00:00.000Z"}}]}}}
    assert reconcile.move_states_back(plan, [files], components.parse_instant, components.format_instant) == [files]
    notes = plan.streams["contracts"].notes
    assert any("contract_signed_files: its saved position has no readable state.contractUpdatedAt" in n for n in notes)


def _one_by_one(answers: dict[str, int], missing: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The rule as it was first written, one id after another: (deleted, still there, asked)."""
    deleted, still_there, asked = [], [], []
    for rid in missing:
        if not deleted and len(still_there) >= reconcile.STILL_THERE_BEFORE_GIVING_UP:
            continue
        asked.append(rid)
        (still_there if answers[rid] == 200 else deleted).append(rid)
    return deleted, still_there, asked


PATTERNS = {  # the answers, in id order, of the ids the listing lacks
    "all deleted": [404] * 45,
    "the first twenty still there": [200] * 20 + [404] * 25,
    "a deletion at the twentieth": [200] * 19 + [404] + [200] * 25,
    "a deletion first": [404] + [200] * 44,
    "fewer than twenty, all still there": [200] * 7,
    "mixed, 410 too": [200, 410, 404, 200] * 11,
}


@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_confirmations_side_by_side_make_the_decisions_of_one_by_one(lister, requests_mock, pattern):
    """Answers arrive in any order (random delays): the deletions, the kept rows, the note and the ids asked are
    those of asking one id after another."""
    import random
    import re
    import time

    from tomorro_sync.id_listing import Listing

    missing = [f"c-{i:03d}" for i in range(len(PATTERNS[pattern]))]
    answers = dict(zip(missing, PATTERNS[pattern], strict=True))
    shuffle = random.Random(7)

    def answer(request, context):
        time.sleep(shuffle.random() / 200)
        context.status_code = answers[request.path.rsplit("/", 1)[1]]
        return {"id": "x"}

    requests_mock.get(re.compile(f"{BASE}/contracts/c-"), json=answer)
    plan = reconcile.StreamReconcile("contracts")
    deleted = reconcile._confirmed_deleted(lister, Listing("contracts"), plan, missing)

    expected_deleted, still_there, asked = _one_by_one(answers, missing)
    assert deleted == expected_deleted
    assert sorted(r.path.rsplit("/", 1)[1] for r in requests_mock.request_history) == asked
    unasked = len(missing) - len(asked)
    assert plan.notes == ([f"{len(still_there):,} contracts the list did not return still exist in Tomorro (asked one "
                           f"by one, e.g. {still_there[0]}): kept, and the list cannot be trusted to show them"
                           + (f"; {unasked:,} more missing ids kept without asking" if unasked else "")]
                          if still_there else [])


def test_confirmations_are_sent_num_workers_at_a_time():
    """Each question waits at a barrier for as many others as there are workers: asked one by one, it times out.
    (requests_mock answers one request at a time, so this asks `exists` itself; tests/test_e2e_reconcile.py
    sends the requests side by side over a socket.)"""
    import threading

    from tomorro_sync.id_listing import Lister, Listing
    from tomorro_sync.target import Target

    together = threading.Barrier(3, timeout=10)

    class Waiting(Lister):
        def exists(self, stream, record_id, listing):
            together.wait()
            return False

    lister = Waiting(Target(api_key="unit-test-key-123456", base_url=BASE, source_options={"num_workers": 3}))
    missing = [f"c-{i:03d}" for i in range(12)]
    assert reconcile._confirmed_deleted(lister, Listing("contracts"), reconcile.StreamReconcile("contracts"),
                                        missing) == missing


def test_an_unreadable_answer_among_many_stops_the_confirmations_naming_its_id(lister, requests_mock):
    import re

    from tomorro_sync.id_listing import Listing

    requests_mock.get(re.compile(f"{BASE}/contracts/c-"), status_code=404, json={})
    requests_mock.get(f"{BASE}/contracts/c-017", status_code=409, json={"message": "busy"})
    missing = [f"c-{i:03d}" for i in range(40)]
    with pytest.raises(SyncError, match=r"contracts c-017 was deleted .* HTTP 409 .*nothing was removed"):
        reconcile._confirmed_deleted(lister, Listing("contracts"), reconcile.StreamReconcile("contracts"), missing)


def test_the_listing_and_its_confirmations_go_through_the_request_budget_of_the_config(requests_mock):
    from tomorro_sync.id_listing import Lister, Listing
    from tomorro_sync.target import Target

    lister = Lister(Target(api_key="unit-test-key-123456", base_url=BASE,
                           source_options={"requests_per_minute": 120, "num_workers": 2}), sleep=lambda _: None)
    assert (lister.workers, lister.budget.windows) == (2, [(2, 1.02), (120, 60.0)])
    sent = []
    lister.budget.acquire = lambda: sent.append(1)
    requests_mock.get(f"{BASE}/contracts/c-1", status_code=404, json={})
    requests_mock.get(f"{BASE}/contracts/c-2", status_code=200, json={"id": "c-2"})
    assert lister.exist_all("contracts", ["c-1", "c-2"], Listing("contracts")) == {"c-1": False, "c-2": True}
    assert len(sent) == 2
