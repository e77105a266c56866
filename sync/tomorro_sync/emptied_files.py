"""Signed-file rows of a contract whose re-read brought none: removed once Tomorro's own answer proves them gone.

`deletions.drop_children_gone` sees a contract's files as re-read through a newer row of that contract. A contract
that lost its last signed file (or every file) brings no row at all, so its old rows would stay for ever. Such a
contract is looked for among those the substream had to visit: its `contracts` row was written by this pull, or
its `updatedAt` is at or after the substream's saved parent position (where this read's signed-contract listing
starts; both, since the two streams keep their own states and a pull may fail after saving one and not the
other), this pull wrote no `contract_signed_files` row of it, and the table still holds rows of it. Being such a
candidate proves nothing; the proof is a visit of its file list by this pull, after the read:
GET /contracts/{id}/signed-files. A row whose file that answer lacks is gone, and
leaves in the pull's last transaction (with the records and states of its last checkpoint, or not at all), so its
copy under `--files` leaves after it (copies.py). A contract nothing re-read is never asked about: its rows stay.

Why not infer the visit from the substream's window (its parent state before and after the read) and the
`contracts` rows: the global substream cursor keeps no list of the contracts it visited, and `contracts` and
`signed_contracts` are two reads side by side, so a contract that changes between them (stops being signed, or
is edited after the signed-contract listing) looks visited when it was not: a guess. One request per such
contract (usually none) buys a proof.

What cannot be decided is kept, and reported: a contract Tomorro answers 404 for (deleted: a reconcile proves
that and removes it with its files), an answer that is not a list of files with ids, one that says more pages
follow (the endpoint documents one whole array), a request that fails. A contract no longer `signed` is not
visited by the substream at all: its rows stay as last read while Tomorro still lists those files (that is what
it holds), and leave once it lists them no more.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .cache_layout import EXTRACTED_AT, SCHEMA, literal, quoted, tables_of
from .errors import SyncError
from .reconcile import FOLLOWS

FILES, PARENTS = "contract_signed_files", "contracts"  # the child table, the table whose rows say "re-read"
PARENT_POSITION = FOLLOWS[PARENTS][FILES][1]  # the substream state's parent `updatedAt` (reconcile moves it back)


@dataclass
class EmptiedFiles:
    asked: int = 0  # contracts whose file list this pull asked Tomorro for
    removed: int = 0  # rows of files Tomorro no longer lists on them
    requests: int = 0
    kept: list[str] = field(default_factory=list)  # what could not be decided, and why (rows kept)

    def notes(self) -> list[str]:
        out = []
        if self.asked:
            out.append(f"{FILES}: {self.asked:,} re-read contracts brought no signed file; asked Tomorro for their "
                       f"file lists ({self.requests:,} requests): {self.removed:,} rows of files no longer listed "
                       "removed")
        return out + [f"{FILES}: {note}" for note in self.kept]


def parent_position(states: list[dict[str, Any]]) -> dt.datetime | None:
    """Where the substream's signed-contract listing starts (its saved parent `updatedAt`, naive UTC), from the
    states of a pull's read; None without one (a first read: the table is read whole, nothing is left over)."""
    for state in states:
        if ((state.get("stream") or {}).get("stream_descriptor") or {}).get("name") != FILES:
            continue
        value: Any = (state.get("stream") or {}).get("stream_state")
        for key in PARENT_POSITION:
            value = value.get(key) if isinstance(value, dict) else None
        try:
            at = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None
        return at.astimezone(dt.UTC).replace(tzinfo=None) if at and at.tzinfo else at
    return None


def candidates(con: Any, read_since: dt.datetime, visited_from: dt.datetime | None, *, reread: bool = True
               ) -> list[str]:
    """Contracts the substream had to visit (see the module's docstring) with rows in `contract_signed_files`, none
    of them written by this pull (`read_since`: when its read started). `reread=False`: `contracts` was read whole
    this pull (a retyped smart field), so a row written by it says nothing of a change: only `visited_from` counts."""
    since = literal(read_since.astimezone(dt.UTC).replace(tzinfo=None))  # _airbyte_extracted_at is naive UTC
    files, parents, at = f"{SCHEMA}.{quoted(FILES)}", f"{SCHEMA}.{quoted(PARENTS)}", quoted(EXTRACTED_AT)
    visited = ([f"{at} >= {since}"] if reread else []) + \
        ([f"updatedat >= {literal(visited_from)}"] if visited_from is not None else [])
    if not visited:
        return []
    rows = con.execute(
        f"SELECT DISTINCT CAST(f.contractid AS VARCHAR) AS cid FROM {files} AS f "
        f"WHERE CAST(f.contractid AS VARCHAR) IN (SELECT CAST(id AS VARCHAR) FROM {parents} "
        f"WHERE {' OR '.join(visited)}) "
        f"AND NOT EXISTS (SELECT 1 FROM {files} AS n WHERE n.contractid = f.contractid AND n.{at} >= {since}) "
        "ORDER BY cid").fetchall()
    return [row[0] for row in rows]


def drop_emptied(con: Any, read_since: dt.datetime, visited_from: dt.datetime | None, lister_of, *,
                 reread: bool = True) -> EmptiedFiles:
    """Inside the caller's (the pull's last) transaction: the rows of files Tomorro no longer lists on the contracts
    `candidates` names, removed. `lister_of()` gives the id_listing.Lister to ask with (made only when needed)."""
    out = EmptiedFiles()
    if not {FILES, PARENTS} <= tables_of(con):
        return out
    cids = candidates(con, read_since, visited_from, reread=reread)
    if not cids:
        return out
    from .id_listing import Listing

    lister, listing = lister_of(), Listing(FILES)
    out.asked = len(cids)
    answers = _ask_all(lister, listing, cids)
    out.requests = listing.requests
    undecided: dict[str, list[str]] = {}
    for cid in cids:
        listed, why = answers[cid]
        if listed is None:
            undecided.setdefault(why, []).append(cid)
            continue
        still = f" AND CAST(id AS VARCHAR) NOT IN ({', '.join(map(literal, sorted(listed)))})" if listed else ""
        gone = con.execute(f"DELETE FROM {SCHEMA}.{quoted(FILES)} WHERE CAST(contractid AS VARCHAR) = {literal(cid)}"
                           f"{still} RETURNING 1").fetchall()
        out.removed += len(gone)
    for why, which in sorted(undecided.items()):
        out.kept.append(f"the rows of {len(which):,} re-read contracts kept, as {why} (e.g. {which[0]}): "
                        "nothing proves their files gone")
    return out


def _ask_all(lister, listing, cids: list[str]) -> dict[str, tuple[set[str] | None, str]]:
    """Each contract's listed file ids (or None and why), `lister.workers` requests at a time."""
    if lister.workers <= 1 or len(cids) <= 1:
        return {cid: _listed(lister, listing, cid) for cid in cids}
    with cf.ThreadPoolExecutor(max_workers=min(lister.workers, len(cids)), thread_name_prefix="signed-files") as pool:
        futures = {cid: pool.submit(_listed, lister, listing, cid) for cid in cids}
    return {cid: future.result() for cid, future in futures.items()}


def _listed(lister, listing, cid: str) -> tuple[set[str] | None, str]:
    """The ids of the files Tomorro lists on this contract now, or None and why that cannot be told."""
    try:
        response = lister.answer(listing, f"contracts/{cid}/signed-files")
    except SyncError as error:
        return None, f"their file list could not be read ({error})"
    if response.status_code in (404, 410):
        return None, "Tomorro answers 404 for them (deleted: a reconcile removes them with their files)"
    if response.status_code != 200:
        return None, f"their file list answered HTTP {response.status_code}"
    try:
        page = lister.read_list_page(response.json(), "data", None)
    except ValueError:
        return None, "their file list is not JSON"
    except Exception as error:  # noqa: BLE001 - the reader's own message names the shape
        return None, f"their file list was not read: {getattr(error, 'message', None) or error}"
    if page.next_cursor is not None:
        return None, "their file list says more pages follow (a whole array is documented)"
    ids = [item.get("id") for item in page.items]
    if not all(isinstance(fid, str | int) and not isinstance(fid, bool) and str(fid) for fid in ids):
        return None, "their file list holds a file without an id"
    return {str(fid) for fid in ids}, ""
