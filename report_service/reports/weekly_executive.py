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
    "rpt_return_settlement": ("settled_through", "settling_days"),
}

#: The last order day whose returns have all arrived (one row).
SETTLEMENT = "select settled_through, settling_days from {rpt_return_settlement}"

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
    #: Return rates of weeks ending after this day are not settled yet (None:
    #: all are), and the days an order can still be returned.
    settled_through: dt.date | None = None
    settling_days: int | None = None


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
    settlement = q.run(SETTLEMENT).records()
    settled = settlement[0] if settlement else {}
    return WeeklyExecutiveRows(
        week=week,
        weeks=trend_weeks(q, week),
        regions=regions(q, week),
        settled_through=settled.get("settled_through"),
        settling_days=to_int(settled.get("settling_days")),
    )


def is_settled(week: dt.date, settled_through: dt.date | None) -> bool:
    """Whether every return of the week's orders has arrived."""
    return settled_through is not None and week + dt.timedelta(days=6) <= settled_through


def latest_settled_week(settled_through: dt.date | None) -> dt.date | None:
    """The Monday of the latest week whose return rate has settled."""
    if settled_through is None:
        return None
    sunday = settled_through - dt.timedelta(days=(settled_through.weekday() + 1) % 7)
    return sunday - dt.timedelta(days=6)


def settling_note(rows: WeeklyExecutiveRows) -> str:
    days = f"up to {rows.settling_days} days" if rows.settling_days else "weeks"
    after = f"after {rows.settled_through:%d %b %Y}" if rows.settled_through else "in the data"
    return (
        f"Return rates of weeks ending {after} are left blank: they are not settled yet "
        f"(an order can be returned {days} after it is placed, so a recent week's rate "
        "only rises)."
    )


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


def return_rate_kpi(rows: WeeklyExecutiveRows, weeks: dict[dt.date, WeekRow]) -> Kpi:
    """The week's return rate once it has settled; before that, the latest
    settled week's, labelled with its week (a recent week's 0% is returns not
    yet arrived, not good news)."""
    week = rows.week
    label = "Return rate"
    if not is_settled(week, rows.settled_through):
        settled = latest_settled_week(rows.settled_through)
        if settled is None or settled not in weeks:
            return Kpi.of("return_rate", "Return rate (not settled yet)", None, "ratio")
        week, label = settled, f"Return rate (week of {settled.isoformat()}, latest settled)"
    week_before = week - dt.timedelta(days=7)
    return Kpi.of(
        "return_rate",
        label,
        figures(weeks.get(week))["return_rate"],
        "ratio",
        (
            (
                f"Week before ({week_before.isoformat()})",
                figures(weeks.get(week_before))["return_rate"],
            ),
        ),
        higher_is_better=False,
    )


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
    )


def region_rows(records: Sequence[RegionRow], settled: bool = True) -> list[tuple[Any, ...]]:
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
                ratio(to_int(r["returned_orders"]), to_int(r["delivered_or_returned_orders"]))
                if settled
                else None,
            )
        )
    return rows


def regions_table_and_chart(
    week: dt.date, rows: list[tuple[Any, ...]], note: str | None = None
) -> tuple[Table, Chart]:
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
        note=note,
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


def trend_table_and_chart(
    week: dt.date,
    weeks: dict[dt.date, WeekRow],
    settled_through: dt.date | None = None,
    note: str | None = None,
) -> tuple[Table, Chart]:
    first_week = first_trend_week(week)
    trend = []
    for offset in range(TREND_WEEKS):
        start = first_week + dt.timedelta(days=7 * offset)
        figures_of_week = figures(weeks.get(start))
        if not is_settled(start, settled_through):
            figures_of_week["return_rate"] = None
        trend.append({"week_start": start, **figures_of_week})
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
        note=note,
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
    report_kpis = (
        *kpis(figures(weeks[week]), figures(weeks.get(week_before)), week_before),
        return_rate_kpi(rows, weeks),
    )
    settled = is_settled(week, rows.settled_through)
    note = settling_note(rows)
    regions_table, region_chart = regions_table_and_chart(
        week, region_rows(rows.regions, settled), None if settled else note
    )
    # The report's week is the trend's last: when it has settled, every week has.
    trend_table, trend_chart = trend_table_and_chart(
        week, weeks, rows.settled_through, None if settled else note
    )
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
