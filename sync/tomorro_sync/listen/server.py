"""`tomorro-sync listen`: reads the config, starts the writer, the dispatcher and the HTTP server (uvicorn),
and stops them in the order that loses nothing.

Shutdown (SIGTERM, Ctrl-C): the server stops taking connections and answers the deliveries it holds; the
writer stores what was submitted; the dispatcher starts no new pull and lets the running one finish (a
second signal stops at once: the pull's events are still pending and the next start pulls for them).
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import socket
import threading
from pathlib import Path
from typing import Any

from .. import redaction, report
from ..errors import SyncError
from .app import MAX_BODY_BYTES, WEBHOOK_PATH, ReceiverApp
from .counters import Counters
from .dispatcher import Dispatcher
from .writer import EventWriter

SECRETS_KEY = "webhook_secrets"
PULL_OPEN_WAIT_SECONDS = 10.0  # a reader holds the DuckDB file when a pull starts: try again this long


def webhook_secrets(config: Path) -> list[str]:
    """The signing secrets of the config file (`webhook_secrets`: one per Tomorro webhook)."""
    try:
        raw: Any = json.loads(config.read_text())
    except (OSError, ValueError):
        raw = None  # load_config, called next, names the problem
    secrets = raw.get(SECRETS_KEY) if isinstance(raw, dict) else None
    if not isinstance(secrets, list) or not secrets or not all(isinstance(s, str) and s.strip() for s in secrets):
        raise SyncError(f"Config file {config}: `{SECRETS_KEY}` must be a non-empty array of the signing secrets "
                        "Tomorro showed when each webhook was created (Settings → Integrations → Webhooks)",
                        exit_code=2)
    for secret in secrets:
        redaction.register(secret)
    return [secret.strip() for secret in secrets]


def log(message: str) -> None:
    report.console.print(f"[dim]{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}[/] {message}", highlight=False)


def serve(config: Path, db: Path, *, host: str, port: int, streams: list[str] | None = None,
          airbyte_connection_id: str | None = None, quiet: float = 0.25, max_wait: float = 1.0,
          max_body: int = MAX_BODY_BYTES) -> int:
    import uvicorn

    from ..target import load_config

    secrets = webhook_secrets(config)
    target = load_config(config)
    sock = _bind(host, port)  # before anything starts: a taken port is a one-line error
    if airbyte_connection_id:
        from .airbyte import AirbyteTrigger

        run_pull = AirbyteTrigger(airbyte_connection_id, log=log).run
        what = f"a sync of Airbyte connection {airbyte_connection_id}"
    else:
        target.preflight()
        run_pull = _local_pull(target, db, streams)
        what = f"an incremental pull into {db}"
    counters = Counters()
    dispatcher = Dispatcher(db, run_pull, counters, log, quiet=quiet, max_wait=max_wait)
    writer = EventWriter(db, dispatcher.events_stored, log).start()
    dispatcher.start()
    app = ReceiverApp(secrets, writer, counters, log, max_body=max_body)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, lifespan="off", http="h11", loop="asyncio",
                                           log_level="warning", access_log=False, timeout_graceful_shutdown=5,
                                           server_header=False))
    # uvicorn re-raises the signal that stopped it once it has returned; these make that a no-op, so the
    # writer and the dispatcher get to finish below.
    main_thread = threading.current_thread() is threading.main_thread()  # signals: the main thread's only
    for signum in (signal.SIGTERM, signal.SIGINT) if main_thread else ():
        signal.signal(signum, lambda *_: None)
    port = sock.getsockname()[1]
    log(f"Listening on http://{host}:{port}{WEBHOOK_PATH} ({len(secrets)} webhook secret(s)); "
        f"contract changes trigger {what}")
    try:
        server.run(sockets=[sock])
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT) if main_thread else ():
            signal.signal(signum, signal.default_int_handler)  # a second signal: stop now
        writer.stop()
        if counters.pull_running:
            log("Stopping: letting the running pull finish (a second Ctrl-C stops at once)")
        dispatcher.stop()
    log(f"Stopped: {json.dumps(counters.snapshot())}")
    return 0 if server.started else 1


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise SyncError(f"Cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def _local_pull(target, db: Path, streams: list[str] | None):
    import time

    from ..pull import pull
    from .dbfile import is_busy

    def run() -> str:
        deadline = time.monotonic() + PULL_OPEN_WAIT_SECONDS
        while True:
            try:
                summary = pull(target, db, streams=streams)
                break
            except Exception as err:
                if not is_busy(err) or time.monotonic() >= deadline:  # the pull had not begun: safe to start again
                    raise
                time.sleep(0.1)
        return f"{summary.total_records} rows written, {summary.records_read} records read in {summary.total_seconds:.1f} s"

    return run
