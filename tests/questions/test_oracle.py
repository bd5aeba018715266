"""The raw-data oracle of the question bank agrees with the semantic layer.

``oracle_sql.answer_from_raw`` computes answers from ``raw_data`` by the
contracts; here the same queries go through MetricFlow (``SemanticLayer.compile``)
over the marts of the small warehouse, and both must give the same rows. Two
independent routes agreeing is what lets the bank trust the oracle's numbers.

Behaviours of the semantic layer found on the way are pinned down here too, so
the question engine is built with them in mind (see the tests' docstrings).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import duckdb
import pytest

from analytics_core.settings import Settings
from questions.semantic import SemanticLayer
from tests.questions.oracle_sql import (
    ORACLES,
    answer_differences,
    answer_from_raw,
    normalise,
    oracle_differences,
)
from tests.questions.question_bank import BANK, BankQuestion

pytestmark = pytest.mark.slow

TARGET_METRICS = {"target_revenue", "target_attainment", "regional_revenue"}


@pytest.fixture(scope="module")
def layer(small_warehouse: Settings) -> SemanticLayer:
    return SemanticLayer.load(
        manifest_path=small_warehouse.dbt_target_path / "semantic_manifest.json"
    )


@pytest.fixture(scope="module")
def con(small_warehouse: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(small_warehouse.warehouse_path), read_only=True) as connection:
        yield connection


def where_clauses(filters: Sequence[Mapping[str, Any]]) -> list[str]:
    """MetricFlow where strings of interpretation filters."""
    out = []
    for f in filters:
        kind = "Entity" if "__" not in f["dimension"] else "Dimension"
        values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in f["values"])
        operator = "NOT IN" if f["operator"] == "not in" else "IN"
        out.append(f"{{{{ {kind}('{f['dimension']}') }}}} {operator} ({values})")
    return out


def _day(value: str | None) -> datetime.date | None:
    return None if value is None else datetime.date.fromisoformat(value)


def via_semantic_layer(
    layer: SemanticLayer,
    con: duckdb.DuckDBPyConnection,
    interpretation: Mapping[str, Any],
    strict_days: bool = False,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Compile an interpretation with MetricFlow and run it on the warehouse.

    ``strict_days``: also constrain ``metric_time__day`` in the where clause, so
    a period that cuts a week or month keeps only its own days (MetricFlow widens
    ``start``/``end`` to whole periods of the grain grouped by)."""
    period = interpretation.get("period") or {}
    start, end = _day(period.get("start")), _day(period.get("end"))
    where = where_clauses(interpretation.get("filters") or [])
    if strict_days and start is not None and end is not None:
        where.append(
            "{{ TimeDimension('metric_time', 'day') }} BETWEEN"
            f" '{start.isoformat()}' AND '{end.isoformat()}'"
        )
    order_by = [
        ("-" if o["descending"] else "") + o["by"] for o in interpretation.get("order_by") or []
    ]
    sql = layer.compile(
        interpretation["metrics"],
        interpretation.get("group_by") or [],
        where,
        order_by=order_by,
        limit=interpretation.get("limit"),
        start=start,
        end=end,
    )
    cursor = con.execute(sql)
    return [d[0] for d in cursor.description], cursor.fetchall()


def assert_same(
    layer: SemanticLayer,
    con: duckdb.DuckDBPyConnection,
    interpretation: Mapping[str, Any],
    strict_days: bool = False,
) -> None:
    columns, rows = via_semantic_layer(layer, con, interpretation, strict_days)
    full = {**interpretation, "limit": None}
    expected_columns, expected_rows = answer_from_raw(con, full)
    assert expected_rows, "the oracle found nothing: not a useful comparison"
    problems = answer_differences(
        columns,
        rows,
        expected_columns,
        expected_rows,
        group_by=interpretation.get("group_by") or [],
        metrics=interpretation["metrics"],
        order_by=interpretation.get("order_by") or [],
        limit=interpretation.get("limit"),
    )
    assert not problems, "\n".join(problems[:20])


def P(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


#: Interpretations covering every metric family, dimension, grain and filter
#: kind the oracle models, each with periods aligned to its time grain.
CASES: dict[str, dict[str, Any]] = {
    "revenue-orders-units-by-month-region": {
        "metrics": ["revenue", "orders", "units_sold"],
        "group_by": ["metric_time__month", "customer__region"],
    },
    "aov-by-channel-period": {
        "metrics": ["average_order_value"],
        "group_by": ["order__channel"],
        "period": P("2026-05-01", "2026-06-14"),
    },
    "aov-and-customers-by-channel": {
        "metrics": ["average_order_value", "active_customers"],
        "group_by": ["order__channel"],
    },
    "top-5-products-by-revenue": {
        "metrics": ["revenue"],
        "group_by": ["product__product_name"],
        "period": P("2026-01-01", "2026-03-31"),
        "order_by": [{"by": "revenue", "descending": True}],
        "limit": 5,
    },
    "bottom-10-products-by-units": {
        "metrics": ["units_sold"],
        "group_by": ["product__product_name"],
        "period": P("2025-01-01", "2025-12-31"),
        "order_by": [{"by": "units_sold", "descending": False}],
        "limit": 10,
    },
    "revenue-by-category-segment": {
        "metrics": ["revenue"],
        "group_by": ["product__category", "customer__segment"],
    },
    "revenue-by-country-in-emea": {
        "metrics": ["revenue"],
        "group_by": ["customer__country"],
        "filters": [{"dimension": "customer__region", "operator": "in", "values": ["EMEA"]}],
    },
    "revenue-return-rate-not-web": {
        "metrics": ["revenue", "return_rate"],
        "group_by": ["customer__region"],
        "filters": [{"dimension": "order__channel", "operator": "not in", "values": ["web"]}],
        "period": P("2026-04-01", "2026-06-14"),
    },
    "rates-by-region-channel": {
        "metrics": ["return_rate", "cancellation_rate"],
        "group_by": ["customer__region", "order__channel"],
    },
    "cancellation-rate-weekly": {
        "metrics": ["cancellation_rate"],
        "group_by": ["metric_time__week"],
        "period": P("2026-03-30", "2026-06-14"),
    },
    "orders-by-status-and-channel-quarterly": {
        "metrics": ["orders"],
        "group_by": ["order__order_status", "order__channel", "metric_time__quarter"],
        "period": P("2025-01-01", "2025-12-31"),
    },
    "customers-and-orders-daily": {
        "metrics": ["active_customers", "orders"],
        "group_by": ["metric_time__day"],
        "period": P("2026-06-01", "2026-06-30"),
    },
    "new-customers-by-region": {
        "metrics": ["new_customers"],
        "group_by": ["customer__region"],
        "period": P("2026-01-01", "2026-06-30"),
    },
    "new-customers-monthly-in-us": {
        "metrics": ["new_customers"],
        "group_by": ["metric_time__month"],
        "filters": [
            {"dimension": "customer__country", "operator": "in", "values": ["United States"]}
        ],
        "period": P("2025-01-01", "2026-06-30"),
    },
    "revenue-and-new-customers-by-segment-year": {
        "metrics": ["revenue", "new_customers"],
        "group_by": ["customer__segment", "metric_time__year"],
        "period": P("2025-01-01", "2025-12-31"),
    },
    "targets-and-attainment-by-region-month": {
        "metrics": ["target_revenue", "target_attainment"],
        "group_by": ["sales_region", "metric_time__month"],
        "period": P("2026-01-01", "2026-06-30"),
    },
    "attainment-in-apac": {
        "metrics": ["target_attainment"],
        "filters": [{"dimension": "sales_region", "operator": "in", "values": ["APAC"]}],
        "period": P("2026-04-01", "2026-06-30"),
    },
    "revenue-all-time": {"metrics": ["revenue", "orders", "units_sold", "active_customers"]},
}


@pytest.mark.parametrize("name", list(CASES))
def test_oracle_matches_the_semantic_layer(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection, name: str
) -> None:
    assert_same(layer, con, CASES[name])


def _oracle_entries() -> list[BankQuestion]:
    return [entry for entry in BANK if entry.oracle]


@pytest.mark.parametrize(
    "entry", [pytest.param(entry, id=entry.slug) for entry in _oracle_entries()]
)
def test_every_bank_expectation_matches_the_semantic_layer(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection, entry: BankQuestion
) -> None:
    """The bank's expected interpretations are queries the semantic layer can
    run, and their answers there equal the oracle's (days constrained strictly,
    as the periods of the bank are inclusive dates)."""
    assert entry.interpretation is not None and entry.oracle in ORACLES
    interpretation = entry.interpretation
    strict = not set(interpretation["metrics"]) & TARGET_METRICS
    columns, rows = via_semantic_layer(layer, con, interpretation, strict_days=strict)
    problems = oracle_differences(con, entry.oracle, interpretation, columns, rows)
    assert not problems, "\n".join(problems[:20])


def test_a_period_keeps_its_own_days_when_grouped_by_weeks(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    """MetricFlow's own time constraint widens a period to whole weeks or
    months of the grain grouped by; SemanticLayer.compile writes ``start``/``end``
    as day filters instead, so weekly orders from Wednesday 2026-04-01 do not
    count Monday 2026-03-30 and Tuesday 2026-03-31."""
    interpretation = {
        "metrics": ["orders"],
        "group_by": ["metric_time__week"],
        "period": P("2026-04-01", "2026-06-15"),
    }
    columns, exact = via_semantic_layer(layer, con, interpretation)
    _, strict = via_semantic_layer(layer, con, interpretation, strict_days=True)
    assert columns == ["metric_time__week", "orders"]
    # No order was asked for, so DuckDB may return the weeks in any order.
    assert sorted(exact) == sorted(strict)
    first_week = dict((str(row[0])[:10], row[1]) for row in exact)["2026-03-30"]
    whole_week = {
        str(row[0])[:10]: row[1]
        for row in via_semantic_layer(
            layer, con, {**interpretation, "period": P("2026-03-30", "2026-06-15")}
        )[1]
    }["2026-03-30"]
    assert first_week <= whole_week
    assert_same(layer, con, interpretation)
    assert_same(layer, con, {**interpretation, "period": P("2026-03-30", "2026-06-21")})


def test_new_customers_has_zero_rows_the_oracle_omits(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    """new_customers by a customer attribute has rows with 0: the unknown member
    carries the first order date of unknown orders (segment ``unknown``). The
    oracle has no such groups; the comparison treats a zero-count group as no
    group, and this test keeps the difference visible. Customers who never
    bought (no first-order date) are left out by the metric's filter, so no
    group has an empty time bucket."""
    interpretation = {
        "metrics": ["new_customers"],
        "group_by": ["customer__segment", "metric_time__quarter"],
    }
    columns, rows = via_semantic_layer(layer, con, interpretation)
    oracle_columns, oracle_rows = answer_from_raw(con, interpretation)

    def keyed(names: Sequence[str], records: Sequence[Sequence[Any]]) -> dict[Any, Any]:
        out = {}
        for record in records:
            named = {n: normalise(v) for n, v in zip(names, record, strict=True)}
            key = (named["customer__segment"], named["metric_time__quarter"])
            out[key] = named["new_customers"]
        return out

    got, expected = keyed(columns, rows), keyed(oracle_columns, oracle_rows)
    extra = {key: value for key, value in got.items() if key not in expected}
    assert extra, "no zero rows any more: drop the zero-row allowance of answer_differences"
    assert set(extra.values()) == {0.0}
    assert all(quarter is not None for _, quarter in got)
    assert ("unknown", "2024-07-01") in extra
    assert_same(layer, con, interpretation)


def test_order_entity_with_a_period_runs_on_duckdb(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    """MetricFlow's time constraint renders the ``order`` entity as an unquoted
    column ``order`` (a reserved word in DuckDB) for "AOV and buyers by channel
    last month"; SemanticLayer.compile writes the period as day filters, which
    do not take that path, so the question runs."""
    assert_same(
        layer,
        con,
        {
            "metrics": ["average_order_value", "active_customers"],
            "group_by": ["order__channel"],
            "period": P("2026-06-01", "2026-06-30"),
        },
    )
