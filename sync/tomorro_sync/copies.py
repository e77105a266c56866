"""The copies `pull --files DIR` wrote (`_tomorro_signed_files`), and their removal once Tomorro no longer lists
their file: DIR mirrors what Tomorro holds.

A copy leaves when `contract_signed_files` has no row of its file on its contract any more: a file Tomorro no
longer lists on a contract the pull re-read (deletions.drop_children_gone; emptied_files.py when it was the
contract's last), a contract deleted in Tomorro (its
rows leave with it: a reconcile, a whole read, a webhook), a file listed on another contract since (its copy
under the old contract's directory). Those rows were removed in a transaction already committed (the pull's
last), so a copy is never removed while a row still points to it.

Nothing the job did not write is touched: only a recorded path (`<contractId>/<fileId>.pdf`), and only while
the file there is still the one it wrote (same size and sha256); a file changed since is left, and reported.
A contract's directory goes only once empty (never a whole tree: anything else in it is someone else's). The
file goes before its record, so a crash in between leaves a record of a missing file, which the next pull
removes, never an unrecorded copy that would stay forever.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache_layout import SCHEMA, literal, quoted, tables_of
from .downloads import fsync_dir

STREAM_TABLE = "contract_signed_files"
COPIES_TABLE = "_tomorro_signed_files"
COPIES_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{quoted(COPIES_TABLE)} (id VARCHAR PRIMARY KEY, contract_id VARCHAR NOT NULL, "
    "local_path VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, size BIGINT NOT NULL, signature VARCHAR NOT NULL, "
    "downloaded_at TIMESTAMP WITH TIME ZONE NOT NULL)"
)
# An id becomes a file or directory name: anything but a plain token (a UUID) is refused, never written.
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
HASH_CHUNK = 1024 * 1024


@dataclass
class Removal:
    removed: int = 0  # copies deleted from DIR (or already gone from it), their records with them
    left: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why it was not deleted)


def remove_unlisted(con: Any, root: Path) -> Removal:
    """Delete the copies of files `contract_signed_files` no longer lists (see the module's docstring), then
    their records. Called under DIR's lock, after the pull's last transaction committed."""
    out = Removal()
    tables = tables_of(con)
    if STREAM_TABLE not in tables or COPIES_TABLE not in tables:
        return out  # no rows to compare with: nothing can be proved gone
    copies, rows = f"{SCHEMA}.{quoted(COPIES_TABLE)}", f"{SCHEMA}.{quoted(STREAM_TABLE)}"
    gone = con.execute(
        f"SELECT id, contract_id, local_path, sha256, size FROM {copies} AS c WHERE NOT EXISTS (SELECT 1 FROM {rows} "
        "AS t WHERE CAST(t.id AS VARCHAR) = c.id AND CAST(t.contractid AS VARCHAR) = c.contract_id) ORDER BY 2, 1"
    ).fetchall()
    forgotten = []
    for fid, cid, relative, sha256, size in gone:
        why = _remove_copy(root, fid, cid, relative, sha256, size)
        if why:
            out.left.append((relative, why))
        else:
            out.removed += 1
        forgotten.append(fid)
    if forgotten:
        con.execute(f"DELETE FROM {copies} WHERE id IN ({', '.join(literal(fid) for fid in forgotten)})")
    return out


def _remove_copy(root: Path, fid: str, cid: str, relative: str, sha256: str, size: int) -> str | None:
    """The copy deleted (None), or why it was left."""
    if not (SAFE_ID.match(fid) and SAFE_ID.match(cid) and relative == f"{cid}/{fid}.pdf"):
        return "its recorded path is not one tomorro-sync writes: left"
    path = root / cid / f"{fid}.pdf"
    if not path.exists() and not path.is_symlink():
        return None  # already gone (a crash after the delete, or removed by hand): only the record is left
    if path.is_symlink() or not path.is_file():
        return "it is no longer the file tomorro-sync wrote (not a regular file): left"
    if path.stat().st_size != size or _sha256(path) != sha256:
        return "it was changed since tomorro-sync wrote it: left"
    path.unlink()
    fsync_dir(path.parent)
    try:
        path.parent.rmdir()  # only when empty: another file in it is someone else's
    except OSError:
        pass
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
