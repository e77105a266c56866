"""Every choice the Tomorro documentation does not settle, in one place.

Each constant is marked [ASSUMED] in sandbox/README.md with the reason. Change it here when the
real API answers the question; nothing else in the package hard-codes these values.

The API profiles at the end are the *alternatives* to some of these assumptions that the docs show
or leave open, each switchable at run time (`--api-profile NAME`).
"""

from dataclasses import dataclass

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
# [ASSUMED] a status change of a contract or counterparty (PATCH, signature, archiving, a user in the app:
# /_sandbox/moves) stamps `updatedAt`: nothing says what stamps it [GAP]; "poll updatedAt" (usecases) implies it.
STATUS_CHANGE_STAMPS_UPDATED_AT = True

# --- field values ---
# [ASSUMED] `{"fieldId": id, "value": null}` in PATCH /contracts/{id} (and an attribute with value null in
# PATCH /counterparties/{id}) clears the field's value. Rests on: update-contract documents
# `fields: [{fieldId, value}]` and "Use field IDs and values" without any way to clear a value, and
# nothing says null is refused [GAP]. destination-tomorro's `empty_values: clear` sends null and
# checks the answer (or the object read back) before counting the value cleared.
NULL_VALUE_CLEARS_A_FIELD = True

# --- signed files (signed_pdfs.py, admin.signed_file, server._download) ---
# Documented: GET /contracts/{id}/signed-files answers a bare array [{id, filename (normalised to .pdf),
# contentType, downloadUrl (short-lived pre-signed S3 URL), expiresAt}], "Re-call the endpoint to obtain
# a fresh URL" (SIGNED_FILES_DOC, tomorro-api.md §1). Everything below is what that page leaves open.
SIGNED_FILES_DOC = ("https://alpha.developer.tomorro.com/api-reference/2025-01-29-alpha/contracts/"
                    "get-contract-signed-files")
# [ASSUMED] "short-lived" is 15 minutes: the page gives no figure; 15 minutes is a common pre-signed TTL.
SIGNED_URL_TTL_SECONDS = 15 * 60
# [ASSUMED] past `expiresAt` the downloadUrl answers 403 with S3's XML error body (AccessDenied, "Request
# has expired"): the page says "pre-signed S3", and that is what S3 answers to an expired pre-signed GET.
SIGNED_URL_EXPIRED_STATUS = 403
# [ASSUMED] a download answers 200 with `Content-Type: application/pdf`, an exact `Content-Length` and the
# PDF's bytes (starting `%PDF-`): the page names `contentType` and a filename "normalised to .pdf"; S3
# sends Content-Length on every GET of a stored object.
SIGNED_FILE_CONTENT_TYPE = "application/pdf"
# [ASSUMED] a downloadUrl carries no API key, so downloads do not count against the key's rate limit: they
# get a window of their own (same N/SECONDS), and every other fault (latency, 5xx, reset, a body cut short
# under its honest Content-Length, a slow body) as /v2 has them. A pre-signed URL authenticates by its
# query string alone (the page: "pre-signed S3").
SIGNED_URL_OWN_RATE_WINDOW = True
# [ASSUMED] signing a signed contract again (POST /_sandbox/sign) keeps its signed files' ids and changes
# their bytes, `signatureDate` and `updatedAt`: nothing documents what a new signature does to the files;
# keeping the ids is the case a client that remembers downloads by file id must not miss. The
# `contractSigned` webhook ("a contract is fully signed", tomorro-api.md §5) says signing is an event.
RESIGN_KEEPS_FILE_IDS = True

# --- filters ---
# [ASSUMED] equality against a date-only value (`startAt=2024-01-01`) matches that whole UTC day;
# gte/lte against a date-only value compare with midnight UTC.
DATE_EQUALS_MATCHES_WHOLE_DAY = True

# --- webhooks (tomorro-api.md §5; /webhooks/overview, /webhooks/technical-documentation, help 12554903) ---
# [DOC] the five events; the signature header, also sent with an underscore; success is a 2xx within
# 3 seconds; failed deliveries are re-queued with a 5-minute delay, up to 10 retries.
WEBHOOK_EVENTS = ("contractCreated", "contractDeleted", "contractSigned", "contractStatusUpdated",
                  "reminderEventCreated")
WEBHOOK_SIGNATURE_HEADERS = ("Leeway-Signature", "Leeway_Signature")
WEBHOOK_TIMEOUT_SECONDS = 3
WEBHOOK_RETRY_DELAY_SECONDS = 300
WEBHOOK_MAX_RETRIES = 10
# [ASSUMED] "What happens after the last failure is cut off in the page": the delivery is abandoned.
# [ASSUMED] a contract reaching `signed` fires both contractStatusUpdated and contractSigned ("a contract is
# fully signed" / "a contract's status changes" both hold); an updatedAt change alone fires nothing (no
# contract-updated event is documented).
# [ASSUMED] "fire only for events that concern the member who created them ... contractCreated fires only if
# that member is a participant": a participant is the author, referent, supervisor or a contract member. A
# webhook registered without memberId stands for an ADMIN's that sees every contract (the old help page
# recommends an ADMIN create webhooks).
WEBHOOK_PARTICIPANT_KEYS = ("author", "referent", "supervisor")
# [ASSUMED] the example's organizationId is a plain UUID; the sandbox has one organisation.
WEBHOOK_ORGANIZATION_ID = "7f1c2a9e-3b1d-4c5e-9f00-5a11dbb0c0de"
# [ASSUMED] deliveries are sent by a few workers at once, so a burst arrives concurrently, and in no
# guaranteed order (nothing documents ordering).
WEBHOOK_DELIVERY_WORKERS = 8

# --- API profiles: documented alternatives to the assumptions above -------------------------
# Each profile declares its behaviour as effects `(aspect, target, value)`; the code that builds
# envelopes, list items, filters, sorts and write responses asks `profiles.ApiShape` for an
# aspect and never tests a profile's name. `target` is a list route's path as in `listing`
# ("/contracts") or "*" for every list. Two active profiles that set one (aspect, target) to
# different values contradict each other and are refused together.
ENVELOPE = "envelope"  # "intro" | "intro-next" | "snake"; absent: each endpoint's documented envelope
HAS_FLAGS = "has-flags"  # False: the has-next / has-previous flags are omitted
ITEM_KEYS = "item-keys"  # list items keep only these keys
ITEM_OMIT = "item-omit"  # list items lose these keys
FILTER = "filter:"  # + parameter name: "ignored" | "refused" | "eq-only" (in:/ne: answer 400); absent: honoured
DEFAULT_STATUSES = "default-statuses"  # a list asked without `status` serves only these statuses
SORT = "sort"  # "ignored": the default order is served whatever `sort` says
WRITE_OMIT = "write-omit"  # create / PATCH responses lose these keys (still stored)
READ_OMIT = "read-omit"  # GET /{id} responses lose these keys (still stored)
NULL_VALUE = "null-value"  # "kept": a field sent with value null in a PATCH is accepted and keeps its value
CREATE_DEDUP = "create-dedup"  # "integration": a create whose integration {type, externalId} is linked answers 409
DEDUP_PROFILE = "dedup-external-id"  # the profile the start option --dedup-external-id turns on
_SLIM = ("id", "name", "status")
_INTRO = "https://alpha.developer.tomorro.com/api-reference/introduction"
_LIST_CONTRACTS = "https://alpha.developer.tomorro.com/api-reference/2025-01-15-init/contracts/list-contracts"
_LIST_COUNTERPARTIES = ("https://alpha.developer.tomorro.com/api-reference/2025-01-29-alpha/counterparties/"
                        "list-counterparties")
_CREATED = ("list-contracts (init, cut off after it): `createdAt` takes gte: / lte:, dates like `2024-01-01`",
            f"{_LIST_CONTRACTS} (tomorro-api.md §3)", "GET /contracts honours createdAt=gte: (a date)")


@dataclass(frozen=True)
class ApiProfile:
    name: str
    description: str
    doc: str  # the passage that makes the alternative plausible
    source: str  # where the passage is (URL, or a seed page under shared/reference/seeds)
    replaces: str  # the default assumption it replaces
    effects: tuple  # ((aspect, target, value), ...)


API_PROFILES = {p.name: p for p in (
    ApiProfile(
        "envelope-intro",
        "every paginated list answers {data, pagination: {hasNext, hasPrevious, nextCursor, previousCursor}}",
        'the introduction\'s generic envelope: {"data": [...], "pagination": {"hasNext", "hasPrevious", '
        '"nextCursor", "previousCursor"}}; the quickstart\'s GET /v2/members example uses it',
        f"{_INTRO}; https://alpha.developer.tomorro.com/quickstart",
        "each endpoint's own envelope: {contracts|contractTypes, hasNext, hasPrevious, nextCursor, "
        "previousCursor} for contracts and contract types, {data, pagination, links} for the others",
        ((ENVELOPE, "*", "intro"),)),
    ApiProfile(
        "envelope-snake",
        "every paginated list, contracts and contract types included, answers the counterparties' "
        "{data, pagination: {limit, next_cursor, prev_cursor, has_next, has_previous}, links}",
        'list-counterparties: {"data": [...], "pagination": {"limit": 20, "next_cursor": "…", '
        '"prev_cursor": "…", "has_next": true, "has_previous": false}, "links": {…}}; list-contracts\' '
        '`after`: "Use the next_cursor value from a previous response"',
        f"{_LIST_COUNTERPARTIES}; {_LIST_CONTRACTS}",
        "[ASSUMED] contracts and contract types carry camelCase nextCursor / previousCursor beside "
        "hasNext / hasPrevious",
        ((ENVELOPE, "*", "snake"),)),
    ApiProfile(
        "envelope-intro-next",
        "every paginated list answers {data, pagination: {hasNext, hasPrevious, next, previous}}",
        "the later introduction snapshot names the pagination keys `next` and `previous` (the early one "
        "`nextCursor` and `previousCursor`)",
        f"{_INTRO} (tomorro-api.md §2, introduction pages)",
        "each endpoint's own envelope (see envelope-intro)",
        ((ENVELOPE, "*", "intro-next"),)),
    ApiProfile(
        "no-has-next",
        "the envelope in effect omits its has-next / has-previous flags; only the cursors remain "
        "(null when there is no next / previous page)",
        "the later introduction snapshot's pagination shows only next / previous cursors; list-contracts "
        "shows hasNext but no cursor: how the contracts cursor is returned is undocumented [GAP]",
        f"{_INTRO}; {_LIST_CONTRACTS} (tomorro-api.md §2)",
        "every envelope carries has-next and has-previous flags",
        ((HAS_FLAGS, "*", False),)),
    ApiProfile(
        "slim-contracts",
        "GET /contracts list items are only {id, name, status}; GET /contracts/{id} stays full",
        'list-contracts (init) example: {"contracts": [{id, name, status}], "hasNext": true, '
        '"hasPrevious": false}; integration patterns: "Fetch full details with GET /contracts/{id}"',
        f"{_LIST_CONTRACTS}; seeds/000_27b3d11f99b2b352.txt",
        "GET /contracts list items are full Contract objects",
        ((ITEM_KEYS, "/contracts", _SLIM),)),
    ApiProfile(
        "slim-counterparties",
        "GET /counterparties list items are only {id, name, status}",
        "list-counterparties: the list example shows only {id, name, status}",
        f"{_LIST_COUNTERPARTIES} (tomorro-api.md §6)",
        "[ASSUMED] GET /counterparties list items are full Counterparty objects",
        ((ITEM_KEYS, "/counterparties", _SLIM),)),
    ApiProfile(
        "counterparties-without-fields",
        "GET /counterparties list items lack only `fields`",
        'the list example has no `fields`; integration patterns: "Detect changes with GET /counterparties '
        '+ GET /counterparties/{id}"',
        f"{_LIST_COUNTERPARTIES}; seeds/000_27b3d11f99b2b352.txt",
        "[ASSUMED] GET /counterparties list items carry `fields`",
        ((ITEM_OMIT, "/counterparties", ("fields",)),)),
    ApiProfile("updated-filter-ignored", "the updatedAt filter on GET /contracts is accepted and ignored",
        "list-contracts shows status, authorId, …, startAt, endAt, createdAt: an updatedAt filter on "
        "contracts is NOT visible [GAP]",
        f"{_LIST_CONTRACTS} (tomorro-api.md §3)",
        "[ASSUMED] GET /contracts honours updatedAt=gte:/lte:",
        ((FILTER + "updatedAt", "/contracts", "ignored"),)),
    ApiProfile("updated-filter-refused",
        "the updatedAt filter on GET /contracts answers 400 (property updatedAt should not exist)",
        "no updatedAt filter is documented on contracts [GAP], and an undocumented parameter is refused "
        "(NestJS forbidNonWhitelisted, as the OpenAPI's operationIds suggest)",
        f"{_LIST_CONTRACTS} (tomorro-api.md §0, §3)",
        "[ASSUMED] GET /contracts honours updatedAt=gte:/lte:",
        ((FILTER + "updatedAt", "/contracts", "refused"),)),
    ApiProfile("created-filter-ignored", "the createdAt filter on GET /contracts is accepted and ignored",
               *_CREATED, ((FILTER + "createdAt", "/contracts", "ignored"),)),
    ApiProfile("created-filter-refused", "the createdAt filter on GET /contracts answers 400 (property createdAt"
               " should not exist)", *_CREATED, ((FILTER + "createdAt", "/contracts", "refused"),)),
    ApiProfile("sort-ignored",
        "sort on GET /contracts and GET /counterparties is accepted and ignored: the default order "
        "(-createdAt, id tie-break) is served, with cursors over that order",
        "list-contracts: `sort` (allowed fields not visible); nothing documents that an order is "
        "honoured rather than accepted",
        f"{_LIST_CONTRACTS}; {_LIST_COUNTERPARTIES} (tomorro-api.md §3)",
        "[ASSUMED] sort=updatedAt (and every listed sort field) is honoured on contracts and counterparties",
        ((SORT, "/contracts", "ignored"), (SORT, "/counterparties", "ignored"))),
    ApiProfile("default-lists-hide-closed",
        "GET /counterparties without `status` lists only active counterparties, GET /contracts without "
        "`status` hides canceled contracts; `status=` (eq or in:) lists what it names",
        'list-counterparties: status "active" or "in:active,archived" (the archived ones are asked for by '
        "name); help centre: canceled contracts are set aside from the contract lists",
        f"{_LIST_COUNTERPARTIES}; https://help.tomorro.com/en/articles/12324087 (tomorro-api.md §3)",
        "[ASSUMED] a list without `status` serves every status",
        ((DEFAULT_STATUSES, "/counterparties", ("active",)),
         (DEFAULT_STATUSES, "/contracts", ("draft", "negotiating", "signing", "signed")))),
    ApiProfile("status-in-refused",
        "`status` on GET /contracts and GET /counterparties takes one value: `in:` and `ne:` answer 400",
        "the early introduction's JSON:API filters (filter[status]=active) and the per-endpoint pages' "
        "simplified ones (status=in:a,b) disagree on the operators a filter takes",
        f"{_INTRO}; {_LIST_CONTRACTS} (tomorro-api.md §3)",
        "[ASSUMED] `status` takes eq, in: and ne: on contracts and counterparties",
        ((FILTER + "status", "/contracts", "eq-only"), (FILTER + "status", "/counterparties", "eq-only"))),
    ApiProfile("status-ignored",
        "`status` on GET /contracts and GET /counterparties is accepted and ignored: the default list is served",
        "nothing documents that a filter is honoured rather than accepted (list-contracts and "
        "list-counterparties show the parameter, not its effect)",
        f"{_LIST_CONTRACTS}; {_LIST_COUNTERPARTIES} (tomorro-api.md §3)",
        "[ASSUMED] `status` is honoured on contracts and counterparties",
        ((FILTER + "status", "/contracts", "ignored"), (FILTER + "status", "/counterparties", "ignored"))),
    ApiProfile(
        "no-integration-echo",
        "POST /contracts and PATCH /contracts/{id} responses omit `integration` (still stored: GET "
        "and the list return it)",
        "the create and update response examples have no `integration` key; only get-contract "
        "documents it",
        "seeds/001_a223ed88c621e24a.txt, seeds/002_a2a7a7322db24b69.txt, seeds/003_2f2b0c816e7508ac.txt",
        "create and PATCH answer the full Contract, integration included",
        ((WRITE_OMIT, "/contracts", ("integration",)),)),
    ApiProfile(
        "integration-hidden",
        "`integration` is never served: not in GET /contracts items, GET /contracts/{id} nor the create / PATCH "
        "answers (still stored)",
        "only get-contract documents `integration`; the list, create and update examples have none, and nothing "
        "says which API keys or plans see the CRM link [GAP]",
        "seeds/001_a223ed88c621e24a.txt, seeds/002_a2a7a7322db24b69.txt, seeds/003_2f2b0c816e7508ac.txt",
        "GET /contracts/{id} and the list serve `integration`",
        ((ITEM_OMIT, "/contracts", ("integration",)), (READ_OMIT, "/contracts", ("integration",)),
         (WRITE_OMIT, "/contracts", ("integration",)))),
    ApiProfile(
        "null-keeps-value",
        "a smart field sent with value null in PATCH /contracts/{id} or PATCH /counterparties/{id} is accepted "
        "(200) and keeps its value",
        "update-contract documents `fields: [{fieldId, value}]` and no way to clear a value [GAP]",
        "seeds/003_2f2b0c816e7508ac.txt (tomorro-api.md §6)",
        "[ASSUMED] NULL_VALUE_CLEARS_A_FIELD: value null clears the field",
        ((NULL_VALUE, "/contracts", "kept"), (NULL_VALUE, "/counterparties", "kept"))),
    ApiProfile(
        DEDUP_PROFILE,
        "POST /contracts whose integration {type, externalId} already links a contract answers 409 (what "
        "`--dedup-external-id` turns on at start)",
        "nothing documents idempotency of POST /contracts; `integration.externalId` is the CRM record's id "
        "(get-contract), which a server may hold unique",
        "seeds/001_a223ed88c621e24a.txt (tomorro-api.md §6)",
        "[ASSUMED] a repeated create makes a second contract",
        ((CREATE_DEDUP, "/contracts", "integration"),)),
)}
