"""The calendar: :class:`Period` and its kinds, the calendar helpers, and the
comparison rules (growth: :func:`previous_period`; year over year:
:func:`year_ago`; :func:`resolve_relation`). See :mod:`analytics_core.periods`."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)

#: The kinds of period (:attr:`Period.kind`).
KINDS = ("day", "week", "month", "quarter", "half", "year", "to_date", "days", "range", "all")
#: The relations a :class:`FoundPeriod` may carry (:func:`resolve_relation`).
RELATIONS = (
    "previous",
    "year_ago",
    "half_ago",
    "quarter_ago",
    "month_ago",
    "week_ago",
    "day_ago",
)


@dataclass(frozen=True)
class Period:
    """Inclusive calendar dates on metric_time; ``label`` is how a person would
    name it ("last month", "week of 2026-06-08", "H1 2026", "all time").

    ``kind`` says what sort of period it is, so comparisons need no guessing
    from labels: ``day``, ``week`` (an ISO week), ``month``, ``quarter``,
    ``half``, ``year`` (whole calendar periods), ``to_date`` (from the start of
    ``unit`` or from a given day to the as-of date), ``days`` (the last N
    days), ``range`` (explicit dates; ``unit`` set when it is whole weeks,
    months, quarters or years, as "last 3 months"), ``all`` (open-ended).
    ``kind`` and ``unit`` describe the dates rather than add to them: two
    periods with the same dates and label are equal whatever their kind (and
    the JSON form stays start, end, label).
    """

    start: datetime.date | None
    end: datetime.date | None
    label: str = ""
    kind: str = field(default="range", compare=False)
    unit: str | None = field(default=None, compare=False)
    #: A period with a name of its own each year (a holiday): the same-named
    #: period in a given year, so that a year back is its own date that year.
    yearly: Callable[[int], Period] | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "label": self.label,
        }

    @property
    def days(self) -> int | None:
        """The number of days, or None for an open-ended period."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1


class PeriodError(ValueError):
    """A date that does not exist (2026-02-30), a backwards range, a count no
    calendar can use, or a period with no previous one (all time)."""

    #: What to write instead, said after the message.
    hint = "Use a real date, such as 2026-01-31."


class AmbiguousDate(PeriodError):
    """A slashed date that reads as two different days ("3/4/2026")."""

    hint = ""  # the message says both ways to write it

    def __init__(self, text: str, day_first: datetime.date, month_first: datetime.date):
        self.text = text
        self.readings = (day_first, month_first)
        super().__init__(
            f"{text} could be {day_first:%-d %B %Y} (day/month) or {month_first:%-d %B %Y}"
            f" (month/day); write {day_first.isoformat()} or {month_first.isoformat()}"
        )


@dataclass(frozen=True)
class FoundPeriod:
    """One period named in a text, with the span ``text[span[0]:span[1]]`` it used.

    ``relation`` is set for words that shift another period ("the same month
    last year": ``year_ago``); such a period has no dates of its own (start and
    end None, kind ``relation``): :func:`resolve_relation` gives them."""

    period: Period
    span: tuple[int, int]
    #: The period lies after the as-of date (a forecast question); "next
    #: month" and the like have no dates at all.
    future: bool = False
    relation: str | None = None


# --- calendar helpers ----------------------------------------------------------------

MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_MONTH_ABBREVIATIONS = {name[:3]: number for name, number in MONTHS.items()}
_MONTH_ABBREVIATIONS["sept"] = 9
#: Numbers people write as words ("last thirty days", "top five products").
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty": 20,
    "twelve": 12,
    "fourteen": 14,
    "thirty": 30,
    "ninety": 90,
}
WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_WEEKDAY_ABBREVIATIONS = {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}
_ORDINALS.update({"fourth": 4, "4th": 4})
#: Months a unit spans, for shifting ("a quarter earlier" is three months).
_UNIT_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
#: Counts a calendar can take ("last 20000 days" is refused, not slow).
MAX_COUNT = 3660


def iso_week_start(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s ISO week."""
    return day - datetime.timedelta(days=day.weekday())


def month_end(year: int, month: int) -> datetime.date:
    """The last day of a month."""
    if month == 12:
        return D(year, 12, 31)
    return D(year, month + 1, 1) - ONE_DAY


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months, clipped to the end of a shorter month
    (2024-02-29 minus 12 months is 2023-02-28; 2026-03-31 minus one is 2026-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise PeriodError(f"{day} moved by {months} months is outside the calendar")
    return D(year, month + 1, min(day.day, month_end(year, month + 1).day))


def quarter_of(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


def half_of(day: datetime.date) -> int:
    return 1 if day.month <= 6 else 2


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a quarter."""
    first = 3 * (quarter - 1) + 1
    return D(year, first, 1), month_end(year, first + 2)


def half_bounds(year: int, half: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a half year (H1: January to June)."""
    return (D(year, 1, 1), D(year, 6, 30)) if half == 1 else (D(year, 7, 1), D(year, 12, 31))


def _unit_start(day: datetime.date, unit: str) -> datetime.date:
    """The first day of the week, month, quarter, half or year holding ``day``."""
    if unit == "week":
        return iso_week_start(day)
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return quarter_bounds(day.year, quarter_of(day))[0]
    if unit == "half":
        return half_bounds(day.year, half_of(day))[0]
    return D(day.year, 1, 1)


def _real_date(year: int, month: int, day: int, text: str) -> datetime.date:
    try:
        return D(year, month, day)
    except ValueError:
        raise PeriodError(f"{text} is not a calendar date") from None


# --- periods of each kind, with their canonical labels ------------------------------------


def day_period(day: datetime.date, label: str | None = None) -> Period:
    return Period(day, day, label or day.isoformat(), "day")


def week_period(day: datetime.date, label: str | None = None) -> Period:
    """The ISO week (Monday to Sunday) holding ``day``."""
    monday = iso_week_start(day)
    return Period(monday, monday + datetime.timedelta(days=6), label or f"week of {monday}", "week")


def month_period(year: int, month: int, label: str | None = None) -> Period:
    start = D(year, month, 1)
    return Period(start, month_end(year, month), label or f"{start:%B %Y}", "month")


def quarter_period(year: int, quarter: int, label: str | None = None) -> Period:
    start, end = quarter_bounds(year, quarter)
    return Period(start, end, label or f"Q{quarter} {year}", "quarter")


def half_period(year: int, half: int, label: str | None = None) -> Period:
    start, end = half_bounds(year, half)
    return Period(start, end, label or f"H{half} {year}", "half")


def year_period(year: int, label: str | None = None) -> Period:
    return Period(D(year, 1, 1), D(year, 12, 31), label or str(year), "year")


def _whole(unit: str, day: datetime.date, label: str | None = None) -> Period:
    """The whole calendar ``unit`` holding ``day``."""
    if unit == "day":
        return day_period(day, label)
    if unit == "week":
        return week_period(day, label)
    if unit == "month":
        return month_period(day.year, day.month, label)
    if unit == "quarter":
        return quarter_period(day.year, quarter_of(day), label)
    if unit == "half":
        return half_period(day.year, half_of(day), label)
    return year_period(day.year, label)


def _bounds(period: Period) -> tuple[datetime.date, datetime.date]:
    """Start and end of a period that has both."""
    if period.start is None or period.end is None:
        raise PeriodError(f"{period.label or 'all time'} is open-ended")
    return period.start, period.end


def _range_label(start: datetime.date, end: datetime.date) -> str:
    return str(start) if start == end else f"{start} to {end}"


def _canonical(start: datetime.date, end: datetime.date, kind: str, unit: str | None) -> Period:
    """A period of ``kind`` over the given dates with its canonical label (for
    shifted periods: "June 2025", "week of 2025-06-09", "2025-01-01 to 2025-06-15")."""
    if kind in {"day", "week", "month", "quarter", "half", "year"}:
        whole = _whole(kind, start)
        if (whole.start, whole.end) == (start, end):
            return whole
        kind = "range"
    if kind == "to_date":
        return Period(start, end, _range_label(start, end), "to_date", unit)
    return Period(start, end, _range_label(start, end), kind, unit)


# --- comparison rules -----------------------------------------------------------------


def _shift(period: Period, unit: str, count: int = 1) -> Period:
    """``period`` moved back ``count`` units: days and weeks day for day; months,
    quarters, halves and years by whole months, keeping whole months whole."""
    if period.start is None or period.end is None:
        raise PeriodError(f"{period.label or 'all time'} has no earlier period to compare with")
    if unit in {"day", "week"}:
        delta = datetime.timedelta(days=count * (7 if unit == "week" else 1))
        start, end = period.start - delta, period.end - delta
    else:
        months = -count * _UNIT_MONTHS[unit]
        start = add_months(period.start, months)
        end = add_months(period.end, months)
        ends_a_month = period.end == month_end(period.end.year, period.end.month)
        if period.start.day == 1 and ends_a_month and period.kind != "to_date":
            # Whole months stay whole (February 2024 -> February 2023, to its 28th;
            # 2024-02-01..2024-02-28 -> 2023-02-01..2023-02-28 as well).
            end = month_end(end.year, end.month)
    if start.year < 1:
        raise PeriodError(f"{period.label} has no earlier period in the calendar")
    return _canonical(start, end, period.kind, period.unit)


def previous_period(period: Period) -> Period:
    """The base of "growth" for ``period``: the previous period of the same kind.

    Whole calendar periods: the previous day, week, month, quarter, half or
    year. To-date spans: the same span one unit earlier (2026-01-01..2026-06-15
    -> 2025-01-01..2025-06-15); from a given day ("since 2026-04-01"), the same
    number of days just before. Last N days: the N days before. Whole-unit
    ranges ("last 3 months"): the same number of units before. Explicit ranges:
    the same number of days just before. Open-ended periods raise PeriodError."""
    if period.start is None or period.end is None:
        raise PeriodError(f"{period.label or 'all time'} has no previous period to compare with")
    if period.kind in {"day", "week", "month", "quarter", "half", "year"}:
        return _shift(period, period.kind)
    if period.kind == "to_date" and period.unit is not None:
        return _shift(period, period.unit)
    if period.kind == "range" and period.unit is not None:
        whole = _whole(period.unit, period.start)
        units = _count_units(period, period.unit)
        if whole.start == period.start and units is not None:
            return _shift(period, period.unit, units)
    days = datetime.timedelta(days=(period.end - period.start).days + 1)
    start, end = period.start - days, period.end - days
    return Period(start, end, _range_label(start, end), period.kind, None)


def _count_units(period: Period, unit: str) -> int | None:
    """How many whole ``unit``s ``period`` spans, or None when it is not whole."""
    start, end = _bounds(period)
    if unit == "week":
        days = (end - start).days + 1
        return days // 7 if days % 7 == 0 else None
    if unit == "day":
        return (end - start).days + 1
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = _UNIT_MONTHS[unit]
    return months // step if months % step == 0 else None


def units_in(period: Period, unit: str) -> float:
    """How many ``unit``s (day, week, month, quarter, year) ``period`` holds: its
    days, its days over 7, or its months, quarters or years, each one it only
    partly holds counted by the share of its days it holds (June 1-15 is half
    a month). What an average per unit divides by."""
    start, end = _bounds(period)
    days = (end - start).days + 1
    if unit in {"day", "week"}:
        return days / (1 if unit == "day" else 7)
    total, day = 0.0, start
    while day <= end:
        first, last = _bounds(_whole(unit, day))
        through = min(last, end)
        total += ((through - day).days + 1) / ((last - first).days + 1)
        day = through + ONE_DAY
    return total


def year_ago(period: Period) -> Period:
    """The base of "year over year": ``period`` shifted back 12 months, day for
    day (whole months stay whole: February 2024 -> February 2023); a week, or a
    week so far, 52 weeks back, so that its days are the same weekdays (the
    week of 2026-06-15 -> the week of 2025-06-16); a holiday, its own date the
    year before (Easter Monday 2026 -> Easter Monday 2025)."""
    if period.yearly is not None and period.start is not None:
        try:
            return period.yearly(period.start.year - 1)
        except PeriodError:
            pass
    if period.kind == "week" or period.unit == "week":
        return _shift(period, "week", 52)
    return _shift(period, "year")


def resolve_relation(period: Period, relation: str) -> Period:
    """The dates a relation names, against the period it refers to:
    ``previous`` (:func:`previous_period`), ``year_ago`` (:func:`year_ago`),
    ``<unit>_ago`` (``period`` one unit earlier; the previous period when the
    unit is the period's own)."""
    if relation == "previous":
        return previous_period(period)
    if relation == "year_ago":
        return year_ago(period)
    unit = relation.removesuffix("_ago")
    if relation not in RELATIONS:
        raise PeriodError(f"unknown relation {relation!r}")
    if unit == period.kind or (period.kind in {"to_date", "range"} and unit == period.unit):
        return previous_period(period)
    return _shift(period, unit)
