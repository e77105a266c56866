"""coercion.py: each smart-field type's accepted values and rejections (pure: options are passed in)."""

import datetime as dt
from decimal import Decimal

import pytest
from destination_tomorro.coercion import coerce
from destination_tomorro.errors import RowRejected
from destination_tomorro.schema import SmartField


def opt(gb, fr):
    return {"id": gb, "translations": [{"language": "gb", "value": gb}, {"language": "fr", "value": fr}],
            "integrationMappings": [{"type": "hubspot", "value": "hs_" + gb.lower()}]}


OPTIONS = {"f-industry": [opt("Technology", "Technologie"), opt("Finance", "Finance")],
           "f-products": [opt("Widgets", "Widgets FR"), opt("Gadgets", "Gadgets FR")]}
FIELDS = {"number": SmartField("f-value", "Contract value", "number"),
          "date": SmartField("f-renewal", "Renewal date", "date"),
          "select": SmartField("f-industry", "Industry", "select"),
          "multiselect": SmartField("f-products", "Products", "multiselect"),
          "richtext": SmartField("f-notes", "Special conditions", "richtext"),
          "duration": SmartField("f-notice", "Notice period", "duration"),
          "text": SmartField("f-code", "Project code", "text")}


def c(ftype, value):
    return coerce(FIELDS[ftype], value, lambda sf: OPTIONS[sf.id], "hubspot")


@pytest.mark.parametrize("value, expected", [
    (12, 12), (1.5, 1.5), ("42", 42), (" 1250.50 ", 1250.5), (Decimal("10"), 10), ("-3e2", -300.0)])
def test_number(value, expected):
    assert c("number", value) == expected


@pytest.mark.parametrize("value", ["abc", True, "nan", {"a": 1}, "1,5"])
def test_number_rejects(value):
    with pytest.raises(RowRejected, match="Contract value"):
        c("number", value)


@pytest.mark.parametrize("value, expected", [
    ("2025-03-01", "2025-03-01"), ("2025-03-01T23:30:00Z", "2025-03-01"),
    # the calendar date it was written in, whatever its offset (issue 20, finding 10)
    ("2025-03-01T23:30:00-02:00", "2025-03-01"), ("2026-12-31T00:00:00+01:00", "2026-12-31"),
    ("2026-12-31T18:00:00-08:00", "2026-12-31"), (dt.date(2024, 2, 29), "2024-02-29"),
    (dt.datetime(2024, 1, 2, 3, 4), "2024-01-02")])
def test_date(value, expected):
    assert c("date", value) == expected


@pytest.mark.parametrize("value", ["01/03/2025", "2025-13-01", 20250301])
def test_date_rejects(value):
    with pytest.raises(RowRejected, match="is not a date"):
        c("date", value)


def test_select_matches_labels_translations_and_crm_values():
    assert c("select", "technology") == "Technology"
    assert c("select", "Technologie") == "Technology"  # French translation
    assert c("select", "hs_finance") == "Finance"  # HubSpot integration value
    with pytest.raises(RowRejected) as info:
        c("select", "Bakery")
    assert "'Bakery' is not an option of smart field 'Industry'" in info.value.reason
    assert "Finance, Technology" in info.value.reason


def test_multiselect_from_list_or_comma_separated():
    assert c("multiselect", "widgets, Gadgets") == ["Widgets", "Gadgets"]
    assert c("multiselect", ["Gadgets FR"]) == ["Gadgets"]
    with pytest.raises(RowRejected):
        c("multiselect", "Widgets, Sprockets")


def test_richtext_and_text():
    assert c("richtext", "a\nb") == [
        {"type": "paragraph", "children": [{"text": "a"}]}, {"type": "paragraph", "children": [{"text": "b"}]}]
    assert c("text", "P-\x00\x07A1\tx") == "P-A1\tx"
    assert c("text", 123) == "123"
    with pytest.raises(RowRejected, match="longer than"):
        c("text", "x" * 1_000_001)


@pytest.mark.parametrize("value, expected", [
    ("12 months", {"value": 12, "unit": "months"}), ("1 year", {"value": 1, "unit": "years"}),
    ({"value": 30, "unit": "day"}, {"value": 30, "unit": "days"}), ('{"value": 2, "unit": "weeks"}', {"value": 2, "unit": "weeks"})])
def test_duration(value, expected):
    assert c("duration", value) == expected


def test_duration_rejects():
    with pytest.raises(RowRejected, match="is not a duration"):
        c("duration", 12)


def test_multiselect_values_given_twice_are_one_choice():
    assert c("multiselect", ["Widgets", "widgets", "Widgets FR", "Gadgets"]) == ["Widgets", "Gadgets"]
    assert c("multiselect", "gadgets, Gadgets,  gadgets ") == ["Gadgets"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1.5e400", "-Infinity"])
def test_non_finite_numbers_are_rejected(value):
    with pytest.raises(RowRejected, match="is not a finite number for smart field 'Contract value'"):
        c("number", value)


@pytest.mark.parametrize("value, expected", [(True, "true"), (False, "false")])
def test_a_boolean_into_text_is_true_or_false(value, expected):
    """Issue 20, finding 10: as JSON and the CRMs write it, never Python's "True"."""
    assert c("text", value) == expected
