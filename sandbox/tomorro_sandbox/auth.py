"""`x-api-key` and `tomorro-version` checks (the first two steps of every /v2 request)."""

import hmac

from . import assumptions as A
from .errors import BadRequest, Gone, Unauthorized


def check_api_key(headers, expected: str) -> str:
    key = headers.get("x-api-key")
    if not key:
        raise Unauthorized("Missing API key: send it in the x-api-key header")
    if not hmac.compare_digest(key.encode(), expected.encode()):
        raise Unauthorized("Invalid API key")
    return key


def version_headers(headers) -> dict:
    """-> extra response headers for the requested version; raises for sunset/unknown ones."""
    version = headers.get("tomorro-version")
    if version is None or version == A.CURRENT_VERSION:
        return {}
    if version in A.DEPRECATED_VERSIONS:
        return {"x-api-deprecation-warning": A.DEPRECATION_WARNING, "sunset": A.DEPRECATED_VERSIONS[version]}
    if version in A.SUNSET_VERSIONS:
        raise Gone(f"API version {version} has been sunset. Please upgrade to {A.CURRENT_VERSION}")
    known = ", ".join([A.CURRENT_VERSION, *A.DEPRECATED_VERSIONS])
    raise BadRequest(f"tomorro-version: unknown version '{version}' (supported: {known})")
