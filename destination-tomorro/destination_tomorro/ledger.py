"""The ledger of one sync: every row's outcome, the rejected rows and their file, the end-of-sync
summary, the write report and the rejected-ratio verdict."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .errors import RowRejected
from .report import RejectedRow, ReportWarning, StreamCounts, WriteReport

if TYPE_CHECKING:  # annotations only: the object kinds import this module, and routing imports them
    from .routing import Route

logger = logging.getLogger("airbyte")


@dataclass
class Rejection:
    stream: str
    key: str | None
    reason: str
    status_code: int | None
    record: dict[str, Any]


@dataclass
class Classified:
    """What happened (or, in a dry run, would happen) to one row."""

    outcome: str
    key: str | None = None
    detail: str = ""
    extras: list[str] = field(default_factory=list)


def _names(columns: set[str], most: int = 20) -> str:
    names = sorted(columns)
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def _not_sent(route: Route) -> str:
    """One line for every column of a stream that was not sent (however many there are)."""
    parts = []
    if route.mapper.unknown_columns:
        count = len(route.mapper.unknown_columns)
        parts.append(f"{count} column{'s' if count > 1 else ''} matching no {route.object} attribute or smart "
                     f"field {'were' if count > 1 else 'was'} not sent: {_names(route.mapper.unknown_columns)}")
    if route.mapper.ignored_columns:
        parts.append(f"{_names(route.mapper.ignored_columns)} not sent: the stream matches on "
                     f"'{route.match.column}', which is the external id")
    return "; ".join(parts)


class Ledger:
    def __init__(self, routes: Iterable[Route], *, dry_run: bool = False, rejected_rows_path: str | None = None):
        self.routes = list(routes)
        self.dry_run = dry_run
        self.stats: dict[str, StreamCounts] = {r.label: StreamCounts() for r in self.routes}
        self.rejections: list[Rejection] = []
        self.samples: dict[str, dict[str, list[str]]] = {}
        self.lock = threading.Lock()
        self.rejected_rows_path = rejected_rows_path
        if rejected_rows_path:
            open(rejected_rows_path, "w").close()  # the file describes this sync only

    def received(self, label: str) -> None:
        with self.lock:
            self.stats.setdefault(label, StreamCounts()).received += 1

    def count(self, label: str, result: Classified) -> None:
        with self.lock:
            stats = self.stats[label]
            setattr(stats, result.outcome, getattr(stats, result.outcome) + 1)
            if result.outcome == "protected":
                # one line per protected row: what Tomorro kept, and why
                logger.info("Protected a row: " + json.dumps({"stream": label, "key": result.key,
                                                              "reason": result.detail}, ensure_ascii=False))
            bucket = self.samples.setdefault(label, {}).setdefault(result.outcome, [])
            if len(bucket) < 5:
                bucket.append(f"{result.key or '(no key)'}" + (f": {result.detail}" if result.detail else "")
                              + (f" [{'; '.join(result.extras)}]" if result.extras else ""))

    def reject(self, label: str, exc: RowRejected, data: dict[str, Any]) -> None:
        rejection = Rejection(label, exc.key, exc.reason, exc.status_code, data)
        with self.lock:
            self.stats.setdefault(label, StreamCounts()).rejected += 1
            self.rejections.append(rejection)
            # one structured line per rejected row: the job log keeps what a container's file would lose
            logger.warning("Rejected a row: " + json.dumps({"stream": label, "key": exc.key, "reason": exc.reason,
                                                            "status_code": exc.status_code}, ensure_ascii=False))
            if self.rejected_rows_path:
                with open(self.rejected_rows_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(asdict(rejection), default=str, ensure_ascii=False) + "\n")

    def totals(self) -> tuple[int, int]:
        received = sum(s.received for s in self.stats.values())
        rejected = sum(s.rejected for s in self.stats.values())
        return received, rejected

    # -- the end of a sync ---------------------------------------------------------------------------
    def summary(self, would_create: set[str]) -> list[tuple[str, bool]]:
        """The end-of-sync report: (text, is_warning) lines, per stream, dry-run samples included."""
        lines: list[tuple[str, bool]] = []
        prefix = "DRY RUN (nothing written): " if self.dry_run else ""
        verb = "would be " if self.dry_run else ""
        for route in self.routes:
            stats = asdict(self.stats[route.label])
            if not stats["unwritten"]:
                del stats["unwritten"]
            lines.append((f"{prefix}stream '{route.label}' -> {route.object} ({route.mode}): " + ", ".join(
                f"{verb}{k} {v}" if k in ("created", "updated") else f"{k} {v}" for k, v in stats.items()), False))
            if route.mapper and (route.mapper.unknown_columns or route.mapper.ignored_columns):
                lines.append((f"stream '{route.label}': {_not_sent(route)}", True))
            if self.dry_run:
                for outcome, keys in self.samples.get(route.label, {}).items():
                    lines.append((f"{prefix}stream '{route.label}' {outcome} e.g. {'; '.join(keys)}", False))
        for label in sorted(set(self.stats) - {r.label for r in self.routes}):
            lines.append((f"stream '{label}' is not in the configured catalog: {self.stats[label].rejected} rows rejected", True))
        if self.dry_run and would_create:
            names = sorted(would_create)
            lines.append((f"{prefix}contract rows would create {len(names)} counterparties: {', '.join(names[:10])}", False))
        return lines

    def report(self, states_emitted: int, states_withheld: int = 0) -> WriteReport:
        """This sync's account for tools driving the console script (see report.py)."""
        warnings = [ReportWarning(route.label, "unknown_columns", _not_sent(route))
                    for route in self.routes if route.mapper and (route.mapper.unknown_columns or route.mapper.ignored_columns)]
        return WriteReport(
            streams={label: StreamCounts(**asdict(stats)) for label, stats in self.stats.items()},
            rejected_rows=[RejectedRow(r.stream, r.key, r.reason, r.status_code) for r in self.rejections],
            rejected_rows_total=len(self.rejections), warnings=warnings, dry_run=self.dry_run,
            states_emitted=states_emitted, states_withheld=states_withheld)

    def over_threshold(self, max_rejected_ratio: float) -> bool:
        """Whether the rejected rows so far fail the sync: any, or (with a ratio > 0) more than
        that fraction of the rows received so far."""
        received, rejected = self.totals()
        return bool(rejected) and not (received and max_rejected_ratio > 0 and rejected / received <= max_rejected_ratio)

    def too_many_rejected(self, max_rejected_ratio: float, *, at_state: bool) -> AirbyteTracedException:
        """The failure (config_error) of a sync whose rejected rows are over the threshold."""
        received, rejected = self.totals()
        first = "; ".join(f"{r.stream} key {r.key!r}: {r.reason}" for r in self.rejections[:3])
        where = f" Every rejected row is in {self.rejected_rows_path}." if self.rejected_rows_path else ""
        stopped = (" The sync stopped at the state after them and did not emit it: the next sync sends these "
                   "rows again, so fix the data or the configuration and re-run." if at_state else
                   " Rejected rows after the last emitted state are sent again by the next sync (fix them or "
                   "the configuration, then re-run); any rejected before it were within max_rejected_ratio then "
                   "and are in the job log (`Rejected a row: ...`).")
        message = (f"{rejected} of {received} rows were rejected (max_rejected_ratio={max_rejected_ratio}); "
                   f"the other rows were written. First reasons: {first}.{where}{stopped}")
        return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)

    def raise_if_too_many_rejected(self, max_rejected_ratio: float) -> None:
        """Fail the sync (config_error) at its end when the rejected rows are over the threshold."""
        if self.over_threshold(max_rejected_ratio):
            raise self.too_many_rejected(max_rejected_ratio, at_state=False)
