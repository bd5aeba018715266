"""The rules that set a period against another, and the binding of values into
compared statements (no warehouse: the calendar and the SQL text only)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from analytics_core.periods import find_periods
from questions.answers import Comparison, Interpretation, Period
from questions.local.compare_sql import compile_compared
from questions.local.comparing import CompareError, period_comparison
from questions.local.compiling import QuestionError, bind_literals, rename_placeholders

AS_OF = datetime.date(2026, 6, 15)  # a Monday


def _period(text: str) -> Period:
    found = [f for f in find_periods(text, AS_OF) if f.relation is None]
    return found[0].period


def _compare(periods: list[Period], **cues: Any) -> tuple[Period | None, Comparison | None]:
    options: dict[str, Any] = {"relation": None, "change": False, "compared": False}
    options |= {"grain": None, "as_of": AS_OF} | cues
    return period_comparison(periods, **options)


def _dates(period: Period | None) -> tuple[str, str]:
    assert period is not None and period.start and period.end
    return period.start.isoformat(), period.end.isoformat()


def test_two_periods_need_a_comparison_word() -> None:
    with pytest.raises(CompareError, match="two periods"):
        _compare([_period("last month"), _period("2024")])
    period, compare = _compare([_period("2025"), _period("2024")], compared=True)
    assert _dates(period) == ("2025-01-01", "2025-12-31")
    assert compare is not None and _dates(compare.base) == ("2024-01-01", "2024-12-31")


def test_three_periods_ask_which() -> None:
    periods = [_period("2024"), _period("2025"), _period("last month")]
    with pytest.raises(CompareError, match="one period"):
        _compare(periods, compared=True)


@pytest.mark.parametrize(
    ("text", "base"),
    [
        ("last month", ("2026-04-01", "2026-04-30")),
        ("this month", ("2026-05-01", "2026-05-15")),
        ("last week", ("2026-06-01", "2026-06-07")),
        ("2025", ("2024-01-01", "2024-12-31")),
        ("last 30 days", ("2026-04-16", "2026-05-15")),
    ],
)
def test_growth_sets_a_period_against_the_one_before(text: str, base: tuple[str, str]) -> None:
    period, compare = _compare([_period(text)], change=True)
    assert compare is not None and compare.kind == "period"
    assert _dates(compare.base) == base
    assert period == _period(text)


def test_growth_with_no_period_is_the_last_whole_month() -> None:
    period, compare = _compare([], change=True)
    assert _dates(period) == ("2026-05-01", "2026-05-31")
    assert compare is not None and _dates(compare.base) == ("2026-04-01", "2026-04-30")


def test_week_over_week_with_no_period_is_the_last_whole_week() -> None:
    period, compare = _compare([], relation="week_ago", change=True)
    assert _dates(period) == ("2026-06-08", "2026-06-14")
    assert compare is not None and _dates(compare.base) == ("2026-06-01", "2026-06-07")


def test_a_relation_alone_names_the_period() -> None:
    period, compare = _compare([], relation="year_ago", relation_words="the same month last year")
    assert compare is None
    assert _dates(period) == ("2025-06-01", "2025-06-30")


def test_a_grain_compares_each_bucket_with_the_one_before() -> None:
    _, compare = _compare([_period("2025")], change=True, grain="month")
    assert compare is not None and _dates(compare.base) == ("2024-12-01", "2025-11-30")


def test_against_a_period_is_the_current_one_so_far() -> None:
    period, compare = _compare([_period("last month")], compared=True, against=True)
    assert _dates(period) == ("2026-06-01", "2026-06-15")
    assert compare is not None and _dates(compare.base) == ("2026-05-01", "2026-05-31")


def test_an_open_period_cannot_be_compared() -> None:
    open_ended = Period(None, datetime.date(2026, 1, 1), "until 2026-01-01")
    with pytest.raises(CompareError, match="no start or no end"):
        _compare([open_ended, _period("2025")], compared=True)


def test_binding_is_one_pass_and_escapes_every_value() -> None:
    template = "select 1 where a = '__qv0_0__' and b = '__qv1_0__'"
    hostile = "x' or '1'='1 '__qv1_0__'"
    sql = bind_literals(template, {"__qv0_0__": hostile, "__qv1_0__": "O'Neil"}, "duckdb")
    assert sql == "select 1 where a = 'x'' or ''1''=''1 ''__qv1_0__''' and b = 'O''Neil'"
    with pytest.raises(QuestionError, match="lost its placeholders"):
        bind_literals("select 1", {"__qv0_0__": "a"}, "duckdb")


def test_the_sides_of_a_comparison_keep_their_own_values() -> None:
    template, values = rename_placeholders(
        "x >= '__qstart__' and y in ('__qv0_0__')",
        {"__qstart__": "2026-01-01", "__qv0_0__": "a"},
        "b",
    )
    assert template == "x >= '__bqstart__' and y in ('__bqv0_0__')"
    assert values == {"__bqstart__": "2026-01-01", "__bqv0_0__": "a"}


@pytest.mark.parametrize(
    "interpretation",
    [
        Interpretation(("revenue; drop table x",), compare=Comparison("share", of=("a",))),
        Interpretation(("revenue",), group_by=("Region",), compare=Comparison("share", of=("a",))),
        Interpretation(
            ("revenue", "orders"),
            compare=Comparison("ratio", numerator="revenue", denominator="orders) or (1"),
        ),
    ],
)
def test_compared_sql_is_built_from_semantic_names_only(interpretation: Interpretation) -> None:
    with pytest.raises(QuestionError, match="not a semantic-layer name"):
        compile_compared(object(), interpretation, "day")  # type: ignore[arg-type]
