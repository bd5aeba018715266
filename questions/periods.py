"""Periods named in a question, resolved to calendar dates against an as-of date.

The relative periods follow the metrics glossary (``docs/metrics.md``): calendar periods,
"last month" on 2026-03-15 is 2026-02-01..2026-02-28, "last week" the previous
ISO week (Monday to Sunday), "last 7 days" ends yesterday. "This month",
"this quarter", "this year" and "year to date" run to the as-of date itself.

:func:`find_period` returns the period and the character span it used, so the
caller does not read "2026" or "7" a second time as something else.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from questions.answers import Period

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
_MONTH_WORD = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
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
_ORDINAL_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}
_ORDINAL_QUARTERS.update({"fourth": 4, "4th": 4, "last": 4})

_DATE = r"(\d{4}-\d{1,2}-\d{1,2})"
_NUM = r"(\d{1,4}|" + "|".join(NUMBER_WORDS) + r")"


class PeriodError(ValueError):
    """A date in the question does not exist (2026-02-30) or a range is backwards."""


@dataclass(frozen=True)
class FoundPeriod:
    period: Period
    span: tuple[int, int]
    #: The period lies (partly) after the as-of date: a forecast question.
    future: bool = False


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError as exc:
        raise PeriodError(f"{text} is not a calendar date") from exc


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)


def _quarter(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    first = 3 * (quarter - 1) + 1
    return datetime.date(year, first, 1), _month_end(year, first + 2)


def _month_number(word: str) -> int:
    word = word.lower().rstrip(".")
    return MONTHS.get(word) or _MONTH_ABBREVIATIONS[word[:4] if word == "sept" else word[:3]]


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _shift_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _relative(text: str, as_of: datetime.date) -> tuple[Period, tuple[int, int]] | None:
    yesterday = as_of - datetime.timedelta(days=1)
    monday = as_of - datetime.timedelta(days=as_of.weekday())
    quarter_start = datetime.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    simple: list[tuple[str, datetime.date, datetime.date, str]] = [
        (r"\byesterday\b", yesterday, yesterday, "yesterday"),
        (r"\btoday\b", as_of, as_of, "today"),
        (r"\b(?:this|current) week\b|\bweek to date\b|\bwtd\b", monday, as_of, "this week"),
        (
            r"\b(?:last|previous|past|prior) week\b",
            monday - datetime.timedelta(days=7),
            monday - datetime.timedelta(days=1),
            "last week",
        ),
        (
            r"\b(?:this|current) month\b|\bmonth to date\b|\bmtd\b",
            as_of.replace(day=1),
            as_of,
            "this month",
        ),
        (
            r"\b(?:last|previous|past|prior) month\b",
            _shift_months(as_of, -1),
            as_of.replace(day=1) - datetime.timedelta(days=1),
            "last month",
        ),
        (
            r"\b(?:this|current) quarter\b|\bquarter to date\b|\bqtd\b",
            quarter_start,
            as_of,
            "this quarter",
        ),
        (
            r"\b(?:last|previous|past|prior) quarter\b",
            _shift_months(quarter_start, -3),
            quarter_start - datetime.timedelta(days=1),
            "last quarter",
        ),
        (
            r"\b(?:this|current) year\b|\byear to date\b|\bytd\b",
            datetime.date(as_of.year, 1, 1),
            as_of,
            "this year",
        ),
        (
            r"\b(?:last|previous|past|prior) year\b",
            datetime.date(as_of.year - 1, 1, 1),
            datetime.date(as_of.year - 1, 12, 31),
            "last year",
        ),
    ]
    for pattern, start, end, label in simple:
        match = re.search(pattern, text)
        if match:
            return Period(start, end, label), match.span()
    match = re.search(
        r"\b(?:in |over |during |for )?(?:the )?(?:last|past|previous|prior|trailing) "
        + _NUM
        + r" (days?|weeks?|months?)\b",
        text,
    )
    if match:
        count, unit = _number(match.group(1)), match.group(2)
        if count < 1 or count > 3660:
            raise PeriodError(f"{count} {unit} is not a period I can use")
        label = f"last {count} {unit}"
        if unit.startswith("day"):
            return Period(as_of - datetime.timedelta(days=count), yesterday, label), match.span()
        if unit.startswith("week"):
            end = monday - datetime.timedelta(days=1)
            return Period(monday - datetime.timedelta(days=7 * count), end, label), match.span()
        end = as_of.replace(day=1) - datetime.timedelta(days=1)
        return Period(_shift_months(as_of, -count), end, label), match.span()
    return None


def _absolute(text: str, as_of: datetime.date) -> tuple[Period, tuple[int, int]] | None:
    match = re.search(
        r"\b(?:between|from) " + _DATE + r" (?:and|to|until|till|through|thru|-) " + _DATE, text
    )
    if match:
        start, end = _date(match.group(1)), _date(match.group(2))
        if end < start:
            raise PeriodError(f"the period {start} to {end} ends before it starts")
        return Period(start, end, f"{start} to {end}"), match.span()
    match = re.search(r"\b(?:since|after|from) " + _DATE, text)
    if match:
        start = _date(match.group(1))
        return Period(start, as_of, f"since {start}"), match.span()
    match = re.search(r"\b(?:until|before|up to|through) " + _DATE, text)
    if match:
        end = _date(match.group(1))
        return Period(None, end, f"until {end}"), match.span()
    match = re.search(r"(?:\bon )?\b" + _DATE, text)
    if match:
        day = _date(match.group(1))
        return Period(day, day, day.isoformat()), match.span()
    match = re.search(
        r"\b(?:q([1-4])|(first|1st|second|2nd|third|3rd|fourth|4th) quarter)"
        r"(?:\s*(?:of\s*)?(?:fy\s*)?'?(\d{4}))?\b",
        text,
    )
    if match:
        quarter = int(match.group(1)) if match.group(1) else _ORDINAL_QUARTERS[match.group(2)]
        if match.group(3):
            year = int(match.group(3))
        else:
            # The most recent such quarter that has started by the as-of date.
            year = as_of.year if _quarter(as_of.year, quarter)[0] <= as_of else as_of.year - 1
        start, end = _quarter(year, quarter)
        return Period(start, end, f"Q{quarter} {year}"), match.span()
    # Month names; "may" only where it cannot be the verb.
    months = re.finditer(
        r"\b(?:(in|during|for|of|since|from) )?(" + _MONTH_WORD + r")\.?(?:,? (\d{4}))?\b", text
    )
    for match in months:
        preposition, word, year_text = match.group(1), match.group(2), match.group(3)
        if word == "may" and not year_text and not preposition:
            continue
        month = _month_number(word)
        if year_text:
            year = int(year_text)
        else:
            year = as_of.year if month <= as_of.month else as_of.year - 1
        start = datetime.date(year, month, 1)
        if preposition == "since":
            return Period(start, as_of, f"since {start:%B %Y}"), match.span()
        return Period(start, _month_end(year, month), f"{start:%B %Y}"), match.span()
    match = re.search(r"\b(?:in |during |for |of )?(?:fy\s*)?((?:19|20)\d{2})\b", text)
    if match:
        year = int(match.group(1))
        return (
            Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31), str(year)),
            match.span(),
        )
    return None


_FUTURE = re.compile(
    r"\b(?:next|coming|upcoming|following) (?:\d+ )?(?:day|week|month|quarter|year)s?\b"
    r"|\btomorrow\b|\bnext (?:january|february|march|april|may|june|july|august|september"
    r"|october|november|december|q[1-4])\b"
)


def find_period(text: str, as_of: datetime.date) -> FoundPeriod | None:
    """The period ``text`` (lower case) names, or None (all time).

    Raises :class:`PeriodError` for impossible dates."""
    future = _FUTURE.search(text)
    if future:
        return FoundPeriod(Period(None, None, future.group(0)), future.span(), future=True)
    found = _relative(text, as_of) or _absolute(text, as_of)
    if found is None:
        return None
    period, span = found
    return FoundPeriod(period, span, future=period.start is not None and period.start > as_of)
