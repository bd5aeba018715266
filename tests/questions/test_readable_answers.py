"""Readable answers and data freshness on a real built warehouse: the engine
reads the data's range when it opens, every answer says how fresh it is,
periods past the data say so (with a question that has data), and
``analytics ask`` prints labelled, formatted tables and JSON with numbers."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pytest

from analytics_core.formatting import format_money, format_percent
from analytics_core.periods import Period, iso_week_start
from analytics_core.settings import Settings
from questions.answers import Filter, Interpretation
from questions.local import LocalQuestionEngine
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

#: Months after the data ends (the small warehouse ends on 2026-06-30).
LATE = datetime.date(2026, 12, 3)


@pytest.fixture(scope="module")
def engine(small_warehouse: Settings) -> Iterator[LocalQuestionEngine]:
    with LocalQuestionEngine.open(small_warehouse) as opened:
        yield opened


def query(settings: Settings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def revenue(settings: Settings, start: datetime.date, end: datetime.date) -> Decimal:
    [(total,)] = query(
        settings,
        "select sum(line_net_amount_usd) from processed_data.fct_order_items"
        " where is_revenue_bearing and order_date between ? and ?",
        start,
        end,
    )
    return Decimal(str(total or 0))


def test_the_engine_reads_the_data_range_when_it_opens(
    engine: LocalQuestionEngine, small_warehouse: Settings
) -> None:
    [(first, last)] = query(
        small_warehouse,
        "select min(order_date), max(order_date) from processed_data.fct_order_items",
    )
    assert engine.data_range is not None
    assert (engine.data_range.first, engine.data_range.last) == (first, last)
    assert last == datetime.date(2026, 6, 30)


def test_every_answer_says_how_fresh_the_data_is(engine: LocalQuestionEngine) -> None:
    answer = engine.ask("revenue by region in May 2026", as_of=datetime.date(2026, 6, 15))
    assert answer.status == "answered" and answer.rows
    assert answer.data_through == datetime.date(2026, 6, 30)
    assert answer.explanation.endswith("Data through 2026-06-30.")
    assert answer.to_json()["data_through"] == "2026-06-30"
    assert not any("data ends" in w for w in answer.warnings)


def test_a_relative_period_after_the_data_says_which_dates_and_offers_one_with_data(
    engine: LocalQuestionEngine, small_warehouse: Settings
) -> None:
    answer = engine.ask("revenue last week", as_of=LATE)
    monday = iso_week_start(LATE) - datetime.timedelta(days=7)
    sunday = monday + datetime.timedelta(days=6)
    assert answer.status == "answered"
    assert (
        f"No data: last week ({monday} to {sunday}) is outside the data, which covers"
        f" 2024-06-30 to 2026-06-30." in answer.explanation
    ), answer.explanation
    week = iso_week_start(datetime.date(2026, 6, 30))
    assert answer.suggestions[0] == f"revenue in the week of {week}"
    # The suggestion answers with the warehouse's figure for that week.
    other = engine.ask(answer.suggestions[0], as_of=LATE)
    assert other.status == "answered", other.explanation
    expected = revenue(small_warehouse, week, week + datetime.timedelta(days=6))
    assert expected > 0
    assert float(other.rows[0][0]) == pytest.approx(float(expected), abs=0.01)


@pytest.mark.parametrize(
    ("question", "replaced"),
    [
        ("revenue by region last month", "revenue by region in June 2026"),
        ("How many orders yesterday?", "How many orders on 2026-06-30?"),
        ("orders in the last 7 days", "orders between 2026-06-24 and 2026-06-30"),
        ("revenue last quarter by channel", "revenue in Q2 2026 by channel"),
    ],
)
def test_the_question_with_data_is_the_same_question(
    engine: LocalQuestionEngine, question: str, replaced: str
) -> None:
    answer = engine.ask(question, as_of=LATE)
    assert answer.status == "answered", answer.explanation
    assert "is outside the data" in answer.explanation
    assert answer.suggestions[0] == replaced
    assert engine.ask(replaced, as_of=LATE).rows


def test_a_period_partly_after_the_data_names_its_dates(engine: LocalQuestionEngine) -> None:
    answer = engine.ask("revenue this year", as_of=LATE)
    assert answer.status == "answered" and answer.rows and answer.rows[0][0]
    assert (
        f"“this year” is 2026-01-01 to {LATE}, but the data ends on 2026-06-30" in answer.warnings
    )
    assert "outside the data" not in answer.explanation


def test_no_rows_in_a_period_with_data_says_nothing_matched(
    engine: LocalQuestionEngine, small_warehouse: Settings
) -> None:
    # A product that sold, but not in June 2026.
    [(name,)] = query(
        small_warehouse,
        "select p.product_name from processed_data.fct_order_items i"
        " join processed_data.dim_products p on p.product_key = i.product_id"
        " where i.is_revenue_bearing group by 1"
        " having max(i.order_date) < date '2026-06-01' order by 1 limit 1",
    )
    june = Period(datetime.date(2026, 6, 1), datetime.date(2026, 6, 30), "June 2026")
    answer = engine.answer(
        Interpretation(
            metrics=("revenue",),
            group_by=("product__product_name",),
            filters=(Filter("product__product_name", (name,)),),
            period=june,
        )
    )
    assert answer.status == "answered" and answer.rows == []
    assert "No rows: nothing matched the question in that period." in answer.explanation
    assert "outside the data" not in answer.explanation


# --- analytics ask ---------------------------------------------------------------------


def test_ask_prints_labels_and_money(small_warehouse: Settings) -> None:
    proc = run_cli(
        "ask", "revenue by region in May 2026", "--as-of", "2026-06-15",
        home=small_warehouse.home, check=True,
    )  # fmt: skip
    header = next(line for line in proc.stdout.splitlines() if "Region" in line)
    assert "Revenue" in header and "customer__region" not in proc.stdout
    [(emea,)] = query(
        small_warehouse,
        "select sum(i.line_net_amount_usd) from processed_data.fct_order_items i"
        " join processed_data.dim_customers c using (customer_key)"
        " where c.region = 'EMEA' and i.is_revenue_bearing"
        " and i.order_date between '2026-05-01' and '2026-05-31'",
    )
    assert format_money(emea, "USD") in proc.stdout
    assert "Data through 2026-06-30." in proc.stdout
    assert "None" not in proc.stdout


def test_ask_prints_rates_as_percentages_and_months_by_name(small_warehouse: Settings) -> None:
    args = ("ask", "return rate by month in Q2 2026", "--as-of", "2026-06-15")
    printed = run_cli(*args, home=small_warehouse.home, check=True).stdout
    data = json.loads(run_cli(*args, "--json", home=small_warehouse.home, check=True).stdout)
    [header] = [line for line in printed.splitlines() if "Month" in line]
    assert "Return rate" in header
    for month, rate in data["rows"]:
        shown = {"2026-04-01": "Apr 2026", "2026-05-01": "May 2026", "2026-06-01": "Jun 2026"}
        line = next(line for line in printed.splitlines() if shown[month] in line)
        assert format_percent(rate) in line
        assert 0 <= rate <= 1


def test_ask_json_keeps_numbers_rounds_money_and_says_data_through(
    small_warehouse: Settings,
) -> None:
    proc = run_cli(
        "ask", "revenue and orders by month in Q2 2026", "--as-of", "2026-06-15", "--json",
        home=small_warehouse.home, check=True,
    )  # fmt: skip
    answer = json.loads(proc.stdout)
    assert answer["data_through"] == "2026-06-30"
    assert answer["columns"] == ["metric_time__month", "revenue", "orders"]
    assert answer["columns_meta"] == [
        {"name": "metric_time__month", "label": "Month", "kind": "date", "unit": None,
         "grain": "month"},
        {"name": "revenue", "label": "Revenue", "kind": "money", "unit": "USD", "grain": None},
        {"name": "orders", "label": "Orders", "kind": "count", "unit": None, "grain": None},
    ]  # fmt: skip
    assert len(answer["rows"]) == 3
    for month, money, orders in answer["rows"]:
        start = datetime.date.fromisoformat(month)
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        cents = revenue(small_warehouse, start, end).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert isinstance(money, float) and money == pytest.approx(float(cents), abs=0.011)
        assert round(money, 2) == money
        assert isinstance(orders, int) and orders > 0
