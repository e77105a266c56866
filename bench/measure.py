"""Run one contender in a fresh subprocess and measure it.

Every contender runs as its own process (a console script or `python -m bench.contenders.X`), so
its peak RSS is clean and never includes the harness or another contender. We measure:

* wall seconds from spawn to exit (start-up and imports included: that is what a user waits for);
* peak RSS of the whole process tree (psutil sampling every 0.1 s of the child and its
  descendants, summed);
* Airbyte protocol messages on stdout, counted in a reader thread (records, the last STATE per
  stream, error TRACE messages), or a JSON result line printed by our in-process runner scripts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

RESULT_PREFIX = b"BENCH_RESULT "


@dataclass
class ProcResult:
    cmd: list[str]
    exit_code: int | None
    wall_s: float
    peak_rss_mb: float
    records: int = 0
    records_by_stream: dict[str, int] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)  # stream name -> last AirbyteStateMessage
    errors: list[str] = field(default_factory=list)  # TRACE error messages / failure reasons
    result: dict[str, Any] = field(default_factory=dict)  # BENCH_RESULT line, for runner scripts
    timed_out: bool = False
    stderr_tail: str = ""
    spawned_at: float = 0.0  # epoch seconds at spawn, to place the probe's timestamps (bench/accounting.py)
    stdout_tail: str = ""  # the last lines of stdout that are not Airbyte messages (a command's own report)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.errors


class _StdoutCounter(threading.Thread):
    """Count RECORD messages cheaply; keep STATE messages, error TRACEs and the BENCH_RESULT line."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.records = 0
        self.by_stream: dict[bytes, int] = {}
        self.states: dict[str, Any] = {}
        self.errors: list[str] = []
        self.result: dict[str, Any] = {}
        self.other = deque(maxlen=60)  # the last lines that are not Airbyte messages

    def run(self) -> None:
        fd = self.stream.fileno()
        buf = b""
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            buf += chunk
            lines = buf.split(b"\n")
            buf = lines.pop()
            self._lines(lines)
        if buf:
            self._lines([buf])

    def _lines(self, lines: list[bytes]) -> None:
        for line in lines:
            # the CDK prints compact JSON whose first key is "type"
            if line.startswith(b'{"type":"RECORD"') or line.startswith(b'{"type": "RECORD"'):
                self.records += 1
                # the stream's name comes first in the record: no JSON parsing per record
                at = line.find(b'"stream":', 0, 80)
                if at >= 0:
                    name = line[at + 9:at + 80].lstrip(b' "').split(b'"', 1)[0]
                    self.by_stream[name] = self.by_stream.get(name, 0) + 1
            elif b'"STATE"' in line[:20]:
                self._state(line)
            elif b'"TRACE"' in line[:20]:
                self._trace(line)
            elif line.startswith(RESULT_PREFIX):
                try:
                    self.result = json.loads(line[len(RESULT_PREFIX):])
                except ValueError:
                    self.errors.append("unparsable BENCH_RESULT line")
            elif not line.startswith(b'{"type":'):
                self.other.append(line)

    def _state(self, line: bytes) -> None:
        try:
            state = json.loads(line)["state"]
        except (ValueError, KeyError):
            return
        if state.get("type") == "GLOBAL":
            self.states["__global__"] = state
        else:
            name = ((state.get("stream") or {}).get("stream_descriptor") or {}).get("name", "__legacy__")
            self.states[name] = state

    def _trace(self, line: bytes) -> None:
        try:
            trace = json.loads(line)["trace"]
        except (ValueError, KeyError):
            return
        if trace.get("type") == "ERROR":
            err = trace.get("error") or {}
            self.errors.append(f"{err.get('failure_type')}: {err.get('message')}")


def _tree_rss(proc: psutil.Process, known: dict[int, psutil.Process]) -> int:
    total = 0
    try:
        children = proc.children(recursive=True)
    except psutil.Error:
        return 0
    for c in children:
        known.setdefault(c.pid, c)
    procs = [proc, *children]
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_process(cmd: list[str], *, env: dict[str, str], cwd: Path, stdin_path: Path | None = None,
                timeout_s: float = 900.0, stderr_path: Path | None = None,
                sample_interval_s: float = 0.1) -> ProcResult:
    """Spawn `cmd`, count its stdout, sample its tree's RSS; kill its process group on timeout."""
    stderr_path = stderr_path or cwd / "stderr.log"
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    with open(stderr_path, "wb") as err:
        start, spawned_at = time.perf_counter(), time.time()
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=err, env=env, cwd=cwd,
                                start_new_session=True)
        counter = _StdoutCounter(proc.stdout)
        counter.start()
        ps = psutil.Process(proc.pid)
        peak = 0
        known: dict[int, psutil.Process] = {}
        timed_out = False
        deadline = start + timeout_s
        while True:
            # Not ru_maxrss from wait4: on Linux it keeps the high-water mark of the forked image from
            # before exec, i.e. of the harness (which may hold the sandbox's ground truth), not of the
            # contender. Sampling starts once Popen returns, after the exec.
            pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            peak = max(peak, _tree_rss(ps, known))
            if time.perf_counter() > deadline:
                timed_out = True
                _kill_group(proc)
                break
            time.sleep(sample_interval_s)
        wall = time.perf_counter() - start
        for p in known.values():  # leave no grandchild behind (psutil checks pid reuse)
            try:
                if p.is_running():
                    p.kill()
            except psutil.Error:
                pass
        counter.join(timeout=30)
    if stdin_path:
        stdin.close()
    tail = ""
    try:
        text = stderr_path.read_text(errors="replace")
        tail = text[-3000:]
    except OSError:
        text = ""
    errors = list(counter.errors)
    if proc.returncode and not errors:
        hint = error_hint(text)
        errors.append(f"exit {proc.returncode}" + (f": {hint}" if hint else ""))
    if timed_out:
        errors.append(f"timeout after {timeout_s:.0f} s")
    return ProcResult(cmd=cmd, exit_code=proc.returncode, wall_s=wall,
                      peak_rss_mb=peak / 2**20, records=counter.records,
                      records_by_stream={k.decode(errors="replace"): v for k, v in counter.by_stream.items()},
                      states=counter.states, errors=errors, result=counter.result, timed_out=timed_out,
                      stderr_tail=tail if (proc.returncode or errors) else "", spawned_at=spawned_at,
                      stdout_tail=b"\n".join(counter.other).decode(errors="replace"))


_ERROR_LINE = re.compile(r"(Error|Exception|error|failed)\b")


def error_hint(stderr: str) -> str:
    """The most telling error line of a failed contender's stderr (the last one naming an error)."""
    hits = [line.strip() for line in stderr.splitlines()
            if _ERROR_LINE.search(line) and "sqlalche.me" not in line and not line.startswith("Traceback")]
    with_detail = [h for h in hits if ": " in h]
    return (with_detail or hits or [""])[-1][:400]


def _kill_group(proc: subprocess.Popen) -> None:
    """Terminate the process group we created for this contender (start_new_session=True); only
    called while the child is still unreaped, so its pid (= the group id) cannot have been reused."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
