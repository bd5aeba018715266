"""``weekly_executive``: an ISO week against the week before and against target."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict, cast

from pydantic import BaseModel, Field

from report_service.models import ReportError
from report_service.reports import charts
from report_service.reports.base import (
    PARAMS_CONFIG,
    IsoMonday,
    ReportDefinition,
    ReportQueries,
    utc_today,
)
from report_service.reports.document import (
    Chart,
    Column,
    Kpi,
    ReportDocument,
    Table,
    change_pct,
    ratio,
    safe_div_usd,
    to_int,
    to_usd,
)

TREND_WEEKS = 12


class WeeklyExecutiveParams(BaseModel):
    """Parameters of ``weekly_executive``."""

    model_config = PARAMS_CONFIG

    week_start: IsoMonday = Field(
        default=None,
        description=(
            "Monday of the ISO week to report (YYYY-MM-DD), or a phrase naming the "
            "week or a day in it ('last week', 'week of June 10', 'w/c 8 June', "
            "'week 23'); default: the last complete week with sales."
        ),
    )


RELATIONS: dict[str, tuple[str, ...]] = {
    "rpt_weekly_kpis": (
        "week_start",
        "region",
        "revenue_usd",
        "orders",
        "units_sold",
        "new_customers",
        "gross_margin_usd",
        "returned_orders",
        "delivered_or_returned_orders",
        "target_revenue_usd",
    ),
    "rpt_daily_sales": ("order_date",),
}

LATEST_SALES_DAY = "select max(order_date) as order_date from {rpt_daily_sales}"

LATEST_WEEK = """
select max(week_start) as week_start
from {rpt_weekly_kpis}
where week_start <= cast(:latest_start as date)
"""

WEEKS = """
select week_start,
       sum(revenue_usd) as revenue_usd,
       sum(orders) as orders,
       sum(units_sold) as units_sold,
       sum(new_customers) as new_customers,
       sum(gross_margin_usd) as gross_margin_usd,
       sum(returned_orders) as returned_orders,
       sum(delivered_or_returned_orders) as delivered_or_returned_orders,
       sum(target_revenue_usd) as target_revenue_usd
from {rpt_weekly_kpis}
where week_start between cast(:first_week as date) and cast(:week as date)
group by week_start
order by week_start
"""

REGIONS = """
select region,
       sum(case when week_start = cast(:week as date) then revenue_usd end) as revenue_usd,
       sum(case when week_start = cast(:week as date) then target_revenue_usd end)
           as target_revenue_usd,
       sum(case when week_start = cast(:week_before as date) then revenue_usd end)
           as revenue_week_before_usd,
       sum(case when week_start = cast(:week as date) then orders end) as orders,
       sum(case when week_start = cast(:week as date) then new_customers end) as new_customers,
       sum(case when week_start = cast(:week as date) then returned_orders end)
           as returned_orders,
       sum(case when week_start = cast(:week as date) then delivered_or_returned_orders end)
           as delivered_or_returned_orders
from {rpt_weekly_kpis}
where week_start in (cast(:week as date), cast(:week_before as date))
group by region
order by region
"""


#: A sum as the drivers return it: ``Decimal`` or ``float`` (None: no rows).
Amount = Decimal | float | int | None


# -- rows: what the queries return ------------------------------------------------
class WeekRow(TypedDict):
    week_start: dt.date
    revenue_usd: Amount
    orders: Amount
    units_sold: Amount
    new_customers: Amount
    gross_margin_usd: Amount
    returned_orders: Amount
    delivered_or_returned_orders: Amount
    target_revenue_usd: Amount


class RegionRow(TypedDict):
    region: str
    revenue_usd: Amount
    target_revenue_usd: Amount
    revenue_week_before_usd: Amount
    orders: Amount
    new_customers: Amount
    returned_orders: Amount
    delivered_or_returned_orders: Amount


@dataclass(frozen=True)
class WeeklyExecutiveRows:
    """Everything the report shows, as the warehouse returned it."""

    week: dt.date
    #: The weeks of the trend that had sales, ending with ``week``.
    weeks: Sequence[WeekRow]
    #: A row per region: the week and the week before.
    regions: Sequence[RegionRow]


# -- fetching ----------------------------------------------------------------------
def default_week(q: ReportQueries) -> dt.date:
    """The last complete ISO week (Monday to Sunday) with sales, as of the latest
    sales day and yesterday (UTC), whichever is earlier."""
    latest = q.scalar(LATEST_SALES_DAY)
    if latest is None:
        raise ReportError("there are no sales in the warehouse yet")
    last_day = min(latest, utc_today() - dt.timedelta(days=1))
    # The latest Monday whose Sunday is on or before last_day.
    candidate = last_day - dt.timedelta(days=6)
    latest_start = candidate - dt.timedelta(days=candidate.weekday())
    week = q.scalar(LATEST_WEEK, latest_start=latest_start)
    if week is None:
        raise ReportError("there is no complete week of sales in the warehouse yet")
    if not isinstance(week, dt.date):
        raise ReportError(f"week_start is not a date in the warehouse: {week!r}")
    return week


def first_trend_week(week: dt.date) -> dt.date:
    return week - dt.timedelta(days=7 * (TREND_WEEKS - 1))


def trend_weeks(q: ReportQueries, week: dt.date) -> list[WeekRow]:
    rows = q.run(WEEKS, first_week=first_trend_week(week), week=week).records()
    return cast(list[WeekRow], rows)


def regions(q: ReportQueries, week: dt.date) -> list[RegionRow]:
    week_before = week - dt.timedelta(days=7)
    return cast(list[RegionRow], q.run(REGIONS, week=week, week_before=week_before).records())


def fetch(q: ReportQueries, params: Any) -> WeeklyExecutiveRows:
    """The rows of the weekly executive report for ``params.week_start``."""
    if not isinstance(params, WeeklyExecutiveParams):
        raise TypeError("weekly_executive needs WeeklyExecutiveParams")
    week = params.week_start or default_week(q)
    return WeeklyExecutiveRows(week=week, weeks=trend_weeks(q, week), regions=regions(q, week))


# -- assembling --------------------------------------------------------------------
def figures(row: WeekRow | None) -> dict[str, Any]:
    if row is None:
        return dict.fromkeys(
            (
                "revenue",
                "orders",
                "units",
                "aov",
                "new_customers",
                "margin",
                "return_rate",
                "target",
                "attainment",
            )
        )
    revenue, orders = to_usd(row["revenue_usd"]), to_int(row["orders"])
    target = to_usd(row["target_revenue_usd"])
    return {
        "revenue": revenue,
        "orders": orders,
        "units": to_int(row["units_sold"]),
        "aov": safe_div_usd(revenue, orders),
        "new_customers": to_int(row["new_customers"]),
        "margin": to_usd(row["gross_margin_usd"]),
        "return_rate": ratio(
            to_int(row["returned_orders"]), to_int(row["delivered_or_returned_orders"])
        ),
        "target": target,
        "attainment": ratio(revenue, target),
    }


def kpis(this: dict[str, Any], before: dict[str, Any], week_before: dt.date) -> tuple[Kpi, ...]:
    vs_before = f"Week before ({week_before.isoformat()})"
    return (
        Kpi.of(
            "revenue_usd",
            "Revenue",
            this["revenue"],
            "usd",
            ((vs_before, before["revenue"]), ("Target", this["target"])),
        ),
        Kpi.of(
            "target_attainment",
            "Target attainment",
            this["attainment"],
            "ratio",
            ((vs_before, before["attainment"]),),
        ),
        Kpi.of("orders", "Orders", this["orders"], "int", ((vs_before, before["orders"]),)),
        Kpi.of(
            "average_order_value_usd",
            "Average order value",
            this["aov"],
            "usd",
            ((vs_before, before["aov"]),),
        ),
        Kpi.of(
            "new_customers",
            "New customers",
            this["new_customers"],
            "int",
            ((vs_before, before["new_customers"]),),
        ),
        Kpi.of(
            "return_rate",
            "Return rate",
            this["return_rate"],
            "ratio",
            ((vs_before, before["return_rate"]),),
            higher_is_better=False,
        ),
    )


def region_rows(records: Sequence[RegionRow]) -> list[tuple[Any, ...]]:
    rows = []
    for r in records:
        revenue = to_usd(r["revenue_usd"])
        target = to_usd(r["target_revenue_usd"])
        rows.append(
            (
                r["region"],
                revenue,
                target,
                ratio(revenue, target),
                to_usd(r["revenue_week_before_usd"]),
                change_pct(revenue, to_usd(r["revenue_week_before_usd"])),
                to_int(r["orders"]),
                to_int(r["new_customers"]),
                ratio(to_int(r["returned_orders"]), to_int(r["delivered_or_returned_orders"])),
            )
        )
    return rows


def regions_table_and_chart(week: dt.date, rows: list[tuple[Any, ...]]) -> tuple[Table, Chart]:
    table = Table(
        name="regions",
        title="Regions against target",
        columns=(
            Column("region", "Region"),
            Column("revenue_usd", "Revenue", "usd"),
            Column("target_revenue_usd", "Target", "usd"),
            Column("target_attainment", "Attainment", "ratio"),
            Column("revenue_week_before_usd", "Revenue week before", "usd"),
            Column("change_vs_week_before", "vs week before", "ratio"),
            Column("orders", "Orders", "int"),
            Column("new_customers", "New customers", "int"),
            Column("return_rate", "Return rate", "ratio"),
        ),
        rows=tuple(rows),
    )
    chart = Chart(
        name="regions",
        title="Regions against target",
        spec=charts.grouped_bar_chart(
            f"Revenue and target by region, week of {week.isoformat()}",
            [{"region": r[0], "revenue": r[1], "target": r[2]} for r in rows],
            category="region",
            category_title="Region",
            series=(("revenue", "Revenue"), ("target", "Target")),
            y_title="USD",
        ),
    )
    return table, chart


def trend_table_and_chart(week: dt.date, weeks: dict[dt.date, WeekRow]) -> tuple[Table, Chart]:
    first_week = first_trend_week(week)
    trend = []
    for offset in range(TREND_WEEKS):
        start = first_week + dt.timedelta(days=7 * offset)
        trend.append({"week_start": start, **figures(weeks.get(start))})
    table = Table(
        name="weekly_trend",
        title=f"Last {TREND_WEEKS} weeks",
        columns=(
            Column("week_start", "Week of", "date"),
            Column("revenue_usd", "Revenue", "usd"),
            Column("target_revenue_usd", "Target", "usd"),
            Column("target_attainment", "Attainment", "ratio"),
            Column("orders", "Orders", "int"),
            Column("new_customers", "New customers", "int"),
            Column("return_rate", "Return rate", "ratio"),
        ),
        rows=tuple(
            (
                t["week_start"],
                t["revenue"],
                t["target"],
                t["attainment"],
                t["orders"],
                t["new_customers"],
                t["return_rate"],
            )
            for t in trend
        ),
    )
    chart = Chart(
        name="weekly_trend",
        title=f"Revenue against target, last {TREND_WEEKS} weeks",
        spec=charts.line_chart(
            f"Weekly revenue against target, {first_week.isoformat()} to {week.isoformat()}",
            [t for t in trend if t["revenue"] is not None],
            x="week_start",
            x_title="Week of",
            series=(("revenue", "Revenue"), ("target", "Target")),
            y_title="USD",
        ),
    )
    return table, chart


def assemble(rows: WeeklyExecutiveRows, generated_at: dt.datetime) -> ReportDocument:
    """The weekly executive report's document: a pure function of its rows."""
    week = rows.week
    week_before = week - dt.timedelta(days=7)
    week_end = week + dt.timedelta(days=6)
    weeks = {r["week_start"]: r for r in rows.weeks}
    if week not in weeks:
        raise ReportError(f"there are no sales in the week of {week.isoformat()}")
    report_kpis = kpis(figures(weeks[week]), figures(weeks.get(week_before)), week_before)
    regions_table, region_chart = regions_table_and_chart(week, region_rows(rows.regions))
    trend_table, trend_chart = trend_table_and_chart(week, weeks)
    iso_year, iso_week, _ = week.isocalendar()
    return ReportDocument(
        report_type="weekly_executive",
        title="Weekly executive summary",
        subtitle=(
            f"ISO week {iso_year}-W{iso_week:02d}: {week.isoformat()} to {week_end.isoformat()}"
        ),
        period_start=week,
        period_end=week_end,
        params={"week_start": week.isoformat()},
        generated_at=generated_at,
        kpis=report_kpis,
        tables=(regions_table, trend_table),
        charts=(trend_chart, region_chart),
    )


DEFINITION = ReportDefinition(
    report_type="weekly_executive",
    title="Weekly executive summary",
    description=(
        "An ISO week against the week before and against target: revenue, orders, "
        "average order value, new customers and return rate; a 12-week trend; regions "
        "against target."
    ),
    params_model=WeeklyExecutiveParams,
    relations=RELATIONS,
    fetch=fetch,
    assemble=assemble,
)
