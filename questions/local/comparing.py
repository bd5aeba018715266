"""What a question sets its period against, by the calendar's rules
(:mod:`analytics_core.periods`: :func:`previous_period` for growth,
:func:`year_ago` for year over year, :func:`resolve_relation` for "the month
before" and the like).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Sequence

from analytics_core.periods import (
    Period,
    PeriodError,
    add_months,
    day_period,
    find_periods,
    half_period,
    month_period,
    previous_period,
    quarter_period,
    resolve_relation,
    week_period,
    year_ago,
    year_period,
)
from questions.answers import Comparison


class CompareError(ValueError):
    """The question sets things against each other in a way that cannot be read."""


def month_offset(period: Period, base: Period) -> int | None:
    """Whole months from ``base`` to ``period`` when both start on the same day
    of the month (or both end their months), else None."""
    if period.start is None or base.start is None:
        return None
    months = (period.start.year - base.start.year) * 12 + period.start.month - base.start.month
    if add_months(base.start, months) == period.start:
        return months
    return None


def last_whole_month(as_of: datetime.date) -> Period:
    """The last complete calendar month before ``as_of``."""
    end = as_of.replace(day=1) - datetime.timedelta(days=1)
    return Period(end.replace(day=1), end, "last month", "month")


def period_comparison(
    periods: Sequence[Period],
    *,
    relation: str | None,
    change: bool,
    compared: bool,
    grain: str | None,
    as_of: datetime.date,
    relation_words: str = "",
    against: bool = False,
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
        if relation == "year_ago":
            base = _calendar(year_ago, first)
        elif (earlier := _same_span_in(second, first)) is not None:
            base = earlier
        return first, Comparison("period", base=base)
    if len(periods) == 1 and against and not relation and periods[0].kind in _UNITS:
        # "Cancelled orders vs last month": this month so far against last month;
        # "vs last year": this year so far against the same days last year (year
        # over year, as "this year vs last year" is).
        now = _to_date(periods[0].kind, as_of)
        last = periods[0]
        if (
            now is not None
            and now.start is not None
            and last.kind == "year"
            and last.end == (now.start - datetime.timedelta(days=1))
        ):
            return now, Comparison("period", base=_calendar(year_ago, now))
        if now is not None:
            return now, Comparison("period", base=periods[0])
    if not (relation or change):
        return (periods[0] if periods else None), None
    unit = _relation_unit(relation, relation_words)
    if not periods and relation is not None and not (change or compared):
        # "Orders in the same month last year": the relation names the period.
        return _calendar(lambda p: resolve_relation(p, relation), whole(unit, as_of)), None
    if periods:
        period = periods[0]
    elif relation in {None, "previous", "year_ago"}:
        period = last_whole_month(as_of)
    else:
        # "Week-over-week change": the last whole week against the one before.
        period = _calendar(lambda p: resolve_relation(p, f"{unit}_ago"), whole(unit, as_of))
    _need_dates(period)
    if relation is not None and relation != "previous":
        # "March vs the month before", "year over year": the calendar's relation.
        base = _calendar(lambda p: resolve_relation(p, relation), period)
        return period, Comparison("period", base=base)
    if grain is not None:
        # "Revenue growth by month": each month against the month before.
        base = _calendar(lambda p: resolve_relation(p, f"{grain}_ago"), period)
        label = f"each {grain} against the {grain} before"
        return period, Comparison("period", base=dataclasses.replace(base, label=label))
    return period, Comparison("period", base=_calendar(previous_period, period))


_UNITS = ("day", "week", "month", "quarter", "half", "year")


def _relation_unit(relation: str | None, words: str) -> str:
    """The calendar unit a relation is about: "month_ago" -> month; "the same
    quarter last year" -> quarter; otherwise month."""
    if relation is not None and relation.endswith("_ago") and relation != "year_ago":
        return relation.removesuffix("_ago")
    for word in words.lower().split():
        if word.rstrip("s") in _UNITS and word.rstrip("s") != "year":
            return word.rstrip("s")
    return "year" if relation == "year_ago" and "year" in words and "same" not in words else "month"


def _to_date(unit: str, as_of: datetime.date) -> Period | None:
    """The current ``unit`` up to ``as_of`` ("this month"), by the calendar."""
    found = [f for f in find_periods(f"this {unit}", as_of) if f.relation is None]
    return found[0].period if found and found[0].period.start is not None else None


def whole(unit: str, day: datetime.date) -> Period:
    """The whole calendar ``unit`` holding ``day``."""
    if unit == "day":
        return day_period(day)
    if unit == "week":
        return week_period(day)
    if unit == "quarter":
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    if unit == "half":
        return half_period(day.year, 1 if day.month <= 6 else 2)
    if unit == "year":
        return year_period(day.year)
    return month_period(day.year, day.month)


def _calendar(rule: Callable[[Period], Period], period: Period) -> Period:
    try:
        return rule(period)
    except PeriodError as exc:
        raise CompareError(str(exc)) from exc


def _need_dates(*periods: Period) -> None:
    for period in periods:
        if period.start is None or period.end is None:
            raise CompareError(
                f"“{period.label}” has no start or no end; a comparison needs two whole periods"
            )


def _same_span_in(container: Period, period: Period) -> Period | None:
    """ "May compared with last year", "this year vs 2024": a longer period
    of an earlier year that holds the same dates whole years before is set
    against them (May 2025; 2024-01-01 to 2024-06-15), not against itself."""
    if None in (container.start, container.end, period.start, period.end):
        return None
    first, last = container.start, container.end
    if first is None or last is None or period.start is None or period.end is None:
        return None
    years = period.start.year - first.year
    if years < 1 or (last - first) <= (period.end - period.start):
        return None
    start, end = add_months(period.start, -12 * years), add_months(period.end, -12 * years)
    if not (first <= start and end <= last):
        return None
    return _calendar(lambda p: _years_back(p, years), period)


def _years_back(period: Period, years: int) -> Period:
    """``period`` ``years`` whole years earlier, by the calendar's rule for a
    year back applied that many times."""
    for _ in range(years):
        period = year_ago(period)
    return period
