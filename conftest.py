"""Root conftest: the `--full-faults` option (pytest honours `pytest_addoption` in the rootdir conftest, not
in tests/conftest.py), the `full_faults` fixture of the fault suite, and the hypothesis profiles of the
property-based tests: bounded in `make test`, long under `--full-faults` (`make test-faults`); and PyAirbyte's
settings (a test dependency: the pull equivalence tests), set before any test module imports it, because it
reads them once, at its first import, in whichever module of a worker comes first. Also `airbyte_logs`, the
destination's log records, for its unit and integration tests alike; `sandbox_session`, the one sandbox per
test process that the destination's unit and integration tests reset for each test; and `fake_airbyte_api`, the
Airbyte public API endpoints `tomorro-sync listen --airbyte-connection-id` calls, for its unit and end-to-end
tests alike."""

import json
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # never ask the public connector registry (CI has no network)
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("AIRBYTE_LOGGING_ROOT", tempfile.mkdtemp(prefix="pyairbyte-logs-"))

settings.register_profile("make-test", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("full-faults", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])


def pytest_configure(config):
    settings.load_profile("full-faults" if config.getoption("--full-faults") else "make-test")


def pytest_addoption(parser):
    parser.addoption("--full-faults", action="store_true", default=False,
                     help="run the fault-injection suite (tests/faults) with its full parameters (make test-faults)")


@pytest.fixture(scope="session")
def full_faults(request) -> bool:
    return bool(request.config.getoption("--full-faults"))


@pytest.fixture
def airbyte_logs():
    """Records logged on the "airbyte" logger, caught by a handler of its own (caplog depends on
    propagation to the root logger, which the CDK's logging setup may turn off in the same process)."""
    import logging

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger, handler = logging.getLogger("airbyte"), Keep(level=logging.DEBUG)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(previous)


class FakeAirbyte:
    """Jobs of one connection; a job advances one status each time it is read (pending, running, final)."""

    def __init__(self, final="succeeded"):
        self.final, self.jobs, self.requests, self.tokens = final, {}, [], 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(("POST", self.path, self.headers.get("Authorization")))
                if self.path == "/v1/applications/token":
                    fake.tokens += 1
                    return self._json(200, {"access_token": "tok", "token_type": "Bearer", "expires_in": 180})
                if self.path == "/v1/jobs":
                    if any(j["status"] in ("pending", "running") for j in fake.jobs.values()):
                        return self._json(409, {"detail": "a sync is already running"})
                    job_id = len(fake.jobs) + 1
                    fake.jobs[job_id] = {"jobId": job_id, "connectionId": json.loads(body)["connectionId"],
                                         "jobType": "sync", "startTime": "2026-01-01T00:00:00Z", "status": "pending"}
                    return self._json(200, fake.jobs[job_id])
                self._json(404, {})

            def do_GET(self):
                url = urlsplit(self.path)
                fake.requests.append(("GET", self.path, self.headers.get("Authorization")))
                if url.path == "/v1/jobs":
                    status = parse_qs(url.query).get("status", [None])[0]
                    data = [j for j in fake.jobs.values() if status is None or j["status"] == status]
                    return self._json(200, {"data": data})
                if url.path.startswith("/v1/jobs/"):
                    job = fake.jobs[int(url.path.rsplit("/", 1)[1])]
                    job["status"] = {"pending": "running", "running": fake.final}.get(job["status"], job["status"])
                    return self._json(200, job)
                self._json(404, {})

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def fake_airbyte_api():
    server = FakeAirbyte()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="session")
def sandbox_session():
    """One sandbox per test process (per xdist worker) on a real loopback socket, API key "sandbox-key"; a
    suite's own fixture resets it per test (`tomorro_sandbox.testing.fresh`), which costs milliseconds where
    a start costs a seed, so a test never sees another's data, faults, profiles or requests."""
    from tomorro_sandbox import SandboxServer

    with SandboxServer(seed=42, contracts=60, counterparties=30, fields=40, members=5, port=0) as sb:
        yield sb
