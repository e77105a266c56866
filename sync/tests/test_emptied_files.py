"""emptied_files: which contracts are asked about, how an answer reads, and that only a proof removes a row."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import duckdb
from source_tomorro.run import register_components
from tomorro_sync.emptied_files import candidates, drop_emptied, parent_position

SINCE = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)  # when this pull's read started
OLD, NEW = "2026-01-01 00:00:00", "2026-01-02 12:00:05"  # _airbyte_extracted_at before / by this pull


def _db():
    con = duckdb.connect()
    con.execute("CREATE TABLE contracts (id VARCHAR, updatedat TIMESTAMP, _airbyte_extracted_at TIMESTAMP)")
    con.execute("CREATE TABLE contract_signed_files (id VARCHAR, contractid VARCHAR, _airbyte_extracted_at TIMESTAMP)")
    con.execute(f"""INSERT INTO contracts VALUES
        ('reread', '2025-06-01', '{NEW}'),      -- re-read by this pull, brought no file row: asked
        ('refiled', '2025-06-01', '{NEW}'),     -- re-read, its files came back: drop_children_gone's, not asked
        ('changed', '2025-12-31', '{OLD}'),     -- updated after the substream's position: the listing visits it
        ('quiet', '2025-01-01', '{OLD}'),       -- nothing says anything visited it: never asked
        ('fileless', '2025-12-31', '{NEW}')     -- no rows to remove: not asked""")
    con.execute(f"""INSERT INTO contract_signed_files VALUES ('f1', 'reread', '{OLD}'), ('f2', 'reread', '{OLD}'),
        ('f3', 'refiled', '{NEW}'), ('f4', 'changed', '{OLD}'), ('f5', 'quiet', '{OLD}')""")
    return con


def _state(parent: object) -> list[dict]:
    return [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "contract_signed_files"}, "stream_state": {
        "use_global_cursor": True, "state": {"contractUpdatedAt": "2025-12-01T00:00:00.000Z"},
        "parent_state": {"signed_contracts": {"updatedAt": parent}}}}}]


class _Lister:
    """Answers of GET /contracts/{id}/signed-files, as the sync's Lister returns them."""

    workers = 1

    def __init__(self, answers: dict[str, tuple[int, object]]):
        self.answers, self.asked = answers, []
        self.read_list_page = register_components().read_list_page

    def answer(self, listing, path: str):
        cid = path.split("/")[1]
        self.asked.append(cid)
        listing.requests += 1
        status, body = self.answers[cid]
        return SimpleNamespace(status_code=status, json=lambda: body)


def test_the_parent_position_is_read_from_the_substream_state_and_nothing_else():
    assert parent_position(_state("2025-12-01T00:00:00.000Z")) == dt.datetime(2025, 12, 1)
    assert parent_position(_state(None)) is None and parent_position(_state("yesterday")) is None
    assert parent_position([]) is None


def test_only_contracts_the_substream_had_to_visit_and_that_brought_no_row_are_asked_about():
    con = _db()
    assert candidates(con, SINCE, dt.datetime(2025, 12, 1)) == ["changed", "reread"]
    assert candidates(con, SINCE, None) == ["reread"]
    # `contracts` read whole this pull (a retype): every row is new, so only the substream's position says "changed"
    assert candidates(con, SINCE, dt.datetime(2025, 12, 1), reread=False) == ["changed"]
    assert candidates(con, SINCE, None, reread=False) == []


def test_rows_leave_only_where_the_answer_lacks_their_file_and_the_rest_is_kept_and_said():
    con = _db()
    lister = _Lister({"reread": (200, [{"id": "f2"}]), "changed": (404, {"message": "not found"})})
    out = drop_emptied(con, SINCE, dt.datetime(2025, 12, 1), lambda: lister)
    assert sorted(lister.asked) == ["changed", "reread"] and (out.asked, out.removed, out.requests) == (2, 1, 2)
    assert [r[0] for r in con.execute("SELECT id FROM contract_signed_files ORDER BY id").fetchall()] == \
        ["f2", "f3", "f4", "f5"]
    assert any("404" in note and "changed" in note for note in out.notes())


def test_an_empty_list_removes_every_row_of_the_contract_and_an_unreadable_one_none():
    for answer, left in (((200, []), []), ((200, {"data": [], "hasNext": True, "nextCursor": "x"}), ["f1", "f2"]),
                         ((200, [{"filename": "no id"}]), ["f1", "f2"]), ((503, []), ["f1", "f2"])):
        con = _db()
        out = drop_emptied(con, SINCE, None, lambda a=answer: _Lister({"reread": a}))
        rows = con.execute("SELECT id FROM contract_signed_files WHERE contractid = 'reread' ORDER BY id").fetchall()
        assert [r[0] for r in rows] == left, answer
        assert bool(out.kept) == bool(left), (answer, out.kept)
