"""Reading dates: the shared pattern pieces, the candidate a rule proposes,
and the rules for days, day ranges and weeks (:mod:`analytics_core.periods`)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from analytics_core.periods.calendar import (
    _MONTH_ABBREVIATIONS,
    MONTHS,
    NUMBER_WORDS,
    AmbiguousDate,
    D,
    Period,
    PeriodError,
    _bounds,
    _range_label,
    _real_date,
    day_period,
    month_period,
    week_period,
)

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
    r"(?:\s{0,4}(?:-|\u2013|\u2014|\.\.)\s{0,4}|"
    + _S
    + r"(?:to|until|till|through|thru|and)"
    + _S
    + ")"
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
    #: For a period of a year that may be named in any year (a holiday, a
    #: month): the same period in a given year, even when the year was said.
    of_year: Callable[[int], Period] | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


#: A rule of the calendar: a pattern and what a match of it names.
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], datetime.date], Iterator[_Candidate]]]


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
    bare = None if year is not None else in_year
    return _Candidate(start, end, period, in_year=bare, form=form, of_year=in_year)


def _day_in_year(month: int, day: int, text: str) -> Callable[[int], Period]:
    def build(year: int) -> Period:
        return day_period(_real_date(year, month, day, text))

    return build


#: "last year", "the previous year", "a year ago", "one year earlier": a year
#: back from what comes before it (the same month last year, this month last
#: year).
YEAR_BACK = (
    r"(?:(?:the"
    + _S
    + r")?(?:last|previous|prior)"
    + _S
    + r"year|(?:a|one)"
    + _S
    + r"year"
    + _S
    + r"(?:ago|earlier|before))\b"
)


# ISO dates: 2026-06-03, 2026/06/03, 2026.06.03.
_ISO_DAY = _rx(r"(?<![\w./-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\w/]|[.-]\d)")
# ISO months: 2026-06 (not part of a date).
_ISO_MONTH = _rx(r"(?<![\w./-])(" + _YEAR + r")-(\d{1,2})(?![\w/]|[.-]\d)")
# Slashed day and month with the year last: 25/3/2026, 3/25/2026, 3/4/2026,
# 25/3/26; with a slash, without a year: 25/3, 3/25, 3/4.
_SLASHED = _rx(
    r"(?<![\w./-])(\d{1,2})([/.-])(\d{1,2})(?:\2(" + _YEAR + r"|\d\d))?(?![\w/%]|[.-]\d)"
)
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
    first, second, year_text = int(match.group(1)), int(match.group(3)), match.group(4)
    if year_text is None and (
        match.group(2) != "/" or text == "24/7" or _RATIO_AFTER.match(match.string, match.end())
    ):
        return  # "3-4 days", "1.5", "3/4 of revenue", "24/7": not dates
    year = None if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
    readings: list[datetime.date | None] = []
    for day, month in ((first, second), (second, first)):
        try:
            built = _day_in_year(month, day, text)
            period = built(year) if year is not None else _default_year(built, as_of)
            readings.append(period.start)
        except PeriodError:
            readings.append(None)
    day_first, month_first = readings
    if day_first and month_first and day_first != month_first:
        yield _Candidate(*match.span(), error=AmbiguousDate(text, day_first, month_first))
        return
    chosen = day_first or month_first
    if chosen is None:
        yield _Candidate(*match.span(), error=PeriodError(f"{text} is not a calendar date"))
        return
    # Which way it could only be read (none when both agree, as 5/5/2026).
    order = "" if day_first == month_first else "day_first" if day_first else "month_first"
    yield _Candidate(*match.span(), day_period(chosen), form="day", word=order)


_RATIO_AFTER = _rx(r"\s*(?:of|ths?|rds?)\b")


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
