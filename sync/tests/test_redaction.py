"""One redaction function for every output of tomorro-sync: each form a library may print a secret in."""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import sys
from urllib.parse import quote, quote_plus

import pytest
from tomorro_sync import redaction
from tomorro_sync.redaction import MASK, redact, secret_forms

SECRET = "tk_live/Sécret+key=42"
PASTED = "  " + SECRET + "\n"  # the usual paste mistake: spaces before, a newline after


@pytest.mark.parametrize("form", [
    SECRET,
    repr(PASTED)[1:-1],  # how requests quotes a bad header value: '  tk_live/S\xe9cret+key=42\n'
    repr(SECRET)[1:-1],
    ascii(PASTED)[1:-1],  # ascii(): '  tk_live/S\xe9cret+key=42\n'
    quote(SECRET, safe=""),
    re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(SECRET, safe="")),  # lower-case hex
    quote(SECRET),
    quote_plus(SECRET),
    '"' + SECRET.replace("é", "\\u00e9") + '"',  # JSON with ensure_ascii
    base64.b64encode(SECRET.encode()).decode(),
])
def test_given_a_secret_in_any_printed_form_when_redacted_then_it_is_gone(form):
    text = f"Invalid header value {form} (check your key)"
    masked = redact(text, PASTED)
    assert MASK in masked
    for leaked in secret_forms(SECRET):
        assert leaked not in masked
    assert masked.startswith("Invalid header value ") and masked.endswith(" (check your key)")


def test_given_forms_of_a_pasted_key_then_the_trimmed_and_escaped_values_are_listed():
    forms = secret_forms(PASTED)
    assert SECRET in forms and PASTED in forms
    assert "  tk_live/S\\xe9cret+key=42\\n" in forms  # ascii() of the pasted value
    assert "  tk_live/Sécret+key=42\\n" in forms  # repr() of it


def test_given_registered_secret_when_any_text_is_redacted_then_it_is_masked_without_naming_it_again():
    redaction.register("reg_secret_0123456789")
    assert redact("key=reg_secret_0123456789&x=1") == f"key={MASK}&x=1"
    assert redact("nothing secret here") == "nothing secret here"


def test_given_guarded_logging_when_a_record_quotes_the_secret_then_handlers_see_it_masked(caplog):
    redaction.register("log/secret+0123456789")
    redaction.guard_logging()
    logger = logging.getLogger("tomorro-sync-test")
    with caplog.at_level(logging.INFO):
        logger.info("header %r refused", "log/secret+0123456789\n")
        try:
            raise ValueError("bad URL https://x.test/?key=" + quote_plus("log/secret+0123456789"))
        except ValueError:
            logger.exception("request failed")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "request failed" in text and "ValueError" in text
    assert "secret+0123456789" not in text and "secret%2B0123456789" not in text
    assert "key=" + MASK in text


def test_given_guarded_output_when_a_child_process_prints_the_secret_to_stderr_then_it_is_masked(capfd):
    redaction.register("child_secret_0123456789")
    with redaction.guard_output():
        subprocess.run([sys.executable, "-c", "import sys; print(repr('child_secret_0123456789\\n'), file=sys.stderr)"],
                       check=True)
        os.write(1, b"ours: child_secret_0123456789\n")
    out, err = capfd.readouterr()
    assert "child_secret" not in out + err
    assert f"'{MASK}\\n'" in err and f"ours: {MASK}" in out
