"""`pull --reconcile` (and a pull whose last reconcile is older than `reconcile_every`): the tables of contracts
and counterparties made equal to Tomorro's lists, which a cursor on `updatedAt` alone cannot do.

Before the read, every id and `updatedAt` of each stream is listed (id_listing.py: list pages only) and
compared with its table:
- an id the table has and the listing lacks, and that Tomorro answers 404 for when asked by itself
  (GET /<path>/{id}: a list that leaves a record out, through an order that moved or a filter it applies on
  its own, must not delete it), was deleted in Tomorro: its row (and a contract's signed files) is removed and recorded in `_tomorro_deleted` (deletions.py), in the transaction that saves the pull's last
  records and states: a pull that fails removes nothing. Unless the listing cannot prove it: rows of a status
  of which the listing holds no record at all (an API that ignores `status=` and hides that status by default
  would look the same as every such record deleted) are kept, and reported;
- an id whose listed `updatedAt` differs from its row's, or that the table lacks, holds a change the cursor
  missed (a late write: visible only after the saved state had passed its `updatedAt`): the state handed to
  the source is moved back to the oldest such `updatedAt`, so this very read re-reads it (list pages again,
  from there on).
The time of each stream's last reconcile is kept in `_tomorro_reconcile`, written with the removals. A stream
with no such time (its first pull, or a file an older version or PyAirbyte wrote) starts its clock at the end
of its next successful pull, without a listing: a first read is whole, and an older file's first reconcile
comes `reconcile_every` later (or with `--reconcile`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from .cache_layout import EXTRACTED_AT, SCHEMA, literal, quoted, tables_of
from .deletions import remove_deleted
from .id_listing import LISTS, Lister
from .target import Target

RECONCILE_TABLE = "_tomorro_reconcile"
RECONCILE_DDL = (f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{quoted(RECONCILE_TABLE)} (stream VARCHAR PRIMARY KEY, "
                 "reconciled_at TIMESTAMP WITH TIME ZONE NOT NULL)")
STREAMS = tuple(LISTS)  # the streams a reconcile covers
DEFAULT_EVERY_HOURS = 24.0
# Missing ids that Tomorro still has, in a row from the first in id order (so before any confirmed deletion), after
# which the listing is taken as missing records wholesale: the other missing ids are kept without asking (and
# reported). In id order, not in the order the answers arrive: the decisions do not depend on the workers.
STILL_THERE_BEFORE_GIVING_UP = 20


@dataclass
class StreamReconcile:
    stream: str
    deleted: list[str] = field(default_factory=list)  # ids to remove
    stale: dict[str, str] = field(default_factory=dict)  # id -> listed updatedAt, the table's differing or absent
    read_from: str | None = None  # the state the read starts from, when moved back
    requests: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Reconcile:
    streams: dict[str, StreamReconcile] = field(default_factory=dict)
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.streams.values())


def due(con, streams: list[str], every_hours: float, *, now: dt.datetime | None = None) -> list[str]:
    """The streams among `streams` whose last reconcile is older than `every_hours` (0: every pull). A stream
    never reconciled is not due (see `unclocked`)."""
    now = now or dt.datetime.now(dt.UTC)
    tables = tables_of(con)
    last = _last_reconciled(con)
    return [stream for stream in streams if stream in STREAMS and stream in tables and stream in last
            and (every_hours <= 0 or now - last[stream] >= dt.timedelta(hours=every_hours))]


def unclocked(con, streams: list[str]) -> list[str]:
    """The streams among `streams` (of those a reconcile covers) with no time of a last reconcile."""
    last = _last_reconciled(con)
    return [stream for stream in streams if stream in STREAMS and stream not in last]


def prepare(con, target: Target, streams: list[str], *, lister: Lister | None = None) -> Reconcile:
    """List each stream and compare it with its table (nothing is written here)."""
    lister = lister or Lister(target)
    result = Reconcile()
    for stream in streams:
        listing = lister.list(stream)
        plan = StreamReconcile(stream, requests=listing.requests, notes=list(listing.notes))
        table = con.execute(f"SELECT CAST(id AS VARCHAR), updatedat, CAST(status AS VARCHAR) "
                            f"FROM {SCHEMA}.{quoted(stream)}").fetchall()
        rows = {rid: at for rid, at, _ in table}
        status_of = {rid: status for rid, _, status in table}
        missing = set(rows) - set(listing.updated)
        unproven = {rid for rid in missing if listing.statuses and status_of[rid] in LISTS[stream][2]
                    and not listing.statuses[status_of[rid]]}
        if unproven:
            kept = sorted({status_of[rid] for rid in unproven})
            plan.notes.append(f"{len(unproven):,} rows of status {', '.join(kept)} kept: the list returned no "
                              f"{stream} of that status at all, so it may hide them rather than they be deleted "
                              "(`tomorro-sync doctor` shows what the list hides)")
        plan.deleted = _confirmed_deleted(lister, listing, plan, sorted(missing - unproven))
        plan.requests = listing.requests
        if not listing.has_updated_at and listing.updated:
            plan.notes.append(f"{stream}: the list items carry no updatedAt, so late writes cannot be found "
                              "from the list (deletes still are)")
        else:
            plan.stale = {rid: at for rid, at in listing.updated.items()
                          if rid not in rows or _instant(lister, rows[rid]) != at}
        result.streams[stream] = plan
    return result


def _confirmed_deleted(lister: Lister, listing, plan: StreamReconcile, missing: list[str]) -> list[str]:
    """Of the ids the listing lacks (`missing`, in id order), those Tomorro answers 404 for: the others are kept,
    and reported. "In a row" is in id order: when the first STILL_THERE_BEFORE_GIVING_UP ids all still exist, the
    rest are kept without asking; else every id is asked. So the first ones are asked together, then (unless
    they all exist) the rest together, `num_workers` at a time (`Lister.exist_all`): the same requests and the
    same decisions as asking one id after another, whatever order the answers arrive in. An answer that is
    neither raises before anything is removed (removals happen later, in `apply`)."""
    head, rest = missing[:STILL_THERE_BEFORE_GIVING_UP], missing[STILL_THERE_BEFORE_GIVING_UP:]
    there = lister.exist_all(plan.stream, head, listing)
    unasked = rest if len(head) == STILL_THERE_BEFORE_GIVING_UP and all(there.values()) else []
    if not unasked:
        there.update(lister.exist_all(plan.stream, rest, listing))
    still_there = [rid for rid in missing if there.get(rid)]
    if still_there:
        plan.notes.append(f"{len(still_there):,} {plan.stream} the list did not return still exist in Tomorro (asked "
                          f"one by one, e.g. {still_there[0]}): kept, and the list cannot be trusted to show them"
                          + (f"; {len(unasked):,} more missing ids kept without asking" if unasked else ""))
    return [rid for rid in missing if there.get(rid) is False]


# Streams read through a reconciled stream (its records are their parents): their state holds the parent's
# position, which must move back with it or the late writes' children are never read. Paths into the CDK's
# substream cursor state (`use_global_cursor`, `state`, `parent_state`), as the source saves it.
FOLLOWS = {"contracts": {"contract_signed_files": (("state", "contractUpdatedAt"),
                                                   ("parent_state", "signed_contracts", "updatedAt"))}}


def move_states_back(reconcile: Reconcile, states: list[dict[str, Any]], parse_instant, format_instant
                     ) -> list[dict[str, Any]]:
    """The states to hand to the source: a reconciled stream's moved back to its oldest stale `updatedAt`, and
    the positions of the streams that follow it (FOLLOWS) moved back with it."""
    targets: dict[str, list[tuple[tuple[str, ...], dt.datetime, str]]] = {}  # stream -> (path, instant, whose)
    for stream, plan in reconcile.streams.items():
        oldest = min((parse_instant(at) for at in plan.stale.values() if parse_instant(at)), default=None)
        if oldest is None:
            continue
        targets.setdefault(stream, []).append((("updatedAt",), oldest, stream))
        for follower, paths in FOLLOWS.get(stream, {}).items():
            targets.setdefault(follower, []).extend((path, oldest, stream) for path in paths)
    out = []
    for state in states:
        stream = ((state.get("stream") or {}).get("stream_descriptor") or {}).get("name")
        moves = targets.get(stream, [])
        if moves:
            state = json.loads(json.dumps(state))
        for path, oldest, whose in moves:
            holder = (state.get("stream") or {}).get("stream_state") or {}
            for key in path[:-1]:
                holder = holder.get(key) if isinstance(holder, dict) else None
            saved = holder.get(path[-1]) if isinstance(holder, dict) else None
            if stream != whose and parse_instant(saved) is None:  # a state shape this version does not know
                reconcile.streams[whose].notes.append(
                    f"{stream}: its saved position has no readable {'.'.join(path)}, so it was not moved back with "
                    f"{whose}'s late writes: their {stream} rows wait for a full refresh of {stream}")
                continue
            if parse_instant(saved) and oldest < parse_instant(saved):
                holder[path[-1]] = format_instant(oldest)
                if stream in reconcile.streams:
                    reconcile.streams[stream].read_from = format_instant(oldest)
        out.append(state)
    return out


def apply(con, reconcile: Reconcile) -> None:
    """Inside the caller's transaction: remove what Tomorro no longer has, and note the reconcile's time."""
    con.execute(RECONCILE_DDL)
    listed_at = reconcile.at.astimezone(dt.UTC).replace(tzinfo=None)  # the tables' _airbyte_extracted_at is naive UTC
    for stream, plan in reconcile.streams.items():
        # a record this very read emitted exists, whatever the listing missed (an order that moved under it)
        read_now = {row[0] for row in con.execute(
            f"SELECT CAST(id AS VARCHAR) FROM {SCHEMA}.{quoted(stream)} WHERE {quoted(EXTRACTED_AT)} >= {literal(listed_at)}"
        ).fetchall()} if plan.deleted else set()
        kept = sorted(set(plan.deleted) & read_now)
        if kept:
            plan.notes.append(f"{len(kept):,} rows the listing lacked were read by this pull, so they exist: kept")
        plan.deleted = sorted(set(plan.deleted) - read_now)
        remove_deleted(con, stream, plan.deleted, via="reconcile", detected_at=reconcile.at)
        con.execute(f"INSERT OR REPLACE INTO {SCHEMA}.{quoted(RECONCILE_TABLE)} VALUES "
                    f"({literal(stream)}, {literal(reconcile.at)})")


def mark_reconciled(con, streams: list[str], at: dt.datetime | None = None) -> None:
    """Inside the caller's transaction: these streams were read whole (a first pull, a full refresh)."""
    at = at or dt.datetime.now(dt.UTC)
    con.execute(RECONCILE_DDL)
    for stream in streams:
        if stream in STREAMS:
            con.execute(f"INSERT OR REPLACE INTO {SCHEMA}.{quoted(RECONCILE_TABLE)} VALUES "
                        f"({literal(stream)}, {literal(at)})")


def _instant(lister: Lister, value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    at = lister.parse_instant(value) if isinstance(value, str) else None
    return lister.format_instant(at) if at else None


def _last_reconciled(con) -> dict[str, dt.datetime]:
    if RECONCILE_TABLE not in tables_of(con):
        return {}
    rows = con.execute(f"SELECT stream, reconciled_at FROM {SCHEMA}.{quoted(RECONCILE_TABLE)}").fetchall()
    return {stream: (at if at.tzinfo else at.replace(tzinfo=dt.UTC)) for stream, at in rows}
