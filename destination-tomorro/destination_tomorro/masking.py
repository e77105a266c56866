"""The API key is never printed: every form a library may print it in is registered with the CDK's
secret filter (which masks log lines, traces and, through `DestinationTomorro.run`, every message
printed), before anything could print it.

The forms: the value as given, trimmed (config.py trims it: a pasted key often ends with a line
break), `repr` (how an HTTP library's header error quotes it: `'key\\n'`), JSON-escaped, and
percent-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from airbyte_cdk.utils.airbyte_secrets_utils import update_secrets

MIN_SECRET = 6  # shorter values are no real key, and masking them would garble every message


def secret_forms(value: str) -> set[str]:
    if len(value.strip()) < MIN_SECRET:
        return set()
    forms = set()
    for text in (value, value.strip()):
        forms |= {text, repr(text)[1:-1], json.dumps(text)[1:-1], quote(text, safe=""), quote_plus(text),
                  text.encode("unicode_escape").decode("ascii")}
    return {form for form in forms if form.strip()}


def register_secrets(config: Any) -> None:
    """Register every form of the config's API key with the CDK's secret filter (the only secret of
    the spec: this replaces what the CDK registered from the spec, with more forms of it)."""
    key = config.get("api_key") if isinstance(config, Mapping) else None
    if isinstance(key, str):
        update_secrets(sorted(secret_forms(key)))
