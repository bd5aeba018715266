"""``daily_sales``: one day's sales against the day before and a week earlier."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from report_service.models import ReportError
from report_service.reports import charts
from report_service.reports.base import (
    PARAMS_CONFIG,
    IsoDate,
    ReportDefinition,
    ReportQueries,
    utc_now,
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
        description="The day to report (YYYY-MM-DD); default: the latest day with sales.",
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


def _breakdown_table(
    q: ReportQueries, dimension: str, label: str, name: str, title: str, binds: dict[str, dt.date]
) -> Table:
    result = q.run(BREAKDOWN.format(dimension=dimension), **binds)
    rows = []
    for r in result.records():
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


def build(q: ReportQueries, params: Any) -> ReportDocument:
    """Assemble the daily sales report for ``params.date`` (default: latest day)."""
    if not isinstance(params, DailySalesParams):
        raise TypeError("daily_sales needs DailySalesParams")
    day = params.date
    if day is None:
        day = q.scalar(LATEST_DAY)
        if day is None:
            raise ReportError("there are no sales in the warehouse yet")
    day_before = day - dt.timedelta(days=1)
    week_before = day - dt.timedelta(days=7)
    binds = {"day": day, "day_before": day_before, "week_before": week_before}

    totals = {r["order_date"]: r for r in q.run(DAY_TOTALS, **binds).records()}
    if day not in totals:
        raise ReportError(f"there are no sales for {day.isoformat()}")

    def figures(when: dt.date) -> dict[str, Any]:
        row = totals.get(when)
        if row is None:
            return {"revenue": None, "orders": None, "units": None, "aov": None}
        revenue, orders = to_usd(row["revenue_usd"]), to_int(row["orders"])
        return {
            "revenue": revenue,
            "orders": orders,
            "units": to_int(row["units_sold"]),
            "aov": safe_div_usd(revenue, orders),
        }

    today, before, week = figures(day), figures(day_before), figures(week_before)
    kpis = []
    for key, name, label, kind in (
        ("revenue", "revenue_usd", "Revenue", "usd"),
        ("orders", "orders", "Orders", "int"),
        ("aov", "average_order_value_usd", "Average order value", "usd"),
        ("units", "units_sold", "Units sold", "int"),
    ):
        kpis.append(
            Kpi.of(
                name,
                label,
                today[key],
                kind,
                (
                    (f"Day before ({day_before.isoformat()})", before[key]),
                    (f"Week before ({week_before.isoformat()})", week[key]),
                ),
            )
        )

    tables = [
        _breakdown_table(q, dimension, label, name, title, binds)
        for dimension, label, name, title in BREAKDOWNS
    ]

    products = q.run(TOP_PRODUCTS_SQL, day=day).records()
    tables.append(
        Table(
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
    )

    start = day - dt.timedelta(days=TREND_DAYS - 1)
    trend_rows = {r["order_date"]: r for r in q.run(TREND, start=start, day=day).records()}
    trend = []
    for offset in range(TREND_DAYS):
        when = start + dt.timedelta(days=offset)
        row = trend_rows.get(when)
        trend.append(
            {
                "order_date": when,
                "revenue_usd": to_usd(row["revenue_usd"]) if row else to_usd(0),
                "orders": to_int(row["orders"]) if row else 0,
            }
        )
    tables.append(
        Table(
            name="revenue_trend",
            title=f"Revenue, last {TREND_DAYS} days",
            columns=(
                Column("order_date", "Day", "date"),
                Column("revenue_usd", "Revenue", "usd"),
                Column("orders", "Orders", "int"),
            ),
            rows=tuple((t["order_date"], t["revenue_usd"], t["orders"]) for t in trend),
        )
    )
    chart = Chart(
        name="revenue_trend",
        title=f"Revenue, last {TREND_DAYS} days",
        spec=charts.line_chart(
            f"Revenue per day, {start.isoformat()} to {day.isoformat()}",
            trend,
            x="order_date",
            x_title="Day",
            series=(("revenue_usd", "Revenue (USD)"),),
            y_title="Revenue (USD)",
        ),
    )
    return ReportDocument(
        report_type="daily_sales",
        title="Daily sales",
        subtitle=f"{day:%A} {day.isoformat()}",
        period_start=day,
        period_end=day,
        params={"date": day.isoformat()},
        generated_at=utc_now(),
        kpis=tuple(kpis),
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
    builder=build,
)
