"""Records Tomorro no longer has leave the tables, and each removal is recorded in `_tomorro_deleted`.

One function for every way a delete is learnt (a reconcile's full listing, a `contractDeleted` webhook):
the rows go from the stream's table, a contract's signed files go with it, and each removal is recorded as
(stream, id, detected_at, via). The caller owns the transaction, so a removal commits with whatever else
the same pull or event writes, or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .cache_layout import EXTRACTED_AT, SCHEMA, literal, quoted, tables_of

DELETED_TABLE = "_tomorro_deleted"
DELETED_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{quoted(DELETED_TABLE)} (stream VARCHAR NOT NULL, id VARCHAR NOT NULL, "
    "detected_at TIMESTAMP WITH TIME ZONE NOT NULL, via VARCHAR NOT NULL, PRIMARY KEY (stream, id))"
)
# A stream whose rows belong to a parent record: removing the parent removes them (child table, its column).
CHILDREN = {"contracts": (("contract_signed_files", "contractid"),)}
# A child stream whose every visit of a parent brings all of that parent's rows, stamped with the parent's version
# (contract_signed_files: GET /contracts/{id}/signed-files, one whole array, each row with contractUpdatedAt):
# (table, parent column, parent version column).
READ_WHOLE_PER_PARENT = (("contract_signed_files", "contractid", "contractupdatedat"),)


def remove_deleted(con: Any, stream: str, ids: Iterable[str], *, via: str, detected_at: dt.datetime | None = None) -> int:
    """Remove the rows of `stream` whose `id` is in `ids` (and their children), record each; returns how
    many ids were recorded. Runs inside the caller's transaction; a table that does not exist yet is skipped."""
    ids = sorted({str(i) for i in ids})
    if not ids:
        return 0
    detected_at = detected_at or dt.datetime.now(dt.UTC)
    con.execute(DELETED_DDL)
    in_list = ", ".join(literal(i) for i in ids)
    existing = tables_of(con)
    if stream in existing:
        con.execute(f"DELETE FROM {SCHEMA}.{quoted(stream)} WHERE CAST(id AS VARCHAR) IN ({in_list})")
    for child, column in CHILDREN.get(stream, ()):
        if child in existing:
            con.execute(f"DELETE FROM {SCHEMA}.{quoted(child)} WHERE CAST({quoted(column)} AS VARCHAR) IN ({in_list})")
    values = ", ".join(f"({literal(stream)}, {literal(i)}, {literal(detected_at)}, {literal(via)})" for i in ids)
    con.execute(f"INSERT OR REPLACE INTO {SCHEMA}.{quoted(DELETED_TABLE)} VALUES {values}")
    return len(ids)


def drop_children_gone(con: Any, read_since: dt.datetime) -> dict[str, int]:
    """Rows of a parent visited by this pull (a row written at or after `read_since`) that the visit did not bring
    again (their parent version is older than the parent's newest): a signed file Tomorro no longer lists on its
    contract. Only parents this pull visited are touched, so a pull cut short before a parent's rows all
    arrived removes nothing of it. A parent whose visit brought no row at all is emptied_files.py's. Runs inside the
    caller's (the pull's last) transaction; returns counts."""
    since = literal(read_since.astimezone(dt.UTC).replace(tzinfo=None))  # _airbyte_extracted_at is naive UTC
    existing, removed = tables_of(con), {}
    for table, parent, version in READ_WHOLE_PER_PARENT:
        if table not in existing or not {parent, version, EXTRACTED_AT} <= _columns(con, table):
            continue
        t, p, v, at = f"{SCHEMA}.{quoted(table)}", quoted(parent), quoted(version), quoted(EXTRACTED_AT)
        gone = con.execute(
            f"DELETE FROM {t} AS old WHERE old.{p} IN (SELECT {p} FROM {t} WHERE {at} >= {since}) "
            f"AND old.{v} < (SELECT max(newest.{v}) FROM {t} AS newest WHERE newest.{p} = old.{p}) "
            f"RETURNING 1").fetchall()
        if gone:
            removed[table] = len(gone)
    return removed


def forget_returned(con: Any, stream: str, table: str) -> None:
    """A record written again exists: its earlier removal no longer describes it (a contract restored in Tomorro,
    an id a webhook or a reconcile removed that a later read returns), so its line in `_tomorro_deleted` goes.
    A removal takes the row out of `table` (the stream's, qualified), so a recorded id found there again was
    written back. Asked only when the stream has recorded removals (the batch is not read twice). Runs inside
    the caller's transaction."""
    if DELETED_TABLE not in tables_of(con):
        return
    deleted = f"{SCHEMA}.{quoted(DELETED_TABLE)}"
    if con.execute(f"SELECT 1 FROM {deleted} WHERE stream = {literal(stream)} LIMIT 1").fetchone():
        con.execute(f"DELETE FROM {deleted} WHERE stream = {literal(stream)} "
                    f"AND id IN (SELECT CAST(id AS VARCHAR) FROM {table})")


def _columns(con: Any, table: str) -> set[str]:
    rows = con.execute(f"SELECT column_name FROM information_schema.columns WHERE table_schema = {literal(SCHEMA)} "
                       f"AND table_name = {literal(table)}").fetchall()
    return {row[0] for row in rows}
