"""Typed errors: every failure the client can raise, and how each one reaches Airbyte.

Row-level problems (`RowRejected`, `TomorroClientError` for a 4xx answer) reject one row and the
sync goes on. Everything else fails the sync with an `AirbyteTracedException` whose failure type
tells the platform whether to retry (transient_error), ask the user (config_error) or page us
(system_error). No message ever contains the API key: the client never puts headers in errors.
"""

from __future__ import annotations

from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


class TomorroError(Exception):
    """Base class of everything the client raises."""

    def __init__(self, message: str, status_code: int | None = None, body: Any = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body


class TomorroAuthError(TomorroError):
    """401/403: the API key is missing, wrong or lacks access. Fails the sync (config_error)."""


class TomorroClientError(TomorroError):
    """Any other 4xx: Tomorro refused this request (validation, unknown id, forbidden transition)."""


class TomorroNotFoundError(TomorroClientError):
    """404 on an id in the path."""


class TomorroTransientError(TomorroError):
    """429, 5xx or a connection failure that outlived every retry. Fails the sync (transient_error)."""


class UnreachableError(TomorroTransientError):
    """No HTTP answer at all (DNS, refused or reset connection, timeout) after every retry."""


class MalformedBodyError(TomorroTransientError):
    """An HTTP answer whose body is not the JSON it should be (truncated, HTML, ...), after every retry."""


class AmbiguousWriteError(TomorroTransientError):
    """A create whose outcome is unknown (timeout, dropped connection, 5xx): it may have landed.

    Never retried blindly: the writer looks the object up first (see writer.py).
    """


class UnexpectedResponseError(TomorroError):
    """Tomorro answered with a shape the connector does not understand (an undocumented envelope, a
    list item without what matching needs): the sync stops naming what was unexpected."""


class RowRejected(Exception):
    """A row that cannot be written: failed validation, or refused by Tomorro with a 4xx.

    `key` is the row's matching key as far as it could be read (None: the row has none, or it is
    unreadable); the writer reports it with the reason."""

    def __init__(self, reason: str, status_code: int | None = None, key: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.key = key


def api_error_message(body: Any, fallback: str) -> str:
    """The human part of a NestJS error body: `message` is a string or a list of strings."""
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, list):
            return "; ".join(str(m) for m in message)
        if message:
            return str(message)
    return fallback


def to_traced_exception(exc: TomorroError) -> AirbyteTracedException:
    if isinstance(exc, TomorroAuthError):
        message = f"Tomorro rejected the API key (HTTP {exc.status_code}). Check api_key in the configuration."
        return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)
    if isinstance(exc, TomorroTransientError):
        message = f"Tomorro API unavailable after retries: {exc.message}"
        return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.transient_error)
    if isinstance(exc, UnexpectedResponseError):
        message = f"Tomorro answered in a shape this connector does not understand: {exc.message}"
        return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.system_error)
    message = f"Tomorro API error: {exc.message}"
    failure = FailureType.config_error if exc.status_code in (400, 404, 410) else FailureType.system_error
    return AirbyteTracedException(message=message, internal_message=message, failure_type=failure)
