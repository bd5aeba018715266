"""The compare oracle's own arithmetic, on rows written by hand (no warehouse).

The oracle's base numbers are checked against the warehouse by the bank tests;
here the parts that assemble a comparison from them: the column names, the
time shift of a base bucket, the full outer join of the two periods, shares
over the ``of`` dimensions and the extra ratio column.
"""

from __future__ import annotations

import datetime

import pytest

from tests.questions.oracle_compare import (
    add_months,
    add_ratio,
    add_shares,
    bucket_shift,
    join_periods,
    value_columns,
)

D = datetime.date


def test_value_columns_follow_the_spec() -> None:
    base = {"kind": "period", "base": {"start": "2026-04-01", "end": "2026-04-30"}}
    assert value_columns({"metrics": ["revenue", "orders"], "compare": base}) == [
        "revenue",
        "revenue__base",
        "revenue__change",
        "revenue__change_pct",
        "orders",
        "orders__base",
        "orders__change",
        "orders__change_pct",
    ]
    share = {"kind": "share", "of": ["order__channel"]}
    assert value_columns({"metrics": ["revenue"], "compare": share}) == [
        "revenue",
        "revenue__share",
    ]
    ratio = {"kind": "ratio", "numerator": "revenue", "denominator": "active_customers"}
    assert value_columns({"metrics": ["revenue", "active_customers"], "compare": ratio}) == [
        "revenue",
        "active_customers",
        "revenue__per__active_customers",
    ]
    assert value_columns({"metrics": ["orders"]}) == ["orders"]
    with pytest.raises(ValueError, match="unknown compare kind"):
        value_columns({"metrics": ["orders"], "compare": {"kind": "median"}})


def test_months_move_to_the_last_day_when_the_day_is_missing() -> None:
    assert add_months(D(2025, 1, 1), 12) == D(2026, 1, 1)
    assert add_months(D(2025, 12, 1), 1) == D(2026, 1, 1)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2026, 1, 15), -13) == D(2024, 12, 15)


def test_a_base_bucket_moves_by_whole_units_of_its_grain() -> None:
    assert bucket_shift("month", D(2026, 1, 1), D(2025, 1, 1)) == (12, 0)
    assert bucket_shift("quarter", D(2026, 4, 1), D(2026, 1, 1)) == (3, 0)
    assert bucket_shift("year", D(2025, 1, 1), D(2024, 1, 1)) == (12, 0)
    assert bucket_shift("week", D(2026, 6, 8), D(2026, 6, 1)) == (0, 7)
    assert bucket_shift("week", D(2026, 6, 15), D(2025, 6, 15)) == (0, 364)  # 365 days: 52 weeks
    assert bucket_shift("day", D(2026, 6, 30), D(2026, 6, 23)) == (0, 7)
    with pytest.raises(ValueError, match="unknown grain"):
        bucket_shift("hour", D(2026, 6, 30), D(2026, 6, 23))


def test_periods_join_on_every_group_of_either_side() -> None:
    rows = join_periods(
        ["customer__region"],
        ["revenue"],
        [["AMER", 150.0], ["EMEA", 80.0]],
        [["AMER", 100.0], ["APAC", 40.0], ["EMEA", 0.0]],
    )
    assert sorted(rows) == [
        ["AMER", 150.0, 100.0, 50.0, 0.5],
        ["APAC", None, 40.0, None, None],
        ["EMEA", 80.0, 0.0, 80.0, None],  # no percentage over a zero base
    ]


def test_time_buckets_of_the_base_show_as_the_period_bucket() -> None:
    rows = join_periods(
        ["metric_time__month"],
        ["orders"],
        [[D(2026, 1, 1), 10.0], [D(2026, 2, 1), 12.0]],
        [[D(2025, 1, 1), 8.0], [D(2025, 3, 1), 5.0]],
        months=12,
    )
    assert rows == [
        [D(2026, 1, 1), 10.0, 8.0, 2.0, 0.25],
        [D(2026, 2, 1), 12.0, None, None, None],
        [D(2026, 3, 1), None, 5.0, None, None],
    ]
    daily = join_periods(
        ["metric_time__day"], ["revenue"], [[D(2026, 6, 8), 4.0]], [[D(2026, 6, 1), 2.0]], days=7
    )
    assert daily == [[D(2026, 6, 8), 4.0, 2.0, 2.0, 1.0]]


def test_shares_divide_by_the_sum_over_the_of_dimensions_within_other_groups() -> None:
    group_by = ["metric_time__month", "order__channel"]
    everything = [
        [D(2025, 1, 1), "mobile", 30.0],
        [D(2025, 1, 1), "web", 70.0],
        [D(2025, 2, 1), "mobile", 10.0],
        [D(2025, 2, 1), "web", 30.0],
    ]
    only_mobile = [row for row in everything if row[1] == "mobile"]
    assert add_shares(group_by, ["revenue"], ["order__channel"], only_mobile, everything) == [
        [D(2025, 1, 1), "mobile", 30.0, 0.3],
        [D(2025, 2, 1), "mobile", 10.0, 0.25],
    ]
    zero = [["mobile", 0.0], ["web", 0.0]]
    assert add_shares(["order__channel"], ["orders"], ["order__channel"], zero, zero) == [
        ["mobile", 0.0, None],
        ["web", 0.0, None],
    ]


def test_a_ratio_is_a_last_column_and_null_over_zero() -> None:
    rows = [["EMEA", 300.0, 3.0], ["UNKNOWN", 20.0, 0.0]]
    assert add_ratio(
        ["customer__region"], ["revenue", "active_customers"], "revenue", "active_customers", rows
    ) == [["EMEA", 300.0, 3.0, 100.0], ["UNKNOWN", 20.0, 0.0, None]]
