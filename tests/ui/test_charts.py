"""Which chart fits which result (pure)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ui.charts import MAX_BARS, choose_chart, label, records

D = datetime.date


def test_one_number_is_a_big_number() -> None:
    chart = choose_chart(["revenue"], [[Decimal("1234.5")]])
    assert chart.kind == "number" and chart.value == Decimal("1234.5")


def test_time_series_is_a_line() -> None:
    chart = choose_chart(
        ["metric_time__month", "revenue"], [[D(2026, 1, 1), 1.0], [D(2026, 2, 1), 2.0]]
    )
    assert chart.kind == "line" and chart.x == "metric_time__month"
    assert chart.spec["encoding"]["x"]["type"] == "temporal"
    assert chart.spec["data"]["values"][0] == {"metric_time__month": "2026-01-01", "revenue": 1.0}


def test_time_series_by_category_is_coloured_lines() -> None:
    rows = [[D(2026, 1, 1), "EMEA", 1], [D(2026, 1, 1), "AMER", 2]]
    chart = choose_chart(["metric_time__month", "customer__region", "orders"], rows)
    assert chart.kind == "line" and chart.color == "customer__region"
    assert chart.spec["encoding"]["color"]["field"] == "customer__region"


def test_several_metrics_over_time_are_folded() -> None:
    chart = choose_chart(["metric_time__day", "revenue", "orders"], [[D(2026, 1, 1), 1.0, 2]])
    assert chart.spec["transform"] == [{"fold": ["revenue", "orders"], "as": ["metric", "value"]}]


def test_categories_are_bars_sorted_and_capped() -> None:
    rows = [[f"product {i}", float(i)] for i in range(MAX_BARS + 10)]
    chart = choose_chart(["product__product_name", "revenue"], rows)
    assert chart.kind == "bar"
    values = chart.spec["data"]["values"]
    assert len(values) == MAX_BARS and values[0]["revenue"] == MAX_BARS + 9


def test_two_categories_are_grouped_bars() -> None:
    chart = choose_chart(["customer__region", "order__channel", "revenue"], [["EMEA", "web", 1.0]])
    assert chart.kind == "bar" and chart.color == "order__channel"


@pytest.mark.parametrize(
    ("columns", "rows"),
    [
        ([], []),
        (["revenue"], []),
        (["customer__region"], [["EMEA"]]),
        (["a", "b", "c", "revenue"], [["x", "y", "z", 1.0]]),
    ],
)
def test_everything_else_is_a_table(columns: list[str], rows: list[list[object]]) -> None:
    assert choose_chart(columns, rows).kind == "table"


def test_labels_and_numbers_read_well() -> None:
    assert label("customer__region") == "Region"
    assert label("metric_time__month") == "Month"
    assert records(["d", "x"], [[D(2026, 1, 1), Decimal("1.5")]]) == [{"d": "2026-01-01", "x": 1.5}]


def test_labels_from_the_semantic_layer_title_the_chart() -> None:
    rows = [["EMEA", 1.0], ["AMER", 2.0]]
    chart = choose_chart(["customer__region", "revenue"], rows, {"revenue": "Revenue (USD)"})
    assert chart.kind == "bar"
    assert chart.spec["encoding"]["x"]["title"] == "Revenue (USD)"
    assert chart.spec["encoding"]["y"]["title"] == "Region"  # not given: from the name


def test_daily_trends_are_bars_for_counts_and_lines_for_measures() -> None:
    import datetime
    import json
    from decimal import Decimal

    from ui.charts import trend_chart

    days = [datetime.date(2026, 6, 1) + datetime.timedelta(days=n) for n in range(3)]
    counts = trend_chart(["date_day", "tests_failing"], list(zip(days, [0, 2, 0], strict=True)))
    assert counts["mark"]["type"] == "bar"
    assert counts["encoding"]["y"]["axis"]["format"] == "d"
    assert [r["date_day"] for r in counts["data"]["values"]] == [d.isoformat() for d in days]
    durations = trend_chart(
        ["date_day", "run_seconds_p95"],
        list(zip(days, [None, Decimal("27.5"), None], strict=True)),
        whole_numbers=False,
    )
    assert durations["mark"] == {"type": "line", "point": True}
    assert "axis" not in durations["encoding"]["y"]
    assert [r["run_seconds_p95"] for r in durations["data"]["values"]] == [None, 27.5, None]
    json.dumps(durations)  # what Streamlit sends to the browser
