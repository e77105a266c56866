"""The write report: destination-tomorro's own account of one `write`, as one structured message.

Tools that drive the console script (tomorro-sync's `push`) read this message, never the wording of a
log line. It is emitted once, at the end of `write`, also when the sync then fails (after every row
was accounted for), as a TRACE message of type ANALYTICS whose `analytics.type` is `REPORT_TYPE` and
whose `analytics.value` is the JSON below. Defined here once; `WriteReport.from_message` is the only
parser.

    {"version": 1, "dry_run": false, "states_emitted": 3, "states_withheld": 0,
     "streams": {"crm_accounts": {"received": 10, "created": 7, "updated": 1, "unchanged": 1,
                                  "rejected": 1, "superseded": 0, "protected": 0, "unwritten": 0}},
     "rejected_rows": [{"stream": "crm_accounts", "key": "acme", "reason": "...", "status_code": 400}],
     "rejected_rows_total": 1,
     "warnings": [{"stream": "crm_accounts", "code": "unknown_columns", "message": "..."}]}

Invariant (checked by the destination's tests and by `push`): for every stream, `received` equals
created + updated + unchanged + rejected + superseded + protected + unwritten: each row is accounted for
exactly once. `unwritten` counts rows received but not written because the sync failed first (no
state covers them; the platform sends them again); it is 0 in every sync that succeeds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from airbyte_cdk.models import (
    AirbyteAnalyticsTraceMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    TraceType,
    Type,
)

REPORT_TYPE = "tomorro_destination_report"
REPORT_VERSION = 1
OUTCOMES = ("created", "updated", "unchanged", "rejected", "superseded", "protected", "unwritten")
MAX_REPORTED_ROWS = 1000  # rejected rows listed in the message; `rejected_rows_total` counts them all


@dataclass
class StreamCounts:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    superseded: int = 0
    # an existing object Tomorro owns more than the row (a signed or canceled contract, a status that
    # never moves back, a newer edit in Tomorro): values held back, accounted for, never a reject
    # (added in report version 1, backward compatible: default 0)
    protected: int = 0
    # received but not written because the sync failed before their turn; no state covers them, so
    # the platform sends them again (added in report version 1, backward compatible: default 0)
    unwritten: int = 0

    @property
    def accounted(self) -> int:
        """Rows with an outcome; equals `received` once every row was written or rejected."""
        return sum(getattr(self, outcome) for outcome in OUTCOMES)


STREAM_FIELDS = ("received", *OUTCOMES)


@dataclass
class RejectedRow:
    stream: str
    key: str | None
    reason: str
    status_code: int | None = None


@dataclass
class ReportWarning:
    stream: str | None
    code: str  # e.g. unknown_columns
    message: str


@dataclass
class WriteReport:
    streams: dict[str, StreamCounts] = field(default_factory=dict)
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    rejected_rows_total: int = 0
    warnings: list[ReportWarning] = field(default_factory=list)
    dry_run: bool = False
    states_emitted: int = 0
    states_withheld: int = 0

    def to_json(self) -> str:
        payload = {"version": REPORT_VERSION, **asdict(self)}
        payload["rejected_rows"] = payload["rejected_rows"][:MAX_REPORTED_ROWS]
        return json.dumps(payload, sort_keys=True, ensure_ascii=False)

    def to_message(self) -> AirbyteMessage:
        return AirbyteMessage(type=Type.TRACE, trace=AirbyteTraceMessage(
            type=TraceType.ANALYTICS, emitted_at=time.time() * 1000,
            analytics=AirbyteAnalyticsTraceMessage(type=REPORT_TYPE, value=self.to_json())))

    @classmethod
    def from_json(cls, text: str) -> WriteReport:
        payload = json.loads(text)
        if payload.get("version") != REPORT_VERSION:
            raise ValueError(f"unsupported write report version {payload.get('version')!r}")
        return cls(
            streams={name: StreamCounts(**{k: v for k, v in counts.items() if k in STREAM_FIELDS})
                     for name, counts in payload["streams"].items()},
            rejected_rows=[RejectedRow(**row) for row in payload["rejected_rows"]],
            rejected_rows_total=payload["rejected_rows_total"],
            warnings=[ReportWarning(**warning) for warning in payload["warnings"]],
            dry_run=payload["dry_run"],
            states_emitted=payload["states_emitted"],
            states_withheld=payload["states_withheld"],
        )

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> WriteReport | None:
        """The report carried by one decoded AirbyteMessage (a dict from a stdout line), else None."""
        trace = message.get("trace") if message.get("type") == "TRACE" else None
        analytics = (trace or {}).get("analytics") if (trace or {}).get("type") == "ANALYTICS" else None
        if not analytics or analytics.get("type") != REPORT_TYPE:
            return None
        return cls.from_json(analytics["value"])
