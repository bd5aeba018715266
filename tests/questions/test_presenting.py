"""Answers as people read them: the formatter of every kind
(analytics_core/formatting.py), table-driven, and the presentation of answers
with the project's real semantic manifest (questions/presenting.py)."""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from analytics_core.formatting import EMPTY, Kind, format_value, json_number
from questions.answers import Answer, Interpretation
from questions.presenting import Catalog, answer_json, example_questions, present
from questions.semantic import load_raw_semantic_manifest

D = datetime.date
DT = datetime.datetime


@pytest.mark.parametrize(
    ("value", "kind", "options", "shown"),
    [
        # money: currency from the unit, cents, half up, sign before the symbol
        (1234.5, "money", {"unit": "USD"}, "$1,234.50"),
        (Decimal("1234.565"), "money", {"unit": "USD"}, "$1,234.57"),
        (0.005, "money", {"unit": "USD"}, "$0.01"),
        (-12, "money", {"unit": "USD"}, "-$12.00"),
        (-0.004, "money", {"unit": "USD"}, "$0.00"),
        (1234.5, "money", {"unit": "EUR"}, "€1,234.50"),
        (1234.5, "money", {"unit": "chf"}, "1,234.50 CHF"),
        (98765432109876.54, "money", {"unit": "USD"}, "$98,765,432,109,876.55"),
        (
            Decimal("123456789012345678901.999"),
            "money",
            {"unit": "USD"},
            "$123,456,789,012,345,678,902.00",
        ),
        (12.5, "money", {"unit": "USD", "signed": True}, "+$12.50"),
        (-12.5, "money", {"unit": "USD", "signed": True}, "-$12.50"),
        # counts
        (1234, "count", {}, "1,234"),
        (Decimal("1234"), "count", {}, "1,234"),
        (1234.0, "count", {}, "1,234"),
        (2.5, "count", {}, "2.50"),
        (10**18, "count", {}, "1,000,000,000,000,000,000"),
        (-3, "count", {"signed": True}, "-3"),
        (3, "count", {"signed": True}, "+3"),
        (0, "count", {"signed": True}, "0"),
        # percentages: fractions, one decimal; changes of rates in points
        (0.1234, "percent", {}, "12.3%"),
        (Decimal("0.0405"), "percent", {}, "4.1%"),
        (1, "percent", {}, "100.0%"),
        (12.5, "percent", {}, "1,250.0%"),
        (-0.617, "percent", {"signed": True}, "-61.7%"),
        (0.05, "percent", {"signed": True}, "+5.0%"),
        (0.012, "percent", {"unit": "pp", "signed": True}, "+1.2 pp"),
        # other quantities
        (1.23456, "number", {}, "1.23"),
        (-1234567.891, "number", {}, "-1,234,567.89"),
        # dates by grain; a timestamp at midnight is its day
        (D(2026, 6, 22), "date", {"grain": "day"}, "2026-06-22"),
        (DT(2026, 6, 22), "date", {"grain": "day"}, "2026-06-22"),
        (DT(2026, 6, 22, 13, 45), "date", {"grain": "day"}, "2026-06-22 13:45"),
        (DT(2026, 6, 22, 13, 45), "date", {"grain": "week"}, "week of 2026-06-22"),
        (D(2026, 6, 22), "date", {"grain": "week"}, "week of 2026-06-22"),
        (D(2025, 1, 1), "date", {"grain": "month"}, "Jan 2025"),
        (DT(2025, 1, 1), "date", {"grain": "month"}, "Jan 2025"),
        ("2025-01-01", "date", {"grain": "month"}, "Jan 2025"),
        (D(2025, 1, 1), "date", {"grain": "quarter"}, "Q1 2025"),
        (D(2025, 11, 1), "date", {"grain": "quarter"}, "Q4 2025"),
        (D(2025, 1, 1), "date", {"grain": "year"}, "2025"),
        (D(2025, 1, 1), "date", {}, "2025-01-01"),
        ("not a date", "date", {"grain": "month"}, "not a date"),
        # flags
        (True, "bool", {}, "yes"),
        (False, "bool", {}, "no"),
        # text
        ("EMEA", "text", {}, "EMEA"),
        (D(2025, 1, 1), "text", {}, "2025-01-01"),
        (7, "text", {}, "7"),
    ],
)
def test_every_kind_reads_as_people_write_it(
    value: Any, kind: Kind, options: Mapping[str, Any], shown: str
) -> None:
    assert format_value(value, kind, **options) == shown


@pytest.mark.parametrize("kind", ["money", "count", "percent", "number", "date", "bool", "text"])
@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf, Decimal("NaN")])
def test_no_value_is_a_dash_never_none_or_nan(kind: Kind, value: Any) -> None:
    assert format_value(value, kind, unit="USD") == EMPTY


@pytest.mark.parametrize(
    ("value", "kind", "number"),
    [
        (1234.5678, "money", 1234.57),
        (Decimal("0.125"), "money", 0.13),
        (-0.125, "money", -0.13),
        (Decimal("12"), "count", 12),
        (12.0, "count", 12),
        (0.1 + 0.2, "percent", 0.3),
        (Decimal("0.123456789"), "percent", 0.123457),
        (2.0000001, "number", 2.0),
        (math.nan, "percent", None),
        (math.inf, "money", None),
        (None, "count", None),
    ],
)
def test_json_keeps_numbers_numbers(value: Any, kind: Kind, number: Any) -> None:
    got = json_number(value, kind)
    assert got == number and type(got) is type(number)


# --- answers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> Mapping[str, Any]:
    return load_raw_semantic_manifest()


@pytest.fixture(scope="module")
def catalog(raw: Mapping[str, Any]) -> Catalog:
    return Catalog.from_manifest(raw)


def answer(columns: list[str], rows: list[list[Any]]) -> Answer:
    return Answer(
        "q", "answered", "local", Interpretation(metrics=("revenue",)), columns=columns, rows=rows
    )


def test_columns_are_labelled_and_typed_from_the_semantic_layer(catalog: Catalog) -> None:
    columns = [
        "metric_time__month",
        "customer__region",
        "revenue",
        "revenue__base",
        "revenue__change",
        "revenue__change_pct",
        "orders",
        "return_rate",
        "return_rate__change",
        "revenue__share",
        "revenue__per__active_customers",
        "orders__per__active_customers",
        "average_order_value",
        "order__order_date__quarter",
        "sales_region",
    ]
    row = [
        DT(2025, 1, 1), "EMEA", Decimal("1234.5"), 1000, Decimal("234.5"), 0.2345, 12,
        0.041, -0.012, 0.5, 289.555, 1.5, 102.3, D(2025, 1, 1), "AMER",
    ]  # fmt: skip
    shown = present(answer(columns, [row]), catalog)
    assert shown.labels == [
        "Month",
        "Region",
        "Revenue",
        "Revenue (base)",
        "Revenue change",
        "Revenue change %",
        "Orders",
        "Return rate",
        "Return rate change",
        "Revenue share",
        "Revenue per active customer",
        "Orders per active customer",
        "Average order value",
        "Order date (quarter)",
        "Region",
    ]
    assert shown.rows == [
        [
            "Jan 2025", "EMEA", "$1,234.50", "$1,000.00", "+$234.50", "+23.5%", "12", "4.1%",
            "-1.2 pp", "50.0%", "$289.56", "1.50", "$102.30", "Q1 2025", "AMER",
        ]
    ]  # fmt: skip
    kinds = {c.name: (c.kind, c.unit) for c in shown.columns}
    assert kinds["revenue"] == ("money", "USD")
    assert kinds["return_rate"] == ("percent", None)
    assert kinds["average_order_value"] == ("money", "USD")
    assert kinds["orders"] == ("count", None)
    # Two columns called "Region": the records keep both.
    assert list(shown.records()[0])[1] == "Region (customer__region)"
    assert list(shown.records()[0])[-1] == "Region (sales_region)"


def test_unknown_columns_are_named_from_their_words_and_typed_by_values(
    catalog: Catalog,
) -> None:
    columns = [
        "REVENUE", "Customer__Region", "ORDER_DAY", "avg_basket", "n_things", "notes",
        "REVENUE__CHANGE_PCT", "IS_RETURNED", "ORDER_ITEM__IS_REVENUE_BEARING",
    ]  # fmt: skip
    row = [12.5, "EMEA", D(2026, 1, 2), 3.25, 4, None, 0.25, False, True]
    shown = present(answer(columns, [row]), catalog)
    assert shown.labels == [
        "Revenue", "Region", "Order day", "Avg basket", "N things", "Notes", "Revenue change %",
        "Is returned", "Revenue-bearing",
    ]  # fmt: skip
    assert shown.rows == [
        ["$12.50", "EMEA", "2026-01-02", "3.25", "4", EMPTY, "+25.0%", "no", "yes"]
    ]
    assert [c.kind for c in shown.columns] == [
        "money", "text", "date", "number", "count", "text", "percent", "bool", "bool",
    ]  # fmt: skip
    assert [c.name for c in shown.columns] == columns  # named as the engine named them


def test_a_one_row_answer_has_big_numbers_formatted_as_the_table(catalog: Catalog) -> None:
    columns = ["revenue", "revenue__base", "revenue__change", "revenue__change_pct"]
    shown = present(answer(columns, [[1500.0, 1000.0, 500.0, 0.5]]), catalog)
    [headline] = shown.headlines
    assert (headline.label, headline.value, headline.delta) == ("Revenue", "$1,500.00", "+50.0%")
    assert headline.against == "against $1,000.00"
    assert headline.value == shown.rows[0][0]
    # A breakdown is a table, not big numbers.
    by_region = present(answer(["customer__region", "revenue"], [["EMEA", 1.0]]), catalog)
    assert by_region.headlines == []


def test_an_empty_change_pct_says_why(catalog: Catalog) -> None:
    columns = ["customer__region", "revenue", "revenue__base", "revenue__change_pct"]
    rows = [["EMEA", 10.0, 0.0, None], ["AMER", 5.0, None, None], ["APAC", 2.0, 1.0, 1.0]]
    shown = present(answer(columns, rows), catalog)
    assert [r[-1] for r in shown.rows] == [EMPTY, EMPTY, "+100.0%"]
    assert shown.notes == [
        f"Revenue change % is {EMPTY} where the base is 0 or there is no base value:"
        " a change over nothing has no percentage."
    ]
    one = present(answer(columns, [["EMEA", 1.0, 0, math.nan]]), catalog)
    [headline] = one.headlines if one.headlines else [None]
    assert headline is None  # a region column: no big number
    assert "the base is 0:" in one.notes[0]


def test_json_rows_keep_numbers_and_name_their_columns(catalog: Catalog) -> None:
    result = answer(
        ["metric_time__month", "revenue", "orders", "return_rate"],
        [
            [DT(2026, 5, 1), Decimal("1234.5678"), Decimal(12), 0.1 + 0.2],
            [DT(2026, 6, 1), None, 0, math.nan],
        ],
    )
    result.data_through = D(2026, 6, 30)
    payload = answer_json(result, catalog)
    text = json.dumps(payload, allow_nan=False)  # valid JSON: no NaN anywhere
    assert json.loads(text)["rows"] == [
        ["2026-05-01", 1234.57, 12, 0.3],
        ["2026-06-01", None, 0, None],
    ]
    assert payload["data_through"] == "2026-06-30"
    assert payload["columns_meta"][0] == {
        "name": "metric_time__month",
        "label": "Month",
        "kind": "date",
        "unit": None,
        "grain": "month",
    }
    assert [(c["kind"], c["unit"]) for c in payload["columns_meta"][1:]] == [
        ("money", "USD"),
        ("count", None),
        ("percent", None),
    ]


def test_example_questions_come_from_the_saved_queries(raw: Mapping[str, Any]) -> None:
    undated = example_questions(raw)
    assert "Revenue and orders by month and region" in undated
    assert "Average order value and revenue by channel" in undated
    # Internal metrics (the stand-in for revenue by sales region) are never named.
    assert not any("(by region)" in q for q in undated)
    dated = example_questions(raw, D(2026, 6, 30))
    assert "Revenue and orders by day in June 2026" in dated
    assert "Return rate and returned orders by week and region in Q2 2026" in dated
    assert "New customers by month in 2026" in dated
    assert len(dated) == len(undated) == len(raw["saved_queries"])


def test_averages_per_unit_of_time_keep_their_metrics_kind(catalog: Catalog) -> None:
    columns = ["order__channel", "revenue__per_day", "orders__per_week", "revenue__per_fortnight"]
    shown = present(answer(columns, [["web", Decimal("1046.1686"), 35.759, 3]]), catalog)
    assert shown.labels[:3] == ["Channel", "Revenue per day", "Orders per week"]
    assert shown.rows[0][1] == "$1,046.17"
    assert [c.role for c in shown.columns[1:3]] == ["average", "average"]
    # not a grain: named from its words, never taken for an average
    assert shown.columns[3].role is None
