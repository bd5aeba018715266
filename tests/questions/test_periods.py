"""Periods in questions resolve to the calendar dates docs/metrics.md defines."""

from __future__ import annotations

import datetime

import pytest

from analytics_core.periods import PeriodError, find_period

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
