"""`tomorro-sync demo` (`make demo`): the whole round trip on the bundled sandbox.

1. full pull into DuckDB; 2. change records in Tomorro; 3. incremental pull (only the changes);
4. push the sample CRM accounts and opportunities back; 5. pull again and query the round trip.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from . import report
from .errors import SyncError
from .pull import pull, query, show
from .push import push
from .push import show as show_push
from .rows import from_csv
from .target import open_target

SAMPLES = Path(__file__).parent / "samples"
CRM = {"integration_type": "salesforce", "integration_entity": "Opportunity"}
CHANGES = {"contracts": 25, "counterparties": 10, "create": 5}

# {value} is the typed column of the "Contract value" smart field (cf_<name>_<id prefix>)
ROUND_TRIP_SQL = """
SELECT json_extract_string(c.integration, '$.externalId') AS crm_id,
       c.name                                             AS contract,
       cp.name                                            AS counterparty,
       c.contracttype ->> 'name'                          AS contract_type,
       c.status                                           AS status,
       CAST(c.{value} AS BIGINT)                          AS contract_value
FROM main.contracts AS c
JOIN main.counterparties AS cp ON cp.id = c.counterpartyid
WHERE json_extract_string(c.integration, '$.externalId') IN ({ids})
ORDER BY crm_id
"""


def run_demo(db: Path, *, sandbox_port: int = 0) -> int:
    _fresh(db)
    with open_target(None, sandbox_port=sandbox_port) as target:
        report.step(f"Started the bundled Tomorro sandbox at {target.base_url}")

        report.step(f"1/5 Full pull into {db}")
        show(pull(target, db), "first pull (full)")

        target.sandbox.mutate(**CHANGES)
        report.step(f"2/5 Changed records in Tomorro: {CHANGES['contracts']} contracts and "
                    f"{CHANGES['counterparties']} counterparties edited, {CHANGES['create']} contracts created")

        report.step("3/5 Incremental pull: only what changed is read")
        show(pull(target, db), "second pull (incremental)")
        report.note("contracts and counterparties: the changes, plus records re-read inside the 5-minute "
                    "lookback window; the other streams are small full-refresh reference data")

        report.step("4/5 Pushing the sample CRM export back into Tomorro")
        for csv_name, object_name in (("crm_accounts.csv", "counterparty"), ("crm_opportunities.csv", "contract")):
            result = push(target, from_csv(SAMPLES / csv_name), stream=Path(csv_name).stem,
                          object_name=object_name, work_dir=db.resolve().parent, max_rejected_ratio=0.2,
                          options=CRM)
            show_push(result, object_name=object_name, dry_run=False)
            if result.failure:
                raise SyncError(f"push of {csv_name} failed: {result.failure}")

        report.step("5/5 Pull again and query the round trip in DuckDB")
        show(pull(target, db, streams=["contracts", "counterparties"]), "third pull (incremental)")
        report.note("the pushed rows arrive, with everything changed within the lookback window")
        _show_round_trip(db)
    report.step(f"Done. Explore it: duckdb {db}  (tables: contracts, counterparties, fields, ...)")
    return 0


def _fresh(db: Path) -> None:
    """The demo starts from nothing, so its output is the same on every run."""
    for path in (db, db.with_suffix(db.suffix + ".wal"), db.parent / ".cache"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _show_round_trip(db: Path) -> None:
    ids = [row["external_id"] for row in from_csv(SAMPLES / "crm_opportunities.csv") if row.get("external_id")]
    quoted = ", ".join("'" + crm_id.replace("'", "''") + "'" for crm_id in ids)
    value = next(name for (name,) in query(db, "SELECT column_name FROM information_schema.columns "
                                                "WHERE table_name = 'contracts'")
                 if re.fullmatch(r"cf_contract_value_[0-9a-f]{8}", name))
    rows = query(db, ROUND_TRIP_SQL.format(ids=quoted, value=value))
    report.table("CRM opportunities, now Tomorro contracts, in DuckDB",
                 ["crm_id", "contract", "counterparty", "contract_type", "status", value], rows)
    if len(rows) < len(ids):
        missing = sorted(set(ids) - {row[0] for row in rows})
        report.note(f"[yellow]not in Tomorro (rejected):[/] {', '.join(missing)}")
