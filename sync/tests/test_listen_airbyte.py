"""The Airbyte trigger through Airbyte's own SDK, against a local fake of the public API endpoints it calls
(token, list jobs, create job, get job; `fake_airbyte_api` in the root conftest) over a real socket: it waits while a job of the connection runs,
starts one sync, waits for it, and fails when the job fails."""

import threading

import pytest

pytest.importorskip("airbyte_api", reason="the optional extra tomorro-sync[airbyte]")

from tomorro_sync.errors import SyncError  # noqa: E402
from tomorro_sync.listen.airbyte import AirbyteTrigger  # noqa: E402


@pytest.fixture()
def fake(fake_airbyte_api):
    return fake_airbyte_api


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
