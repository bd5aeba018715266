"""How numbers and dates are shown to people, one definition for every
component (answers in the CLI and the UI, the reports of the report service).

A value is formatted by its *kind*:

- ``money``: two decimals, thousands separators, the currency of ``unit``
  (``$1,234.56``, ``-$12.00``; a currency without a symbol here is written
  after the amount: ``1,234.56 CHF``); rounded half up to cents;
- ``count``: a whole number with separators (``1,234``); a count that is not
  whole (an average of counts) keeps two decimals;
- ``percent``: a fraction shown as a percentage with one decimal
  (``0.1234`` is ``12.3%``); with ``unit="pp"`` a difference of two rates in
  percentage points (``+1.2 pp``);
- ``number``: any other quantity (a count per customer), two decimals;
- ``date``: by ``grain``: day ``2026-06-22``, week ``week of 2026-06-22``,
  month ``Jan 2025``, quarter ``Q1 2025``, year ``2025``; a timestamp that is
  not midnight keeps its time;
- ``bool``: ``yes`` or ``no`` (a flag such as "counts toward revenue");
- ``text``: as it is.

``signed`` puts a ``+`` before positive numbers (changes). An empty value
(None, NaN, an infinity: no number anyone can read) is :data:`EMPTY`; the
caller says why where it matters (a change over a base of 0).
"""

from __future__ import annotations

import datetime
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

Kind = Literal["money", "count", "percent", "number", "date", "bool", "text"]
KINDS: tuple[Kind, ...] = ("money", "count", "percent", "number", "date", "bool", "text")
GRAINS = ("day", "week", "month", "quarter", "year")

#: What an empty cell shows (an en dash, never "None" or "nan").
EMPTY = "\u2013"
#: A timestamp to the minute (``2026-06-22 14:05``).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"
#: Currency symbols written before the amount; other ISO codes follow it.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
#: Decimal places of fractions in JSON: 0.0001% is finer than any rate here,
#: and six places drop float noise (0.30000000000000004).
FRACTION_PLACES = 6

_CENT = Decimal("0.01")


def as_decimal(value: Any) -> Decimal | None:
    """``value`` as a finite Decimal, or None when it is not a readable number
    (None, NaN, an infinity, a bool, text that is not a number)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _sign(number: Decimal, signed: bool) -> str:
    if number < 0:
        return "-"
    return "+" if signed and number > 0 else ""


def format_money(value: Any, unit: str | None = "USD", *, signed: bool = False) -> str:
    number = as_decimal(value)
    if number is None:
        return EMPTY
    cents = number.quantize(_CENT, rounding=ROUND_HALF_UP)
    amount = f"{abs(cents):,.2f}"
    code = (unit or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is not None:
        return f"{_sign(cents, signed)}{symbol}{amount}"
    return f"{_sign(cents, signed)}{amount}" + (f" {code}" if code else "")


def format_count(value: Any, *, signed: bool = False) -> str:
    number = as_decimal(value)
    if number is None:
        return EMPTY
    if number == number.to_integral_value():
        return f"{_sign(number, signed)}{abs(int(number)):,}"
    return format_number(number, signed=signed)


def counted(count: int, noun: str) -> str:
    """``1 finding``, ``2 findings``, ``0 messages``: a count and its noun (a
    plural in -s; the nouns said to people here all take one)."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def format_percent(value: Any, unit: str | None = None, *, signed: bool = False) -> str:
    """A fraction as a percentage (``unit="pp"``: a difference in points)."""
    number = as_decimal(value)
    if number is None:
        return EMPTY
    percent = (number * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{_sign(percent, signed)}{abs(percent):,.1f}"
    return f"{text} pp" if unit == "pp" else f"{text}%"


def format_number(value: Any, *, signed: bool = False) -> str:
    number = as_decimal(value)
    if number is None:
        return EMPTY
    rounded = number.quantize(_CENT, rounding=ROUND_HALF_UP)
    return f"{_sign(rounded, signed)}{abs(rounded):,.2f}"


def format_utc_minute(value: Any, empty: str = EMPTY) -> str:
    """A moment (a datetime, or ISO 8601 text) to the minute in UTC, with the
    zone: ``2026-12-04 16:22 UTC``. A naive time is UTC already; no time is
    ``empty``; text that is not a time is shown as it is."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if not isinstance(value, datetime.datetime):
        return str(value)
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return f"{value.strftime(TIMESTAMP_FORMAT)} UTC"


def format_date(value: Any, grain: str | None = None) -> str:
    """A date (or timestamp, or ISO text) as its grain names it."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time() and grain in (None, "day"):
            return value.strftime(TIMESTAMP_FORMAT)
        value = value.date()
    if not isinstance(value, datetime.date):
        return str(value)
    if grain == "week":
        return f"week of {value.isoformat()}"
    if grain == "month":
        return value.strftime("%b %Y")
    if grain == "quarter":
        return f"Q{(value.month - 1) // 3 + 1} {value.year}"
    if grain == "year":
        return str(value.year)
    return value.isoformat()


def format_value(
    value: Any,
    kind: Kind,
    *,
    unit: str | None = None,
    grain: str | None = None,
    signed: bool = False,
) -> str:
    """``value`` as people read it (see the module docstring)."""
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        return EMPTY  # NaN or an infinity, whatever the column was meant to hold
    if kind == "money":
        return format_money(value, unit, signed=signed)
    if kind == "count":
        return format_count(value, signed=signed)
    if kind == "percent":
        return format_percent(value, unit, signed=signed)
    if kind == "number":
        return format_number(value, signed=signed)
    if kind == "date":
        return format_date(value, grain)
    if value is None:
        return EMPTY
    if kind == "bool":
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return format_date(value, grain)
    return str(value)


def json_number(value: Any, kind: Kind) -> Any:
    """A number for JSON: money rounded half up to cents, counts whole when
    they are, percentages and other quantities to :data:`FRACTION_PLACES`;
    None for what is not a readable number (JSON has no NaN)."""
    number = as_decimal(value)
    if number is None:
        return None
    if kind == "money":
        return float(number.quantize(_CENT, rounding=ROUND_HALF_UP))
    if kind == "count" and number == number.to_integral_value():
        return int(number)
    return round(float(number), FRACTION_PLACES)
