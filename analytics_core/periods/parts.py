"""Parts of months and years (:mod:`analytics_core.periods`): "the first week
of June", "the second week of May", "the last 10 days of May", "early May",
"mid-June", "late April", "the first three months of 2026", "the 12 months to
May 2026". Counted within the month or year named, with or without its year
(the most recent one that has started, as everywhere in the calendar).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from analytics_core.periods.calendar import (
    _ORDINALS,
    ONE_DAY,
    Period,
    PeriodError,
    _bounds,
    _whole,
    add_months,
    day_period,
    year_ago,
)
from analytics_core.periods.days import (
    _MONTH,
    _NUM,
    _S,
    _YEAR,
    _YEAR_SUFFIX,
    YEAR_BACK,
    Rule,
    _Candidate,
    _dated,
    _month_number,
    _number,
    _rx,
    _suffix_year,
)

#: Other words for the first and the last part ("the final week of May").
_EDGES = {"final": "last", "closing": "last", "opening": "first", "initial": "first"}
_MONTH_PART = _rx(
    r"\b(the"
    + _S
    + r")?(first|last|final|closing|opening|initial|second|2nd|third|3rd|fourth|4th)"
    + _S
    + r"(?:("
    + _NUM
    + r")"
    + _S
    + r"(days?|weeks?)|(week|day))"
    + _S
    + r"(?:of|in)"
    + _S
    + r"(?:the"
    + _S
    + r")?"
    r"(?:(?P<rel>last|this|previous|prior)"
    + _S
    + r"month|(?P<month>"
    + _MONTH
    + r"))"
    + _YEAR_SUFFIX
)


def _named_month(match: re.Match[str], as_of: datetime.date) -> tuple[int, int]:
    """The month a part of a month is of: "last month" or "this month" (with
    its year), or a month's name with its year if said (0: none said)."""
    rel = match.group("rel")
    if rel:
        first = as_of.replace(day=1)
        if rel.lower() != "this":
            first = (first - ONE_DAY).replace(day=1)
        return first.month, first.year
    groups = match.groups()
    return _month_number(match.group("month")), _suffix_year(groups[-2], groups[-1], as_of) or 0


def _month_part(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    """ "The first week of June" (days 1-7), "the second week of May" (8-14),
    "the first 2 weeks of June" (1-14), "the last 10 days of May", "the last
    day of last month": days counted within one month."""
    the, edge = match.group(1), _EDGES.get(match.group(2).lower(), match.group(2).lower())
    count_text, unit = match.group(3), (match.group(6) or "").lower()
    if not the and re.search(r"\sin\s", match.group(0).lower()):
        return  # "orders last week in January": two periods, not a part of one
    # "The second week of May" is days 8 to 14: an ordinal counts whole weeks
    # (or days) from the start; "the first 2 weeks of June" 14 days.
    nth = _ORDINALS.get(edge, 1)
    if nth > 1 and count_text:
        return  # "the second 3 days of May" is no period anyone names
    weeks = (match.group(5) or "").lower().startswith("week")
    count = 7 if unit == "week" else 1 if unit == "day" else _number(count_text)
    count *= 7 if weeks else 1
    skip = (nth - 1) * count
    month, year = _named_month(match, as_of)

    def in_year(y: int) -> Period:
        start = datetime.date(y, month, 1)
        end = (start + datetime.timedelta(days=32)).replace(day=1) - ONE_DAY
        days = (end - start).days + 1
        if not 1 <= count <= days:
            raise PeriodError(f"{start:%B %Y} has {days} days, not {count}")
        if not count + skip <= days:
            raise PeriodError(f"{start:%B %Y} has {days} days, not {count + skip}")
        if edge != "last":
            first_day = start + datetime.timedelta(days=skip)
            last_day = first_day + datetime.timedelta(days=count - 1)
        else:
            first_day, last_day = end - datetime.timedelta(days=count - 1), end
        what = "week" if unit == "week" else "day" if unit == "day" else f"{count} days"
        if weeks:
            what = f"{count // 7} weeks"
        label = f"the {edge} {what} of {start:%B %Y}"
        if first_day == last_day:
            return day_period(first_day, label)
        return Period(first_day, last_day, label, "range")

    yield _dated(match, as_of, in_year, year or None)


# "The first three months of 2026", "the last 2 quarters of last year".
_YEAR_PART = _rx(
    r"\b(?:the"
    + _S
    + r")?(?P<edge>first|last|final|closing|opening|initial)"
    + _S
    + r"(?P<count>"
    + _NUM
    + r")"
    + _S
    + r"(?P<unit>months|quarters)"
    + _S
    + r"(?:of|in)"
    + _S
    + r"(?:the"
    + _S
    + r"year"
    + _S
    + r")?(?:(?P<year>"
    + _YEAR
    + r")(?![\w-])|(?P<rel>last|this|previous|prior|current)"
    + _S
    + r"year\b)"
)


def _year_part(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    edge = _EDGES.get(match.group("edge").lower(), match.group("edge").lower())
    unit = match.group("unit").lower()
    months = _number(match.group("count")) * (3 if unit == "quarters" else 1)
    year = _suffix_year(match.group("year"), match.group("rel"), as_of) or as_of.year
    if not 1 <= months <= 12:
        error = PeriodError(f"a year has 12 months, not {months}")
        yield _Candidate(*match.span(), error=error)
        return
    first = datetime.date(year, 1 if edge == "first" else 13 - months, 1)
    after = add_months(first, months)
    label = f"the {edge} {months // (3 if unit == 'quarters' else 1)} {unit} of {year}"
    yield _Candidate(*match.span(), Period(first, after - ONE_DAY, label, "range"))


#: Thirds of a month: early is days 1 to 10, mid 11 to 20, late 21 to the end.
_THIRDS = {"early": 0, "beginning": 0, "mid": 1, "middle": 1, "late": 2, "end": 2}
_MONTH_THIRD = _rx(
    r"\b(?:(early|mid|late)(?:-|"
    + _S
    + r")|the"
    + _S
    + r"(beginning|middle|end)"
    + _S
    + r"of"
    + _S
    + r")(?:the"
    + _S
    + r")?(?:(?P<rel>last|this|previous|prior)"
    + _S
    + r"month|(?P<month>"
    + _MONTH
    + r"))"
    + _YEAR_SUFFIX
)


def _month_third(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    """ "Early May" (days 1-10), "mid-June" (11-20), "late April" or "the end of
    last month" (21 to the month's end)."""
    word = (match.group(1) or match.group(2)).lower()
    third = _THIRDS[word]
    month, year = _named_month(match, as_of)

    def in_year(y: int) -> Period:
        start = datetime.date(y, month, 1) + datetime.timedelta(days=10 * third)
        end = (start.replace(day=1) + datetime.timedelta(days=32)).replace(day=1) - ONE_DAY
        if third < 2:
            end = start + datetime.timedelta(days=9)
        return Period(start, end, f"{('early', 'mid', 'late')[third]} {start:%B %Y}", "range")

    yield _dated(match, as_of, in_year, year or None)


# "The 12 months to May 2026", "the trailing 3 months ending March": whole
# months that end with the month named.
_MONTHS_TO = _rx(
    r"\b(?:the"
    + _S
    + r")?(?:(?:trailing|rolling|last|past)"
    + _S
    + r")?(?P<count>"
    + _NUM
    + r")"
    + _S
    + r"(?P<unit>months|quarters|years)"
    + _S
    + r"(?:to|ending|ended|through|thru|up"
    + _S
    + r"to)"
    + _S
    + r"(?:(?:with|in)"
    + _S
    + r")?(?:the"
    + _S
    + r"end"
    + _S
    + r"of"
    + _S
    + r")?(?P<month>"
    + _MONTH
    + r")"
    + _YEAR_SUFFIX
)
_MONTHS_IN = {"months": 1, "quarters": 3, "years": 12}


def _months_to(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    count = _number(match.group("count"))
    unit = match.group("unit").lower()
    month = _month_number(match.group("month"))
    groups = match.groups()
    year = _suffix_year(groups[-2], groups[-1], as_of) or 0

    def in_year(y: int) -> Period:
        end = (datetime.date(y, month, 1) + datetime.timedelta(days=32)).replace(day=1)
        start = add_months(end, -count * _MONTHS_IN[unit])
        label = f"the {count} {unit if count > 1 else unit[:-1]} to {end - ONE_DAY:%B %Y}"
        return Period(start, end - ONE_DAY, label, "range")

    yield _dated(match, as_of, in_year, year or None)


# "This month last year", "the current quarter a year ago", "last week last
# year": the whole unit
# holding the as-of date, a year back (a week 52 weeks back, on the same
# weekdays). Said alone, the whole unit: it has ended.
_THIS_UNIT_YEAR_AGO = _rx(
    r"\b(?:(?:the"
    + _S
    + r")?(last|previous|prior)|this|the"
    + _S
    + r"current)"
    + _S
    + r"(week|month|quarter)"
    + _S
    + r"(?:of"
    + _S
    + r")?"
    + YEAR_BACK
)


def _this_unit_year_ago(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    # "last week last year": the week before this one, a year back
    unit = match.group(2).lower()
    now = _whole(unit, as_of)
    if match.group(1) and now.start is not None:
        now = _whole(unit, now.start - ONE_DAY)
    before = year_ago(now)
    yield _Candidate(*match.span(), _whole(before.kind, _bounds(before)[0]))


MONTH_AND_YEAR_PARTS: tuple[Rule, ...] = (
    (_MONTH_PART, _month_part),
    (_MONTH_THIRD, _month_third),
    (_MONTHS_TO, _months_to),
    (_YEAR_PART, _year_part),
    (_THIS_UNIT_YEAR_AGO, _this_unit_year_ago),
)
