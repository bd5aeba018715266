"""``daily_sales``: one day's sales against the day before and a week earlier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict, cast

from pydantic import BaseModel, Field

from report_service.models import ReportError
from report_service.reports import charts
from report_service.reports.base import (
    PARAMS_CONFIG,
    IsoDate,
    ReportDefinition,
    ReportQueries,
)
from report_service.reports.document import (
    Chart,
    Column,
    Kpi,
    ReportDocument,
    Table,
    change_pct,
    safe_div_usd,
    to_int,
    to_usd,
)

TREND_DAYS = 14
TOP_PRODUCTS = 10


class DailySalesParams(BaseModel):
    """Parameters of ``daily_sales``."""

    model_config = PARAMS_CONFIG

    date: IsoDate = Field(
        default=None,
        description=(
            "The day to report (YYYY-MM-DD, or a phrase naming one day: 'yesterday',"
            " 'last Friday', 'June 3'); default: the latest day with sales."
        ),
    )


RELATIONS: dict[str, tuple[str, ...]] = {
    "rpt_daily_sales": ("order_date", "region", "channel", "revenue_usd", "orders", "units_sold"),
    "rpt_product_performance": (
        "order_date",
        "product_id",
        "product_name",
        "category",
        "revenue_usd",
        "units_sold",
        "orders",
        "gross_margin_usd",
    ),
}

LATEST_DAY = "select max(order_date) as order_date from {rpt_daily_sales}"

DAY_TOTALS = """
select order_date,
       sum(revenue_usd) as revenue_usd,
       sum(orders) as orders,
       sum(units_sold) as units_sold
from {rpt_daily_sales}
where order_date in (cast(:day as date), cast(:day_before as date), cast(:week_before as date))
group by order_date
"""

BREAKDOWN = """
select {dimension} as item,
       sum(case when order_date = cast(:day as date) then revenue_usd end) as revenue_usd,
       sum(case when order_date = cast(:day as date) then orders end) as orders,
       sum(case when order_date = cast(:day as date) then units_sold end) as units_sold,
       sum(case when order_date = cast(:day_before as date) then revenue_usd end)
           as revenue_day_before_usd,
       sum(case when order_date = cast(:week_before as date) then revenue_usd end)
           as revenue_week_before_usd
from {{rpt_daily_sales}}
where order_date in (cast(:day as date), cast(:day_before as date), cast(:week_before as date))
group by {dimension}
"""

TOP_PRODUCTS_SQL = """
select product_id,
       max(product_name) as product_name,
       max(category) as category,
       sum(revenue_usd) as revenue_usd,
       sum(units_sold) as units_sold,
       sum(orders) as orders,
       sum(gross_margin_usd) as gross_margin_usd
from {rpt_product_performance}
where order_date = cast(:day as date)
group by product_id
order by revenue_usd desc, product_id
limit 10
"""

TREND = """
select order_date, sum(revenue_usd) as revenue_usd, sum(orders) as orders
from {rpt_daily_sales}
where order_date between cast(:start as date) and cast(:day as date)
group by order_date
order by order_date
"""

#: The two breakdowns, with their column (fixed names, never user input).
BREAKDOWNS = (
    ("region", "Region", "by_region", "By region"),
    ("channel", "Channel", "by_channel", "By channel"),
)

#: A sum as the drivers return it: ``Decimal`` or ``float`` (None: no rows).
Amount = Decimal | float | int | None


# -- rows: what the queries return ------------------------------------------------
class DayTotalRow(TypedDict):
    order_date: dt.date
    revenue_usd: Amount
    orders: Amount
    units_sold: Amount


class BreakdownRow(TypedDict):
    item: str
    revenue_usd: Amount
    orders: Amount
    units_sold: Amount
    revenue_day_before_usd: Amount
    revenue_week_before_usd: Amount


class ProductRow(TypedDict):
    product_id: Any
    product_name: str | None
    category: str | None
    revenue_usd: Amount
    units_sold: Amount
    orders: Amount
    gross_margin_usd: Amount


class TrendRow(TypedDict):
    order_date: dt.date
    revenue_usd: Amount
    orders: Amount


@dataclass(frozen=True)
class DailySalesRows:
    """Everything the report shows, as the warehouse returned it."""

    day: dt.date
    #: The day, the day before and a week earlier (missing days have no row).
    totals: Sequence[DayTotalRow]
    #: Breakdown dimension (``region``, ``channel``) -> a row per item.
    breakdowns: Mapping[str, Sequence[BreakdownRow]]
    top_products: Sequence[ProductRow]
    #: The last :data:`TREND_DAYS` days that had sales, ending on ``day``.
    trend: Sequence[TrendRow]


# -- fetching ----------------------------------------------------------------------
def latest_day(q: ReportQueries) -> dt.date:
    day = q.scalar(LATEST_DAY)
    if day is None:
        raise ReportError("there are no sales in the warehouse yet")
    return cast(dt.date, day)


def comparison_days(day: dt.date) -> dict[str, dt.date]:
    return {
        "day": day,
        "day_before": day - dt.timedelta(days=1),
        "week_before": day - dt.timedelta(days=7),
    }


def day_totals(q: ReportQueries, day: dt.date) -> list[DayTotalRow]:
    return cast(list[DayTotalRow], q.run(DAY_TOTALS, **comparison_days(day)).records())


def breakdown(q: ReportQueries, dimension: str, day: dt.date) -> list[BreakdownRow]:
    sql = BREAKDOWN.format(dimension=dimension)
    return cast(list[BreakdownRow], q.run(sql, **comparison_days(day)).records())


def top_products(q: ReportQueries, day: dt.date) -> list[ProductRow]:
    return cast(list[ProductRow], q.run(TOP_PRODUCTS_SQL, day=day).records())


def trend(q: ReportQueries, day: dt.date) -> list[TrendRow]:
    start = day - dt.timedelta(days=TREND_DAYS - 1)
    return cast(list[TrendRow], q.run(TREND, start=start, day=day).records())


def fetch(q: ReportQueries, params: Any) -> DailySalesRows:
    """The rows of the daily sales report for ``params.date`` (default: the latest day)."""
    if not isinstance(params, DailySalesParams):
        raise TypeError("daily_sales needs DailySalesParams")
    day = params.date or latest_day(q)
    return DailySalesRows(
        day=day,
        totals=day_totals(q, day),
        breakdowns={dimension: breakdown(q, dimension, day) for dimension, *_ in BREAKDOWNS},
        top_products=top_products(q, day),
        trend=trend(q, day),
    )


# -- assembling --------------------------------------------------------------------
def figures(row: DayTotalRow | None) -> dict[str, Any]:
    if row is None:
        return {"revenue": None, "orders": None, "units": None, "aov": None}
    revenue, orders = to_usd(row["revenue_usd"]), to_int(row["orders"])
    return {
        "revenue": revenue,
        "orders": orders,
        "units": to_int(row["units_sold"]),
        "aov": safe_div_usd(revenue, orders),
    }


def kpis(rows: DailySalesRows) -> tuple[Kpi, ...]:
    days = comparison_days(rows.day)
    totals = {r["order_date"]: r for r in rows.totals}
    if rows.day not in totals:
        raise ReportError(f"there are no sales for {rows.day.isoformat()}")
    today, before, week = (figures(totals.get(when)) for when in days.values())
    return tuple(
        Kpi.of(
            name,
            label,
            today[key],
            kind,
            (
                (f"Day before ({days['day_before'].isoformat()})", before[key]),
                (f"Week before ({days['week_before'].isoformat()})", week[key]),
            ),
        )
        for key, name, label, kind in (
            ("revenue", "revenue_usd", "Revenue", "usd"),
            ("orders", "orders", "Orders", "int"),
            ("aov", "average_order_value_usd", "Average order value", "usd"),
            ("units", "units_sold", "Units sold", "int"),
        )
    )


def breakdown_table(
    records: Sequence[BreakdownRow], dimension: str, label: str, name: str, title: str
) -> Table:
    rows = []
    for r in records:
        revenue = to_usd(r["revenue_usd"]) or to_usd(0)
        orders = to_int(r["orders"]) or 0
        # Normalised first: some drivers sum money as floats.
        day_before = to_usd(r["revenue_day_before_usd"])
        week_before = to_usd(r["revenue_week_before_usd"])
        rows.append(
            (
                r["item"],
                revenue,
                orders,
                to_int(r["units_sold"]) or 0,
                safe_div_usd(revenue, orders),
                day_before,
                change_pct(revenue, day_before),
                week_before,
                change_pct(revenue, week_before),
            )
        )
    rows.sort(key=lambda row: (-(row[1] or 0), str(row[0])))
    return Table(
        name=name,
        title=title,
        columns=(
            Column(dimension, label),
            Column("revenue_usd", "Revenue", "usd"),
            Column("orders", "Orders", "int"),
            Column("units_sold", "Units", "int"),
            Column("average_order_value_usd", "AOV", "usd"),
            Column("revenue_day_before_usd", "Revenue day before", "usd"),
            Column("change_vs_day_before", "vs day before", "ratio"),
            Column("revenue_week_before_usd", "Revenue week before", "usd"),
            Column("change_vs_week_before", "vs week before", "ratio"),
        ),
        rows=tuple(rows),
    )


def products_table(products: Sequence[ProductRow]) -> Table:
    return Table(
        name="top_products",
        title=f"Top {TOP_PRODUCTS} products by revenue",
        columns=(
            Column("rank", "#", "int"),
            Column("product_id", "Product ID"),
            Column("product_name", "Product"),
            Column("category", "Category"),
            Column("revenue_usd", "Revenue", "usd"),
            Column("units_sold", "Units", "int"),
            Column("orders", "Orders", "int"),
            Column("gross_margin_usd", "Gross margin", "usd"),
        ),
        rows=tuple(
            (
                rank,
                str(p["product_id"]),
                p["product_name"],
                p["category"],
                to_usd(p["revenue_usd"]),
                to_int(p["units_sold"]),
                to_int(p["orders"]),
                to_usd(p["gross_margin_usd"]),
            )
            for rank, p in enumerate(products, start=1)
        ),
    )


def trend_points(day: dt.date, records: Sequence[TrendRow]) -> list[dict[str, Any]]:
    """One point per day of the trend, a day without sales at zero."""
    start = day - dt.timedelta(days=TREND_DAYS - 1)
    by_day = {r["order_date"]: r for r in records}
    points = []
    for offset in range(TREND_DAYS):
        when = start + dt.timedelta(days=offset)
        row = by_day.get(when)
        points.append(
            {
                "order_date": when,
                "revenue_usd": to_usd(row["revenue_usd"]) if row else to_usd(0),
                "orders": to_int(row["orders"]) if row else 0,
            }
        )
    return points


def trend_table_and_chart(day: dt.date, points: list[dict[str, Any]]) -> tuple[Table, Chart]:
    start = day - dt.timedelta(days=TREND_DAYS - 1)
    table = Table(
        name="revenue_trend",
        title=f"Revenue, last {TREND_DAYS} days",
        columns=(
            Column("order_date", "Day", "date"),
            Column("revenue_usd", "Revenue", "usd"),
            Column("orders", "Orders", "int"),
        ),
        rows=tuple((t["order_date"], t["revenue_usd"], t["orders"]) for t in points),
    )
    chart = Chart(
        name="revenue_trend",
        title=f"Revenue, last {TREND_DAYS} days",
        spec=charts.line_chart(
            f"Revenue per day, {start.isoformat()} to {day.isoformat()}",
            points,
            x="order_date",
            x_title="Day",
            series=(("revenue_usd", "Revenue (USD)"),),
            y_title="Revenue (USD)",
        ),
    )
    return table, chart


def assemble(rows: DailySalesRows, generated_at: dt.datetime) -> ReportDocument:
    """The daily sales report's document: a pure function of its rows."""
    day = rows.day
    report_kpis = kpis(rows)  # first: it refuses a day without sales
    tables = [
        breakdown_table(rows.breakdowns[dimension], dimension, label, name, title)
        for dimension, label, name, title in BREAKDOWNS
    ]
    tables.append(products_table(rows.top_products))
    trend_table, chart = trend_table_and_chart(day, trend_points(day, rows.trend))
    tables.append(trend_table)
    return ReportDocument(
        report_type="daily_sales",
        title="Daily sales",
        subtitle=f"{day:%A} {day.isoformat()}",
        period_start=day,
        period_end=day,
        params={"date": day.isoformat()},
        generated_at=generated_at,
        kpis=report_kpis,
        tables=tuple(tables),
        charts=(chart,),
    )


DEFINITION = ReportDefinition(
    report_type="daily_sales",
    title="Daily sales",
    description=(
        "One day's revenue, orders, average order value and units against the day "
        "before and the same day a week earlier; by region and channel; top products."
    ),
    params_model=DailySalesParams,
    relations=RELATIONS,
    fetch=fetch,
    assemble=assemble,
)
