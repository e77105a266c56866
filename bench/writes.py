"""Scenario (e): a destination upserting CRM rows as counterparties, checked against the sandbox's truth."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

from .contenders import ALL
from .harness import SEED, brief, context, log, records, request_stats, reset_data, row, start_sandbox
from .scenarios import Scenario


def make_rows(existing: list[dict[str, Any]], n: int, rng: random.Random) -> list[dict[str, Any]]:
    """n CRM rows: each existing name held by one counterparty (at most 20% of the rows) with its status
    flipped, the rest new names. Seeded names repeat; a name several counterparties hold is ambiguous,
    and destination-tomorro rejects its row naming them instead of guessing (issue 20), so such names
    are left out of the workload: both writers get rows with one right answer."""
    held = Counter(str(cp.get("name", "")).strip().lower() for cp in existing)
    names = sorted({cp["name"] for cp in existing if cp.get("name") and held[cp["name"].strip().lower()] == 1})
    by_name = {cp["name"]: cp for cp in existing}
    n_update = min(len(names), n // 5)
    rows = []
    for name in rng.sample(names, n_update):
        status = "archived" if by_name[name].get("status") == "active" else "active"
        rows.append({"name": name, "status": status})
    rows += [{"name": f"Bench Account {i:06d}", "status": "active"} for i in range(n - n_update)]
    rng.shuffle(rows)
    return rows


def verify_upserts(rows: list[dict[str, Any]], before: list[dict[str, Any]], after: list[dict[str, Any]]):
    """Duplicates: a row's name now held by more counterparties than before (at least one)."""
    def counts(cps):
        out: dict[str, list[dict[str, Any]]] = {}
        for cp in cps:
            out.setdefault(str(cp.get("name", "")).strip().lower(), []).append(cp)
        return out

    b, a = counts(before), counts(after)
    duplicates = missing = wrong = 0
    for r in rows:
        key = r["name"].strip().lower()
        now = a.get(key, [])
        if not now:
            missing += 1
            continue
        duplicates += max(0, len(now) - max(1, len(b.get(key, []))))
        if not any(cp.get("status") == r["status"] for cp in now):
            wrong += 1
    return {"duplicates": duplicates, "missing": missing, "wrong_status": wrong,
            "applied": len(rows) - missing - wrong}



def run_write(sc: Scenario, sizes: list[int], contenders: list[str], workroot: Path, timeout_s: float,
              quick: bool):
    rows_out = []
    for size in sizes:
        cps = sc.counterparties if size >= 1000 else max(60, size)
        log(f"scenario {sc.key}: starting sandbox with {cps} counterparties for {size} rows")
        with start_sandbox(sc, 50, counterparties=cps) as sb:
            data = make_rows(records(sb, "counterparties"), size, random.Random(SEED))
            rows_path = workroot / f"{sc.key}-{size}-rows.jsonl"
            rows_path.write_text("".join(json.dumps(r) + "\n" for r in data))
            for i, name in enumerate(contenders):
                c = ALL[name]
                if i:
                    reset_data(sb)
                ctx = context(sb, workroot, sc, c, size, timeout_s)
                before = records(sb, "counterparties")
                sb.reset_stats()
                log(f"scenario {sc.key}: {name} writing {size} rows")
                res = c.write(ctx, rows_path)
                stats = request_stats(sb)
                check = verify_upserts(data, before, records(sb, "counterparties"))
                res.result = {**(res.result or {}), "records": check["applied"]}
                rows_out.append(row(sc, c, size, "write", res, stats, size, **check))
                log(brief(rows_out[-1]))
    return rows_out
