"""`check`: fast and honest. One cheap read with a short timeout and at most one quick retry (so an
unreachable or wrong `base_url` fails within ~20 s, never after minutes of backoff), a message that
says which it was (unreachable, not a Tomorro API, key refused), then every setting that names
something in the workspace, as each object's kind checks it (objects/: default template and
contract type, counterparty match field) and every stream's match_key."""

from __future__ import annotations

from airbyte_cdk.models import AirbyteConnectionStatus, Status

from .client import TomorroClient
from .config import DestinationTomorroConfig
from .envelopes import read_page
from .errors import (
    MalformedBodyError,
    TomorroAuthError,
    TomorroError,
    TomorroNotFoundError,
    TomorroTransientError,
    UnexpectedResponseError,
    UnreachableError,
    to_traced_exception,
)
from .keys import match_key_for
from .objects import KINDS, kind_named
from .schema import TomorroSchema
from .transport import RetryPolicy

CONNECT_TIMEOUT = 5.0  # seconds to open a connection
READ_TIMEOUT = 8.0  # seconds to wait for an answer
CHECK_RETRY = RetryPolicy(max_retries=1, rate_limit_retries=2, backoff_cap=1.0, max_wait=3.0)


def check_client(cfg: DestinationTomorroConfig) -> TomorroClient:
    client = TomorroClient(cfg.base_url, cfg.api_key, timeout=(CONNECT_TIMEOUT, min(READ_TIMEOUT, cfg.request_timeout_seconds)),
                           max_concurrency=1, requests_per_minute=cfg.requests_per_minute)
    client.transport.retry = CHECK_RETRY
    return client


def check_connection(cfg: DestinationTomorroConfig) -> AirbyteConnectionStatus:
    client = check_client(cfg)
    try:
        problem = _reach(client, cfg) or _settings(client, cfg)
    finally:
        client.close()
    if problem:
        return AirbyteConnectionStatus(status=Status.FAILED, message=problem)
    return AirbyteConnectionStatus(status=Status.SUCCEEDED)


def _reach(client: TomorroClient, cfg: DestinationTomorroConfig) -> str | None:
    """Whether base_url is a reachable Tomorro API that accepts the key; None when it is."""
    where = f"base_url {cfg.base_url}"
    try:
        read_page(client.list_members(limit=1), limit=1, where="GET /members")
    except UnreachableError as exc:
        return (f"{where} is unreachable ({exc.message}): check the URL, and that this network can reach it "
                f"(each attempt waits at most {CONNECT_TIMEOUT:g} s to connect and {READ_TIMEOUT:g} s for an answer)")
    except TomorroAuthError as exc:
        return to_traced_exception(exc).message
    except (MalformedBodyError, UnexpectedResponseError, TomorroNotFoundError) as exc:
        return (f"{where} answered, but not as the Tomorro API v2 does ({exc.message}): check the URL "
                "(e.g. https://api.tomorro.com/v2)")
    except TomorroTransientError as exc:
        return f"{where} answered with an error every time ({exc.message}): Tomorro may be down, try again later"
    except TomorroError as exc:
        return f"{where} refused the request ({to_traced_exception(exc).message}): check the URL and the key"
    return None


def _settings(client: TomorroClient, cfg: DestinationTomorroConfig) -> str | None:
    schema = TomorroSchema(client, cfg.integration_type)
    problems = []
    try:
        for kind in KINDS:
            problems += kind.settings_problems(cfg, schema)
        for index, entry in enumerate(cfg.streams):
            if entry.match_key:
                try:
                    match_key_for(kind_named(entry.object), cfg, schema, stream=entry.stream)
                except ValueError as exc:
                    problems.append(f"streams.{index}.match_key: {exc}")
    except TomorroError as exc:
        problems.append(to_traced_exception(exc).message)
    return "; ".join(problems) or None
