"""masking.py: the key is masked in every form a library may print it in."""

import json
from urllib.parse import quote

from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from destination_tomorro.masking import register_secrets, secret_forms

KEY = "tk_live_Pa$te'd\"key"


def test_every_printed_form_of_a_pasted_key_is_masked():
    pasted = f" {KEY}\r\n"
    register_secrets({"api_key": pasted})
    printed = [repr(pasted), repr(KEY), json.dumps(pasted), quote(KEY, safe=""), f"header value {pasted!r}",
               pasted.encode("unicode_escape").decode()]
    for text in printed:
        masked = filter_secrets(text)
        assert "tk_live" not in masked, (text, masked)


def test_short_values_are_not_masked_everywhere():
    assert secret_forms("k") == set() and secret_forms("  abc ") == set()
    assert "abcdefgh" in secret_forms(" abcdefgh\n")
