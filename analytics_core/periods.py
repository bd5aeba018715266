"""The calendar every component shares: periods people name, resolved to dates.

One definition of "last month", "the week of June 10", "H1", "year to date" and
the rest, for questions (``questions/``), the UI and report parameters
(``report_service/``). The rules are those of the metrics glossary
(``docs/metrics.md``, "Relative periods"), all counted from an as-of date ``A``:

- calendar periods are whole: "last month" on 2026-03-15 is 2026-02-01 to
  2026-02-28, "last week" the previous ISO week (Monday to Sunday);
- "last 7 days" is the seven days that end yesterday; "last 3 weeks/months/
  quarters/years" are the three whole ones before the current one;
- "this week/month/quarter/year", "WTD/MTD/QTD/YTD", "so far this year" run
  from the start of the unit to ``A`` itself (kind ``to_date``);
- a month, quarter, half, week number or day named without a year is the most
  recent one that has started by ``A`` ("December" in June 2026 is December
  2025); a range without a year starts at the most recent such start;
- "last March" is the most recent March before ``A``'s month: March 2025 when
  ``A`` is in or before March 2026, March 2026 when ``A`` is later in 2026
  (the same rule as "last Monday": the most recent one strictly before the
  current one);
- "Friday" / "on Friday" is the most recent Friday on or before ``A``; "last
  Friday" the most recent strictly before ``A``; "this Friday" the Friday of
  ``A``'s ISO week (possibly after ``A``, so a forecast);
- "3 days/weeks/months ago" is that one calendar day, week or month;
- slashed dates: "2026/06/03" is year-first; "25/3/2026" and "3/25/2026" can
  be read one way only; "3/4/2026" could be either and raises
  :class:`AmbiguousDate` naming both readings. Years are written in full.

:func:`find_periods` returns every period a text names, left to right, each
with the character span it used (so a caller does not read "2026" or "7" again
as something else). Overlapping readings are settled by length: "between
March 3 and March 9" is one period, not two days or two months. Words that
shift another period ("the same month last year", "the previous month", "a
year earlier", "YoY") come back as a :class:`FoundPeriod` with a ``relation``
and no dates of their own; :func:`resolve_relation` gives their dates against
the period they refer to. :func:`previous_period` and :func:`year_ago` are the
comparison rules of growth and year over year.

The patterns are written for linear-time matching: every quantifier is
bounded or sits between literal tokens, so a 2,000-character question of
digits and dashes reads as fast as a sentence.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MONTHS",
    "NUMBER_WORDS",
    "AmbiguousDate",
    "FoundPeriod",
    "Period",
    "PeriodError",
    "add_months",
    "find_period",
    "find_periods",
    "half_bounds",
    "iso_week_start",
    "month_end",
    "previous_period",
    "quarter_bounds",
    "resolve_phrase",
    "resolve_relation",
    "year_ago",
]

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


class AmbiguousDate(PeriodError):
    """A slashed date that reads as two different days ("3/4/2026")."""

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
    return f"{start} to {end}"


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


def year_ago(period: Period) -> Period:
    """The base of "year over year": ``period`` shifted back 12 months, day for
    day (whole months stay whole: February 2024 -> February 2023)."""
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


# --- patterns ----------------------------------------------------------------------------

_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|sept|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)(?![\w])\.?"
)
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)(?![\w'])"
)
_YEAR = r"(?:19|20)\d\d"
_ORD_CORE = r"(\d{1,2})(?:st|nd|rd|th)?(?![\w.])"
#: A day of the month on its own ("June 3"), not the start of "3-9".
_ORD = r"(?<![\w.-])" + _ORD_CORE + r"(?!-\d)"
#: The first and the last day of a range said with one month ("March 3-9").
_ORD_FROM = r"(?<![\w.-])" + _ORD_CORE
_ORD_TO = r"(?<![\w.])" + _ORD_CORE + r"(?!-\d)"
_S = r"\s{1,4}"
_NUM = r"(\d{1,5}|" + "|".join(NUMBER_WORDS) + r")"
#: "2026", "last year", "this year", "of 2025" after a day, month, quarter or half.
_YEAR_SUFFIX = (
    r"(?:,?" + _S + r"(?:of" + _S + r"|in" + _S + r")?(?:(" + _YEAR + r")(?![\w-])|"
    r"(last|this|previous|prior|current)" + _S + r"year\b))?"
)
_RANGE_JOIN = (
    r"(?:\s{0,4}(?:-|\u2013|\u2014)\s{0,4}|" + _S + r"(?:to|until|till|through|thru|and)" + _S + ")"
)
_FLAGS = re.IGNORECASE


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


def _month_number(word: str) -> int:
    word = word.lower().rstrip(".")
    return MONTHS.get(word) or _MONTH_ABBREVIATIONS[word if word == "sept" else word[:3]]


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


# --- candidates ----------------------------------------------------------------------------


@dataclass
class _Candidate:
    start: int
    end: int
    period: Period | None = None
    error: PeriodError | None = None
    relation: str | None = None
    future: bool = False
    #: For a day, month, quarter or half named without a year: the same period in
    #: a given year (so a range's ends can agree on a year).
    in_year: Callable[[int], Period] | None = None
    #: What named it: "day" for a single day (week prefixes apply), "last_unit"
    #: for "last/previous <unit>", "ago" for "a <unit> ago".
    form: str = ""
    word: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start


def _default_year(in_year: Callable[[int], Period], as_of: datetime.date) -> Period:
    """The most recent such period that has started by ``as_of``."""
    this = in_year(as_of.year)
    return this if _bounds(this)[0] <= as_of else in_year(as_of.year - 1)


def _suffix_year(year_text: str | None, relative: str | None, as_of: datetime.date) -> int | None:
    if year_text:
        return int(year_text)
    if relative:
        return as_of.year - 1 if relative.lower() in {"last", "previous", "prior"} else as_of.year
    return None


def _dated(
    match: re.Match[str],
    as_of: datetime.date,
    in_year: Callable[[int], Period],
    year: int | None,
    form: str = "",
    span: tuple[int, int] | None = None,
) -> _Candidate:
    """A candidate for a period that may have been named without a year."""
    start, end = span or match.span()
    try:
        period = in_year(year) if year is not None else _default_year(in_year, as_of)
    except PeriodError as exc:
        return _Candidate(start, end, error=exc)
    return _Candidate(start, end, period, in_year=None if year is not None else in_year, form=form)


def _day_in_year(month: int, day: int, text: str) -> Callable[[int], Period]:
    def build(year: int) -> Period:
        return day_period(_real_date(year, month, day, text))

    return build


# ISO dates: 2026-06-03, 2026/06/03, 2026.06.03.
_ISO_DAY = _rx(r"(?<![\w./-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\w/]|[.-]\d)")
# ISO months: 2026-06 (not part of a date).
_ISO_MONTH = _rx(r"(?<![\w./-])(" + _YEAR + r")-(\d{1,2})(?![\w/]|[.-]\d)")
# Slashed day and month with the year last: 25/3/2026, 3/25/2026, 3/4/2026.
_SLASHED = _rx(r"(?<![\w./-])(\d{1,2})([/.-])(\d{1,2})\2(" + _YEAR + r")(?![\w/]|[.-]\d)")
# June 3, June 3rd, June 3 2026, Jun 3, 2026, June 3 last year.
_MONTH_DAY = _rx(r"(?<![\w])(" + _MONTH + r")" + _S + r"(?:the" + _S + r")?" + _ORD + _YEAR_SUFFIX)
# 3 June, 3rd of June 2026, the 3rd of June.
_DAY_MONTH = _rx(
    r"(?<!top )(?<!bottom )(?<![\w])(?:the"
    + _S
    + r")?"
    + _ORD
    + _S
    + r"(?:of"
    + _S
    + r")?("
    + _MONTH
    + r")"
    + _YEAR_SUFFIX
)


def _iso_day(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    text = match.group(0)
    try:
        day = _real_date(int(match.group(1)), int(match.group(3)), int(match.group(4)), text)
    except PeriodError as exc:
        yield _Candidate(*match.span(), error=exc)
        return
    yield _Candidate(*match.span(), day_period(day), form="day")


def _iso_month(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    month = int(match.group(2))
    if not 1 <= month <= 12:
        yield _Candidate(*match.span(), error=PeriodError(f"{match.group(0)} is not a month"))
        return
    yield _Candidate(*match.span(), month_period(int(match.group(1)), month))


def _slashed(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    text = match.group(0)
    first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    readings: list[datetime.date | None] = []
    for day, month in ((first, second), (second, first)):
        try:
            readings.append(D(year, month, day))
        except ValueError:
            readings.append(None)
    day_first, month_first = readings
    if day_first and month_first and day_first != month_first:
        yield _Candidate(*match.span(), error=AmbiguousDate(text, day_first, month_first))
        return
    chosen = day_first or month_first
    if chosen is None:
        yield _Candidate(*match.span(), error=PeriodError(f"{text} is not a calendar date"))
        return
    yield _Candidate(*match.span(), day_period(chosen), form="day")


def _month_day(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    month, day = _month_number(match.group(1)), int(match.group(2))
    year = _suffix_year(match.group(3), match.group(4), as_of)
    yield _dated(match, as_of, _day_in_year(month, day, match.group(0)), year, "day")


def _day_month(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    day, month = int(match.group(1)), _month_number(match.group(2))
    year = _suffix_year(match.group(3), match.group(4), as_of)
    yield _dated(match, as_of, _day_in_year(month, day, match.group(0)), year, "day")


# Ranges with the month said once: "March 3-9", "from March 3 through 9, 2026".
_MONTH_DAY_RANGE = _rx(
    r"(?<![\w])(?:(between|from)"
    + _S
    + r")?("
    + _MONTH
    + r")"
    + _S
    + r"(?:the"
    + _S
    + r")?"
    + _ORD_FROM
    + r"("
    + _RANGE_JOIN
    + r")(?:the"
    + _S
    + r")?"
    + _ORD_TO
    + r"(?!"
    + _S
    + r"(?:of"
    + _S
    + r")?"
    + _MONTH
    + r")"
    + _YEAR_SUFFIX
)
# "3-9 March", "between the 3rd and the 9th of March 2026".
_DAY_RANGE_MONTH = _rx(
    r"(?<!top )(?<!bottom )(?<![\w])(?:(between|from)"
    + _S
    + r")?(?:the"
    + _S
    + r")?"
    + _ORD_FROM
    + r"("
    + _RANGE_JOIN
    + r")(?:the"
    + _S
    + r")?"
    + _ORD_TO
    + _S
    + r"(?:of"
    + _S
    + r")?("
    + _MONTH
    + r")"
    + _YEAR_SUFFIX
)


def _joined_properly(prefix: str | None, join: str) -> bool:
    """ "and" joins a range only after "between"; "between" takes only "and"."""
    word = join.strip().lower()
    if prefix and prefix.lower() == "between":
        return word == "and"
    return word != "and"


def _short_range(
    match: re.Match[str],
    as_of: datetime.date,
    month: int,
    first: int,
    last: int,
    year: int | None,
) -> Iterator[_Candidate]:
    text = match.group(0)

    def build(y: int) -> Period:
        start = _real_date(y, month, first, text)
        end = _real_date(y, month, last, text)
        if end < start:
            raise PeriodError(f"the period {start} to {end} ends before it starts")
        return Period(start, end, _range_label(start, end), "range")

    yield _dated(match, as_of, build, year)


def _month_day_range(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    if not _joined_properly(match.group(1), match.group(4)):
        return
    month, first, last = _month_number(match.group(2)), int(match.group(3)), int(match.group(5))
    year = _suffix_year(match.group(6), match.group(7), as_of)
    yield from _short_range(match, as_of, month, first, last, year)


_MONTH_BEFORE = _rx(r"(?<![\w])" + _MONTH + _S + r"$")


def _day_range_month(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    if not _joined_properly(match.group(1), match.group(3)):
        return
    if _MONTH_BEFORE.search(match.string, max(0, match.start() - 14), match.start()):
        return  # "March 28 - 3 April": two whole dates, joined later
    first, last, month = int(match.group(2)), int(match.group(4)), _month_number(match.group(5))
    year = _suffix_year(match.group(6), match.group(7), as_of)
    yield from _short_range(match, as_of, month, first, last, year)


# Week numbers: "week 23", "ISO week 23 of 2026", "wk 5 last year", "2026-W23".
_WEEK_NUMBER = _rx(
    r"\b(?:the" + _S + r")?(?:iso" + _S + r")?(?:week|wk)\s{0,4}(\d{1,2})(?![\w.-])" + _YEAR_SUFFIX
)
_ISO_WEEK = _rx(r"(?<![\w-])(" + _YEAR + r")-?w(\d{1,2})(?![\w-])")


def _week_in_year(number: int, text: str) -> Callable[[int], Period]:
    def build(year: int) -> Period:
        try:
            monday = D.fromisocalendar(year, number, 1)
        except ValueError:
            raise PeriodError(f"{text}: {year} has no ISO week {number}") from None
        return week_period(monday)

    return build


def _week_number(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    number = int(match.group(1))
    year = _suffix_year(match.group(2), match.group(3), as_of)
    if not 1 <= number <= 53:
        yield _Candidate(*match.span(), error=PeriodError(f"there is no ISO week {number}"))
        return
    build = _week_in_year(number, match.group(0).strip())
    if year is None and number == 53:
        # Not every year has a week 53: the most recent one that does.
        for back in range(0, 8):
            try:
                period = build(as_of.year - back)
            except PeriodError:
                continue
            if _bounds(period)[0] <= as_of:
                yield _Candidate(*match.span(), period)
                return
    yield _dated(match, as_of, build, year)


def _iso_week(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    try:
        period = _week_in_year(int(match.group(2)), match.group(0))(int(match.group(1)))
    except PeriodError as exc:
        yield _Candidate(*match.span(), error=exc)
        return
    yield _Candidate(*match.span(), period)


# Halves: "first half", "H1", "1H", "second half of 2025", "H2 last year", "2026 H1".
_HALF = _rx(
    r"\b(?:the"
    + _S
    + r")?(?:(first|1st|second|2nd)"
    + _S
    + r"half(?:"
    + _S
    + r"of"
    + _S
    + r"the"
    + _S
    + r"year)?|h([12])|([12])h)(?![\w-])(?!"
    + _S
    + r"of"
    + _S
    + r"(?:the"
    + _S
    + r")?(?:"
    + _MONTH
    + r"|month|week|quarter|q[1-4]\b|day))"
    + _YEAR_SUFFIX
)
_YEAR_HALF = _rx(r"(?<![\w-])(" + _YEAR + r")\s{0,4}-?\s{0,4}h([12])(?![\w-])")


def _half(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    word, h_first, first_h = match.group(1), match.group(2), match.group(3)
    half = _ORDINALS[word.lower()] if word else int(h_first or first_h)
    year = _suffix_year(match.group(4), match.group(5), as_of)
    yield _dated(match, as_of, lambda y: half_period(y, half), year)


def _year_half(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), half_period(int(match.group(1)), int(match.group(2))))


# Quarters: "Q1", "Q1 2026", "first quarter of 2025", "Q3 FY2025", "Q1 last year", "2026 Q1".
_QUARTER = _rx(
    r"\b(?:the"
    + _S
    + r")?(?:q([1-4])|(first|1st|second|2nd|third|3rd|fourth|4th)"
    + _S
    + r"quarter)(?![\w-])(?:\s{0,4}(?:of\s{0,4})?(?:fy\s{0,4})?'?("
    + _YEAR
    + r")(?![\w-])|"
    + _S
    + r"(?:of"
    + _S
    + r")?(last|this|previous|prior|current)"
    + _S
    + r"year\b)?"
)
_YEAR_QUARTER = _rx(r"(?<![\w-])(" + _YEAR + r")\s{0,4}-?\s{0,4}q([1-4])(?![\w-])")


def _quarter(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    quarter = int(match.group(1)) if match.group(1) else _ORDINALS[match.group(2).lower()]
    year = _suffix_year(match.group(3), match.group(4), as_of)
    yield _dated(match, as_of, lambda y: quarter_period(y, quarter), year)


def _year_quarter(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), quarter_period(int(match.group(1)), int(match.group(2))))


# Months: "March", "March 2026", "Mar, 2026", "March of last year", "last March", "this May".
_MONTH_NAME = _rx(
    r"(?<![\w])(?:(last|this|previous|prior)" + _S + r")?(" + _MONTH + r")" + _YEAR_SUFFIX
)
#: "may" is a month only with a year or after one of these words ("may I see...").
_MAY_CUES = re.compile(
    r"(?:\b(?:in|during|for|of|since|from|until|till|through|before|after"
    r"|to|and|or|vs|versus|than|early|late|mid)\s{1,4})$",
    _FLAGS,
)


def _month_name(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    text = match.string
    relative, word = match.group(1), match.group(2)
    year = _suffix_year(match.group(3), match.group(4), as_of)
    is_may = word.lower().rstrip(".") == "may" and year is None and not relative
    if is_may and not _MAY_CUES.search(text, max(0, match.start() - 12), match.start()):
        return
    month = _month_number(word)
    if relative and year is None:
        if relative.lower() == "this":
            year = as_of.year
        else:
            # "last March": the most recent March before the as-of date's month.
            year = as_of.year if month < as_of.month else as_of.year - 1
    yield _dated(match, as_of, lambda y: month_period(y, month), year)


# Years: "2025", "in 2025", "FY2025", "the year before last".
_YEAR_NUMBER = _rx(
    r"(?<!top )(?<!bottom )(?<!over )(?<!under )(?<!above )(?<!below )(?<!than )(?<!least )"
    r"(?<![\w.,$€£])(?:fy\s{0,4})?(" + _YEAR + r")(?![\w.,]|\s{0,4}(?:%|usd\b|eur\b|gbp\b|"
    r"dollars?\b|euros?\b|units?\b|items?\b|rows?\b|k\b))"
)
_YEAR_BEFORE_LAST = _rx(r"\b(?:the" + _S + r")?year" + _S + r"before" + _S + r"last\b")


def _year_number(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), year_period(int(match.group(1))))


def _year_before_last(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), year_period(as_of.year - 2, "the year before last"))


# The as-of date's neighbourhood.
_YESTERDAY = _rx(r"\b(?:the" + _S + r"day" + _S + r"before" + _S + r")?yesterday\b")
_TODAY = _rx(r"\btoday\b")


def _yesterday(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    if match.group(0).lower().startswith("the"):
        yield _Candidate(*match.span(), day_period(as_of - 2 * ONE_DAY), form="day")
    else:
        yield _Candidate(*match.span(), day_period(as_of - ONE_DAY, "yesterday"), form="day")


def _today(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), day_period(as_of, "today"), form="day")


# To date: "this month", "month to date", "MTD", "so far this year", "the year so far".
_TO_DATE = _rx(
    r"\b(?:(?:so"
    + _S
    + r"far"
    + _S
    + r")?(?:this|current|the"
    + _S
    + r"current)"
    + _S
    + r"(week|month|quarter|year)(?:"
    + _S
    + r"(?:so"
    + _S
    + r"far|to"
    + _S
    + r"date))?|(?:the"
    + _S
    + r")?(week|month|quarter|year)(?:"
    + _S
    + r"|-)to(?:"
    + _S
    + r"|-)date|(wtd|mtd|qtd|ytd)|the"
    + _S
    + r"(week|month|quarter|year)"
    + _S
    + r"so"
    + _S
    + r"far)\b"
)
_ABBREVIATED_UNITS = {"w": "week", "m": "month", "q": "quarter", "y": "year"}


def _to_date(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    abbreviation = match.group(3)
    unit = (
        _ABBREVIATED_UNITS[abbreviation[0].lower()]
        if abbreviation
        else (match.group(1) or match.group(2) or match.group(4)).lower()
    )
    start = _unit_start(as_of, unit)
    yield _Candidate(*match.span(), Period(start, as_of, f"this {unit}", "to_date", unit))


# Whole periods just before the current one: "last week", "previous month",
# "the week before last".
_LAST_UNIT = _rx(
    r"\b(last|previous|past|prior|preceding)" + _S + r"(day|week|month|quarter|year)\b"
    r"(?!" + _S + r"(?:to|so)" + _S + r"(?:date|far)\b)"
)
_BEFORE_LAST = _rx(r"\b(?:the" + _S + r")?(week|month|quarter)" + _S + r"before" + _S + r"last\b")


def _last_unit(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    word, unit = match.group(1).lower(), match.group(2).lower()
    if unit == "day":
        period = day_period(as_of - ONE_DAY, f"{word} day")
    elif unit == "week":
        period = week_period(as_of - datetime.timedelta(days=7), "last week")
    else:
        previous = add_months(_unit_start(as_of, unit), -_UNIT_MONTHS[unit])
        period = _whole(unit, previous, f"last {unit}")
    yield _Candidate(*match.span(), period, form="last_unit", word=word)


def _before_last(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    unit = match.group(1).lower()
    if unit == "week":
        period = week_period(as_of - datetime.timedelta(days=14), f"the {unit} before last")
    else:
        back = add_months(_unit_start(as_of, unit), -2 * _UNIT_MONTHS[unit])
        period = _whole(unit, back, f"the {unit} before last")
    yield _Candidate(*match.span(), period)


# Last N: "last 7 days", "in the past 30 days", "trailing 12 months", "previous 2 quarters", TTM.
_LAST_N = _rx(
    r"\b(?:(?:in|over|during|for|within)" + _S + r")?(?:the" + _S + r")?"
    r"(?:last|past|previous|prior|trailing|rolling)"
    + _S
    + _NUM
    + _S
    + r"(days?|weeks?|months?|quarters?|years?)\b"
)
_TTM = _rx(r"\b(?:ttm|ltm)\b")


def last_n(count: int, unit: str, as_of: datetime.date, label: str | None = None) -> Period:
    """The last ``count`` days (ending yesterday) or whole weeks, months,
    quarters or years (ending with the last complete one)."""
    unit = unit.lower().rstrip("s")
    label = label or f"last {count} {unit}{'' if count == 1 else 's'}"
    if count < 1 or count > MAX_COUNT:
        raise PeriodError(f"{count} {unit}s is not a period I can use")
    try:
        if unit == "day":
            return Period(as_of - datetime.timedelta(days=count), as_of - ONE_DAY, label, "days")
        if unit == "week":
            monday = iso_week_start(as_of)
            start = monday - datetime.timedelta(days=7 * count)
            return Period(start, monday - ONE_DAY, label, "range", "week")
        current = _unit_start(as_of, unit)
        start = add_months(current, -count * _UNIT_MONTHS[unit])
    except (OverflowError, ValueError) as exc:
        raise PeriodError(f"{count} {unit}s is not a period I can use") from exc
    return Period(start, current - ONE_DAY, label, "range", unit)


def _last_n(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    try:
        period = last_n(_number(match.group(1)), match.group(2), as_of)
    except PeriodError as exc:
        yield _Candidate(*match.span(), error=exc)
        return
    yield _Candidate(*match.span(), period)


def _ttm(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), last_n(12, "months", as_of, "last 12 months"))


# "3 days ago", "two weeks ago", "a month ago", "a year earlier".
_AGO = _rx(
    r"\b(a|an|one|"
    + r"\d{1,4}|"
    + "|".join(NUMBER_WORDS)
    + r")"
    + _S
    + r"(days?|weeks?|months?|quarters?|years?)"
    + _S
    + r"(ago|earlier|before|back)\b"
)


def _ago(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    amount, unit, word = match.group(1).lower(), match.group(2).lower().rstrip("s"), match.group(3)
    count = 1 if amount in {"a", "an"} else _number(amount)
    relation = f"{unit}_ago" if count == 1 else None
    if count < 1 or count > MAX_COUNT:
        yield _Candidate(*match.span(), error=PeriodError(f"{count} {unit}s ago is not a date"))
        return
    try:
        if unit in {"day", "week"}:
            delta = datetime.timedelta(days=count * (7 if unit == "week" else 1))
            period = _whole(unit, as_of - delta, match.group(0))
        else:
            moved = add_months(_unit_start(as_of, unit), -count * _UNIT_MONTHS[unit])
            period = _whole(unit, moved, match.group(0))
    except (PeriodError, OverflowError) as exc:
        yield _Candidate(*match.span(), error=PeriodError(str(exc)))
        return
    if word.lower() == "ago" or relation is None:
        yield _Candidate(*match.span(), period, relation=relation, form="ago")
    else:
        # "a year earlier", "a month before": only ever relative to another period.
        yield _Candidate(*match.span(), relation=relation)


# Weekdays: "last Monday", "on Friday", "Friday", "this Monday".
_WEEKDAY_NAME = _rx(
    r"(?<![\w])(?:(last|previous|prior|this|on|next|coming)" + _S + r")?(" + _WEEKDAY + r")"
)


def _weekday(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    cue, word = (match.group(1) or "").lower(), match.group(2).lower()
    if word in WEEKDAYS:
        weekday = WEEKDAYS[word]
    elif cue:
        weekday = _WEEKDAY_ABBREVIATIONS[word]
    else:
        return  # "sun", "sat", "wed" alone are too often other words
    name = list(WEEKDAYS)[weekday].capitalize()
    if cue in {"next", "coming"}:
        label = f"{cue} {name}"
        yield _Candidate(*match.span(), Period(None, None, label, "all"), future=True)
        return
    if cue == "this":
        day = iso_week_start(as_of) + datetime.timedelta(days=weekday)
    else:
        back = (as_of.weekday() - weekday) % 7
        if back == 0 and cue in {"last", "previous", "prior"}:
            back = 7
        day = as_of - datetime.timedelta(days=back)
    yield _Candidate(*match.span(), day_period(day, f"{name} {day}"), form="day")


# Relations: "the same month last year", "same period a year ago", "YoY",
# "the month before", "the previous period".
_SAME_LAST_YEAR = _rx(
    r"\b(?:the"
    + _S
    + r")?same"
    + _S
    + r"(?:day|week|month|quarter|half|period|time|year|days|dates)"
    r"(?:"
    + _S
    + r"(?:of|as|in))?"
    + _S
    + r"(?:(?:the"
    + _S
    + r")?(?:last|previous|prior)"
    + _S
    + r"year|(?:a|one)"
    + _S
    + r"year"
    + _S
    + r"(?:ago|earlier|before))\b"
)
_YOY = _rx(r"(?<![\w])(?:yoy|y/y|year[\s-]{1,3}(?:over|on)[\s-]{1,3}year)(?![\w])")
_UNIT_BEFORE = _rx(
    r"\b(?:the" + _S + r")?(day|week|month|quarter|year|period)" + _S + r"before\b"
    r"(?!" + _S + r"(?:last|yesterday)\b)"
)
_PREVIOUS_PERIOD = _rx(r"\b(?:the" + _S + r")?(?:previous|prior|preceding)" + _S + r"period\b")


def _same_last_year(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), relation="year_ago")


def _unit_before(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    unit = match.group(1).lower()
    yield _Candidate(*match.span(), relation="previous" if unit == "period" else f"{unit}_ago")


def _previous_period(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), relation="previous")


# Forecasts: "next month", "the coming weeks", "tomorrow", "next March", "next Q1".
_FUTURE = _rx(
    r"\b(?:next|coming|upcoming|following)" + _S + r"(?:\d{1,4}" + _S + r")?"
    r"(?:days?|weeks?|months?|quarters?|years?|halfs?|halves)\b"
    r"|\btomorrow\b|\bnext" + _S + r"(?:" + _MONTH + r"|q[1-4]\b|h[12]\b)"
)


def _future(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    label = match.group(0)
    yield _Candidate(*match.span(), Period(None, None, label, "all"), future=True)


_RULES: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str], datetime.date], Iterator[_Candidate]]], ...
] = (
    (_ISO_DAY, _iso_day),
    (_ISO_MONTH, _iso_month),
    (_SLASHED, _slashed),
    (_MONTH_DAY, _month_day),
    (_DAY_MONTH, _day_month),
    (_MONTH_DAY_RANGE, _month_day_range),
    (_DAY_RANGE_MONTH, _day_range_month),
    (_WEEK_NUMBER, _week_number),
    (_ISO_WEEK, _iso_week),
    (_HALF, _half),
    (_YEAR_HALF, _year_half),
    (_QUARTER, _quarter),
    (_YEAR_QUARTER, _year_quarter),
    (_MONTH_NAME, _month_name),
    (_YEAR_NUMBER, _year_number),
    (_YEAR_BEFORE_LAST, _year_before_last),
    (_YESTERDAY, _yesterday),
    (_TODAY, _today),
    (_TO_DATE, _to_date),
    (_LAST_UNIT, _last_unit),
    (_BEFORE_LAST, _before_last),
    (_LAST_N, _last_n),
    (_TTM, _ttm),
    (_AGO, _ago),
    (_WEEKDAY_NAME, _weekday),
    (_SAME_LAST_YEAR, _same_last_year),
    (_YOY, _same_last_year),
    (_UNIT_BEFORE, _unit_before),
    (_PREVIOUS_PERIOD, _previous_period),
    (_FUTURE, _future),
)


# --- putting the readings together ----------------------------------------------------------


def _candidates(text: str, as_of: datetime.date) -> list[_Candidate]:
    found: list[_Candidate] = []
    for pattern, build in _RULES:
        for match in pattern.finditer(text):
            found.extend(c for c in build(match, as_of) if c.end > c.start)
    return found


def _choose(candidates: list[_Candidate]) -> list[_Candidate]:
    """Non-overlapping readings, the longest first (ties: the earlier), in text order."""
    chosen: list[_Candidate] = []
    taken: list[tuple[int, int]] = []
    for candidate in sorted(candidates, key=lambda c: (-c.length, c.start)):
        if any(candidate.start < end and start < candidate.end for start, end in taken):
            continue
        chosen.append(candidate)
        taken.append((candidate.start, candidate.end))
    return sorted(chosen, key=lambda c: c.start)


_BETWEEN = _rx(r"(?<!\S)(between|from)" + _S + r"$")
_JOIN = _rx(
    r"(?:\s{0,4}(?:-|\u2013|\u2014)\s{0,4}|"
    + _S
    + r"(?:to|until|till|through|thru|and)"
    + _S
    + r")$"
)


def _ranges(chosen: list[_Candidate], text: str, as_of: datetime.date) -> list[_Candidate]:
    """Join "X to Y", "from X through Y", "between X and Y" into one range."""
    out: list[_Candidate] = []
    index = 0
    while index < len(chosen):
        first = chosen[index]
        second = chosen[index + 1] if index + 1 < len(chosen) else None
        joined = None
        if second is not None and _joinable(first) and _joinable(second):
            join = _JOIN.match(text, first.end, second.start)
            lo = max(out[-1].end if out else 0, first.start - 12)
            prefix = _BETWEEN.search(text, lo, first.start)
            if join and _joined_properly(prefix.group(1) if prefix else None, join.group(0)):
                start = prefix.start() if prefix else first.start
                joined = _join(first, second, start, as_of)
        if joined is not None:
            out.append(joined)
            index += 2
        else:
            out.append(first)
            index += 1
    return out


def _joinable(candidate: _Candidate) -> bool:
    if candidate.relation is not None or candidate.future:
        return False
    if candidate.error is not None:
        return True
    period = candidate.period
    return period is not None and period.start is not None and period.end is not None


def _join(
    first: _Candidate, second: _Candidate, start: int, as_of: datetime.date
) -> _Candidate | None:
    end = second.end
    if first.error is not None or second.error is not None:
        return _Candidate(start, end, error=first.error or second.error)
    if first.period is None or second.period is None:
        return None
    a, b = first.period, second.period
    try:
        # A range crosses into the next year only when its end's month comes
        # before its start's ("December 20 to January 5"); "March 9 to March 3"
        # stays backwards.
        if first.in_year is not None and second.in_year is None:
            # "December 20 to 2026-01-05": the start in the end's year, or the one before.
            b_end = _bounds(b)[1]
            a = first.in_year(b_end.year)
            if _bounds(a)[0].month > b_end.month:
                a = first.in_year(b_end.year - 1)
        elif second.in_year is not None:
            # The end in the start's year, or the next.
            a_start = _bounds(a)[0]
            b = second.in_year(a_start.year)
            if _bounds(b)[1].month < a_start.month:
                b = second.in_year(a_start.year + 1)
        first_day, last_day = _bounds(a)[0], _bounds(b)[1]
    except PeriodError as exc:
        return _Candidate(start, end, error=exc)
    if last_day < first_day:
        error = PeriodError(f"the period {first_day} to {last_day} ends before it starts")
        return _Candidate(start, end, error=error)
    if a.kind == "day" and b.kind == "day":
        label = _range_label(first_day, last_day)
    else:
        label = f"{a.label} to {b.label}"
    unit = a.kind if a.kind == b.kind and a.kind in {"week", "month", "quarter", "year"} else None
    return _Candidate(start, end, Period(first_day, last_day, label, "range", unit))


_PREFIX = _rx(
    r"(?<!\S)(?:(?P<week>(?:the"
    + _S
    + r")?(?:week"
    + _S
    + r"(?:of|beginning|starting|commencing|including|containing|ending)|w/c|w/b|wc|wb|w c|w b)"
    + r")|(?P<since>since|starting(?:"
    + _S
    + r"(?:from|on))?|beginning|from)|(?P<after>after)|(?P<until>until|till|up"
    + _S
    + r"(?:to|until)|through|thru)|(?P<before>before|prior"
    + _S
    + r"to))"
    + _S
    + r"(?:the"
    + _S
    + r")?$"
)
_PREPOSITION = _rx(r"(?<!\S)(?:in|during|for|over|within|on|of)" + _S + r"$")


def _prefixed(chosen: list[_Candidate], text: str, as_of: datetime.date) -> None:
    """Apply "week of", "since", "after", "until", "before" to the period they
    precede, and take a leading preposition ("in March") into the span."""
    floor = 0
    for candidate in chosen:
        window_start = max(floor, candidate.start - 40)
        period = candidate.period
        match = _PREFIX.search(text, window_start, candidate.start)
        if (
            match
            and candidate.error is None
            and candidate.relation is None
            and period is not None
            and period.start is not None
            and period.end is not None
        ):
            new: Period | None = None
            if match.group("week"):
                if period.kind == "day":
                    new = week_period(period.start)
            elif match.group("since"):
                word = match.group("since").lower()
                if word != "from" or period.kind == "day":
                    new = Period(period.start, as_of, f"since {period.label}", "to_date")
            elif match.group("after"):
                after = period.end + ONE_DAY
                new = Period(after, as_of, f"after {period.label}", "to_date")
            elif match.group("until"):
                new = Period(None, period.end, f"until {period.label}", "all")
            elif match.group("before"):
                new = Period(None, period.start - ONE_DAY, f"before {period.label}", "all")
            if new is not None:
                candidate.period = new
                candidate.in_year = None
                candidate.form = ""
                candidate.start = match.start()
                floor = candidate.end
                continue
        preposition = _PREPOSITION.search(text, window_start, candidate.start)
        if preposition and candidate.relation is None:
            candidate.start = preposition.start()
        floor = candidate.end


_COMPARE_CUE = _rx(
    r"(?:\b(?:vs|versus|against|than|over|compared"
    + _S
    + r"(?:to|with)|relative"
    + _S
    + r"to)"
    + _S
    + r"(?:the"
    + _S
    + r")?)$"
)


_THE = _rx(r"(?<!\S)the" + _S + r"$")


def _relations(chosen: list[_Candidate], text: str) -> None:
    """Words that name a period on their own but shift an earlier one when one
    was named: "March vs the previous month", "this year vs last year",
    "Q1 and a quarter before"."""
    seen_period = False
    for candidate in chosen:
        if candidate.relation is not None and candidate.period is None:
            continue
        if candidate.error is not None or candidate.period is None:
            continue
        if seen_period:
            cued = _COMPARE_CUE.search(text, max(0, candidate.start - 30), candidate.start)
            if candidate.form == "last_unit" and candidate.word in {
                "previous",
                "prior",
                "preceding",
            }:
                candidate.relation = f"{candidate.period.kind}_ago"
                candidate.period = None
                the = _THE.search(text, max(0, candidate.start - 8), candidate.start)
                if the:
                    candidate.start = the.start()
                continue
            if candidate.form == "last_unit" and candidate.period.kind == "year" and cued:
                candidate.relation = "year_ago"
                candidate.period = None
                continue
            if candidate.form == "ago" and candidate.relation is not None:
                candidate.period = None
                continue
        candidate.relation = None
        seen_period = True


def find_periods(text: str, as_of: datetime.date) -> list[FoundPeriod]:
    """Every period ``text`` names, left to right, with its span (see the module
    docstring). Raises :class:`PeriodError` (or :class:`AmbiguousDate`) for the
    first period that names an impossible or ambiguous date."""
    chosen = _choose(_candidates(text, as_of))
    chosen = _ranges(chosen, text, as_of)
    _prefixed(chosen, text, as_of)
    _relations(chosen, text)
    found: list[FoundPeriod] = []
    for candidate in chosen:
        if candidate.error is not None:
            raise candidate.error
        span = (candidate.start, candidate.end)
        if candidate.relation is not None and candidate.period is None:
            words = text[candidate.start : candidate.end].strip()
            relative = Period(None, None, words, "relation")
            found.append(FoundPeriod(relative, span, relation=candidate.relation))
            continue
        period = candidate.period
        if (
            period is None
        ):  # pragma: no cover - every candidate has a period, an error or a relation
            continue
        future = candidate.future or (period.start is not None and period.start > as_of)
        found.append(FoundPeriod(period, span, future=future))
    return found


def find_period(text: str, as_of: datetime.date) -> FoundPeriod | None:
    """One period ``text`` names, or None (all time): a forecast if the text asks
    for one (so it can be refused), else the first period with dates.

    Raises :class:`PeriodError` for impossible or ambiguous dates."""
    periods = [found for found in find_periods(text, as_of) if found.relation is None]
    for found in periods:
        if found.future:
            return found
    return periods[0] if periods else None


#: Longest period phrase a parameter may hold (report parameters).
MAX_PHRASE_CHARS = 80
_FILLER = _rx(r"^[\s,.;:!?'\"()-]*(?:(?:the|please|for|in|on|of|during)[\s,.;:!?'\"()-]+)*$")


def resolve_phrase(text: str, as_of: datetime.date) -> Period:
    """The one period a short phrase names ("last week", "the week of June 10",
    "2026-06"), for a parameter that takes a period: nothing but the period and
    filler words may be there. Raises :class:`PeriodError` saying why not (the
    message does not repeat the phrase, which may be anything a caller sent)."""
    if len(text) > MAX_PHRASE_CHARS:
        raise PeriodError(f"a period phrase is at most {MAX_PHRASE_CHARS} characters")
    found = find_periods(text, as_of)
    if not found:
        raise PeriodError("it names no period")
    if len(found) > 1:
        raise PeriodError(f"it names {len(found)} periods, not one")
    [one] = found
    leftover = text[: one.span[0]] + " " + text[one.span[1] :] + " "
    if not _FILLER.match(leftover):
        raise PeriodError("it has words besides the period")
    if one.relation is not None:
        raise PeriodError("it is relative to another period; name the period itself")
    if one.period.start is None and one.period.end is None:
        raise PeriodError("it is in the future and has no dates yet")
    return one.period
