"""SandboxProcess: the same API as SandboxServer, but the server runs in a subprocess
(`python -m tomorro_sandbox serve --port 0 ...`), so it has a core of its own (benchmarks) and
the CLI path is exercised."""

import subprocess
import sys
import threading

from .client import AdminClient
from .server import build_config

_REPEATED = {"api_profiles": "--api-profile"}  # list options -> their repeatable flag


def cli_args(**options) -> list[str]:
    """Keyword options of SandboxServer -> `serve` command-line flags."""
    args = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if name in _REPEATED:
            args += [arg for item in value for arg in (_REPEATED[name], item)]
        elif isinstance(value, bool):
            if value:
                args.append(flag)
        elif value is not None:
            args += [flag, str(value)]
    return args


def _copy(src, dst) -> None:
    try:
        for line in src:
            dst.write(line)
    except (OSError, ValueError):
        pass  # our stderr or the pipe closed: nothing left to pass on


class SandboxProcess(AdminClient):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options):
        self.config = build_config(**options)  # validates the options early, like SandboxServer
        self.api_key = self.config.api_key
        self.host, self.port, self.options = host, port, options
        self.proc: subprocess.Popen | None = None

    def start(self) -> "SandboxProcess":
        cmd = [sys.executable, "-m", "tomorro_sandbox", "serve", "--host", self.host, "--port", str(self.port),
               *cli_args(**self.options)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http"):
            # the command explains itself on stderr (port taken, bad option): pass that on
            self.proc.wait(timeout=30)
            reason = self.proc.stderr.read().strip().splitlines()
            self.stop()
            raise RuntimeError(reason[-1] if reason else f"tomorro-sandbox did not start (first line: {line!r})")
        # from here on the server's stderr (error logs) goes to ours, without ever filling the pipe
        threading.Thread(target=_copy, args=(self.proc.stderr, sys.stderr), daemon=True).start()
        self.root_url = line[: -len("/v2")] if line.endswith("/v2") else line
        self.port = int(self.root_url.rsplit(":", 1)[1])
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()  # stderr closes itself: its copier thread reads it to EOF
        self.proc = None

    def __enter__(self) -> "SandboxProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
