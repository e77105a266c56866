"""Shared harness of the fault suite: run a connector's console script with config / catalog / state
files in a tmp dir, capture stdout and stderr, parse the AirbyteMessages; SIGKILL it at a chosen
point; resume from the last emitted state; a loopback fault proxy (429 with Retry-After, answers
lost after the server committed a write); and the secret assertion every test calls.

Ground truth always comes from the sandbox (`records`, `stats`), never from the connector's output.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer
from typing import Any
from urllib.parse import urlparse

# A distinctive key: the sandbox is started with it, so every successful call also carries it.
SECRET = "tk_live_SECRET_f4ult5_9c2e7b1d"  # noqa: S105 - a fake key that no output may show
HERE = Path(__file__).resolve().parent
SOURCE_CATALOGS = HERE.parent.parent / "source-tomorro" / "integration_tests"
TRUNCATED = object()


def script(name: str) -> str:
    path = Path(sys.executable).parent / name
    assert path.exists(), f"console script {name} is not installed (uv sync)"
    return str(path)


def pick(full: bool, quick: Any, full_value: Any) -> Any:
    """The quick parameter in the default run, the full one under `--full-faults`."""
    return full_value if full else quick


@dataclass
class Run:
    args: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    killed: bool = False
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self):
        for line in self.stdout.splitlines():
            if line.startswith("{"):
                try:
                    self.messages.append(json.loads(line))
                except json.JSONDecodeError:  # a line cut by SIGKILL
                    pass

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == kind]

    def records(self, stream: str | None = None) -> list[dict]:
        return [m["record"]["data"] for m in self.of("RECORD") if stream is None or m["record"]["stream"] == stream]

    @property
    def states(self) -> list[dict]:
        return [m["state"] for m in self.of("STATE")]

    @property
    def errors(self) -> list[dict]:
        return [m["trace"]["error"] for m in self.of("TRACE") if m["trace"].get("type") == "ERROR"]

    @property
    def connection_status(self) -> dict | None:
        found = self.of("CONNECTION_STATUS")
        return found[-1]["connectionStatus"] if found else None

    @property
    def logs(self) -> str:
        return "\n".join(m["log"]["message"] for m in self.of("LOG"))

    def describe(self) -> str:
        return (f"{' '.join(self.args[:2])} rc={self.returncode} killed={self.killed} errors="
                f"{[e.get('message') for e in self.errors]} stderr tail={self.stderr[-1500:]!r}")


class Workdir:
    """Files of one connector run in a tmp dir; every file it writes is scanned for the secret."""

    def __init__(self, tmp_path: Path):
        self.path = tmp_path
        self.inputs: set[Path] = set()  # the config files hold the key on purpose
        self.runs: list[Run] = []
        self.counter = 0

    def write(self, name: str, content: Any, *, secret_ok: bool = False) -> str:
        path = self.path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        if secret_ok:
            self.inputs.add(path)
        return str(path)

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.path),
                "REQUEST_CACHE_PATH": str(self.path / "request_cache"), "PYTHONUNBUFFERED": "1"}

    def command(self, name: str, verb: str, config: dict | None, catalog: dict | None = None,
                state: list | None = None) -> list[str]:
        self.counter += 1
        args = [script(name), verb]
        if config is not None:
            args += ["--config", self.write(f"config_{self.counter}.json", config, secret_ok=True)]
        if catalog is not None:
            args += ["--catalog", self.write(f"catalog_{self.counter}.json", catalog)]
        if state is not None:
            args += ["--state", self.write(f"state_{self.counter}.json", state)]
        return args

    def run(self, name: str, verb: str, config: dict | None, catalog: dict | None = None, state: list | None = None,
            stdin: str | None = None, timeout: float = 240) -> Run:
        args = self.command(name, verb, config, catalog, state)
        done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=self.path,
                              env=self.env())
        result = Run(args, done.returncode, done.stdout, done.stderr)
        self.runs.append(result)
        return result

    def run_and_kill(self, name: str, verb: str, config: dict, catalog: dict | None = None, state: list | None = None,
                     stdin: str | None = None, *, kill_when, timeout: float = 240) -> Run:
        """Run, and SIGKILL the process as soon as `kill_when(message)` is true for an emitted message
        (or `kill_when(None)` on a poll every 50 ms, for conditions on the sandbox). Returns the run,
        `killed` False when it finished first."""
        args = self.command(name, verb, config, catalog, state)
        process = subprocess.Popen(args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.path,
                                   env=self.env())
        stderr_chunks: list[str] = []
        threading.Thread(target=lambda: stderr_chunks.append(process.stderr.read()), daemon=True).start()
        if stdin is not None:
            def feed():
                try:
                    process.stdin.write(stdin)
                    process.stdin.close()
                except (BrokenPipeError, OSError):
                    pass
            threading.Thread(target=feed, daemon=True).start()
        lines: list[str] = []
        killed = threading.Event()

        def poll():
            while process.poll() is None and not killed.is_set():
                if kill_when(None):
                    killed.set()
                    process.send_signal(signal.SIGKILL)
                    return
                killed.wait(0.05)
        threading.Thread(target=poll, daemon=True).start()
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            for line in process.stdout:
                lines.append(line)
                if killed.is_set():
                    continue
                message = None
                if line.startswith("{"):
                    try:
                        message = json.loads(line)
                    except json.JSONDecodeError:
                        message = None
                if message is not None and kill_when(message):
                    killed.set()
                    process.send_signal(signal.SIGKILL)
            process.wait()
        finally:
            timer.cancel()
            killed.set()
        for _ in range(100):
            if stderr_chunks:
                break
            threading.Event().wait(0.05)
        result = Run(args, process.returncode, "".join(lines), "".join(stderr_chunks),
                     killed=process.returncode == -signal.SIGKILL)
        self.runs.append(result)
        return result

    def assert_no_secret(self, secret: str = SECRET, extra: tuple[Path, ...] = ()) -> None:
        """The key never appears in any run's stdout, stderr, LOG or TRACE message, nor in any file
        written under the work dir (request cache, rejected rows, logs), nor in `extra` files."""
        assert self.runs, "no run to check"
        for run in self.runs:
            assert secret not in run.stdout, f"secret in stdout of {run.args[:2]}"
            assert secret not in run.stderr, f"secret in stderr of {run.args[:2]}"
            assert secret not in run.logs and secret not in json.dumps(run.of("TRACE"))
        files = [p for p in self.path.rglob("*") if p.is_file() and p not in self.inputs] + list(extra)
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"secret written to {path}"


def last_states(states: list[dict]) -> list[dict]:
    """The last state of each stream (a global or legacy state replaces everything)."""
    last: dict[str, dict] = {}
    for state in states:
        if state.get("type") == "STREAM":
            last[state["stream"]["stream_descriptor"]["name"]] = state
        else:
            last = {"__global__": state}
    return list(last.values())


def merge_states(previous: list[dict], new: list[dict]) -> list[dict]:
    return last_states(previous + new)


def stream_cursor(states: list[dict], stream: str) -> str | None:
    for state in states:
        if state.get("type") == "STREAM" and state["stream"]["stream_descriptor"]["name"] == stream:
            return (state["stream"].get("stream_state") or {}).get("updatedAt")
    return None


def catalog(*streams: str, mode: str = "incremental") -> dict:
    """A configured source catalog with the named streams."""
    cursor = {"contracts": ["updatedAt"], "counterparties": ["updatedAt"]}
    entries = []
    for name in streams:
        sync_mode = mode if name in cursor else "full_refresh"
        entries.append({
            "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"] + (
                ["incremental"] if name in cursor else []), "source_defined_cursor": name in cursor,
                "default_cursor_field": cursor.get(name, []), "source_defined_primary_key": [["id"]]},
            "sync_mode": sync_mode, "cursor_field": cursor.get(name, []) if sync_mode == "incremental" else [],
            "destination_sync_mode": "append_dedup" if sync_mode == "incremental" else "overwrite",
            "primary_key": [["id"]]})
    return {"streams": entries}


def truth(sb, collection: str) -> set[tuple[str, str]]:
    return {(r["id"], r["updatedAt"]) for r in sb.records(collection)}


def pairs(records: list[dict]) -> set[tuple[str, str]]:
    return {(r["id"], r["updatedAt"]) for r in records}


def latest(records: list[dict]) -> set[tuple[str, str]]:
    """(id, newest updatedAt) per id: what an Append + Deduped destination ends up holding."""
    newest: dict[str, str] = {}
    for r in records:
        if r["id"] not in newest or r["updatedAt"] > newest[r["id"]]:
            newest[r["id"]] = r["updatedAt"]
    return set(newest.items())


# --- a loopback fault proxy ------------------------------------------------------------------------


class FaultProxy:
    """Forwards to the sandbox. With probability `rate_limited` answers 429 + `Retry-After` itself (the
    sandbox's own limiter is a sliding window, not a fraction of requests); with probability
    `lost_after_commit` lets a POST reach the sandbox, then drops the connection without an answer
    (a create that timed out after the server committed it). Other faults come from the sandbox."""

    def __init__(self, upstream: str, *, rate_limited: float = 0.0, retry_after: int = 1,
                 lost_after_commit: float = 0.0, truncate: str | None = None, truncate_times: int = 0,
                 script: dict[int, str] | None = None, seed: int = 7):
        self.upstream = urlparse(upstream)
        self.rate_limited, self.retry_after, self.lost_after_commit = rate_limited, retry_after, lost_after_commit
        self.truncate, self.truncate_times = truncate, truncate_times  # cut the body of the first N answers to a path
        self.script = dict(script or {})  # request number (1-based) -> "429" | "503" | "reset": exact faults
        self.seen = 0
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts = {"forwarded": 0, "429": 0, "lost_after_commit": 0, "upstream_reset": 0, "truncated": 0}
        proxy = self

        class Handler(StreamRequestHandler):
            def handle(self):
                while proxy._serve_one(self):
                    pass

        ThreadingTCPServer.allow_reuse_address = True
        self.server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{self.upstream.path}"

    def _draw(self, method: str) -> str | None:
        with self.lock:
            self.seen += 1
            scripted = self.script.get(self.seen)
            if scripted:
                self.counts[scripted] = self.counts.get(scripted, 0) + 1
                return scripted
            if self.rate_limited and self.rng.random() < self.rate_limited:
                self.counts["429"] = self.counts.get("429", 0) + 1
                return "429"
            if method == "POST" and self.lost_after_commit and self.rng.random() < self.lost_after_commit:
                self.counts["lost_after_commit"] += 1
                return "lost"
            self.counts["forwarded"] += 1
        return None

    @staticmethod
    def _reset(handler) -> None:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()

    def _serve_one(self, handler) -> bool:
        request_line = handler.rfile.readline().decode("latin-1")
        if not request_line.strip():
            return False
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        while (line := handler.rfile.readline().decode("latin-1")) not in ("\r\n", "\n", ""):
            name, value = line.split(":", 1)
            headers[name.strip()] = value.strip()
        body = handler.rfile.read(int(headers.get("Content-Length", 0) or 0))
        fault = self._draw(method)
        if fault == "reset":
            self._reset(handler)
            return False
        if fault == "503":
            payload = b'{"statusCode": 503, "message": "Service Unavailable", "error": "Service Unavailable"}'
            handler.wfile.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
            handler.wfile.flush()
            return True
        if fault == "429":
            payload = b'{"statusCode": 429, "message": "ThrottlerException: Too Many Requests"}'
            handler.wfile.write(b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
                                + f"Retry-After: {self.retry_after}\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
                                + payload)
            handler.wfile.flush()
            return True
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        forward = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
        try:
            conn.request(method, path, body=body or None, headers=forward)
            response = conn.getresponse()
            payload = response.read()
        except (ConnectionError, http.client.HTTPException, OSError):
            with self.lock:
                self.counts["upstream_reset"] += 1
            self._reset(handler)
            return False
        finally:
            conn.close()
        if fault == "lost":
            self._reset(handler)
            return False
        with self.lock:
            cut = bool(self.truncate and self.truncate in path and self.truncate_times > 0 and len(payload) > 2)
            if cut:
                self.truncate_times -= 1
                self.counts["truncated"] += 1
        if cut:
            payload = payload[: len(payload) // 2]
        out = [f"HTTP/1.1 {response.status} {response.reason}\r\n".encode()]
        for name, value in response.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                out.append(f"{name}: {value}\r\n".encode("latin-1"))
        # the sandbox's truncated bodies keep a consistent Content-Length: so do we
        out.append(f"Content-Length: {len(payload)}\r\n\r\n".encode())
        handler.wfile.write(b"".join(out) + payload)
        handler.wfile.flush()
        return True

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# Issue 7's mix, as fractions of ALL requests: 30 % 429 (answered by FaultProxy), 10 % 5xx, 5 % dropped
# connections, 2 % truncated JSON (the sandbox draws them in that order on the 70 % it receives).
_forwarded = 0.7
_error = 0.10 / _forwarded
_reset = 0.05 / (_forwarded * (1 - _error))
FAULT_MIX = {"error_rate": round(_error, 4), "reset_rate": round(_reset, 4),
             "malformed_rate": round(0.02 / (_forwarded * (1 - _error) * (1 - _reset)), 4)}
RATE_LIMITED = 0.30
NO_FAULTS = {"error_rate": 0, "reset_rate": 0, "malformed_rate": 0, "slow_body_rate": 0, "rate_limit": None,
             "latency_ms": 0}
