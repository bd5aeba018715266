"""Each report's document from literal rows: layout without a warehouse.

A report is ``assemble(fetch(queries, params), generated_at)``; these tests
give ``assemble`` rows written out here (as the drivers return them: sums as
``Decimal`` or ``float``, days without sales absent) and check the figures,
comparisons, ordering and gap filling the document shows. That the rows have
the shape ``fetch`` returns is checked against the built warehouse in
``test_reports.py`` (``test_fetched_rows_have_the_typed_shapes``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, cast

import pytest

from report_service.models import ReportError
from report_service.reports import daily_sales, monthly_data_quality, weekly_executive
from report_service.reports.document import ReportDocument

AT = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 6, 30)  # a Tuesday


def kpi(document: ReportDocument, name: str) -> Any:
    return next(k for k in document.kpis if k.name == name)


def column(document: ReportDocument, table: str, name: str) -> list[Any]:
    found = document.table(table)
    index = found.column_names.index(name)
    return [row[index] for row in found.rows]


# -- daily_sales ---------------------------------------------------------------------
def day_total(day: dt.date, revenue: Any, orders: int, units: int) -> daily_sales.DayTotalRow:
    return {"order_date": day, "revenue_usd": revenue, "orders": orders, "units_sold": units}


def breakdown(item: str, revenue: Any, before: Any, week: Any) -> daily_sales.BreakdownRow:
    return {
        "item": item,
        "revenue_usd": revenue,
        "orders": 4,
        "units_sold": 9,
        "revenue_day_before_usd": before,
        "revenue_week_before_usd": week,
    }


def daily_rows(**changes: Any) -> daily_sales.DailySalesRows:
    rows: dict[str, Any] = {
        "day": DAY,
        "totals": [
            day_total(DAY, Decimal("1000.00"), 10, 25),
            day_total(DAY - dt.timedelta(days=1), 800.0, 8, 20),  # a float sum
            # no row a week before: no sales that day
        ],
        "breakdowns": {
            "region": [
                breakdown("EMEA", Decimal("300"), Decimal("200"), None),
                breakdown("AMER", Decimal("700"), Decimal("600"), Decimal("350")),
            ],
            "channel": [breakdown("web", Decimal("1000"), None, None)],
        },
        "top_products": [
            {
                "product_id": 17,
                "product_name": "Kettle",
                "category": "Kitchen",
                "revenue_usd": 412.345,
                "units_sold": 3,
                "orders": 3,
                "gross_margin_usd": Decimal("100.005"),
            }
        ],
        "trend": [
            {"order_date": DAY - dt.timedelta(days=2), "revenue_usd": 50, "orders": 1},
            {"order_date": DAY, "revenue_usd": Decimal("1000.00"), "orders": 10},
        ],
    }
    rows.update(changes)
    return daily_sales.DailySalesRows(**rows)


def test_daily_sales_kpis_compare_the_day_before_and_a_week_earlier() -> None:
    document = daily_sales.assemble(daily_rows(), AT)
    assert (document.title, document.subtitle) == ("Daily sales", "Tuesday 2026-06-30")
    assert document.params == {"date": "2026-06-30"} and document.generated_at == AT
    revenue = kpi(document, "revenue_usd")
    assert revenue.value == Decimal("1000.00")
    assert [c.label for c in revenue.comparisons] == [
        "Day before (2026-06-29)",
        "Week before (2026-06-23)",
    ]
    assert revenue.comparisons[0].value == Decimal("800.00")
    assert revenue.comparisons[0].change_pct == pytest.approx(0.25)
    assert revenue.comparisons[1].value is None  # no sales that day
    assert kpi(document, "average_order_value_usd").value == Decimal("100.00")
    assert [k.name for k in document.kpis] == [
        "revenue_usd",
        "orders",
        "average_order_value_usd",
        "units_sold",
    ]


def test_daily_sales_tables_sort_round_and_fill_gaps() -> None:
    document = daily_sales.assemble(daily_rows(), AT)
    assert [t.name for t in document.tables] == [
        "by_region",
        "by_channel",
        "top_products",
        "revenue_trend",
    ]
    # Largest revenue first; changes against each reference.
    assert column(document, "by_region", "region") == ["AMER", "EMEA"]
    assert column(document, "by_region", "change_vs_day_before") == [
        pytest.approx(700 / 600 - 1),
        pytest.approx(0.5),
    ]
    assert column(document, "by_region", "change_vs_week_before") == [pytest.approx(1.0), None]
    # Money to cents (half up), ids as text, ranks from 1.
    products = document.table("top_products").rows
    assert products == ((1, "17", "Kettle", "Kitchen", Decimal("412.35"), 3, 3, Decimal("100.01")),)
    # Fourteen days ending on the day; a day without sales is zero, not missing.
    trend = document.table("revenue_trend").rows
    assert len(trend) == daily_sales.TREND_DAYS
    assert trend[0][0] == DAY - dt.timedelta(days=daily_sales.TREND_DAYS - 1)
    assert trend[-1] == (DAY, Decimal("1000.00"), 10)
    assert trend[-2] == (DAY - dt.timedelta(days=1), Decimal("0.00"), 0)
    assert trend[-3] == (DAY - dt.timedelta(days=2), Decimal("50.00"), 1)
    [chart] = document.charts
    assert chart.name == "revenue_trend" and chart.spec["data"]["values"]


def test_daily_sales_without_sales_on_the_day_is_a_report_error() -> None:
    rows = daily_rows(totals=[day_total(DAY - dt.timedelta(days=1), 5, 1, 1)])
    with pytest.raises(ReportError, match="no sales for 2026-06-30"):
        daily_sales.assemble(rows, AT)


# -- weekly_executive ----------------------------------------------------------------
WEEK = dt.date(2026, 6, 22)  # a Monday


def week_row(start: dt.date, revenue: Any, target: Any, **changes: Any) -> Any:
    row = {
        "week_start": start,
        "revenue_usd": revenue,
        "orders": 50,
        "units_sold": 120,
        "new_customers": 7,
        "gross_margin_usd": Decimal("300"),
        "returned_orders": 2,
        "delivered_or_returned_orders": 40,
        "target_revenue_usd": target,
    }
    return {**row, **changes}


def weekly_rows(
    settled_through: dt.date | None = dt.date(2026, 8, 31),
) -> weekly_executive.WeeklyExecutiveRows:
    before = WEEK - dt.timedelta(days=7)
    return weekly_executive.WeeklyExecutiveRows(
        settled_through=settled_through,
        settling_days=42,
        week=WEEK,
        weeks=[
            week_row(before, Decimal("4000"), Decimal("5000"), new_customers=10),
            week_row(WEEK, Decimal("5500"), Decimal("5000")),
        ],
        regions=[
            {
                "region": "APAC",
                "revenue_usd": Decimal("1500"),
                "target_revenue_usd": Decimal("2000"),
                "revenue_week_before_usd": Decimal("1000"),
                "orders": 12,
                "new_customers": 2,
                "returned_orders": 1,
                "delivered_or_returned_orders": 0,  # no delivered orders: no rate
            }
        ],
    )


def test_an_unsettled_week_shows_the_latest_settled_return_rate_and_blanks() -> None:
    """Returns arrive weeks after an order: a week ending after settled_through
    has a low rate only because its returns are still to come."""
    rows = weekly_rows(settled_through=dt.date(2026, 6, 24))  # a Wednesday
    before = WEEK - dt.timedelta(days=7)
    rows = dataclasses.replace(
        rows,
        weeks=[
            week_row(before, Decimal("4000"), Decimal("5000"), returned_orders=4),
            rows.weeks[1],
        ],
    )
    document = weekly_executive.assemble(rows, AT)
    rate = kpi(document, "return_rate")
    assert rate.label == f"Return rate (week of {before}, latest settled)"
    assert rate.value == pytest.approx(0.1)
    trend = document.table("weekly_trend")
    rates = {row[0]: row[-1] for row in trend.rows}
    assert rates[WEEK] is None and rates[before] == pytest.approx(0.1)
    assert trend.note and "not settled yet" in trend.note and "24 Jun 2026" in trend.note
    assert "42 days" in trend.note
    regions = document.table("regions")
    assert [row[-1] for row in regions.rows] == [None]
    assert regions.note == trend.note


def test_a_report_with_no_settled_week_in_view_says_so() -> None:
    document = weekly_executive.assemble(weekly_rows(settled_through=dt.date(2026, 6, 1)), AT)
    rate = kpi(document, "return_rate")
    assert rate.label == "Return rate (not settled yet)" and rate.value is None
    without = weekly_executive.assemble(weekly_rows(settled_through=None), AT)
    assert kpi(without, "return_rate").value is None
    assert all(row[-1] is None for row in without.table("weekly_trend").rows)


def test_weekly_executive_kpis_against_the_week_before_and_target() -> None:
    document = weekly_executive.assemble(weekly_rows(), AT)
    assert document.subtitle == "ISO week 2026-W26: 2026-06-22 to 2026-06-28"
    assert (document.period_start, document.period_end) == (WEEK, dt.date(2026, 6, 28))
    revenue = kpi(document, "revenue_usd")
    assert [(c.label, c.value) for c in revenue.comparisons] == [
        ("Week before (2026-06-15)", Decimal("4000.00")),
        ("Target", Decimal("5000.00")),
    ]
    assert kpi(document, "target_attainment").value == pytest.approx(1.1)
    assert kpi(document, "target_attainment").comparisons[0].value == pytest.approx(0.8)
    assert kpi(document, "return_rate").value == pytest.approx(0.05)
    assert kpi(document, "return_rate").label == "Return rate"
    assert kpi(document, "return_rate").higher_is_better is False
    assert kpi(document, "new_customers").comparisons[0].change_pct == pytest.approx(-0.3)


def test_weekly_executive_trend_has_every_week_and_regions_their_ratios() -> None:
    document = weekly_executive.assemble(weekly_rows(), AT)
    trend = document.table("weekly_trend").rows
    assert len(trend) == weekly_executive.TREND_WEEKS
    assert trend[-1][:3] == (WEEK, Decimal("5500.00"), Decimal("5000.00"))
    assert trend[0][1:] == (None,) * 6  # a week without sales: empty, kept
    # The chart leaves out weeks without sales.
    [trend_chart, region_chart] = document.charts
    assert len(trend_chart.spec["data"]["values"]) == 2 * 2  # two weeks, two series
    [region] = document.table("regions").rows
    assert region[0] == "APAC"
    assert region[3] == pytest.approx(0.75) and region[5] == pytest.approx(0.5)
    assert region[8] is None
    assert region_chart.name == "regions"


def test_weekly_executive_without_sales_in_the_week_is_a_report_error() -> None:
    rows = weekly_executive.WeeklyExecutiveRows(week=WEEK, weeks=[], regions=[])
    with pytest.raises(ReportError, match="no sales in the week of 2026-06-22"):
        weekly_executive.assemble(rows, AT)


# -- monthly_data_quality ------------------------------------------------------------
MONTH = dt.date(2026, 2, 1)


def month_row(start: dt.date, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(monthly_data_quality.MONTHLY_COLUMNS, 0)
    return {**row, "month_start": start, "slowest_models": None, **values}


def monthly_rows(**changes: Any) -> monthly_data_quality.MonthlyDataQualityRows:
    rows: dict[str, Any] = {
        "month": MONTH,
        "months": [
            month_row(
                MONTH, tests_run=200, tests_passed=190, tests_failed=4, slowest_models="a, b"
            ),
            month_row(dt.date(2026, 1, 1), tests_run=100, tests_passed=100),
        ],
        "failures": [
            {
                "node_name": "not_null_orders_id",
                "resource_type": "test",
                "last_status": "fail",
                "is_failing": 1,
                "last_failure_at": dt.datetime(2026, 2, 3, 4, 5),
                "last_failures": Decimal("12"),
                "failures_total": 3,
                "last_message": "12 rows",
            }
        ],
        "quarantine": [
            {"source_table": "orders", "quarantine_rule": "bad_amount", "rows_quarantined": 5}
        ],
        "freshness": [
            {
                "source_name": "raw",
                "table_name": "orders",
                "status": "warn",
                "is_breach": 0,
                "max_loaded_at": None,
                "checked_at": None,
                "age_seconds": 5400,
            }
        ],
        "runs": [
            {"command": "build", "status": "success", "elapsed_seconds": 10.0},
            {"command": "build", "status": "error", "elapsed_seconds": 30.0},
            {"command": "build", "status": "success", "elapsed_seconds": None},
            {"command": "docs", "status": "success", "elapsed_seconds": 2},
        ],
        "anomalies": [],
        "daily": [
            {
                "date_day": dt.date(2026, 2, 10),
                "tests_failed": 1,
                "tests_errored": 2,
                "rows_quarantined": 5,
                "freshness_breaches": 0,
            }
        ],
    }
    rows.update(changes)
    return monthly_data_quality.MonthlyDataQualityRows(**rows)


def test_monthly_data_quality_kpis_against_the_month_before() -> None:
    document = monthly_data_quality.assemble(monthly_rows(), AT)
    assert document.subtitle == "February 2026 (2026-02-01 to 2026-02-28)"
    assert document.params == {"month": "2026-02"}
    pass_rate = kpi(document, "test_pass_rate")
    assert pass_rate.value == pytest.approx(0.95)
    assert pass_rate.comparisons[0].label == "2026-01"
    assert pass_rate.comparisons[0].value == pytest.approx(1.0)
    assert kpi(document, "tests_failed").higher_is_better is False
    assert len(document.kpis) == 11


def test_monthly_data_quality_tables_and_the_slowest_models_note() -> None:
    document = monthly_data_quality.assemble(monthly_rows(), AT)
    assert [t.name for t in document.tables] == [
        "test_results",
        "failures",
        "quarantine",
        "source_freshness",
        "run_durations",
        "volume_anomalies",
        "deliveries",
        "failed_deliveries",
    ]
    assert column(document, "test_results", "month") == ["2026-02", "2026-01"]
    assert document.table("failures").rows[0][3:6] == (True, dt.datetime(2026, 2, 3, 4, 5), 12)
    assert document.table("source_freshness").rows[0][3:] == (False, None, None, 1.5)
    runs = document.table("run_durations")
    # Per command: runs, failed, p50, p95 (interpolated), slowest; a run
    # without a duration counts as a run, not as a duration.
    assert runs.rows[0] == ("build", 3, 1, 20.0, pytest.approx(29.0), 30.0)
    assert runs.rows[1] == ("docs", 1, 0, 2.0, 2.0, 2.0)
    assert runs.note == "Slowest models this month: a, b"
    assert document.notes == ("Slowest models this month: a, b",)
    assert document.table("volume_anomalies").rows == ()
    # Every day of the month in the chart, a day without a record at zero.
    values = document.charts[0].spec["data"]["values"]
    days = {v["x"]: v["y"] for v in values}
    assert len(days) == 28 and days["2026-02-10"] == 5 and days["2026-02-11"] == 0


def delivery(
    delivery_id: str, kind: str, channel: str, status: str, **values: Any
) -> monthly_data_quality.DeliveryRow:
    row: dict[str, Any] = {
        "delivery_id": delivery_id,
        "kind": kind,
        "source": "daily_sales_to_leadership",
        "recipient": "cfo",
        "channel": channel,
        "due_at": dt.datetime(2026, 2, 2, 6),
        "status": status,
        "attempts": Decimal(1),
        "detail": None,
        **values,
    }
    return cast(monthly_data_quality.DeliveryRow, row)


def test_monthly_data_quality_counts_the_deliveries_its_tables_show() -> None:
    deliveries = [
        delivery("a", "subscription", "email", "sent", detail="3 files"),
        delivery("b", "subscription", "email", "sent"),
        delivery("c", "subscription", "email", "retrying", detail="SMTP 451"),
        delivery(
            "d",
            "alert",
            "slack",
            "failed",
            source="revenue_drop",
            recipient="ops",
            due_at=dt.datetime(2026, 2, 3, 7, 30),
            attempts=3,
            detail="slack answered 410",
        ),
        delivery("e", "subscription", "webhook", "queued", attempts=0),
    ]
    before = [delivery("f", "alert", "slack", "failed"), delivery("g", "alert", "email", "failed")]
    document = monthly_data_quality.assemble(
        monthly_rows(deliveries=deliveries, deliveries_before=before), AT
    )
    sent, failed = kpi(document, "deliveries_sent"), kpi(document, "deliveries_failed")
    assert (sent.value, sent.comparisons[0].value, sent.higher_is_better) == (2, 0, True)
    assert (failed.value, failed.comparisons[0].value, failed.higher_is_better) == (1, 2, False)
    # Per kind and channel: deliveries, sent, failed, pending (queued or retrying).
    assert document.table("deliveries").rows == (
        ("alert", "slack", 1, 0, 1, 0),
        ("subscription", "email", 3, 2, 0, 1),
        ("subscription", "webhook", 1, 0, 0, 1),
    )
    assert document.table("failed_deliveries").rows == (
        ("revenue_drop", "ops", "slack", dt.datetime(2026, 2, 3, 7, 30), 3, "slack answered 410"),
    )
    # The headline is the tables' numbers.
    assert sent.value == sum(column(document, "deliveries", "sent"))
    assert failed.value == sum(column(document, "deliveries", "failed"))
    assert failed.value == len(document.table("failed_deliveries").rows)


def test_monthly_data_quality_without_deliveries() -> None:
    document = monthly_data_quality.assemble(monthly_rows(), AT)
    assert kpi(document, "deliveries_sent").value == 0
    assert kpi(document, "deliveries_failed").value == 0
    assert document.table("deliveries").rows == ()
    assert document.table("failed_deliveries").rows == ()


def test_monthly_data_quality_without_the_month_before() -> None:
    rows = monthly_rows(months=[month_row(MONTH, tests_run=10, tests_passed=10)])
    document = monthly_data_quality.assemble(rows, AT)
    assert column(document, "test_results", "month") == ["2026-02"]
    assert kpi(document, "tests_run").comparisons[0].value is None
    assert document.notes == ()


def test_monthly_data_quality_without_records_for_the_month_is_a_report_error() -> None:
    with pytest.raises(ReportError, match="no data-quality records for 2026-02"):
        monthly_data_quality.assemble(monthly_rows(months=[]), AT)
