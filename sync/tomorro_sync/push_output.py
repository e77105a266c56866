"""What destination-tomorro says on stdout during a push, decoded one line at a time.

Only structured messages count: the write report (its typed contract with tomorro-sync, parsed by
its only parser, `WriteReport.from_message`), the STATE it echoes once rows are written, and TRACE
errors. Log messages and anything else are returned as text for the log file; nothing is decided
from their wording.
"""

from __future__ import annotations

import json
from typing import Any

from .redaction import redact


class DestinationOutput:
    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.report = None  # destination_tomorro.report.WriteReport, once received
        self.state_rows: int | None = None  # `pushed_rows` of the STATE that came back
        self.errors: list[str] = []  # the destination's own failure messages, and broken contracts

    def read(self, line: str) -> str | None:
        """Take one stdout line; returns the text to log, or None when the line was a message we used."""
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            return line
        if not isinstance(message, dict):
            return line
        kind = message.get("type")
        if kind == "STATE":
            self._state(message)
            return None
        if kind == "TRACE":
            return self._trace(message)
        if kind == "LOG":
            log = message.get("log") or {}
            return f"{log.get('level', 'INFO')} {log.get('message', '')}"
        return line

    def stream_counts(self):
        """This stream's counts in the report; zero counts when no row was sent at all."""
        from destination_tomorro.report import StreamCounts

        counts = self.report.streams.get(self.stream)
        if counts is None and not any(c.received for c in self.report.streams.values()):
            return StreamCounts()
        return counts

    def _state(self, message: dict[str, Any]) -> None:
        stream_state = (((message.get("state") or {}).get("stream") or {}).get("stream_state") or {})
        rows = stream_state.get("pushed_rows")
        if not isinstance(rows, int):
            self.errors.append("the destination echoed a STATE push did not send")
            return
        self.state_rows = rows

    def _trace(self, message: dict[str, Any]) -> str | None:
        from destination_tomorro.report import WriteReport

        trace = message.get("trace") or {}
        if trace.get("type") == "ERROR":
            error = trace.get("error") or {}
            self.errors.append(redact(error.get("message") or error.get("internal_message") or "the destination failed"))
            return json.dumps(message)
        try:
            write_report = WriteReport.from_message(message)
        except (ValueError, KeyError, TypeError) as err:
            self.errors.append(f"the destination's write report could not be read ({err})")
            return None
        if write_report is None:
            return json.dumps(message)
        if self.report is not None:
            self.errors.append("the destination sent two write reports for one push")
        self.report = write_report
        return None
