"""A contract's identity in the CRM: (integration type, entity, external id), each part compared by
the rules of the system that issued it (crm-identity.md). Identifiers are not names: they are never
case-folded or Unicode-normalised here (names are, in keys.canonical_text).

| integration type | external id | compared as |
|---|---|---|
| `salesforce`, 15 letters/digits | `006Qy00001AbCdE` | exactly: case-sensitive |
| `salesforce`, 18 letters/digits | `006Qy00001AbCdEIAV`, `006QY00001ABCDEIAV` | its 15-character form, the case restored from the 3-character suffix; a suffix that cannot be decoded rejects the row |
| `hubspot`, a number | `12345`, `"12345"`, `12345.0`, `"12345.0"` | by integral value (`12345`); `12345.5` rejects the row |
| anything else (a custom key column) | `sf-123456`, `D-1` | exactly, after trimming the ends |

The entity (`Opportunity`, `deal`) names a CRM object type: it is compared ignoring case and the
ends' whitespace. Two links with one type and id where only one side names an entity cannot be told
apart: the match is uncertain (Identity.matches answers None).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")


def number_text(value: int | float | Decimal) -> str:
    """A finite number as plain decimal text: 98765, 98765.0 and Decimal('98765.00') are '98765'."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{value} is not a finite number")
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


class BadIdentifier(ValueError):
    """An external id that breaks the rules of the CRM that issued it."""


def salesforce_suffix(id15: str) -> str:
    """The 3-character suffix of a 15-character Salesforce id (its case, encoded)."""
    out = []
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        out.append(SUFFIX_ALPHABET[bits])
    return "".join(out)


def salesforce_id15(value: str) -> str:
    """The 15-character, case-sensitive form of a Salesforce id given in 15 or 18 characters."""
    if len(value) == 15:
        return value
    body, suffix = value[:15], value[15:].upper()
    chars = []
    for chunk_index, code in enumerate(suffix):
        bits = SUFFIX_ALPHABET.find(code)
        if bits < 0:
            raise BadIdentifier(f"'{value}' is not a Salesforce id: its suffix character '{value[15 + chunk_index]}' "
                                f"is not one of {SUFFIX_ALPHABET}")
        for i, ch in enumerate(body[chunk_index * 5:chunk_index * 5 + 5]):
            upper = bool(bits & (1 << i))
            if ch.isdigit():
                if upper:
                    raise BadIdentifier(f"'{value}' is not a Salesforce id: its suffix marks the digit '{ch}' "
                                        "as upper-case")
                chars.append(ch)
            else:
                chars.append(ch.upper() if upper else ch.lower())
    return "".join(chars)


def _is_salesforce_shaped(text: str) -> bool:
    return len(text) in (15, 18) and _ALNUM.fullmatch(text) is not None


def _hubspot_number(value: Any) -> str | None:
    """A HubSpot id given as a number (int, DOUBLE, or their text) as its integral decimal text;
    None when the value is not written as a number (a custom key column: compared exactly)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        raise BadIdentifier(f"'{value}' is not a HubSpot id: HubSpot ids are whole numbers")
    if number < 0:
        raise BadIdentifier(f"'{value}' is not a HubSpot id: HubSpot ids are positive")
    return str(int(number))


def external_id_form(integration_type: str | None, value: Any) -> tuple[str, str]:
    """(the id as compared, the id as sent to Tomorro) by the CRM's rules (module table).
    Raises BadIdentifier for a value that breaks them, ValueError for a value that is no id."""
    if isinstance(value, (bool, list, dict, tuple)) or value is None:
        raise ValueError(f"a {type(value).__name__} cannot be an external id")
    itype = (integration_type or "").strip().lower()
    if itype == "hubspot":
        number = _hubspot_number(value)
        if number is not None:
            return number, number
    if isinstance(value, (int, float, Decimal)):
        value = number_text(value)  # plain decimal text, never a repr such as 1e+20
    text = str(value).strip()
    if not text:
        raise ValueError("an empty external id")
    if itype == "salesforce" and _is_salesforce_shaped(text):
        id15 = salesforce_id15(text)
        return id15, id15 + salesforce_suffix(id15) if len(text) == 18 else text
    return text, text


def account_key(integration_type: str | None, key: str | None) -> str | None:
    """A CRM account id held in a counterparty smart field (the key `counterparty_key` and counterparty rows are
    matched on), as compared: by its CRM's rules where it is written as that CRM writes ids (a Salesforce 18-character
    id is its 15-character form, a HubSpot number its integral value), exactly otherwise. Never a reject: the field
    may hold a key of another kind (a SIREN, a VAT number), which keeps its exact form."""
    if key is None:
        return None
    try:
        return external_id_form(integration_type, key)[0]
    except ValueError:  # BadIdentifier included: not an id of that CRM
        return key


def entity_key(entity: Any) -> str | None:
    """An entity (a CRM object type name) as compared: case and the ends' whitespace ignored."""
    if not isinstance(entity, str) or not entity.strip():
        return None
    return entity.strip().lower()


@dataclass(frozen=True)
class Identity:
    """What a contract is in the CRM: its integration type, entity and external id (as compared)."""

    type: str
    entity: str | None
    id: str

    @property
    def key(self) -> str:
        """One text for grouping rows (the same identity, the same key)."""
        return f"{self.type}|{self.entity or ''}|{self.id}"

    @property
    def record(self) -> tuple[str, str]:
        """(type, id): the index bucket; the entity then decides."""
        return self.type, self.id

    def matches(self, other: Identity) -> bool | None:
        """True: the same CRM record; False: another one; None: uncertain (one side names no entity)."""
        if self.record != other.record:
            return False
        if self.entity == other.entity:
            return True
        if self.entity is None or other.entity is None:
            return None
        return False

    def describe(self) -> str:
        return f"{self.type} {self.entity or '(no entity)'} {self.id}"


def row_identity(integration_type: str, entity: str | None, value: Any) -> tuple[Identity, str]:
    """(the identity of a row, the external id to send); raises like external_id_form."""
    compared, sent = external_id_form(integration_type, value)
    return Identity(integration_type.strip().lower(), entity_key(entity), compared), sent


def contract_identity(contract: dict[str, Any]) -> Identity | None:
    """The identity of a contract in Tomorro, or None (no link, or a link its own CRM would refuse)."""
    link = contract.get("integration") or {}
    itype, external_id = link.get("type"), link.get("externalId")
    if not isinstance(itype, str) or not itype.strip() or external_id is None:
        return None
    try:
        return row_identity(itype, link.get("externalEntity"), external_id)[0]
    except ValueError:
        return None


def describe_link(contract: dict[str, Any]) -> str:
    link = contract.get("integration") or {}
    return (f"contract {contract.get('id')} ({link.get('type')} {link.get('externalEntity') or '(no entity)'} "
            f"{link.get('externalId')})")
