"""The webhook signature check: the documented scheme, both header spellings, several secrets, ±5 minutes."""

import time

import pytest
from tomorro_sync.listen import signature

BODY = b'{"eventId":"e1","eventType":"contractCreated"}'
NOW = 1_800_000_000.0


def _header(secret="s1", t_ms=int(NOW * 1000), body=BODY):
    return signature.sign(secret, t_ms, body)


def test_a_signature_by_any_configured_secret_is_accepted():
    assert signature.verify([_header("s2")], BODY, ["s1", "s2"], now=NOW)
    assert signature.verify([_header("s1")], BODY, ["s1"], now=NOW)


def test_the_documented_formula_is_hmac_sha256_of_t_dot_raw_body():
    import hashlib
    import hmac

    t_ms = int(NOW * 1000)
    digest = hmac.new(b"s1", f"{t_ms}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature.verify([f"t={t_ms},sha256={digest}"], BODY, ["s1"], now=NOW)
    assert signature.verify([f"t={t_ms}, sha256={digest.upper()}"], BODY, ["s1"], now=NOW)


@pytest.mark.parametrize("case", ["other secret", "other body", "no header", "garbage", "stale", "future",
                                  "seconds not ms", "empty secret list"])
def test_anything_else_is_refused(case):
    values, body, secrets = [_header()], BODY, ["s1"]
    if case == "other secret":
        values = [_header("nope")]
    elif case == "other body":
        body = BODY + b" "
    elif case == "no header":
        values = []
    elif case == "garbage":
        values = ["t=abc,sha256=zz", "sha256=" + "0" * 64]
    elif case == "stale":
        values = [_header(t_ms=int((NOW - 301) * 1000))]
    elif case == "future":
        values = [_header(t_ms=int((NOW + 301) * 1000))]
    elif case == "seconds not ms":  # the old Tomorro-Signature carried seconds: 1970 in milliseconds
        values = [_header(t_ms=int(NOW))]
    elif case == "empty secret list":
        secrets = []
    assert not signature.verify(values, body, secrets, now=NOW)


def test_within_five_minutes_either_way_is_accepted():
    for skew in (-299, 299):
        assert signature.verify([_header(t_ms=int((NOW + skew) * 1000))], BODY, ["s1"], now=NOW)


def test_one_good_value_among_several_is_enough():
    # the same header under two names (Leeway-Signature, Leeway_Signature), one mangled by a proxy
    assert signature.verify(["t=1,sha256=" + "0" * 64, _header()], BODY, ["s1"], now=NOW)


def test_the_clock_is_the_real_one_by_default():
    assert signature.verify([_header(t_ms=int(time.time() * 1000))], BODY, ["s1"])
