"""Smart-field changes absorbed by `pull`, with no full refresh by hand and never a failing pull.

A smart field's column is `cf_<slug of its name>_<its id's first 8 hex digits>` (all 32 when two ids share 8):
- renamed: the stream's schema names a new column with the same id suffix. Before the read, the old column is
  renamed to the new name, so every row keeps its value (the value under the old name was the field's);
- retyped: the column's DuckDB type differs from the schema's. Tomorro converts stored values without touching
  any `updatedAt`, so a merge would keep stale values in a column of the wrong type: the stream is read whole
  in this pull and its table replaced (the column takes the new type);
- an option relabelled: contracts' select values are option labels, changed without any `updatedAt` moving.
  Seen after the read, by comparing `field_options` before and after it: the streams with a column of that
  field are read whole again in this same pull;
- removed: its column stays (values as last read; documented), and it leaves `fields`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .cache_layout import SCHEMA, StreamTable, literal, quoted

OPTIONS_TABLE = "field_options"


@dataclass
class SchemaPlan:
    renames: list[tuple[str, str, str]] = field(default_factory=list)  # (table, old column, new column)
    retyped: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # stream -> (column, old, new)

    def notes(self) -> list[str]:
        lines = [f"{table}: column {old} renamed {new} (its smart field was renamed; values kept)"
                 for table, old, new in self.renames]
        for stream, columns in self.retyped.items():
            changed = ", ".join(f"{column} {old} -> {new}" for column, old, new in columns)
            lines.append(f"{stream}: read whole and its table replaced, because a column changed type ({changed}: "
                         "its smart field was retyped, and Tomorro converts stored values without an updatedAt)")
        return lines


def plan(con, tables: list[StreamTable]) -> SchemaPlan:
    """What the schemas of these (merged or appended) tables change against the DuckDB file."""
    existing = _columns(con)
    result = SchemaPlan()
    for table in tables:
        have = existing.get(table.table)
        if have is None or table.method == "replace":
            continue
        for column in table.columns:
            if column in have or not column.startswith("cf_"):
                continue
            suffix = column.rsplit("_", 1)[-1]
            former = [c for c in have if c.startswith("cf_") and c.rsplit("_", 1)[-1] == suffix
                      and c not in table.columns]
            if len(former) == 1:
                result.renames.append((table.table, former[0], column))
                have[column] = have.pop(former[0])
        changed = [(column, have[column], kind) for column, kind in table.columns.items()
                   if column in have and _norm(have[column]) != _norm(kind)]
        if changed:
            result.retyped[table.stream] = changed
    return result


def rename_columns(con, renames: list[tuple[str, str, str]]) -> None:
    con.begin()
    try:
        for table, old, new in renames:
            con.execute(f"ALTER TABLE {SCHEMA}.{quoted(table)} RENAME COLUMN {quoted(old)} TO {quoted(new)}")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def option_labels(con) -> dict[tuple[str, str], str]:
    """(smart field id, option id) -> its translations, as the `field_options` table holds them now."""
    if OPTIONS_TABLE not in _columns(con):
        return {}
    rows = con.execute(f"SELECT smartfieldid, id, CAST(translations AS VARCHAR) FROM {SCHEMA}.{quoted(OPTIONS_TABLE)}"
                       ).fetchall()
    return {(str(fid), str(oid)): _canonical(text) for fid, oid, text in rows}


def relabelled_fields(before: dict[tuple[str, str], str], after: dict[tuple[str, str], str]) -> set[str]:
    """The smart fields with an option whose labels changed (same option id, other translations)."""
    return {fid for (fid, oid), labels in after.items() if (fid, oid) in before and before[(fid, oid)] != labels}


def streams_with_fields(con, streams: list[str], field_ids: set[str]) -> list[str]:
    """The streams among these whose table has a column of one of these smart fields."""
    suffixes = {_hex(fid) for fid in field_ids} | {_hex(fid)[:8] for fid in field_ids}
    existing = _columns(con)
    return [s for s in streams if any(c.startswith("cf_") and c.rsplit("_", 1)[-1] in suffixes
                                      for c in existing.get(s, {}))]


def _canonical(text: str | None) -> str:
    try:
        return json.dumps(json.loads(text), sort_keys=True) if text else ""
    except ValueError:
        return text or ""


def _hex(field_id: str) -> str:
    return "".join(ch for ch in field_id.lower() if ch in "0123456789abcdef")


def _norm(kind: str) -> str:
    return kind.upper().replace(" ", "")


def _columns(con) -> dict[str, dict[str, str]]:
    rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       f"WHERE table_catalog = current_database() AND table_schema = {literal(SCHEMA)}").fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        out.setdefault(table, {})[column] = kind
    return out
