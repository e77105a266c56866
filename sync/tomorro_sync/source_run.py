"""One run of the `source-tomorro` console script (`discover` or `read`), as the Airbyte platform runs it.

Config, catalog and state go in private temporary files (the config holds the API key); the messages
come back on stdout, one JSON object a line, and are handed out as they come. What is only for people
(LOG messages, stderr, lines that are not JSON) goes, redacted, to `logs/source-tomorro-<command>.log`
next to the DuckDB file. TRACE errors are collected: they, or else the exit code and the last words on
stderr, are what a failure is reported with. CONTROL messages are dropped unread: they carry the whole
config, key included.
"""

from __future__ import annotations

import json
import queue
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .connectors import write_private
from .redaction import redact

HANDED_OUT = {"RECORD", "STATE", "CATALOG", "TRACE"}  # the messages the caller acts on
# Lines read ahead of the caller. A thread reads stdout as it comes, so the source never waits on a full
# pipe while the caller commits to DuckDB (it did: +0.3 s on a pull of 20 changes); the bound keeps
# memory flat should the source outrun the caller for long.
READ_AHEAD = 10_000


class SourceRun:
    def __init__(self, process: subprocess.Popen, log: IO[str]) -> None:
        self.process, self.log = process, log
        self.errors: list[str] = []  # the source's own TRACE error messages
        self.stderr_tail: deque[str] = deque(maxlen=20)
        self.exit_code: int | None = None
        self.stopped = threading.Event()  # the caller left: the reader stops
        self._lock = threading.Lock()

    def messages(self) -> Iterator[dict[str, Any]]:
        """RECORD, STATE, CATALOG and TRACE messages as the source emits them; returns when it has exited."""
        lines: queue.Queue[str | None] = queue.Queue(maxsize=READ_AHEAD)
        threading.Thread(target=self._read_stdout, args=(lines,), name="source-stdout", daemon=True).start()
        while (line := lines.get()) is not None:
            message = _parse(line)
            kind = message.get("type") if message is not None else None
            if kind == "LOG":
                log = message.get("log") or {}
                self.write_log(f"{log.get('level', 'INFO')} {log.get('message', '')}")
            elif kind == "TRACE" and (message.get("trace") or {}).get("type") == "ERROR":
                self._error(message["trace"].get("error") or {})
            elif kind in HANDED_OUT:
                yield message
            elif kind is None and line.strip():
                self.write_log(line.rstrip("\n"))
        self.exit_code = self.process.wait()

    def failure(self) -> str | None:
        """Why the run failed, in the source's words; None when it succeeded."""
        if self.errors:
            return self.errors[0]
        if self.exit_code not in (0, None):
            last = self.stderr_tail[-1] if self.stderr_tail else "no error message (see the log)"
            return f"source-tomorro exited with code {self.exit_code}: {last}"
        return None

    def _read_stdout(self, lines: queue.Queue) -> None:
        for line in [*self.process.stdout, None]:
            while not self.stopped.is_set():
                try:
                    lines.put(line, timeout=0.2)
                    break
                except queue.Full:
                    continue

    def write_log(self, text: str) -> None:
        with self._lock:
            self.log.write(redact(text) + "\n")

    def drain_stderr(self) -> None:
        for line in self.process.stderr:
            text = redact(line.rstrip("\n"))
            if text.strip():
                self.stderr_tail.append(text)
            self.write_log(text)

    def _error(self, error: dict[str, Any]) -> None:
        message = redact(str(error.get("message") or error.get("internal_message") or "the source failed"))
        self.errors.append(message)
        self.write_log(f"ERROR {message}")
        if error.get("stack_trace"):
            self.write_log(str(error["stack_trace"]))


@contextmanager
def run_source(executable: Path, command: str, config: dict[str, Any], *, log_dir: Path,
               catalog: dict[str, Any] | None = None, state: list[dict[str, Any]] | None = None
               ) -> Iterator[SourceRun]:
    """Start `source-tomorro <command>`; on leaving, it has exited (killed if the caller stopped early)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tomorro-pull-") as tmp, \
            (log_dir / f"source-tomorro-{command}.log").open("w", encoding="utf-8", buffering=1) as log:
        args = [str(executable), command, "--config", str(write_private(Path(tmp) / "config.json", config))]
        if catalog is not None:
            args += ["--catalog", str(write_private(Path(tmp) / "catalog.json", catalog))]
        if state is not None:
            args += ["--state", str(write_private(Path(tmp) / "state.json", state))]
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   text=True, encoding="utf-8", errors="replace")
        run = SourceRun(process, log)
        drain = threading.Thread(target=run.drain_stderr, name="source-stderr", daemon=True)
        drain.start()
        try:
            yield run
        finally:
            run.stopped.set()
            if process.poll() is None:  # the caller stopped early (an error, Ctrl-C): never leave it running
                process.kill()
            run.exit_code = process.wait()
            drain.join(timeout=30)
            process.stdout.close()


def _parse(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None
