"""Warehouse values -> the value format of one smart field type (README "Smart fields").

Pure rules: a select field's options come from the caller (`options`), nothing here reads the
network. Every value that does not fit raises `RowRejected` naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import RowRejected
from .identity import number_text
from .schema import SmartField

DURATION_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
MAX_TEXT = 100_000
Options = Callable[[SmartField], list[dict[str, Any]]]


def coerce(sf: SmartField, value: Any, options: Options, integration_type: str | None = None) -> Any:
    """Coerce a warehouse value to the value format of smart field `sf` (sandbox README table)."""
    what = f"smart field '{sf.name}' ({sf.type})"
    t = sf.type
    if t == "number":
        return _coerce_number(value, what)
    if t == "date":
        return _coerce_date(value, what)
    if t == "select":
        return _coerce_option(sf, value, what, options(sf), integration_type)
    if t == "multiselect":
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            raise RowRejected(f"{type(value).__name__} value is not a list for {what}")
        labels = [_coerce_option(sf, item, what, options(sf), integration_type) for item in items]
        return list(dict.fromkeys(labels))  # a label given twice is one choice
    if t == "richtext":
        if isinstance(value, list) and all(isinstance(n, dict) for n in value):
            return value
        text = text_value(value, what)
        return [{"type": "paragraph", "children": [{"text": line}]} for line in text.split("\n")]
    if t == "duration":
        return _coerce_duration(value, what)
    return text_value(value, what)  # text and any type we do not know


def clip(value: Any, n: int = 60) -> str:
    text = str(value)
    return text if len(text) <= n else text[:n] + "..."


_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


def text_value(value: Any, what: str) -> str:
    """A scalar as text for Tomorro: NFC, every line break (CR LF, CR, NEL, LINE and PARAGRAPH
    SEPARATOR) a newline, other control characters removed, at most MAX_TEXT characters."""
    if isinstance(value, (dict, list, tuple)):
        raise RowRejected(f"{type(value).__name__} value is not text for {what}")
    if isinstance(value, bool):
        return "true" if value else "false"  # as JSON and the CRMs write it, never Python's "True"
    if isinstance(value, (int, float, Decimal)):
        try:
            return number_text(value)
        except ValueError:
            raise RowRejected(f"{value!r} is not a finite number for {what}") from None
    text = str(value)
    if len(text) > MAX_TEXT:
        raise RowRejected(f"value of {len(text)} characters is longer than {MAX_TEXT} for {what}")
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", text)))


def line_value(value: Any, what: str) -> str:
    """A one-line scalar (a name, an id): text_value with line breaks and tabs as spaces, runs of
    whitespace collapsed, trimmed."""
    return " ".join(text_value(value, what).split())


def _coerce_number(value: Any, what: str) -> int | float:
    if isinstance(value, bool):
        raise RowRejected(f"{value!r} is not a number for {what}")
    if isinstance(value, float) and not math.isfinite(value):
        raise RowRejected(f"{value!r} is not a finite number for {what}")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise RowRejected(f"'{clip(value)}' is not a number for {what}") from None
        if not number.is_finite() or not math.isfinite(float(number)):
            raise RowRejected(f"'{clip(value)}' is not a finite number for {what}")
        return int(number) if number == number.to_integral_value() and "." not in value else float(number)
    raise RowRejected(f"{type(value).__name__} value is not a number for {what}")


def _coerce_date(value: Any, what: str) -> str:
    if isinstance(value, dt.datetime):
        # the calendar date it was written in: 2026-12-31T00:00:00+01:00 is the 31st, not the 30th in UTC
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text).isoformat()
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return _coerce_date(parsed, what)
        except ValueError:
            pass
    raise RowRejected(f"'{clip(value)}' is not a date (YYYY-MM-DD or ISO datetime) for {what}")


def instant(value: Any) -> dt.datetime:
    """A last-modified time as an aware datetime: a datetime, an ISO-8601 text (no offset: UTC), or
    epoch seconds / milliseconds (HubSpot's hs_lastmodifieddate may land as either). ValueError else."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        parsed = dt.datetime.fromtimestamp(value / 1000 if abs(value) > 1e11 else value, dt.UTC)
    elif isinstance(value, str) and value.strip():
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{clip(value)}' is not an ISO-8601 date-time") from None
    else:
        raise ValueError(f"{clip(value)!r} is not a date-time")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def option_label(option: dict[str, Any]) -> str | None:
    translations = option.get("translations") or []
    for tr in translations:
        if tr.get("language") == "gb":
            return tr.get("value")
    return translations[0].get("value") if translations else None


def _coerce_option(sf: SmartField, value: Any, what: str, options: list[dict[str, Any]],
                   integration_type: str | None) -> str:
    """An option's English label, matched (case-insensitively) on the English labels first, then on
    the other translations, then on the CRM values of `integration_type`."""
    if not isinstance(value, str):
        value = str(value)
    wanted = value.strip().lower()
    passes = (
        lambda opt: [tr.get("value") for tr in opt.get("translations") or [] if tr.get("language") == "gb"],
        lambda opt: [tr.get("value") for tr in opt.get("translations") or []],
        lambda opt: [m.get("value") for m in opt.get("integrationMappings") or []
                     if integration_type is None or m.get("type") == integration_type],
    )
    for candidates in passes:
        for opt in options:
            if any(isinstance(v, str) and v.strip().lower() == wanted for v in candidates(opt)):
                label = option_label(opt)
                if label is not None:
                    return label
    known = ", ".join(sorted(filter(None, (option_label(o) for o in options))))
    raise RowRejected(f"'{clip(value)}' is not an option of {what}; options: {clip(known, 200)}")


def _coerce_duration(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                pass
        else:
            match = re.fullmatch(r"(\d+)\s*([a-zA-Z]+?)s?", text)
            if match and match.group(2).lower() in DURATION_UNITS:
                return {"value": int(match.group(1)), "unit": DURATION_UNITS[match.group(2).lower()]}
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)) and not isinstance(value.get("value"), bool):
        unit = str(value.get("unit", "")).lower().rstrip("s")
        if unit in DURATION_UNITS:
            return {"value": value["value"], "unit": DURATION_UNITS[unit]}
    raise RowRejected(f"'{clip(value)}' is not a duration (e.g. '12 months' or {{\"value\": 12, \"unit\": \"months\"}}) for {what}")
