"""The webhook signature (tomorro-api.md §5, /webhooks/technical-documentation):

    Leeway-Signature: t=<ms since epoch>,sha256=<hex HMAC_SHA256(secret, t + "." + raw body)>

also sent as `Leeway_Signature`. The HMAC is computed over the raw bytes received (never re-serialised
JSON), compared in constant time with the one of every configured secret (webhooks are personal: one
secret per member's webhook), and a timestamp more than TOLERANCE away from our clock is refused, so a
captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable

HEADERS = ("leeway-signature", "leeway_signature")  # lower-case, as the server hands them over
TOLERANCE_SECONDS = 300
_VALUE = re.compile(r"^\s*t=(?P<t>\d{1,16})\s*,\s*sha256=(?P<digest>[0-9a-fA-F]{64})\s*$")


def sign(secret: str, t_ms: int, body: bytes) -> str:
    """The header value Tomorro sends (used by tests and the benchmark to forge honest deliveries)."""
    return f"t={t_ms},sha256={_digest(secret, str(t_ms), body)}"


def verify(values: Iterable[str], body: bytes, secrets: list[str], *, now: float | None = None,
           tolerance: float = TOLERANCE_SECONDS) -> bool:
    """True when one of the header values is a well-formed, fresh signature of `body` by one of `secrets`."""
    now = time.time() if now is None else now
    ok = False
    for value in values:
        match = _VALUE.match(value)
        if match is None or abs(int(match["t"]) / 1000 - now) > tolerance:
            continue
        given = match["digest"].lower().encode()
        for secret in secrets:  # every secret is tried: the time taken does not tell which one matched
            ok |= hmac.compare_digest(given, _digest(secret, match["t"], body).encode())
    return ok


def _digest(secret: str, t: str, body: bytes) -> str:
    return hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
