"""`tomorro-sync push`: CRM rows into Tomorro through destination-tomorro.

Runs the destination's console script exactly as the Airbyte platform would: config and catalog
files, AirbyteMessages on stdin, AirbyteMessages back on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import report
from .connectors import executable, redact
from .errors import SyncError
from .target import Target

PRIMARY_KEYS = {"counterparty": "name", "contract": "external_id"}
PLURALS = {"counterparty": "counterparties", "contract": "contracts"}
# destination log lines that repeat what the summary already shows (rejected rows, unknown columns)
REPEATED_WARNINGS = ("Rejected a row", "column '")


@dataclass
class PushSummary:
    stream: str
    rows: int = 0
    stats: dict[str, int] = field(default_factory=dict)  # created / updated / unchanged / rejected
    rejected: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False
    failure: str | None = None
    warnings: list[str] = field(default_factory=list)


def push(target: Target, rows: Iterable[dict[str, Any]], *, stream: str, object_name: str,
         dry_run: bool = False, work_dir: Path, max_rejected_ratio: float | None = None,
         options: dict[str, Any] | None = None) -> PushSummary:
    if object_name not in PRIMARY_KEYS:
        raise SyncError(f"--object must be one of {', '.join(PRIMARY_KEYS)} (got {object_name!r})")
    work_dir.mkdir(parents=True, exist_ok=True)
    rejected_path = work_dir / f"rejected-{stream}.jsonl"
    rejected_path.unlink(missing_ok=True)
    config = target.destination_config(dry_run=dry_run, rejected_rows_path=str(rejected_path.resolve()),
                                       **(options or {}))
    if max_rejected_ratio is not None:
        config["max_rejected_ratio"] = max_rejected_ratio
    summary = PushSummary(stream=stream)
    with tempfile.TemporaryDirectory(prefix="tomorro-push-") as tmp:
        config_path = _write_private(Path(tmp) / "config.json", config)
        catalog_path = _write_private(Path(tmp) / "catalog.json", _catalog(stream, object_name))
        command = [str(executable("destination-tomorro")), "write", "--config", str(config_path),
                   "--catalog", str(catalog_path)]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, bufsize=1)
        feeder = threading.Thread(target=_feed, args=(process, _messages(rows, stream, summary)), daemon=True)
        feeder.start()
        for line in process.stdout:
            _read_output_line(line, summary, target.api_key)
        feeder.join()
        stderr = process.stderr.read()
        if process.wait() != 0 and summary.failure is None:
            last = [line for line in stderr.splitlines() if line.strip()][-1:] or ["no output"]
            summary.failure = redact(last[0], target.api_key)
    if rejected_path.exists():
        summary.rejected = [json.loads(line) for line in rejected_path.read_text().splitlines() if line]
    return summary


def show(summary: PushSummary, *, object_name: str, dry_run: bool) -> None:
    stats = summary.stats
    title = f"push {summary.stream} -> Tomorro {PLURALS[object_name]}" + (" (dry run: nothing written)" if dry_run else "")
    report.table(title, ["rows", "created", "updated", "unchanged", "rejected"],
                 [[summary.rows, stats.get("created"), stats.get("updated"), stats.get("unchanged"),
                   stats.get("rejected", len(summary.rejected))]])
    for row in summary.rejected[:20]:
        report.note(f"[yellow]rejected[/] {row.get('key')}: {row.get('reason')}")
    if len(summary.rejected) > 20:
        report.note(f"... and {len(summary.rejected) - 20} more in the rejected-rows file")
    for warning in summary.warnings:
        report.note(f"[yellow]warning[/] {warning}")


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


def _messages(rows: Iterable[dict[str, Any]], stream: str, summary: PushSummary) -> Iterator[str]:
    emitted_at = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    for row in rows:
        summary.rows += 1
        yield json.dumps({"type": "RECORD", "record": {"stream": stream, "data": row, "emitted_at": emitted_at}},
                         default=str)
    # One closing state: the destination echoes it only once every row before it is written.
    yield json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": stream}, "stream_state": {"pushed_rows": summary.rows}}}})


def _feed(process: subprocess.Popen, lines: Iterator[str]) -> None:
    try:
        for line in lines:
            process.stdin.write(line + "\n")
    except BrokenPipeError:  # the destination stopped early; its output says why
        pass
    finally:
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass


def _read_output_line(line: str, summary: PushSummary, api_key: str) -> None:
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        return
    kind = message.get("type")
    if kind == "STATE":
        summary.committed = True
    elif kind == "TRACE" and message["trace"].get("type") == "ERROR":
        error = message["trace"]["error"]
        summary.failure = redact(error.get("message") or error.get("internal_message") or "failed", api_key)
    elif kind == "LOG":
        text = message["log"].get("message", "")
        stats = _stats_from_log(text, summary.stream)
        if stats is not None:
            summary.stats = stats
        elif message["log"].get("level") in {"WARN", "ERROR"} and not text.startswith(REPEATED_WARNINGS):
            summary.warnings.append(redact(text, api_key))


def _stats_from_log(text: str, stream: str) -> dict[str, int] | None:
    """The destination's per-stream summary log line, if this is one (see destination README)."""
    prefix = "tomorro-destination stats "
    if not text.startswith(prefix):
        return None
    payload = json.loads(text[len(prefix):])
    return payload.get(stream, payload)


def _write_private(path: Path, content: dict[str, Any]) -> Path:
    path.write_text(json.dumps(content))
    os.chmod(path, 0o600)  # holds the API key
    return path
