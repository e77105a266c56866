"""`tomorro-sync push`: CRM rows into Tomorro through destination-tomorro.

Runs the destination's console script exactly as the Airbyte platform would: config and catalog
files, AirbyteMessages on stdin, AirbyteMessages back on stdout. What the destination did is read
from its write report (`destination_tomorro.report.WriteReport`, one structured message at the end
of `write`), never from the wording of its logs; those go to `logs/destination-tomorro-<stream>.log`.

Every row is accounted for: the rows read = the rows push rejected itself (feed.py) + the rows sent;
the rows sent = the rows the destination received = created + updated + unchanged + protected +
superseded + rejected; and the closing STATE must come back. Any mismatch, a missing report or a missing STATE
fails the push, naming what is missing.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import report
from .connectors import executable, write_private
from .errors import SyncError
from .feed import Feed
from .push_output import DestinationOutput
from .redaction import redact
from .target import Target

PRIMARY_KEYS = {"counterparty": "name", "contract": "external_id"}
PLURALS = {"counterparty": "counterparties", "contract": "contracts"}
# protected: an existing object Tomorro owns (a signed contract, a status it is past, a newer edit in
# Tomorro): nothing of it overwritten, accounted for, never a reject
OUTCOMES = ("created", "updated", "unchanged", "protected", "superseded", "rejected")


@dataclass
class PushSummary:
    stream: str
    dry_run: bool = False
    rows: int = 0  # read from the CSV file or table
    sent: int = 0  # sent to the destination (rows minus those push rejected itself)
    counts: dict[str, int] | None = None  # per outcome, push's own rejects included; None without a report
    rejected: list[dict[str, Any]] = field(default_factory=list)  # key and reason, as listed
    rejected_total: int = 0
    warnings: list[str] = field(default_factory=list)
    committed: bool = False  # the closing STATE came back
    failure: str | None = None
    log_path: Path | None = None


def push(target: Target, rows: Iterable[dict[str, Any]], *, stream: str, object_name: str,
         dry_run: bool = False, work_dir: Path, max_rejected_ratio: float | None = None,
         options: dict[str, Any] | None = None, destination_executable: Path | None = None) -> PushSummary:
    if object_name not in PRIMARY_KEYS:
        raise SyncError(f"--object must be one of {', '.join(PRIMARY_KEYS)} (got {object_name!r})")
    (work_dir / "logs").mkdir(parents=True, exist_ok=True)
    rejected_path = work_dir / f"rejected-{stream}.jsonl"
    rejected_path.unlink(missing_ok=True)
    config = target.destination_config(dry_run=dry_run, rejected_rows_path=str(rejected_path.resolve()),
                                       **(options or {}))
    if max_rejected_ratio is not None:
        config["max_rejected_ratio"] = max_rejected_ratio
    feed = Feed(rows, stream, PRIMARY_KEYS[object_name])
    output = DestinationOutput(stream)
    log_path = work_dir / "logs" / f"destination-tomorro-{stream}.log"
    stderr_tail: deque[str] = deque(maxlen=20)
    with tempfile.TemporaryDirectory(prefix="tomorro-push-") as tmp, log_path.open("w", encoding="utf-8") as log:
        config_path = write_private(Path(tmp) / "config.json", config)
        catalog_path = write_private(Path(tmp) / "catalog.json", _catalog(stream, object_name))
        command = [str(destination_executable or executable("destination-tomorro")), "write",
                   "--config", str(config_path), "--catalog", str(catalog_path)]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, encoding="utf-8", errors="replace", bufsize=1)
        log_lock = threading.Lock()
        threads = [threading.Thread(target=feed.run, args=(process.stdin,), daemon=True),
                   threading.Thread(target=_drain, args=(process.stderr, log, log_lock, stderr_tail), daemon=True)]
        for thread in threads:
            thread.start()
        try:
            for line in process.stdout:
                text = output.read(line)
                if text is not None:
                    with log_lock:
                        log.write(redact(text.rstrip("\n")) + "\n")
            exit_code = process.wait()
        finally:
            if process.poll() is None:  # interrupted: never leave the destination running
                process.kill()
                process.wait()
            for thread in threads:
                thread.join(timeout=30)
    if feed.rejected:
        with rejected_path.open("a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in feed.rejected)
    summary = account(stream, feed, output, exit_code, list(stderr_tail), max_rejected_ratio, dry_run=dry_run)
    summary.log_path = log_path
    return summary


def account(stream: str, feed: Feed, output: DestinationOutput, exit_code: int, stderr_tail: list[str],
            max_rejected_ratio: float | None, *, dry_run: bool = False) -> PushSummary:
    """The push's summary, and its failure when any row is unaccounted for.

    A dry run writes nothing, so the destination confirms nothing: no STATE is expected, and one that came back
    would claim a write that must not have happened."""
    summary = PushSummary(stream=stream, rows=feed.rows_read, sent=feed.fed, committed=output.state_rows is not None,
                          dry_run=dry_run)
    problems = list(output.errors)
    if feed.error is not None:
        problems.append(f"reading the rows stopped after row {feed.rows_read}: {feed.error}. The closing STATE "
                        "was withheld, so the destination confirmed nothing; the rows sent before may be written")
    local = len(feed.rejected)
    summary.rejected = [{"key": row["key"], "reason": row["reason"]} for row in feed.rejected]
    summary.rejected_total = local
    write_report = output.report
    if write_report is None:
        problems.append(f"the destination sent no write report: the outcome of the {feed.fed} rows sent is unknown")
    else:
        counts = output.stream_counts()
        if counts is None:
            problems.append(f"the write report has no counts for stream '{stream}' ({feed.fed} rows were sent)")
        else:
            summary.counts = {outcome: getattr(counts, outcome) for outcome in OUTCOMES}
            summary.counts["rejected"] += local
            if counts.received != feed.fed:
                problems.append(f"push sent {feed.fed} rows but the destination received {counts.received}")
            if counts.accounted != counts.received:
                problems.append(f"the destination received {counts.received} rows but reported an outcome for "
                                f"{counts.accounted}")
        summary.rejected += [{"key": row.key, "reason": row.reason} for row in write_report.rejected_rows]
        summary.rejected_total += write_report.rejected_rows_total
        summary.warnings = [warning.message for warning in write_report.warnings]
    if dry_run:
        if output.state_rows is not None:
            problems.append("the destination confirmed a write (STATE) during a dry run")
    elif feed.state_sent and output.state_rows is None:
        problems.append("no STATE came back: the destination did not confirm that the rows were written")
    elif output.state_rows is not None and output.state_rows != feed.fed:
        problems.append(f"the STATE that came back covers {output.state_rows} rows, not the {feed.fed} sent")
    if feed.destination_stopped and not problems and exit_code == 0:
        problems.append(f"the destination stopped reading after {feed.fed} rows")
    if exit_code != 0 and not output.errors:
        problems.append(f"destination-tomorro exited with code {exit_code}: "
                        + (stderr_tail[-1] if stderr_tail else "no output"))
    if not output.errors:  # the destination applies the same rule to its own rows and says so itself
        problems += _ratio_problem(summary, max_rejected_ratio)
    summary.failure = redact("; ".join(problems)) if problems else None
    return summary


def _ratio_problem(summary: PushSummary, max_rejected_ratio: float | None) -> list[str]:
    rejected, rows = summary.rejected_total, summary.rows
    allowed = bool(max_rejected_ratio) and rows > 0 and rejected / rows <= max_rejected_ratio
    if not rejected or allowed:
        return []
    return [f"{rejected} of {rows} rows were rejected (max_rejected_ratio={max_rejected_ratio or 0}); the other "
            "rows were written"]


def show(summary: PushSummary, *, object_name: str, dry_run: bool) -> None:
    title = f"push {summary.stream} -> Tomorro {PLURALS[object_name]}" + (" (dry run: nothing written)" if dry_run else "")
    counts = summary.counts or {}
    report.table(title, ["rows", *OUTCOMES], [[summary.rows, *(counts.get(outcome) for outcome in OUTCOMES)]])
    for row in summary.rejected[:20]:
        report.note(f"[yellow]rejected[/] {report.escape(str(row.get('key')))}: {report.escape(str(row.get('reason')))}")
    if summary.rejected_total > 20:
        report.note(f"... and {summary.rejected_total - 20} more in the rejected-rows file")
    if counts.get("protected"):
        report.note(f"{counts['protected']} rows left Tomorro's values as they are (signed or canceled contracts, "
                    "a status Tomorro is past, newer edits in Tomorro): see the destination log, 'Protected a row'")
    for warning in summary.warnings:
        report.note(f"[yellow]warning[/] {report.escape(warning)}")


def _catalog(stream: str, object_name: str) -> dict[str, Any]:
    key = PRIMARY_KEYS[object_name]
    return {"streams": [{
        "stream": {"name": stream, "json_schema": {"type": "object", "additionalProperties": True},
                   "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": "full_refresh",
        "destination_sync_mode": "append_dedup",
        "primary_key": [[key]],
        "destination_object_name": object_name,
    }]}


def _drain(stream: IO[str], log: IO[str], lock: threading.Lock, tail: deque[str]) -> None:
    """The destination's stderr, read as it comes (a full pipe would stall it) into the log file."""
    for line in stream:
        text = redact(line.rstrip("\n"))
        if text.strip():
            tail.append(text)
        with lock:
            log.write(text + "\n")
