"""`tomorro-sandbox serve ...`: prints the base URL as the first stdout line once it accepts
connections; a taken port is a one-line error and exit code 2."""

import argparse
import signal
import sys

from .app import App
from .faults import parse_rate
from .profiles import ProfileError, known_profiles
from .seed.grid import SKEWS
from .server import SandboxHTTPServer, build_config


def _rate(value: str) -> str:
    try:
        parse_rate(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return value


def _fraction(value: str) -> float:
    v = float(value)
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return v


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tomorro-sandbox", description="A local emulator of the Tomorro API v2.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the sandbox over HTTP")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    s.add_argument("--api-key", default="sandbox-key")
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--contracts", type=int, default=500)
    s.add_argument("--counterparties", type=int, default=120)
    s.add_argument("--fields", type=int, default=60)
    s.add_argument("--members", type=int, default=15)
    s.add_argument("--updated-skew", choices=SKEWS, default="uniform",
                   help="recent: most contracts and counterparties created and updated in the last 90 days")
    s.add_argument("--signed-file-bytes", type=int, default=0, metavar="BYTES",
                   help="size of every signed PDF served (default: a few KB, varying by file)")
    s.add_argument("--dedup-external-id", action="store_true",
                   help="409 on a second create with the same integration.externalId (= --api-profile dedup-external-id)")
    s.add_argument("--latency-ms", type=float, default=0)
    s.add_argument("--jitter-ms", type=float, default=0)
    s.add_argument("--rate-limit", type=_rate, default=None, metavar="N/SECONDS")
    for name in ("error-rate", "reset-rate", "slow-body-rate", "malformed-rate"):
        s.add_argument(f"--{name}", type=_fraction, default=0)
    s.add_argument("--webhook-retry-scale", type=float, default=1.0, metavar="FACTOR",
                   help="multiply the documented 5-minute webhook retry delay (e.g. 0.01 in tests: 3 s)")
    s.add_argument("--api-profile", dest="api_profiles", action="append", default=[], metavar="NAME",
                   choices=list(known_profiles()),
                   help="serve a documented alternative API shape (repeatable): " + ", ".join(known_profiles()))
    return p


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    opts = {k: v for k, v in vars(args).items() if k not in ("command", "host", "port")}
    try:
        config = build_config(**opts)
    except ProfileError as e:  # two profiles that contradict each other
        p.error(str(e))
    app = App(config)
    try:
        httpd = SandboxHTTPServer((args.host, args.port), app)
    except OSError as e:
        print(f"tomorro-sandbox: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 2
    host, port = httpd.server_address[:2]
    # terminate() ends like Ctrl-C: clean exit, code 0. SIGINT is installed explicitly too: a process
    # started with SIGINT ignored (nohup, some test runners) gets no KeyboardInterrupt from Python.
    # Installed before the URL is announced: a caller may signal as soon as it reads the URL.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _interrupt)
    try:
        # the socket listens from here on: connections queue until serve_forever picks them up
        print(f"http://{host}:{port}/v2", flush=True)
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
