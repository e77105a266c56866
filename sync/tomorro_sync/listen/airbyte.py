"""The Airbyte trigger: instead of a local pull, a sync of an Airbyte connection through Airbyte's public API
(its Python SDK, `airbyte-api`, the optional extra `tomorro-sync[airbyte]`; loaded only in this mode: ~1.2 s).

Settings come from the environment, never the command line (a secret there shows in `ps`):
AIRBYTE_API_URL (default Airbyte Cloud's), and AIRBYTE_CLIENT_ID + AIRBYTE_CLIENT_SECRET (an application's
credentials, exchanged for a token by the SDK), or AIRBYTE_API_TOKEN (a bearer token), or AIRBYTE_USERNAME +
AIRBYTE_PASSWORD (basic auth of a self-managed instance).

One `run()` waits while a job of the connection is pending or running (a sync started elsewhere, by the
schedule or a person), starts a sync job, and waits for it to end: it returns when the job succeeded and
raises when it failed or was cancelled, so the dispatcher's events stay pending and are retried.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from .. import redaction
from ..errors import SyncError

DEFAULT_API_URL = "https://api.airbyte.com/v1"
ACTIVE = ("pending", "running")
FINAL_OK, FINAL_BAD = "succeeded", ("failed", "cancelled", "incomplete")


class AirbyteTrigger:
    def __init__(self, connection_id: str, env: Mapping[str, str] | None = None, *, poll_seconds: float = 5.0,
                 log: Callable[[str], None] = print, max_wait_seconds: float = 6 * 3600) -> None:
        env = os.environ if env is None else env
        try:
            import airbyte_api
            from airbyte_api import models
        except ImportError:
            raise SyncError("--airbyte-connection-id needs Airbyte's API client: install tomorro-sync[airbyte] "
                            "(the `airbyte-api` package)", exit_code=2) from None
        self.connection_id, self.poll_seconds, self.log = connection_id, poll_seconds, log
        self.max_wait_seconds = max_wait_seconds
        self.url = (env.get("AIRBYTE_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.sdk = airbyte_api.AirbyteAPI(server_url=self.url, security=_security(models, env))

    def run(self) -> str:
        from airbyte_api import api, models

        deadline = time.monotonic() + self.max_wait_seconds
        while (active := self._active_job()) is not None:
            self._wait(deadline, f"job {active} of connection {self.connection_id} is still running")
        created = self._call(self.sdk.jobs.create_job, models.JobCreateRequest(
            connection_id=self.connection_id, job_type=models.JobTypeEnum.SYNC)).job_response
        job_id = created.job_id
        self.log(f"Airbyte sync job {job_id} started for connection {self.connection_id}")
        while True:
            job = self._call(self.sdk.jobs.get_job, api.GetJobRequest(job_id=job_id)).job_response
            status = _status(job.status)
            if status == FINAL_OK:
                return f"Airbyte job {job_id} succeeded"
            if status in FINAL_BAD:
                raise SyncError(f"Airbyte job {job_id} of connection {self.connection_id} ended {status}")
            self._wait(deadline, f"job {job_id} is {status}")

    def _active_job(self) -> int | None:
        from airbyte_api import api, models

        for status in (models.JobStatusEnum.RUNNING, models.JobStatusEnum.PENDING):
            jobs = self._call(self.sdk.jobs.list_jobs, api.ListJobsRequest(
                connection_id=self.connection_id, status=status, limit=1)).jobs_response
            if jobs is not None and jobs.data:
                return jobs.data[0].job_id
        return None

    def _call(self, operation, request) -> Any:
        from airbyte_api import errors

        try:
            response = operation(request=request)
        except errors.SDKError as err:
            raise SyncError(f"Airbyte API {self.url} answered HTTP {err.status_code} "
                            f"({(err.body or '').strip()[:200] or err.message})") from None
        except OSError as err:  # requests' errors are OSErrors
            raise SyncError(f"Cannot reach the Airbyte API at {self.url}: {type(err).__name__}") from None
        return response

    def _wait(self, deadline: float, what: str) -> None:
        if time.monotonic() >= deadline:
            raise SyncError(f"gave up waiting: {what} after {self.max_wait_seconds:.0f} s")
        time.sleep(self.poll_seconds)


def _status(value: Any) -> str:
    return getattr(value, "value", value)


def _security(models, env: Mapping[str, str]):
    # masked from here on, wherever this process prints (an API error quoting them, /health's last error)
    redaction.register(env.get("AIRBYTE_CLIENT_SECRET"), env.get("AIRBYTE_API_TOKEN"), env.get("AIRBYTE_PASSWORD"))
    if env.get("AIRBYTE_CLIENT_ID") and env.get("AIRBYTE_CLIENT_SECRET"):
        return models.Security(client_credentials=models.SchemeClientCredentials(
            client_id=env["AIRBYTE_CLIENT_ID"], client_secret=env["AIRBYTE_CLIENT_SECRET"],
            token_url=f"{env.get('AIRBYTE_API_URL') or DEFAULT_API_URL}".rstrip("/") + "/applications/token"))
    if env.get("AIRBYTE_API_TOKEN"):
        return models.Security(bearer_auth=env["AIRBYTE_API_TOKEN"])
    if env.get("AIRBYTE_USERNAME") and env.get("AIRBYTE_PASSWORD"):
        return models.Security(basic_auth=models.SchemeBasicAuth(username=env["AIRBYTE_USERNAME"],
                                                                 password=env["AIRBYTE_PASSWORD"]))
    raise SyncError("--airbyte-connection-id: set AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET (or AIRBYTE_API_TOKEN, "
                    "or AIRBYTE_USERNAME and AIRBYTE_PASSWORD) in the environment", exit_code=2)
