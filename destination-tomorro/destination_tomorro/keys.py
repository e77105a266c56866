"""Matching keys: which column a stream matches existing objects on (decided in `match_key_for`,
and nowhere else), and the forms keys are compared in. An identifier is not a name:

* names (a counterparty's name) by the human rules (`canonical_text`): Unicode NFC, case-folding
  (plus the Turkish dotted capital İ folding to i), NFC again, every run of whitespace collapsed to one
  space and the ends trimmed ("Café" in NFC or NFD, "İstanbul Ltd" and "istanbul ltd" are one name);
* identifiers (a counterparty smart field matched on, e.g. a CRM account id) exactly, after trimming
  the ends; numbers by value (98765 == 98765.0 == "98765"); a key written as the integration's CRM writes
  ids by that CRM's rules (`field_key`: a Salesforce 18-character id is its 15-character form, a HubSpot
  id its integral value), whichever side holds which spelling. Lists and objects are no key;
* a contract's external id by the rules of its CRM, with its type and entity (identity.py).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .identity import account_key, number_text
from .schema import SmartField

if TYPE_CHECKING:  # annotations only: the object kinds import this module (objects/__init__.py)
    from .config import DestinationTomorroConfig
    from .objects.kind import ObjectKind
    from .schema import TomorroSchema


@dataclass(frozen=True)
class MatchKey:
    """What the rows of one stream are matched on."""

    kind: ObjectKind
    column: str  # the row column holding the key
    field: SmartField | None = None  # matched on a smart field (None: on the kind's key_role column)
    source: str = "the default"  # where the choice comes from, for messages
    crm: str | None = None  # the integration type whose id rules the field's keys follow (a CRM account id)

    @property
    def on_name(self) -> bool:
        return self.field is None and self.kind.key_role == "name"

    @property
    def chosen(self) -> bool:
        """Chosen by the user (not the default): the key column must then be there."""
        return self.source != "the default"


def match_key_for(kind: ObjectKind, cfg: DestinationTomorroConfig, schema: TomorroSchema, *, stream: str | None = None,
                  primary_key: list[list[str]] | None = None, picked: bool = False) -> MatchKey:
    """The matching rule, decided here and nowhere else. The key column of a stream is, in order:

    1. the `match_key` of the stream's entry in the `streams` setting;
    2. the kind's connector-wide setting (counterparties: `counterparty_match_field` when it is not
       the default `name`);
    3. the configured catalog's `primary_key`, when the user picked it (`picked`: it differs from the
       source's own key, or the connection's mapping step set the object and matching key);
    4. the kind's default (`external_id` for contracts, `name` for counterparties).

    What a column can be a key of is the kind's rule (`ObjectKind.resolve_key`): contracts take the
    column's value as integration.externalId; counterparties match on their name or on a counterparty
    smart field (id or name). Raises ValueError naming the stream otherwise."""
    where = f"stream '{stream}'" if stream else kind.name
    entry = cfg.stream_mapping(stream) if stream else None
    configured = kind.configured_key_column(cfg)
    if entry is not None and entry.match_key:
        column, source = entry.match_key, f"the match_key of {where}"
    elif configured is not None:
        column, source = configured
    elif picked and primary_key:
        if len(primary_key) != 1 or len(primary_key[0]) != 1:
            shown = ", ".join(".".join(path) for path in primary_key)
            raise ValueError(f"{where}: its primary key ({shown}) is not one top-level column, and Tomorro matches "
                             "on one; set match_key in the stream mapping")
        column, source = primary_key[0][0], f"the primary key of {where}"
    else:
        column, source = kind.default_key_column, "the default"
    return kind.resolve_key(column, source, schema, where, stream)


def canonical_text(text: str) -> str:
    """NFC, case-folded, NFC again (case folding can decompose), whitespace collapsed, trimmed."""
    folded = unicodedata.normalize("NFC", text).casefold().replace("i\u0307", "i")  # İ folds to i + dot above
    return " ".join(unicodedata.normalize("NFC", folded).split())


def exact_key(value: Any) -> str | None:
    """An identifier as compared (module docstring): text exactly after trimming the ends, numbers by
    value (a number smart field holds numbers; a text one text, compared exactly). None or blank: no key. Raises ValueError for a value that cannot be a key (a boolean, a
    list, an object, NaN)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError(f"a {type(value).__name__} cannot be a matching key")
    if isinstance(value, str):
        return value.strip() or None
    return number_text(value)


def value_key(value: Any) -> str | None:
    """A coerced smart-field value as a matching key (lists and objects by their sorted JSON)."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return exact_key(value)


def field_key(value: Any, match: MatchKey) -> str | None:
    """A smart-field value as the key `match` compares: `value_key`, then the CRM's id rules (`match.crm`)."""
    key = value_key(value)
    return account_key(match.crm, key) if match.crm else key


def counterparty_key(obj: dict[str, Any], match: MatchKey) -> str | None:
    """The matching key of an existing counterparty."""
    if match.field is None:
        return name_key(obj.get("name"))
    value = (obj.get("fields") or {}).get(match.field.id)
    try:
        return None if value is None else field_key(value, match)
    except ValueError:
        return None


def name_key(name: Any) -> str | None:
    return canonical_text(name) or None if isinstance(name, str) else None


# What canonical_text can produce from another character (ß -> ss, the ligatures ﬀ ﬁ ﬂ ﬅ ﬆ, İ -> i):
# a look-up term never contains it, so the stored name need not be spelt like the row's.
_TERM_BREAKS = re.compile(r"[^0-9a-z]+|ss|ff|fi|fl|st|i")
MIN_TERM = 3


def name_lookup_term(name: str) -> str | None:
    """The value to send in a `name=` look-up for counterparties named like `name`, or None when no
    safe value exists (the caller then lists every counterparty).

    Tomorro's `name` filter is a partial match, and the API documents no escape for values that
    look like filter operators (`in:`, `ne:`, `gte:`, `lte:`). The term is the longest run of plain
    ASCII letters and digits of the canonical name, so it can never read as an operator and is a
    substring of every spelling with the same canonical form (case, NFC/NFD, whitespace). Candidates
    are then compared exactly, client-side, on the canonical form."""
    pieces = [p for p in _TERM_BREAKS.split(canonical_text(name)) if p]
    best = max(pieces, key=len, default="")
    return best if len(best) >= MIN_TERM else None
