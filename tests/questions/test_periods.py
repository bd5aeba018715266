"""Periods in questions resolve to the calendar dates docs/metrics.md defines."""

from __future__ import annotations

import datetime
import itertools
import random

import pytest

from analytics_core.periods import (
    AmbiguousDate,
    FoundPeriod,
    Period,
    PeriodError,
    find_period,
    find_periods,
    previous_period,
    resolve_relation,
    units_in,
    year_ago,
)
from questions.local.vocabulary import normalize

D = datetime.date


@pytest.mark.parametrize(
    ("text", "as_of", "start", "end"),
    [
        # docs/metrics.md: "last month" on 2026-03-15 is 2026-02-01..2026-02-28.
        ("revenue last month", D(2026, 3, 15), D(2026, 2, 1), D(2026, 2, 28)),
        ("revenue last month", D(2026, 1, 10), D(2025, 12, 1), D(2025, 12, 31)),
        ("revenue last month", D(2024, 3, 31), D(2024, 2, 1), D(2024, 2, 29)),
        # "last week" is the previous ISO week, Monday to Sunday.
        ("orders last week", D(2026, 3, 15), D(2026, 3, 2), D(2026, 3, 8)),
        ("orders last week", D(2026, 3, 16), D(2026, 3, 9), D(2026, 3, 15)),
        ("orders this week", D(2026, 3, 18), D(2026, 3, 16), D(2026, 3, 18)),
        # "last 7 days" ends yesterday.
        ("units in the last 7 days", D(2026, 3, 15), D(2026, 3, 8), D(2026, 3, 14)),
        ("units over the past 30 days", D(2026, 3, 15), D(2026, 2, 13), D(2026, 3, 14)),
        ("units last ninety days", D(2026, 3, 15), D(2025, 12, 15), D(2026, 3, 14)),
        ("revenue yesterday", D(2026, 3, 1), D(2026, 2, 28), D(2026, 2, 28)),
        ("revenue today", D(2026, 3, 1), D(2026, 3, 1), D(2026, 3, 1)),
        ("revenue this month", D(2026, 3, 15), D(2026, 3, 1), D(2026, 3, 15)),
        ("revenue this quarter", D(2026, 5, 15), D(2026, 4, 1), D(2026, 5, 15)),
        ("revenue last quarter", D(2026, 2, 15), D(2025, 10, 1), D(2025, 12, 31)),
        ("revenue last quarter", D(2026, 8, 1), D(2026, 4, 1), D(2026, 6, 30)),
        ("revenue this year", D(2026, 3, 15), D(2026, 1, 1), D(2026, 3, 15)),
        ("revenue year to date", D(2026, 3, 15), D(2026, 1, 1), D(2026, 3, 15)),
        ("revenue ytd", D(2026, 3, 15), D(2026, 1, 1), D(2026, 3, 15)),
        ("revenue last year", D(2026, 3, 15), D(2025, 1, 1), D(2025, 12, 31)),
        ("revenue last 3 months", D(2026, 3, 15), D(2025, 12, 1), D(2026, 2, 28)),
        # Absolute periods.
        ("revenue in march 2026", D(2026, 6, 1), D(2026, 3, 1), D(2026, 3, 31)),
        ("revenue in march", D(2026, 6, 1), D(2026, 3, 1), D(2026, 3, 31)),
        ("revenue in december", D(2026, 6, 1), D(2025, 12, 1), D(2025, 12, 31)),
        ("revenue in sept 2025", D(2026, 6, 1), D(2025, 9, 1), D(2025, 9, 30)),
        ("revenue in 2025", D(2026, 6, 1), D(2025, 1, 1), D(2025, 12, 31)),
        ("revenue q1", D(2026, 6, 1), D(2026, 1, 1), D(2026, 3, 31)),
        ("revenue q3", D(2026, 6, 1), D(2025, 7, 1), D(2025, 9, 30)),
        ("revenue q4 2025", D(2026, 6, 1), D(2025, 10, 1), D(2025, 12, 31)),
        ("revenue second quarter of 2025", D(2026, 6, 1), D(2025, 4, 1), D(2025, 6, 30)),
        (
            "revenue between 2026-01-01 and 2026-01-31",
            D(2026, 6, 1),
            D(2026, 1, 1),
            D(2026, 1, 31),
        ),
        ("revenue from 2026-02-03 to 2026-02-09", D(2026, 6, 1), D(2026, 2, 3), D(2026, 2, 9)),
        ("revenue since 2026-04-01", D(2026, 6, 1), D(2026, 4, 1), D(2026, 6, 1)),
        ("revenue on 2026-05-03", D(2026, 6, 1), D(2026, 5, 3), D(2026, 5, 3)),
    ],
)
def test_periods_resolve_to_calendar_dates(
    text: str, as_of: datetime.date, start: datetime.date, end: datetime.date
) -> None:
    found = find_period(text, as_of)
    assert found is not None
    assert (found.period.start, found.period.end) == (start, end)
    assert not found.future
    # The span covers the words that named the period, not the metric.
    assert "revenue" not in text[found.span[0] : found.span[1]] or text.startswith("revenue")


def test_no_period_means_all_time() -> None:
    assert find_period("revenue by region", D(2026, 3, 15)) is None


def test_may_the_verb_is_not_a_month() -> None:
    assert find_period("may i see revenue by region", D(2026, 6, 1)) is None
    found = find_period("revenue in may", D(2026, 6, 1))
    assert found is not None and found.period.start == D(2026, 5, 1)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("May I have a report", None),  # the report parameters keep their capitals
        ("May we see revenue", None),
        ("may be down", None),
        ("May revenue by channel", 5),
        ("May's orders", 5),
        ("how did May compare to April", 5),
        ("revenue May vs April", 5),
    ],
)
def test_may_is_a_month_by_its_neighbours(text: str, month: int | None) -> None:
    found = [f for f in find_periods(text.replace("'s", ""), D(2026, 6, 15)) if f.period]
    months = {f.period.start.month for f in found if f.period.start is not None}
    assert (month in months) if month else (5 not in months)


@pytest.mark.parametrize("text", ["revenue next month", "orders tomorrow", "sales next quarter"])
def test_future_periods_are_flagged(text: str) -> None:
    found = find_period(text, D(2026, 3, 15))
    assert found is not None and found.future


def test_a_period_starting_after_as_of_is_future() -> None:
    found = find_period("revenue in 2027", D(2026, 3, 15))
    assert found is not None and found.future


@pytest.mark.parametrize(
    "text",
    ["revenue on 2026-02-30", "revenue between 2026-03-01 and 2026-02-01", "last 0 days"],
)
def test_impossible_dates_raise(text: str) -> None:
    with pytest.raises(PeriodError):
        find_period(text, D(2026, 3, 15))


# --- find_periods: every form, many phrasings, fixed as-of dates -----------------------------

A = D(2026, 6, 15)  # a Monday, in Q2 and H1
B = D(2026, 3, 15)  # a Sunday
C = D(2026, 1, 10)  # a Saturday, early in the year

W0608 = (D(2026, 6, 8), D(2026, 6, 14))
MAR3_9 = (D(2026, 3, 3), D(2026, 3, 9))
JUN3 = (D(2026, 6, 3), D(2026, 6, 3))
H1_26 = (D(2026, 1, 1), D(2026, 6, 30))
H2_25 = (D(2025, 7, 1), D(2025, 12, 31))
YTD = (D(2026, 1, 1), A)
QTD = (D(2026, 4, 1), A)
MTD = (D(2026, 6, 1), A)

FORMS: list[tuple[str, datetime.date, tuple[datetime.date, datetime.date], str]] = [
    # Weeks by any day in them: the ISO week (Monday to Sunday) holding it.
    ("revenue the week of 2026-06-10", A, W0608, "week"),
    ("orders week of june 10", A, W0608, "week"),
    ("week of the 10th of june", A, W0608, "week"),
    ("the week of 14 june 2026", A, W0608, "week"),
    ("w/c 8 june", A, W0608, "week"),
    ("w c 8 june", A, W0608, "week"),
    ("week beginning 2026-06-08", A, W0608, "week"),
    ("week ending june 14th", A, W0608, "week"),
    ("the week of yesterday", A, (D(2026, 6, 8), D(2026, 6, 14)), "week"),
    ("w/c 8 june 2025", A, (D(2025, 6, 2), D(2025, 6, 8)), "week"),
    ("the week of 2026-01-01", A, (D(2025, 12, 29), D(2026, 1, 4)), "week"),
    ("week 23 of 2026", A, (D(2026, 6, 1), D(2026, 6, 7)), "week"),
    ("iso week 23", A, (D(2026, 6, 1), D(2026, 6, 7)), "week"),
    ("wk 23 2026", A, (D(2026, 6, 1), D(2026, 6, 7)), "week"),
    ("2026-w23", A, (D(2026, 6, 1), D(2026, 6, 7)), "week"),
    ("week 1 of 2026", A, (D(2025, 12, 29), D(2026, 1, 4)), "week"),
    # A week number without a year: the most recent such week that has started.
    ("week 30", A, (D(2025, 7, 21), D(2025, 7, 27)), "week"),
    ("week 24", A, W0608, "week"),
    ("week 5 last year", A, (D(2025, 1, 27), D(2025, 2, 2)), "week"),
    # Day ranges in any common form.
    ("between march 3 and march 9", A, MAR3_9, "range"),
    ("from 3 march to 9 march 2026", A, MAR3_9, "range"),
    ("march 3-9", A, MAR3_9, "range"),
    ("March 3 - 9", A, MAR3_9, "range"),
    ("mar 3 - mar 9", A, MAR3_9, "range"),
    ("3-9 march", A, MAR3_9, "range"),
    ("3rd-9th march 2026", A, MAR3_9, "range"),
    ("2026-03-03 to 2026-03-09", A, MAR3_9, "range"),
    ("2026-03-03 - 2026-03-09", A, MAR3_9, "range"),
    ("from march 3 through 9", A, MAR3_9, "range"),
    ("from march 3rd until the 9th", A, MAR3_9, "range"),
    ("between 2026-03-03 and 2026-03-09", A, MAR3_9, "range"),
    ("between the 3rd and the 9th of march", A, MAR3_9, "range"),
    ("between 3 and 9 march 2026", A, MAR3_9, "range"),
    ("march 3 to 9, 2025", A, (D(2025, 3, 3), D(2025, 3, 9)), "range"),
    ("march 3 to march 9 last year", A, (D(2025, 3, 3), D(2025, 3, 9)), "range"),
    ("march 28 - 3 april", A, (D(2026, 3, 28), D(2026, 4, 3)), "range"),
    ("25/3/2026 - 31/3/2026", A, (D(2026, 3, 25), D(2026, 3, 31)), "range"),
    # A range without a year starts at the most recent such start; it crosses
    # into the next year only when its end's month comes first.
    ("from dec 20 to jan 5", A, (D(2025, 12, 20), D(2026, 1, 5)), "range"),
    ("june 10 to june 20", A, (D(2026, 6, 10), D(2026, 6, 20)), "range"),
    ("between march and june", A, (D(2026, 3, 1), D(2026, 6, 30)), "range"),
    ("jan-mar 2026", A, (D(2026, 1, 1), D(2026, 3, 31)), "range"),
    ("q1 to q3 2025", A, (D(2025, 1, 1), D(2025, 9, 30)), "range"),
    ("2024-2025", A, (D(2024, 1, 1), D(2025, 12, 31)), "range"),
    # Single days.
    ("on june 3", A, JUN3, "day"),
    ("june 3rd", A, JUN3, "day"),
    ("jun 3", A, JUN3, "day"),
    ("3 june 2026", A, JUN3, "day"),
    ("the 3rd of june", A, JUN3, "day"),
    ("3rd of june, 2026", A, JUN3, "day"),
    ("june the 3rd", A, JUN3, "day"),
    ("on 2026-06-03", A, JUN3, "day"),
    ("2026/06/03", A, JUN3, "day"),
    ("2026.06.03", A, JUN3, "day"),
    ("june 3 last year", A, (D(2025, 6, 3), D(2025, 6, 3)), "day"),
    ("jun 3, 2025", A, (D(2025, 6, 3), D(2025, 6, 3)), "day"),
    # Without a year: the most recent such day on or before the as-of date.
    ("june 20", A, (D(2025, 6, 20), D(2025, 6, 20)), "day"),
    ("june 15", A, (A, A), "day"),
    ("25/3/2026", A, (D(2026, 3, 25), D(2026, 3, 25)), "day"),
    ("3/25/2026", A, (D(2026, 3, 25), D(2026, 3, 25)), "day"),
    ("3/3/2026", A, (D(2026, 3, 3), D(2026, 3, 3)), "day"),
    ("13-12-2025", A, (D(2025, 12, 13), D(2025, 12, 13)), "day"),
    ("the day before yesterday", A, (D(2026, 6, 13), D(2026, 6, 13)), "day"),
    ("3 days ago", A, (D(2026, 6, 12), D(2026, 6, 12)), "day"),
    # Halves: the most recent half that has started by the as-of date.
    ("first half", A, H1_26, "half"),
    ("h1", A, H1_26, "half"),
    ("1h", A, H1_26, "half"),
    ("the first half of the year", A, H1_26, "half"),
    ("h1 2026", A, H1_26, "half"),
    ("h1", C, H1_26, "half"),
    ("second half", A, H2_25, "half"),
    ("h2", A, H2_25, "half"),
    ("2h", A, H2_25, "half"),
    ("second half of 2025", A, H2_25, "half"),
    ("2nd half 2025", A, H2_25, "half"),
    ("h2 2025", A, H2_25, "half"),
    ("2025 h2", A, H2_25, "half"),
    ("h2 last year", A, H2_25, "half"),
    ("first half of last year", A, (D(2025, 1, 1), D(2025, 6, 30)), "half"),
    # Year, quarter, month and week to date.
    ("ytd", A, YTD, "to_date"),
    ("year to date", A, YTD, "to_date"),
    ("year-to-date", A, YTD, "to_date"),
    ("so far this year", A, YTD, "to_date"),
    ("this year so far", A, YTD, "to_date"),
    ("the year so far", A, YTD, "to_date"),
    ("this year", A, YTD, "to_date"),
    ("the current year", A, YTD, "to_date"),
    ("qtd", A, QTD, "to_date"),
    ("quarter to date", A, QTD, "to_date"),
    ("this quarter", A, QTD, "to_date"),
    ("mtd", A, MTD, "to_date"),
    ("month-to-date", A, MTD, "to_date"),
    ("so far this month", A, MTD, "to_date"),
    ("wtd", A, (A, A), "to_date"),
    ("week to date", B, (D(2026, 3, 9), B), "to_date"),
    ("this week", B, (D(2026, 3, 9), B), "to_date"),
    # Last N: days end yesterday; weeks, months, quarters, years are whole.
    ("last 7 days", B, (D(2026, 3, 8), D(2026, 3, 14)), "days"),
    ("past 7 days", B, (D(2026, 3, 8), D(2026, 3, 14)), "days"),
    ("previous 7 days", B, (D(2026, 3, 8), D(2026, 3, 14)), "days"),
    ("trailing 7 days", B, (D(2026, 3, 8), D(2026, 3, 14)), "days"),
    ("in the last seven days", B, (D(2026, 3, 8), D(2026, 3, 14)), "days"),
    ("last 1 day", B, (D(2026, 3, 14), D(2026, 3, 14)), "days"),
    ("last 2 weeks", B, (D(2026, 2, 23), D(2026, 3, 8)), "range"),
    ("past two weeks", B, (D(2026, 2, 23), D(2026, 3, 8)), "range"),
    ("last 3 months", B, (D(2025, 12, 1), D(2026, 2, 28)), "range"),
    ("trailing 12 months", B, (D(2025, 3, 1), D(2026, 2, 28)), "range"),
    ("ttm", B, (D(2025, 3, 1), D(2026, 2, 28)), "range"),
    ("rolling 12 months", B, (D(2025, 3, 1), D(2026, 2, 28)), "range"),
    ("last 2 quarters", B, (D(2025, 7, 1), D(2025, 12, 31)), "range"),
    ("previous 4 quarters", A, (D(2025, 4, 1), D(2026, 3, 31)), "range"),
    ("last 2 years", B, (D(2024, 1, 1), D(2025, 12, 31)), "range"),
    # Whole periods just before the current one.
    ("previous week", A, W0608, "week"),
    ("prior month", A, (D(2026, 5, 1), D(2026, 5, 31)), "month"),
    ("the week before last", A, (D(2026, 6, 1), D(2026, 6, 7)), "week"),
    ("the month before last", A, (D(2026, 4, 1), D(2026, 4, 30)), "month"),
    ("the year before last", A, (D(2024, 1, 1), D(2024, 12, 31)), "year"),
    ("2 weeks ago", A, (D(2026, 6, 1), D(2026, 6, 7)), "week"),
    ("a month ago", A, (D(2026, 5, 1), D(2026, 5, 31)), "month"),
    ("two quarters ago", A, (D(2025, 10, 1), D(2025, 12, 31)), "quarter"),
    # Named weekdays.
    ("last monday", A, (D(2026, 6, 8), D(2026, 6, 8)), "day"),
    ("on monday", A, (A, A), "day"),
    ("monday", A, (A, A), "day"),
    ("this monday", A, (A, A), "day"),
    ("last friday", A, (D(2026, 6, 12), D(2026, 6, 12)), "day"),
    ("on friday", A, (D(2026, 6, 12), D(2026, 6, 12)), "day"),
    ("friday", A, (D(2026, 6, 12), D(2026, 6, 12)), "day"),
    ("on fri", A, (D(2026, 6, 12), D(2026, 6, 12)), "day"),
    ("previous sunday", A, (D(2026, 6, 14), D(2026, 6, 14)), "day"),
    ("last sunday", B, (D(2026, 3, 8), D(2026, 3, 8)), "day"),
    ("sunday", B, (B, B), "day"),
    ("this monday", B, (D(2026, 3, 9), D(2026, 3, 9)), "day"),
    # Months without a year: the most recent one that has started.
    ("march", A, (D(2026, 3, 1), D(2026, 3, 31)), "month"),
    ("june", A, (D(2026, 6, 1), D(2026, 6, 30)), "month"),
    ("december", A, (D(2025, 12, 1), D(2025, 12, 31)), "month"),
    ("in may", A, (D(2026, 5, 1), D(2026, 5, 31)), "month"),
    ("2026-05", A, (D(2026, 5, 1), D(2026, 5, 31)), "month"),
    ("march 2024", A, (D(2024, 3, 1), D(2024, 3, 31)), "month"),
    ("march last year", A, (D(2025, 3, 1), D(2025, 3, 31)), "month"),
    ("march of last year", A, (D(2025, 3, 1), D(2025, 3, 31)), "month"),
    ("march this year", A, (D(2026, 3, 1), D(2026, 3, 31)), "month"),
    # "last March": the most recent March before the as-of date's month.
    ("last march", A, (D(2026, 3, 1), D(2026, 3, 31)), "month"),
    ("last march", B, (D(2025, 3, 1), D(2025, 3, 31)), "month"),
    ("last march", C, (D(2025, 3, 1), D(2025, 3, 31)), "month"),
    ("last june", A, (D(2025, 6, 1), D(2025, 6, 30)), "month"),
    ("this june", A, (D(2026, 6, 1), D(2026, 6, 30)), "month"),
    # Quarters and years.
    ("q1 last year", A, (D(2025, 1, 1), D(2025, 3, 31)), "quarter"),
    ("first quarter of last year", A, (D(2025, 1, 1), D(2025, 3, 31)), "quarter"),
    ("2025 q4", A, (D(2025, 10, 1), D(2025, 12, 31)), "quarter"),
    ("q3 fy2025", A, (D(2025, 7, 1), D(2025, 9, 30)), "quarter"),
    ("fy2025", A, (D(2025, 1, 1), D(2025, 12, 31)), "year"),
    ("2026 orders", A, (D(2026, 1, 1), D(2026, 12, 31)), "year"),
    # Since, after, until, before.
    ("since march", A, (D(2026, 3, 1), A), "to_date"),
    ("since last monday", A, (D(2026, 6, 8), A), "to_date"),
    ("from 2026-04-01", A, (D(2026, 4, 1), A), "to_date"),
    ("starting june 1", A, (D(2026, 6, 1), A), "to_date"),
    ("after 2026-06-10", A, (D(2026, 6, 11), A), "to_date"),
    # The current unit said with "the": to date, as "this ...".
    ("revenue for the year", A, YTD, "to_date"),
    ("orders over the quarter by month", A, QTD, "to_date"),
    ("during the month, how many orders", A, MTD, "to_date"),
    # A month named without a year inside a longer period of one year.
    ("january last quarter", A, (D(2026, 1, 1), D(2026, 1, 31)), "month"),
    ("march of last quarter", A, (D(2026, 3, 1), D(2026, 3, 31)), "month"),
    ("june in the first half", A, (D(2026, 6, 1), D(2026, 6, 30)), "month"),
    ("february of 2025", A, (D(2025, 2, 1), D(2025, 2, 28)), "month"),
    # The current unit a year back, whole.
    ("this month last year", A, (D(2025, 6, 1), D(2025, 6, 30)), "month"),
    ("this quarter a year ago", A, (D(2025, 4, 1), D(2025, 6, 30)), "quarter"),
    ("this week last year", A, (D(2025, 6, 16), D(2025, 6, 22)), "week"),
]


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        ("q1 vs q2 2025", (D(2025, 1, 1), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 6, 30))),
        ("q1 2025 vs q2", (D(2025, 1, 1), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 6, 30))),
        ("march and april 2025", (D(2025, 3, 1), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 4, 30))),
        # one period if both took the year: the bare one keeps its own
        ("may vs may 2025", (D(2026, 5, 1), D(2026, 5, 31)), (D(2025, 5, 1), D(2025, 5, 31))),
        # not side by side: each its own
        (
            "q1 revenue, orders in q2 2025",
            (D(2026, 1, 1), D(2026, 3, 31)),
            (D(2025, 4, 1), D(2025, 6, 30)),
        ),
    ],
)
def test_a_year_said_once_is_both_periods(
    text: str,
    first: tuple[datetime.date, datetime.date],
    second: tuple[datetime.date, datetime.date],
) -> None:
    a, b = find_periods(text, A, join_units=False)
    assert ((a.period.start, a.period.end), (b.period.start, b.period.end)) == (first, second)


@pytest.mark.parametrize(("text", "as_of", "dates", "kind"), FORMS)
def test_every_form_reads_as_one_period(
    text: str, as_of: datetime.date, dates: tuple[datetime.date, datetime.date], kind: str
) -> None:
    found = find_periods(text, as_of)
    assert len(found) == 1, [(f.span, f.period) for f in found]
    [one] = found
    assert (one.period.start, one.period.end) == dates
    assert one.period.kind == kind
    assert one.relation is None
    assert one.period.label
    # The span is the words that named it, within the text.
    assert 0 <= one.span[0] < one.span[1] <= len(text)
    assert text[one.span[0] : one.span[1]].strip() == text[one.span[0] : one.span[1]]


@pytest.mark.parametrize(
    ("text", "as_of", "end"),
    [
        ("revenue before 2026-03-01", A, D(2026, 2, 28)),
        ("orders until june 3", A, D(2026, 6, 3)),
        ("orders up to 2026-06-03", A, D(2026, 6, 3)),
        ("orders through may", A, D(2026, 5, 31)),
        ("prior to q2", A, D(2026, 3, 31)),
    ],
)
def test_open_starts(text: str, as_of: datetime.date, end: datetime.date) -> None:
    [one] = find_periods(text, as_of)
    assert (one.period.start, one.period.end, one.period.kind) == (None, end, "all")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("the week of 2026-06-10", "week of 2026-06-08"),
        ("march 3-9", "2026-03-03 to 2026-03-09"),
        ("between march 3 and march 9", "2026-03-03 to 2026-03-09"),
        ("h1", "H1 2026"),
        ("second half of 2025", "H2 2025"),
        ("june", "June 2026"),
        ("q3 2025", "Q3 2025"),
        ("2025", "2025"),
        ("on 2026-06-03", "2026-06-03"),
        ("last monday", "Monday 2026-06-08"),
        ("last month", "last month"),
        ("since 2026-04-01", "since 2026-04-01"),
        ("since march", "since March 2026"),
        ("last 3 months", "last 3 months"),
        ("between march and june", "March 2026 to June 2026"),
    ],
)
def test_every_period_has_a_human_label(text: str, label: str) -> None:
    [one] = find_periods(text, A)
    assert one.period.label == label


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("revenue in march by region", ["in march"]),
        ("orders in the last 7 days by channel", ["in the last 7 days"]),
        ("revenue between march 3 and march 9 in emea", ["between march 3 and march 9"]),
        ("revenue last month in 2024", ["last month", "in 2024"]),
        ("q1 2026 vs q1 2025", ["q1 2026", "q1 2025"]),
        ("revenue in march vs the same month last year", ["in march", "the same month last year"]),
        ("march vs the previous month", ["march", "the previous month"]),
        ("june 3 and june 9", ["june 3", "june 9"]),
        ("sales h1 vs h2 last year by region", ["h1", "h2 last year"]),
    ],
)
def test_several_periods_left_to_right_without_overlap(text: str, spans: list[str]) -> None:
    found = find_periods(text, A)
    assert [text[f.span[0] : f.span[1]] for f in found] == spans
    ends = [f.span for f in found]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(ends))


# --- relations: periods that shift another ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "as_of", "relation", "base"),
    [
        (
            "revenue last month vs the same month last year",
            A,
            "year_ago",
            (D(2025, 5, 1), D(2025, 5, 31)),
        ),
        ("ytd vs same period last year", A, "year_ago", (D(2025, 1, 1), D(2025, 6, 15))),
        # A week is 52 weeks back: the same weekdays (Monday to Sunday).
        ("last week vs same week last year", A, "year_ago", (D(2025, 6, 9), D(2025, 6, 15))),
        ("q1 vs a year earlier", A, "year_ago", (D(2025, 1, 1), D(2025, 3, 31))),
        (
            "h1 compared with the same period a year ago",
            A,
            "year_ago",
            (D(2025, 1, 1), D(2025, 6, 30)),
        ),
        ("march yoy", A, "year_ago", (D(2025, 3, 1), D(2025, 3, 31))),
        ("march year over year", A, "year_ago", (D(2025, 3, 1), D(2025, 3, 31))),
        ("this year vs last year", A, "year_ago", (D(2025, 1, 1), D(2025, 6, 15))),
        ("march compared to last year", A, "year_ago", (D(2025, 3, 1), D(2025, 3, 31))),
        ("march vs the previous month", A, "month_ago", (D(2026, 2, 1), D(2026, 2, 28))),
        ("march and the month before", A, "month_ago", (D(2026, 2, 1), D(2026, 2, 28))),
        ("last 7 days vs the previous period", B, "previous", (D(2026, 3, 1), D(2026, 3, 7))),
        ("last week vs the week before", A, "week_ago", (D(2026, 6, 1), D(2026, 6, 7))),
        ("q2 vs a quarter earlier", A, "quarter_ago", (D(2026, 1, 1), D(2026, 3, 31))),
        ("q2 vs the month before", A, "month_ago", (D(2026, 3, 1), D(2026, 5, 31))),
    ],
)
def test_relations_have_no_dates_until_resolved(
    text: str, as_of: datetime.date, relation: str, base: tuple[datetime.date, datetime.date]
) -> None:
    period, shift = find_periods(text, as_of)
    assert period.relation is None and period.period.start is not None
    assert shift.relation == relation
    assert (shift.period.start, shift.period.end, shift.period.kind) == (None, None, "relation")
    resolved = resolve_relation(period.period, relation)
    assert (resolved.start, resolved.end) == base
    # find_period, for callers that want one, gives the period, not the relation.
    first = find_period(text, as_of)
    assert first is not None and first.period == period.period


def test_words_that_shift_are_periods_when_nothing_came_before() -> None:
    [one] = find_periods("revenue the previous month", A)
    assert one.relation is None and one.period.start == D(2026, 5, 1)
    [year] = find_periods("revenue last year", A)
    assert year.relation is None and year.period.start == D(2025, 1, 1)
    [ago] = find_periods("revenue a year ago", A)
    assert ago.relation is None and (ago.period.start, ago.period.end) == (
        D(2025, 1, 1),
        D(2025, 12, 31),
    )
    # "Last month" after another period is still last month (only previous/prior shift).
    _march, last = find_periods("march vs last month", A)
    assert last.relation is None and last.period.start == D(2026, 5, 1)


def test_an_unknown_relation_is_refused() -> None:
    with pytest.raises(PeriodError):
        resolve_relation(Period(D(2026, 3, 1), D(2026, 3, 31), "March", "month"), "fortnight_ago")


# --- growth and year over year ------------------------------------------------------------------


def P(start: datetime.date, end: datetime.date, kind: str, unit: str | None = None) -> Period:
    return Period(start, end, "p", kind, unit)


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (P(D(2026, 6, 3), D(2026, 6, 3), "day"), (D(2026, 6, 2), D(2026, 6, 2))),
        (P(D(2026, 3, 1), D(2026, 3, 1), "day"), (D(2026, 2, 28), D(2026, 2, 28))),
        (P(*W0608, "week"), (D(2026, 6, 1), D(2026, 6, 7))),
        (P(D(2026, 3, 1), D(2026, 3, 31), "month"), (D(2026, 2, 1), D(2026, 2, 28))),
        (P(D(2024, 3, 1), D(2024, 3, 31), "month"), (D(2024, 2, 1), D(2024, 2, 29))),
        (P(D(2026, 1, 1), D(2026, 1, 31), "month"), (D(2025, 12, 1), D(2025, 12, 31))),
        (P(D(2026, 1, 1), D(2026, 3, 31), "quarter"), (D(2025, 10, 1), D(2025, 12, 31))),
        (P(*H1_26, "half"), H2_25),
        (P(D(2026, 1, 1), D(2026, 12, 31), "year"), (D(2025, 1, 1), D(2025, 12, 31))),
        # To date: the same span one unit earlier.
        (P(*YTD, "to_date", "year"), (D(2025, 1, 1), D(2025, 6, 15))),
        (P(*QTD, "to_date", "quarter"), (D(2026, 1, 1), D(2026, 3, 15))),
        (P(D(2026, 3, 1), D(2026, 3, 31), "to_date", "month"), (D(2026, 2, 1), D(2026, 2, 28))),
        (P(D(2026, 6, 15), D(2026, 6, 17), "to_date", "week"), (D(2026, 6, 8), D(2026, 6, 10))),
        # Since a day: as many days just before.
        (P(D(2026, 4, 1), A, "to_date"), (D(2026, 1, 15), D(2026, 3, 31))),
        # Last N days: the N days before.
        (P(D(2026, 3, 8), D(2026, 3, 14), "days"), (D(2026, 3, 1), D(2026, 3, 7))),
        # Whole units: as many units before.
        (
            P(D(2025, 12, 1), D(2026, 2, 28), "range", "month"),
            (D(2025, 9, 1), D(2025, 11, 30)),
        ),
        (P(D(2026, 2, 23), D(2026, 3, 8), "range", "week"), (D(2026, 2, 9), D(2026, 2, 22))),
        (P(D(2024, 1, 1), D(2025, 12, 31), "range", "year"), (D(2022, 1, 1), D(2023, 12, 31))),
        # Explicit ranges: as many days just before.
        (P(*MAR3_9, "range"), (D(2026, 2, 24), D(2026, 3, 2))),
        (P(D(2026, 3, 1), D(2026, 3, 31), "range"), (D(2026, 1, 29), D(2026, 2, 28))),
    ],
)
def test_previous_period(period: Period, previous: tuple[datetime.date, datetime.date]) -> None:
    got = previous_period(period)
    assert (got.start, got.end) == previous
    assert got.kind == period.kind
    assert got.label


@pytest.mark.parametrize(
    ("period", "base"),
    [
        (P(D(2025, 2, 1), D(2025, 2, 28), "month"), (D(2024, 2, 1), D(2024, 2, 29))),
        (P(D(2024, 2, 1), D(2024, 2, 29), "month"), (D(2023, 2, 1), D(2023, 2, 28))),
        (P(D(2024, 2, 29), D(2024, 2, 29), "day"), (D(2023, 2, 28), D(2023, 2, 28))),
        (P(D(2024, 1, 1), D(2024, 2, 29), "to_date", "year"), (D(2023, 1, 1), D(2023, 2, 28))),
        (P(*W0608, "week"), (D(2025, 6, 9), D(2025, 6, 15))),
        (P(D(2026, 6, 15), D(2026, 6, 17), "to_date", "week"), (D(2025, 6, 16), D(2025, 6, 18))),
        (P(D(2026, 1, 1), D(2026, 3, 31), "quarter"), (D(2025, 1, 1), D(2025, 3, 31))),
        (P(*MAR3_9, "range"), (D(2025, 3, 3), D(2025, 3, 9))),
        (P(D(2026, 3, 8), D(2026, 3, 14), "days"), (D(2025, 3, 8), D(2025, 3, 14))),
    ],
)
def test_year_ago_is_twelve_months_day_for_day(
    period: Period, base: tuple[datetime.date, datetime.date]
) -> None:
    """Twelve months back, day for day; a week (or a week so far) 52 weeks back."""
    got = year_ago(period)
    assert (got.start, got.end) == base
    if period.kind == "week" or period.unit == "week":
        assert got.start.weekday() == period.start.weekday()


def test_year_ago_labels_whole_periods_as_such() -> None:
    [march] = find_periods("march", A)
    assert year_ago(march.period).label == "March 2025"
    assert previous_period(march.period).label == "February 2026"
    [q1] = find_periods("q1", A)
    assert previous_period(q1.period).label == "Q4 2025"


@pytest.mark.parametrize(
    "period", [Period(None, None, "all time", "all"), Period(None, D(2026, 3, 1), "until", "all")]
)
def test_open_periods_have_no_previous(period: Period) -> None:
    with pytest.raises(PeriodError):
        previous_period(period)
    with pytest.raises(PeriodError):
        year_ago(period)


# --- errors, ambiguity, words that are not periods ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "between march 9 and march 3",
        "2026-03-09 to 2026-03-03",
        "from 2026-03-09 through 2026-03-03",
        "march 9-3",
        "9-3 march",
        "between june 2026 and march 2026",
    ],
)
def test_backwards_ranges_raise(text: str) -> None:
    with pytest.raises(PeriodError, match="ends before it starts"):
        find_periods(text, A)


@pytest.mark.parametrize(
    "text",
    [
        "february 30",
        "2026-13-01",
        "31/31/2026",
        "revenue on 2/30/2026",
        "week 54",
        "week 53 of 2025",
        "last 20000 days",
        "last 0 months",
        "2026-00",
    ],
)
def test_impossible_periods_raise(text: str) -> None:
    with pytest.raises(PeriodError):
        find_periods(text, A)


@pytest.mark.parametrize(
    ("text", "day_first", "month_first"),
    [
        ("revenue on 3/4/2026", D(2026, 4, 3), D(2026, 3, 4)),
        ("1/12/2025", D(2025, 12, 1), D(2025, 1, 12)),
        ("from 3/1/2026 to 3/9/2026", D(2026, 1, 3), D(2026, 3, 1)),
        ("5-6-2026", D(2026, 6, 5), D(2026, 5, 6)),
        ("orders on 4/5/26", D(2026, 5, 4), D(2026, 4, 5)),
        # without a year: each reading in its most recent year
        ("orders on 3/4", D(2026, 4, 3), D(2026, 3, 4)),
        ("revenue 1/12", D(2025, 12, 1), D(2026, 1, 12)),
    ],
)
def test_slashed_dates_that_read_two_ways_are_ambiguous(
    text: str, day_first: datetime.date, month_first: datetime.date
) -> None:
    with pytest.raises(AmbiguousDate) as info:
        find_periods(text, A)
    assert info.value.readings == (day_first, month_first)
    assert day_first.isoformat() in str(info.value)
    assert month_first.isoformat() in str(info.value)
    assert isinstance(info.value, PeriodError)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("orders on 25/3/26", D(2026, 3, 25)),
        ("orders on 14/3", D(2026, 3, 14)),
        ("orders on 3/14", D(2026, 3, 14)),
        ("revenue for 12/25", D(2025, 12, 25)),
        ("revenue on 5/5", D(2026, 5, 5)),
    ],
)
def test_slashed_dates_that_read_one_way(text: str, day: datetime.date) -> None:
    (found,) = find_periods(text, A)
    assert (found.period.start, found.period.end) == (day, day)


@pytest.mark.parametrize(
    "text", ["3/4 of revenue", "1/3rd of orders", "revenue 24/7", "orders 3-4 days late", "1.5"]
)
def test_fractions_are_not_slashed_dates(text: str) -> None:
    assert find_periods(text, A) == []


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("may last quarter", ["month", "quarter"]),  # May is not in Q1: two periods
        ("december in q1", ["month", "quarter"]),
        ("may 2025 last year", ["month", "year"]),  # a year said twice
        ("the month of may", ["month"]),
        ("the week commencing 11 may 2026", ["week"]),
        ("the year 2025", ["year"]),
        ("the year before", ["relation"]),
    ],
)
def test_months_outside_the_period_and_qualified_units_stay_as_said(
    text: str, kinds: list[str]
) -> None:
    assert [f.period.kind for f in find_periods(text, A)] == kinds


@pytest.mark.parametrize(
    "text",
    [
        "may i see revenue by region",
        "may we have the top products",
        "top 2026 customers",
        "revenue over 2000 usd",
        "orders above 2025 units",
        "orders on fridays",
        "revenue by day of week",
        "weekly revenue",
        "sat on the bench",
    ],
)
def test_words_that_are_not_periods(text: str) -> None:
    assert find_periods(text, A) == []


def test_a_count_before_a_month_is_not_its_day() -> None:
    # "top 3 June": the top three in June, not June 3.
    [one] = find_periods("top 3 june", A)
    assert one.period.kind == "month"
    # A range whose start has no year begins in the year before its end when it must.
    [crossing] = find_periods("between june and march 2026", A)
    assert (crossing.period.start, crossing.period.end) == (D(2025, 6, 1), D(2026, 3, 31))


def test_half_of_a_month_is_not_a_half_year() -> None:
    # "the first half of March": not H1; March is read, the half is left to the caller.
    [one] = find_periods("the first half of march", A)
    assert one.period.kind == "month"


@pytest.mark.parametrize(
    ("text", "as_of"),
    [
        ("revenue next month", A),
        ("orders tomorrow", A),
        ("sales next quarter", A),
        ("next monday", A),
        ("revenue next march", A),
        ("the coming weeks", A),
        ("revenue this friday", A),
        ("revenue in 2027", A),
    ],
)
def test_future_periods_stay_detectable(text: str, as_of: datetime.date) -> None:
    found = find_periods(text, as_of)
    assert found and found[0].future


def test_find_period_prefers_a_forecast_so_it_can_be_refused() -> None:
    found = find_period("revenue last month and next month", A)
    assert found is not None and found.future
    assert [f.future for f in find_periods("revenue last month and next month", A)] == [
        False,
        True,
    ]


def test_a_normalized_question_keeps_its_slashed_dates() -> None:
    text = normalize("Revenue on 25/3/2026, w/c 8 June?")
    [day, week] = find_periods(text, A)
    assert (day.period.start, week.period.start) == (D(2026, 3, 25), D(2026, 6, 8))


def test_upper_case_text_reads_the_same() -> None:
    lower = find_periods("revenue between march 3 and march 9", A)
    upper = find_periods("Revenue between March 3 and March 9", A)
    assert [(f.period, f.span) for f in lower] == [(f.period, f.span) for f in upper]


# --- hostile and oversized text -------------------------------------------------------------------


def _well_formed(text: str, found: list[FoundPeriod]) -> None:
    spans = [f.span for f in found]
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(s[1] <= t[0] for s, t in itertools.pairwise(spans))


def _digits_and_dashes(seed: int) -> str:
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    parts = []
    while sum(len(p) + 1 for p in parts) < 2000:
        parts.append(str(rng.randint(0, 99999)))
    return "-".join(parts)[:2000]


def test_a_long_run_of_digits_and_dashes_reads_nothing() -> None:
    assert find_periods("1-" * 1000, A) == []
    assert find_periods("12-3-" * 400, A) == []
    assert find_periods("9" * 2000, A) == []
    assert find_periods("-" * 2000, A) == []
    assert find_periods(" " * 2000, A) == []


def test_a_long_run_of_years_reads_as_year_ranges() -> None:
    text = ("2026-" * 400)[:2000]
    found = find_periods(text, A)
    _well_formed(text, found)
    assert found
    assert all(f.period.start == D(2026, 1, 1) and f.period.end == D(2026, 12, 31) for f in found)


@pytest.mark.parametrize("seed", range(20))
def test_random_digits_and_dashes_read_quickly_and_consistently(seed: int) -> None:
    text = _digits_and_dashes(seed)
    try:
        found = find_periods(text, A)
    except PeriodError as exc:
        # A plausible but impossible date ("2026-13-45"): said, not skipped.
        assert str(exc)
        return
    _well_formed(text, found)
    assert found == find_periods(text, A)


@pytest.mark.parametrize(
    "text",
    [
        "between " * 250,
        "march 3-" * 250,
        "the week of " * 166,
        "w/c " * 500,
        "last " * 400,
        "first half of " * 140,
        "may " * 500,
        "since " * 333,
        "week " * 400,
        "q1 " * 666,
        "h1 " * 666,
        "3 june " * 285,
        "yesterday " * 200,
        "\u200b" * 2000,
        # "2026-06" in double-struck digits
        "\U0001d7da\U0001d7d8\U0001d7da\U0001d7de-\U0001d7d8\U0001d7de " * 200,
    ],
)
def test_hostile_repetitions_stay_well_formed(text: str) -> None:
    text = text[:2000]
    try:
        found = find_periods(text, A)
    except PeriodError as exc:
        assert str(exc)
        return
    _well_formed(text, found)


# --- named periods (analytics_core/periods/named.py), session 27 ----------------------

SAT = D(2026, 6, 20)  # a Saturday
NAMED = [
    # weekends: the most recent complete one; "this weekend" to date on a weekend
    ("revenue last weekend", A, (D(2026, 6, 13), D(2026, 6, 14))),
    ("this past weekend", A, (D(2026, 6, 13), D(2026, 6, 14))),
    ("over the weekend", A, (D(2026, 6, 13), D(2026, 6, 14))),
    ("last weekend", D(2026, 6, 14), (D(2026, 6, 6), D(2026, 6, 7))),
    ("this weekend", SAT, (SAT, SAT)),
    # holidays, computed: Easter 2026 is April 5, Thanksgiving 2025 November 27
    ("Christmas Day 2025", A, (D(2025, 12, 25), D(2025, 12, 25))),
    ("christmas", A, (D(2025, 12, 25), D(2025, 12, 25))),
    ("Christmas Eve last year", A, (D(2025, 12, 24), D(2025, 12, 24))),
    ("boxing day 2024", A, (D(2024, 12, 26), D(2024, 12, 26))),
    ("New Year's Day 2026", A, (D(2026, 1, 1), D(2026, 1, 1))),
    ("new years eve", A, (D(2025, 12, 31), D(2025, 12, 31))),
    ("Valentine's Day", A, (D(2026, 2, 14), D(2026, 2, 14))),
    ("halloween 2025", A, (D(2025, 10, 31), D(2025, 10, 31))),
    ("Easter 2026", A, (D(2026, 4, 5), D(2026, 4, 5))),
    ("Easter 2024", A, (D(2024, 3, 31), D(2024, 3, 31))),
    ("good friday 2025", A, (D(2025, 4, 18), D(2025, 4, 18))),
    ("Easter Monday 2026", A, (D(2026, 4, 6), D(2026, 4, 6))),
    ("Thanksgiving 2025", A, (D(2025, 11, 27), D(2025, 11, 27))),
    ("Black Friday 2024", A, (D(2024, 11, 29), D(2024, 11, 29))),
    ("cyber monday", A, (D(2025, 12, 1), D(2025, 12, 1))),
    # a holiday's weekend and week
    ("Easter weekend 2026", A, (D(2026, 4, 3), D(2026, 4, 6))),
    ("thanksgiving weekend 2025", A, (D(2025, 11, 27), D(2025, 11, 30))),
    ("christmas weekend 2026", A, (D(2026, 12, 25), D(2026, 12, 27))),
    ("christmas long weekend 2023", A, (D(2023, 12, 23), D(2023, 12, 25))),
    ("christmas week 2025", A, (D(2025, 12, 22), D(2025, 12, 28))),
    ("black friday week", A, (D(2025, 11, 24), D(2025, 11, 30))),
    # seasons, meteorological
    ("the summer of 2025", A, (D(2025, 6, 1), D(2025, 8, 31))),
    ("in the fall of 2025", A, (D(2025, 9, 1), D(2025, 11, 30))),
    ("last spring", A, (D(2026, 3, 1), D(2026, 5, 31))),
    ("autumn 2024", A, (D(2024, 9, 1), D(2024, 11, 30))),
    # so far, since the start of
    ("the second quarter so far", A, (D(2026, 4, 1), A)),
    ("June to date", A, (D(2026, 6, 1), A)),
    ("so far in June", A, (D(2026, 6, 1), A)),
    ("to date for Q2", A, (D(2026, 4, 1), A)),
    ("so far in 2025", A, (D(2025, 1, 1), D(2025, 12, 31))),  # ended: all of it
    ("since the start of the year", A, (D(2026, 1, 1), A)),
    ("since the beginning of the month", A, (D(2026, 6, 1), A)),
    # parts of a month, fortnights
    ("the first week of June 2026", A, (D(2026, 6, 1), D(2026, 6, 7))),
    ("the last week of May 2026", A, (D(2026, 5, 25), D(2026, 5, 31))),
    ("the first 10 days of June", A, (D(2026, 6, 1), D(2026, 6, 10))),
    ("the last day of February 2024", A, (D(2024, 2, 29), D(2024, 2, 29))),
    ("the last day of last month", A, (D(2026, 5, 31), D(2026, 5, 31))),
    ("last fortnight", A, (D(2026, 6, 1), D(2026, 6, 14))),
    ("the fortnight ending June 14 2026", A, (D(2026, 6, 1), D(2026, 6, 14))),
    ("the fortnight starting 2026-05-04", A, (D(2026, 5, 4), D(2026, 5, 17))),
    # weekdays of a named week, ordinal words, calendar years
    ("Monday last week", A, (D(2026, 6, 8), D(2026, 6, 8))),
    ("last week's Friday", A, (D(2026, 6, 12), D(2026, 6, 12))),
    ("this past Friday", A, (D(2026, 6, 12), D(2026, 6, 12))),
    ("Monday 8 June", A, (D(2026, 6, 8), D(2026, 6, 8))),  # the date decides
    ("Monday, June 8", A, (D(2026, 6, 8), D(2026, 6, 8))),
    ("the first of June", A, (D(2026, 6, 1), D(2026, 6, 1))),
    ("May the fifth 2025", A, (D(2025, 5, 5), D(2025, 5, 5))),
    ("calendar year 2025", A, (D(2025, 1, 1), D(2025, 12, 31))),
    ("CY2024", A, (D(2024, 1, 1), D(2024, 12, 31))),
    ("FY25", A, (D(2025, 1, 1), D(2025, 12, 31))),
    # a slashed date read the way its neighbour can only be read
    ("from 01/03/2026 to 31/03/2026", A, (D(2026, 3, 1), D(2026, 3, 31))),
    ("from 03/01/2026 to 03/31/2026", A, (D(2026, 3, 1), D(2026, 3, 31))),
]


@pytest.mark.parametrize(("text", "as_of", "dates"), NAMED)
def test_named_periods(
    text: str, as_of: datetime.date, dates: tuple[datetime.date, datetime.date]
) -> None:
    found = [f for f in find_periods(normalize(text), as_of) if f.relation is None]
    assert [(f.period.start, f.period.end) for f in found] == [dates]
    assert found[0].period.label


@pytest.mark.parametrize(
    "text",
    [
        "summer dresses",  # a season with no word making it a time
        "the holidays",  # different days to different readers
        "revenue by fortnight",
    ],
)
def test_words_that_are_not_named_periods(text: str) -> None:
    assert [f for f in find_periods(normalize(text), A) if f.relation is None] == []


def test_a_holiday_on_a_wednesday_has_no_weekend() -> None:
    with pytest.raises(PeriodError, match="Wednesday"):
        find_periods("christmas weekend 2024", A)


def test_a_year_back_from_a_holiday_is_its_own_date() -> None:
    [easter] = find_periods("easter monday 2026", A)
    assert year_ago(easter.period).start == D(2025, 4, 21)
    assert resolve_relation(easter.period, "year_ago").label == "Easter Monday 2025"
    [weekend] = find_periods("thanksgiving weekend 2025", A)
    base = year_ago(weekend.period)
    assert (base.start, base.end) == (D(2024, 11, 28), D(2024, 12, 1))
    # a fixed date, a month: the same as a year back
    [may] = find_periods("may 2026", A)
    assert year_ago(may.period).start == D(2025, 5, 1)


def test_the_same_day_last_week_is_a_relation() -> None:
    [day, relation] = find_periods("yesterday vs the same day last week", A)
    assert relation.relation == "week_ago"
    shifted = resolve_relation(day.period, relation.relation)
    assert (shifted.start, shifted.end) == (D(2026, 6, 7), D(2026, 6, 7))


def test_fall_after_a_metric_is_a_verb() -> None:
    [found] = find_periods("did revenue fall in 2025", A)
    assert (found.period.start, found.period.end) == (D(2025, 1, 1), D(2025, 12, 31))


def test_winter_spans_two_years_and_says_so() -> None:
    with pytest.raises(PeriodError, match="winter spans two years"):
        find_periods("revenue this winter", A)


def test_this_weekend_on_a_weekday_is_a_forecast() -> None:
    [found] = find_periods("this weekend", A)
    assert found.future and found.period.start is None


def test_with_a_change_two_whole_periods_stay_two() -> None:
    text = "from april to may 2026"
    assert len(find_periods(text, A)) == 1
    pair = find_periods(text, A, join_units=False)
    assert [(p.period.start, p.period.end) for p in pair] == [
        (D(2026, 4, 1), D(2026, 4, 30)),
        (D(2026, 5, 1), D(2026, 5, 31)),
    ]
    # a span of days stays one span
    assert len(find_periods("between march 3 and march 9", A, join_units=False)) == 1
    # spans of days alike in length are two, set against each other
    weeks = find_periods(
        "from the first week of june to the second week of june", A, join_units=False
    )
    assert [(p.period.start, p.period.end) for p in weeks] == [
        (D(2026, 6, 1), D(2026, 6, 7)),
        (D(2026, 6, 8), D(2026, 6, 14)),
    ]


@pytest.mark.parametrize(
    ("start", "end", "unit", "units"),
    [
        (D(2026, 5, 1), D(2026, 5, 31), "day", 31),
        (D(2026, 6, 8), D(2026, 6, 21), "week", 2),
        (D(2026, 1, 1), D(2026, 6, 15), "week", 166 / 7),
        (D(2026, 1, 1), D(2026, 6, 15), "month", 5.5),
        (D(2025, 1, 1), D(2025, 12, 31), "quarter", 4),
        (D(2026, 2, 15), D(2026, 3, 31), "month", 14 / 28 + 1),
        (D(2024, 1, 1), D(2025, 12, 31), "year", 2),
    ],
)
def test_units_a_period_holds(
    start: datetime.date, end: datetime.date, unit: str, units: float
) -> None:
    period = Period(start, end, "x", "range")
    assert units_in(period, unit) == pytest.approx(units)
