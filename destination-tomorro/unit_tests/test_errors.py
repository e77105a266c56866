"""errors.py: typed errors, and how each one reaches Airbyte."""

from destination_tomorro.errors import (
    AmbiguousWriteError,
    RowRejected,
    TomorroAuthError,
    TomorroClientError,
    TomorroNotFoundError,
    api_error_message,
    to_traced_exception,
)


def test_nest_error_bodies_give_their_message():
    assert api_error_message({"message": ["a: bad", "b: worse"]}, "x") == "a: bad; b: worse"
    assert api_error_message({"message": "Not found"}, "x") == "Not found"
    assert api_error_message("<html>", "HTTP 502") == "HTTP 502"


def test_failure_types():
    assert to_traced_exception(TomorroAuthError("no", 401)).failure_type.value == "config_error"
    assert to_traced_exception(AmbiguousWriteError("lost")).failure_type.value == "transient_error"
    assert to_traced_exception(TomorroNotFoundError("gone", 404)).failure_type.value == "config_error"
    assert to_traced_exception(TomorroClientError("conflict", 409)).failure_type.value == "system_error"


def test_a_rejected_row_carries_its_key():
    exc = RowRejected("name: missing", 400, key="acme")
    assert (exc.reason, exc.status_code, exc.key) == ("name: missing", 400, "acme")
    assert RowRejected("x").key is None
