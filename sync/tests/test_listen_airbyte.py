"""The Airbyte trigger through Airbyte's own SDK, against a local fake of the public API endpoints it calls
(token, list jobs, create job, get job) over a real socket: it waits while a job of the connection runs,
starts one sync, waits for it, and fails when the job fails."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("airbyte_api", reason="the optional extra tomorro-sync[airbyte]")

from tomorro_sync.errors import SyncError  # noqa: E402
from tomorro_sync.listen.airbyte import AirbyteTrigger  # noqa: E402


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
def fake():
    server = FakeAirbyte()
    yield server
    server.server.shutdown()


def trigger(fake, **env):
    return AirbyteTrigger("conn-1", {"AIRBYTE_API_URL": fake.url, **(env or {"AIRBYTE_API_TOKEN": "t0k"})},
                          poll_seconds=0.01, log=lambda m: None)


def test_a_sync_job_is_started_and_waited_for(fake):
    assert trigger(fake).run() == "Airbyte job 1 succeeded"
    assert fake.jobs[1]["status"] == "succeeded" and fake.jobs[1]["connectionId"] == "conn-1"
    assert all(auth == "Bearer t0k" for _, _, auth in fake.requests)


def test_never_while_a_job_of_the_connection_runs(fake):
    fake.jobs[1] = {"jobId": 1, "connectionId": "conn-1", "jobType": "sync", "startTime": "x", "status": "running"}
    threading.Timer(0.2, lambda: fake.jobs[1].update(status="succeeded")).start()
    trigger(fake).run()
    creates = [i for i, (method, path, _) in enumerate(fake.requests) if (method, path) == ("POST", "/v1/jobs")]
    assert len(creates) == 1 and len(fake.jobs) == 2
    assert any(path.startswith("/v1/jobs?") for _, path, _ in fake.requests[:creates[0]])


def test_a_failed_job_fails_the_trigger(fake):
    fake.final = "failed"
    with pytest.raises(SyncError, match="job 1 of connection conn-1 ended failed"):
        trigger(fake).run()


def test_client_credentials_are_exchanged_for_a_token(fake):
    trigger(fake, AIRBYTE_CLIENT_ID="id", AIRBYTE_CLIENT_SECRET="secret").run()
    assert fake.tokens == 1
    assert all(auth == "Bearer tok" for method, path, auth in fake.requests if path != "/v1/applications/token")


def test_missing_credentials_are_named():
    with pytest.raises(SyncError, match="AIRBYTE_CLIENT_ID"):
        AirbyteTrigger("conn-1", {"AIRBYTE_API_URL": "http://127.0.0.1:9/v1"})


@pytest.mark.parametrize("variable", ["AIRBYTE_CLIENT_SECRET", "AIRBYTE_API_TOKEN", "AIRBYTE_PASSWORD"])
def test_airbyte_credentials_are_masked_wherever_the_receiver_prints(variable):
    from types import SimpleNamespace

    from tomorro_sync.listen.airbyte import _security
    from tomorro_sync.redaction import redact

    secret = f"s3cret-{variable.lower()}-value"
    env = {"AIRBYTE_CLIENT_ID": "id", "AIRBYTE_USERNAME": "user", variable: secret}
    anything = lambda **kw: SimpleNamespace(**kw)  # noqa: E731 - stands in for the SDK's models
    _security(SimpleNamespace(Security=anything, SchemeClientCredentials=anything, SchemeBasicAuth=anything), env)
    assert secret not in redact(f"Airbyte answered 401: bad credentials {secret}")
