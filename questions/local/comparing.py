"""The period a comparison sets a period against, from the period's dates.

- :func:`previous_period`: the period just before, of the same kind. A whole
  calendar day, ISO week, month, quarter or year gives the one before; a span
  that starts on such a boundary and stops short of its end (this month to
  date, year to date) gives the same span one unit earlier, day for day; any
  other span (last 30 days, 2026-03-03 to 2026-03-09) the same number of days
  just before.
- :func:`year_ago`: the same dates one year earlier (whole months stay whole
  months, so February keeps its last day).

Both work from the dates alone, so every way of naming a period (a label, a
day range, a to-date phrase) gets the same rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from questions.answers import Comparison, Period

_DAY = datetime.timedelta(days=1)


class CompareError(ValueError):
    """The question sets things against each other in a way that cannot be read."""


def _month_end(day: datetime.date) -> datetime.date:
    nxt = datetime.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - _DAY


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months``, kept within the month (Mar 31 - 1 month = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = datetime.date(year, month + 1, 1)
    return first.replace(day=min(day.day, _month_end(first).day))


def _unit_months(start: datetime.date) -> list[int]:
    """The calendar units (in months) ``start`` begins: year, quarter, month."""
    units = []
    if start.day == 1:
        if start.month == 1:
            units.append(12)
        if (start.month - 1) % 3 == 0:
            units.append(3)
        units.append(1)
    return units


def month_offset(period: Period, base: Period) -> int | None:
    """Whole months from ``base`` to ``period`` when both start on the same day
    of the month (or both end their months), else None."""
    if period.start is None or base.start is None:
        return None
    months = (period.start.year - base.start.year) * 12 + period.start.month - base.start.month
    if add_months(base.start, months) == period.start:
        return months
    return None


def _dates(period: Period) -> tuple[datetime.date, datetime.date]:
    if period.start is None or period.end is None:
        raise CompareError(
            f"“{period.label}” has no start or no end; a comparison needs two whole periods"
        )
    return period.start, period.end


def shift(period: Period, months: int = 0, days: int = 0, label: str = "") -> Period:
    """``period`` moved by whole ``months`` (whole months stay whole) or ``days``."""
    first, last = _dates(period)
    if months:
        start = add_months(first, months)
        moved = add_months(last, months)
        end = _month_end(moved) if last == _month_end(last) else moved
    else:
        start = first + datetime.timedelta(days=days)
        end = last + datetime.timedelta(days=days)
    return Period(start, end, label or f"{start} to {end}")


def previous_period(period: Period) -> Period:
    """The period before ``period`` of the same kind (module docstring)."""
    start, end = _dates(period)
    length = (end - start).days + 1
    if length == 1:
        return shift(period, days=-1, label="the day before")
    if start.weekday() == 0 and length <= 7:
        return shift(period, days=-7, label="the week before")
    for months in _unit_months(start):
        if end <= _month_end(add_months(start, months - 1)):
            return shift(period, months=-months, label=_previous_label(months))
    return shift(period, days=-length, label=f"the {length} days before")


def _previous_label(months: int) -> str:
    return {12: "the year before", 3: "the quarter before", 1: "the month before"}[months]


def year_ago(period: Period) -> Period:
    """``period`` one year earlier; a week keeps its weekdays (52 weeks back)."""
    start, end = _dates(period)
    week = start.weekday() == 0 and (end - start).days == 6
    before = shift(period, days=-364) if week else shift(period, months=-12)
    return Period(before.start, before.end, f"{period.label} a year earlier".strip())


def step(grain: str) -> tuple[int, int]:
    """One bucket of ``grain`` as (months, days)."""
    return {
        "day": (0, 1),
        "week": (0, 7),
        "month": (1, 0),
        "quarter": (3, 0),
        "year": (12, 0),
    }[grain]


def last_whole_month(as_of: datetime.date) -> Period:
    """The last complete calendar month before ``as_of``."""
    end = as_of.replace(day=1) - _DAY
    return Period(end.replace(day=1), end, "last month")


def period_comparison(
    periods: Sequence[Period],
    *,
    relation: str | None,
    change: bool,
    compared: bool,
    grain: str | None,
    as_of: datetime.date,
) -> tuple[Period | None, Comparison | None]:
    """The period and what it is set against, from the periods a question names
    and its cues (module docstring of :mod:`questions.local.reading`).

    Raises :class:`CompareError` for periods that cannot be read together."""
    if len(periods) > 2:
        raise CompareError(
            "the question names "
            + ", ".join(f"“{p.label}”" for p in periods)
            + ": ask about one period, or set two against each other (“this month vs last month”)"
        )
    if len(periods) == 2:
        first, second = periods
        if not (compared or change or relation):
            raise CompareError(
                f"the question names two periods, “{first.label}” and “{second.label}”;"
                f" ask about one, or compare them (“{first.label} vs {second.label}”)"
            )
        _need_dates(first, second)
        base = second
        if relation == "year_ago" or _contains_year_ago(second, first):
            base = year_ago(first)
        return first, Comparison("period", base=base)
    if not (relation or change):
        return (periods[0] if periods else None), None
    period = periods[0] if periods else last_whole_month(as_of)
    _need_dates(period)
    if relation == "year_ago":
        return period, Comparison("period", base=year_ago(period))
    if grain is not None:
        # "Revenue growth by month": each month against the month before.
        months, days = step(grain)
        label = f"each {grain} against the {grain} before"
        base = shift(period, months=-months, days=-days, label=label)
        return period, Comparison("period", base=base)
    return period, Comparison("period", base=previous_period(period))


def _need_dates(*periods: Period) -> None:
    for period in periods:
        _dates(period)


def _contains_year_ago(container: Period, period: Period) -> bool:
    """ "May compared with last year": the year holds May a year earlier."""
    if None in (container.start, container.end, period.start, period.end):
        return False
    first, last = _dates(container)
    start, end = _dates(year_ago(period))
    return (last - first) > (end - start) and first <= start and end <= last
