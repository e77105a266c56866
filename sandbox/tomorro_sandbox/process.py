"""SandboxProcess: the same API as SandboxServer, but the server runs in a subprocess
(`python -m tomorro_sandbox serve --port 0 ...`), so it has a core of its own (benchmarks) and
the CLI path is exercised."""

import subprocess
import sys

from .client import AdminClient
from .server import build_config


def cli_args(**options) -> list[str]:
    """Keyword options of SandboxServer -> `serve` command-line flags."""
    args = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            if value:
                args.append(flag)
        elif value is not None:
            args += [flag, str(value)]
    return args


class SandboxProcess(AdminClient):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options):
        self.config = build_config(**options)  # validates the options early, like SandboxServer
        self.api_key = self.config.api_key
        self.host, self.port, self.options = host, port, options
        self.proc: subprocess.Popen | None = None

    def start(self) -> "SandboxProcess":
        cmd = [sys.executable, "-m", "tomorro_sandbox", "serve", "--host", self.host, "--port", str(self.port),
               *cli_args(**self.options)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"tomorro-sandbox did not start (first line: {line!r})")
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
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> "SandboxProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
