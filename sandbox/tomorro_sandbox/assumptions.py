"""Every choice the Tomorro documentation does not settle, in one place.

Each constant is marked [ASSUMED] in sandbox/README.md with the reason. Change it here when the
real API answers the question; nothing else in the package hard-codes these values.
"""

# --- versioning (the /versioning page names the mechanism, not the older version names) ---
CURRENT_VERSION = "2025-01-29.alpha"
# deprecated version -> its `sunset` header value (an HTTP date, as the header's RFC 8594 says)
DEPRECATED_VERSIONS = {"2025-01-15.init": "Tue, 30 Jun 2026 00:00:00 GMT"}
DEPRECATION_WARNING = "Version 2025-01-15.init is deprecated. Please upgrade to 2025-01-29.alpha"
# [ASSUMED] the docs never name a sunset version; this one lets clients test the 410 path.
SUNSET_VERSIONS = ("2024-12-01.legacy",)

# --- pagination ---
LIMIT_DEFAULT = 20
LIMIT_MAX = 50
# [ASSUMED] the contracts / contract-types envelopes show only hasNext/hasPrevious; the cursor keys
# follow the camelCase spelling of the quickstart's generic envelope.
CONTRACTS_ITEMS_KEY = "contracts"
CONTRACT_TYPES_ITEMS_KEY = "contractTypes"
CAMEL_NEXT_CURSOR_KEY = "nextCursor"
CAMEL_PREV_CURSOR_KEY = "previousCursor"

# --- smart fields ---
# [ASSUMED] the API documents only "number" (and "string" inside custom objects); the rest follow
# the help centre's field kinds.
FIELD_TYPES = ("text", "number", "date", "select", "multiselect", "richtext", "duration")
SELECT_TYPES = ("select", "multiselect")
FIELD_OBJECTS = ("contract", "external_party")
LANGS = ("gb", "fr", "us", "es", "de")
DEFAULT_LANG = "gb"
DURATION_UNITS = ("days", "weeks", "months", "years")
INTEGRATION_TYPES = ("salesforce", "hubspot")

# --- statuses and transitions ---
CONTRACT_STATUSES = ("draft", "negotiating", "signing", "signed", "canceled")
COUNTERPARTY_STATUSES = ("active", "archived")
MEMBER_STATUSES = ("active", "disabled", "pending")
MEMBER_ROLES = ("USER", "MANAGER", "ADMIN")
# [ASSUMED] beyond the documented "any non-signed status can transition to canceled":
# signed and canceled are final; signed is reached only through the signature process.
FINAL_STATUSES = ("signed", "canceled")
PATCHABLE_TARGET_STATUSES = ("draft", "negotiating", "signing", "canceled")

# --- signed files ---
SIGNED_URL_TTL_SECONDS = 15 * 60

# --- filters ---
# [ASSUMED] equality against a date-only value (`startAt=2024-01-01`) matches that whole UTC day;
# gte/lte against a date-only value compare with midnight UTC.
DATE_EQUALS_MATCHES_WHOLE_DAY = True
