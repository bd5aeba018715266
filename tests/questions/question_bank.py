"""The question bank of the local question engine (``questions/local/``).

Each entry is a question as a business person would type it, an explicit
as-of date, the status the engine must give, and for answered questions the
interpretation it must reach (in the shape of ``Interpretation.to_json()``).
Entries with an ``oracle`` also have their answer checked against the numbers
computed straight from ``raw_data`` (``tests/questions/oracle_sql.py``).

Conventions the expectations follow (the engine's; see the brief of the engine):

- metrics in the order the question names them, by their semantic-layer names
  (synonyms from dbt meta: sales/turnover -> revenue, AOV/basket size ->
  average_order_value, customers/buyers -> active_customers, ...);
- ``group_by`` is compared as a sorted list; region is ``customer__region``
  except with target metrics (``sales_region``, also for their filters);
- periods are inclusive dates resolved against ``as_of`` (labels are free text
  and not compared); no period named -> ``None`` (all time);
- filters in warehouse spelling; "excluding X" -> ``not in``; "A vs B" -> a
  filter on both *and* the dimension in ``group_by``;
- ``order_by`` is asserted only for top/bottom/highest/lowest questions and for
  time-grouped ones (time ascending); ``None`` here means "not asserted";
  ``limit`` is asserted always (``None`` unless top/bottom N; "top" alone is 10).

Decisions beyond those conventions (documented on the entries):

- "revenue vs target" is revenue, target and attainment by sales region:
  ``regional_revenue``, ``target_revenue``, ``target_attainment`` (the saved
  query's metrics; ``revenue`` itself cannot be grouped by ``sales_region``).
- "total orders" is ``valid_orders`` (a synonym in dbt meta), so the bank asks
  for "number of orders" when it means ``orders``.
- Relative and named periods that are partly in the future stay whole
  ("turnover in 2026" with as_of 2026-06-15 is 2026-01-01..2026-12-31); only
  periods entirely after as_of are unsupported.
- "A and B" (no "vs") filters on both without grouping.
- "top N" lists are sorted by the metric named after "by" (or the only metric).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["answered", "clarify", "unsupported"]

REGION = "customer__region"
COUNTRY = "customer__country"
SEGMENT = "customer__segment"
CATEGORY = "product__category"
PRODUCT = "product__product_name"
CHANNEL = "order__channel"
STATUS = "order__order_status"
SALES_REGION = "sales_region"
DAY = "metric_time__day"
WEEK = "metric_time__week"
MONTH = "metric_time__month"
QUARTER = "metric_time__quarter"
YEAR = "metric_time__year"

#: The oracle of oracle_sql.ORACLES that computes an entry's expected answer.
RAW = "raw"

JUN15 = datetime.date(2026, 6, 15)  # a Monday; last week = 06-08..06-14
JUL01 = datetime.date(2026, 7, 1)  # a Wednesday; the data ends the day before
MAY10 = datetime.date(2026, 5, 10)  # a Sunday; this week = 05-04..05-10


@dataclass(frozen=True)
class BankQuestion:
    question: str
    as_of: datetime.date
    status: Status
    #: The expected ``Interpretation.to_json()`` (answered only): ``order_by``
    #: None means not asserted; ``period`` holds start/end only.
    interpretation: dict[str, Any] | None = None
    #: Name of the oracle (``oracle_sql.ORACLES``) computing the expected answer.
    oracle: str | None = None
    note: str = ""
    slug: str = field(default="", compare=False)


def _filter(dimension: str, operator: str, values: tuple[str, ...]) -> dict[str, Any]:
    return {"dimension": dimension, "operator": operator, "values": list(values)}


def IN(dimension: str, *values: str) -> dict[str, Any]:
    return _filter(dimension, "in", values)


def NOT_IN(dimension: str, *values: str) -> dict[str, Any]:
    return _filter(dimension, "not in", values)


def P(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


def answered(
    question: str,
    as_of: datetime.date,
    metrics: list[str],
    *,
    by: tuple[str, ...] = (),
    where: tuple[dict[str, Any], ...] = (),
    period: dict[str, str] | None = None,
    top: tuple[str, int] | None = None,
    bottom: tuple[str, int] | None = None,
    oracle: bool = True,
    note: str = "",
) -> BankQuestion:
    order_by: list[dict[str, Any]] | None = None
    limit: int | None = None
    if top is not None or bottom is not None:
        metric, limit = top or bottom  # type: ignore[misc]
        order_by = [{"by": metric, "descending": top is not None}]
    else:
        times = [g for g in by if g.startswith("metric_time__")]
        if times:
            order_by = [{"by": times[0], "descending": False}]
    return BankQuestion(
        question=question,
        as_of=as_of,
        status="answered",
        interpretation={
            "metrics": list(metrics),
            "group_by": sorted(by),
            "filters": list(where),
            "period": period,
            "order_by": order_by,
            "limit": limit,
        },
        oracle=RAW if oracle else None,
        note=note,
    )


def clarify(question: str, as_of: datetime.date = JUN15, note: str = "") -> BankQuestion:
    return BankQuestion(question=question, as_of=as_of, status="clarify", note=note)


def unsupported(question: str, as_of: datetime.date = JUN15, note: str = "") -> BankQuestion:
    return BankQuestion(question=question, as_of=as_of, status="unsupported", note=note)


_ANSWERED: list[BankQuestion] = [
    # --- revenue, with the periods of docs/metrics.md -----------------------------------
    answered(
        "How much did we sell in EMEA last month?",
        JUN15,
        ["revenue"],
        where=(IN(REGION, "EMEA"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    answered(
        "What was revenue yesterday?", JUL01, ["revenue"], period=P("2026-06-30", "2026-06-30")
    ),
    answered(
        "Revenue by region last month",
        JUL01,
        ["revenue"],
        by=(REGION,),
        period=P("2026-06-01", "2026-06-30"),
        note="includes the UNKNOWN region (orders of unknown customers)",
    ),
    answered(
        "turnover in germany in 2026",
        JUN15,
        ["revenue"],
        where=(IN(COUNTRY, "Germany"),),
        period=P("2026-01-01", "2026-12-31"),
        note="a whole named year, though it is not over at as_of",
    ),
    answered(
        "Revenue in EMEA vs AMER last quarter",
        JUN15,
        ["revenue"],
        by=(REGION,),
        where=(IN(REGION, "EMEA", "AMER"),),
        period=P("2026-01-01", "2026-03-31"),
    ),
    answered(
        "Sales excluding the partner channel last month",
        JUN15,
        ["revenue"],
        where=(NOT_IN(CHANNEL, "partner"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    answered(
        "Revenue by channel except store in 2025",
        JUN15,
        ["revenue"],
        by=(CHANNEL,),
        where=(NOT_IN(CHANNEL, "store"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "Revenue and orders by region in Q1 2026",
        JUN15,
        ["revenue", "orders"],
        by=(REGION,),
        period=P("2026-01-01", "2026-03-31"),
    ),
    answered(
        "revenue for small business customers in 2025",
        JUN15,
        ["revenue"],
        where=(IN(SEGMENT, "small_business"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "Enterprise revenue by quarter last year",
        JUN15,
        ["revenue"],
        by=(QUARTER,),
        where=(IN(SEGMENT, "enterprise"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "Revenue by segment year to date",
        JUN15,
        ["revenue"],
        by=(SEGMENT,),
        period=P("2026-01-01", "2026-06-15"),
    ),
    answered(
        "Revenue by product category and channel last month",
        JUN15,
        ["revenue"],
        by=(CATEGORY, CHANNEL),
        period=P("2026-05-01", "2026-05-31"),
    ),
    answered(
        "Sales per day this week",
        MAY10,
        ["revenue"],
        by=(DAY,),
        period=P("2026-05-04", "2026-05-10"),
    ),
    answered(
        "Revenue between 2026-01-01 and 2026-01-31 by country",
        JUN15,
        ["revenue"],
        by=(COUNTRY,),
        period=P("2026-01-01", "2026-01-31"),
    ),
    answered(
        "Revenue from 2026-02-01 to 2026-02-28 in the United States",
        JUN15,
        ["revenue"],
        where=(IN(COUNTRY, "United States"),),
        period=P("2026-02-01", "2026-02-28"),
    ),
    answered(
        "Revenue in Japan and Germany in 2025",
        JUN15,
        ["revenue"],
        where=(IN(COUNTRY, "Japan", "Germany"),),
        period=P("2025-01-01", "2025-12-31"),
        note="'and' without 'vs': a filter on both, no grouping",
    ),
    answered(
        "Revenue Japan compared to Germany last quarter",
        JUN15,
        ["revenue"],
        by=(COUNTRY,),
        where=(IN(COUNTRY, "Japan", "Germany"),),
        period=P("2026-01-01", "2026-03-31"),
    ),
    answered(
        "How much turnover did the web channel generate yesterday?",
        JUN15,
        ["revenue"],
        where=(IN(CHANNEL, "web"),),
        period=P("2026-06-14", "2026-06-14"),
    ),
    answered(
        "Revenue per quarter this year for consumer customers",
        JUL01,
        ["revenue"],
        by=(QUARTER,),
        where=(IN(SEGMENT, "consumer"),),
        period=P("2026-01-01", "2026-07-01"),
    ),
    answered(
        "Revenue in March by region",
        MAY10,
        ["revenue"],
        by=(REGION,),
        period=P("2026-03-01", "2026-03-31"),
        note="'March' without a year: the latest March not after as_of",
    ),
    answered(
        "Revenue in Q3",
        JUN15,
        ["revenue"],
        period=P("2025-07-01", "2025-09-30"),
        note="Q3 of 2026 has not started at as_of: the previous year's",
    ),
    answered(
        "Revenue in EMEA excluding Germany last quarter",
        JUN15,
        ["revenue"],
        where=(IN(REGION, "EMEA"), NOT_IN(COUNTRY, "Germany")),
        period=P("2026-01-01", "2026-03-31"),
    ),
    answered(
        "Revenue by country in APAC in 2025",
        JUN15,
        ["revenue"],
        by=(COUNTRY,),
        where=(IN(REGION, "APAC"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "Revenue for mobile, web and store last week",
        JUN15,
        ["revenue"],
        where=(IN(CHANNEL, "mobile", "web", "store"),),
        period=P("2026-06-08", "2026-06-14"),
    ),
    answered(
        "Revenue by region by month last quarter",
        JUL01,
        ["revenue"],
        by=(REGION, MONTH),
        period=P("2026-04-01", "2026-06-30"),
    ),
    answered(
        "Monthly revenue in 2025",
        JUN15,
        ["revenue"],
        by=(MONTH,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered("Yearly revenue", JUN15, ["revenue"], by=(YEAR,), note="no period: all time"),
    answered("Revenue by year and region", JUN15, ["revenue"], by=(YEAR, REGION)),
    answered(
        "Weekly revenue last month",
        JUN15,
        ["revenue"],
        by=(WEEK,),
        period=P("2026-05-01", "2026-05-31"),
        note="partial ISO weeks at both ends: only the days of May count",
    ),
    answered(
        "Daily revenue last 7 days",
        JUL01,
        ["revenue"],
        by=(DAY,),
        period=P("2026-06-24", "2026-06-30"),
        note="'last 7 days' ends yesterday",
    ),
    answered(
        "net sales in the electronics category this quarter",
        JUN15,
        ["revenue"],
        where=(IN(CATEGORY, "electronics"),),
        period=P("2026-04-01", "2026-06-15"),
    ),
    answered(
        "What were total sales to consumer customers in Canada in May 2026?",
        JUN15,
        ["revenue"],
        where=(IN(SEGMENT, "consumer"), IN(COUNTRY, "Canada")),
        period=P("2026-05-01", "2026-05-31"),
    ),
    # --- top / bottom ---------------------------------------------------------------
    answered(
        "top 5 products by revenue in Q1 2026",
        JUN15,
        ["revenue"],
        by=(PRODUCT,),
        period=P("2026-01-01", "2026-03-31"),
        top=("revenue", 5),
    ),
    answered(
        "Bottom 3 categories by revenue last year",
        JUN15,
        ["revenue"],
        by=(CATEGORY,),
        period=P("2025-01-01", "2025-12-31"),
        bottom=("revenue", 3),
    ),
    answered(
        "Which region had the highest revenue in March?",
        JUN15,
        ["revenue"],
        by=(REGION,),
        period=P("2026-03-01", "2026-03-31"),
        top=("revenue", 1),
    ),
    answered(
        "Top products by units sold this year",
        JUL01,
        ["units_sold"],
        by=(PRODUCT,),
        period=P("2026-01-01", "2026-07-01"),
        top=("units_sold", 10),
        note="no N: top 10; unit counts can tie (the comparison allows ties)",
    ),
    answered(
        "Worst 5 products by revenue last year",
        JUN15,
        ["revenue"],
        by=(PRODUCT,),
        period=P("2025-01-01", "2025-12-31"),
        bottom=("revenue", 5),
    ),
    answered(
        "Which region has the lowest AOV this year?",
        JUN15,
        ["average_order_value"],
        by=(REGION,),
        period=P("2026-01-01", "2026-06-15"),
        bottom=("average_order_value", 1),
    ),
    answered(
        "Top 3 countries by orders last month",
        JUN15,
        ["orders"],
        by=(COUNTRY,),
        period=P("2026-05-01", "2026-05-31"),
        top=("orders", 3),
        note="order counts can tie (the comparison allows ties)",
    ),
    answered(
        "top 10 products by sales in EMEA in 2025",
        JUN15,
        ["revenue"],
        by=(PRODUCT,),
        where=(IN(REGION, "EMEA"),),
        period=P("2025-01-01", "2025-12-31"),
        top=("revenue", 10),
    ),
    answered(
        "Top 3 categories by revenue this quarter",
        JUN15,
        ["revenue"],
        by=(CATEGORY,),
        period=P("2026-04-01", "2026-06-15"),
        top=("revenue", 3),
    ),
    # --- orders, units, AOV -----------------------------------------------------------
    answered(
        "How many orders did we get last week?",
        JUN15,
        ["orders"],
        period=P("2026-06-08", "2026-06-14"),
    ),
    answered(
        "weekly orders since 2026-04-01",
        JUN15,
        ["orders"],
        by=(WEEK,),
        period=P("2026-04-01", "2026-06-15"),
        note="2026-04-01 is a Wednesday: the first week counts from that day only",
    ),
    answered(
        "Quarterly orders by region in 2025",
        JUN15,
        ["orders"],
        by=(QUARTER, REGION),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "Orders and AOV per month this year",
        JUL01,
        ["orders", "average_order_value"],
        by=(MONTH,),
        period=P("2026-01-01", "2026-07-01"),
    ),
    answered("Orders on 2026-05-03", JUN15, ["orders"], period=P("2026-05-03", "2026-05-03")),
    answered(
        "Orders by status last month",
        JUN15,
        ["valid_orders"],
        by=(STATUS,),
        period=P("2026-05-01", "2026-05-31"),
        note="orders count revenue-bearing orders only, so by status valid orders answer"
        " (meta.sliced_by): every status shows",
    ),
    answered("Number of orders all time", JUN15, ["orders"]),
    answered(
        "Orders in December by channel",
        JUN15,
        ["orders"],
        by=(CHANNEL,),
        period=P("2025-12-01", "2025-12-31"),
    ),
    answered(
        "Orders by channel and status this year",
        JUN15,
        ["valid_orders"],
        by=(CHANNEL, STATUS),
        period=P("2026-01-01", "2026-06-15"),
    ),
    answered(
        "Daily orders in the last 30 days",
        JUL01,
        ["orders"],
        by=(DAY,),
        period=P("2026-06-01", "2026-06-30"),
    ),
    answered(
        "Number of orders per week in the last 90 days",
        JUN15,
        ["orders"],
        by=(WEEK,),
        period=P("2026-03-17", "2026-06-14"),
    ),
    answered(
        "Units sold by category this year",
        JUL01,
        ["units_sold"],
        by=(CATEGORY,),
        period=P("2026-01-01", "2026-07-01"),
    ),
    answered(
        "Units sold in electroncs last month",
        JUN15,
        ["units_sold"],
        where=(IN(CATEGORY, "electronics"),),
        period=P("2026-05-01", "2026-05-31"),
        note="misspelt category",
    ),
    answered(
        "Units sold by product in the toys category last month",
        JUN15,
        ["units_sold"],
        by=(PRODUCT,),
        where=(IN(CATEGORY, "toys"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    answered(
        "Units sold per week in June 2026 for books",
        JUL01,
        ["units_sold"],
        by=(WEEK,),
        where=(IN(CATEGORY, "books"),),
        period=P("2026-06-01", "2026-06-30"),
    ),
    answered(
        "quantity sold by category since 2026-04-01",
        MAY10,
        ["units_sold"],
        by=(CATEGORY,),
        period=P("2026-04-01", "2026-05-10"),
    ),
    answered(
        "AOV by channel, last 30 days",
        JUN15,
        ["average_order_value"],
        by=(CHANNEL,),
        period=P("2026-05-16", "2026-06-14"),
    ),
    answered(
        "Average basket size in APAC this quarter",
        JUN15,
        ["average_order_value"],
        where=(IN(REGION, "APAC"),),
        period=P("2026-04-01", "2026-06-15"),
    ),
    answered(
        "Average order value last year",
        JUN15,
        ["average_order_value"],
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "AOV by segment in Q4",
        JUN15,
        ["average_order_value"],
        by=(SEGMENT,),
        period=P("2025-10-01", "2025-12-31"),
        note="Q4 of 2026 has not started at as_of: the previous year's",
    ),
    answered(
        "revenue, orders and units by channel in April 2026",
        JUN15,
        ["revenue", "orders", "units_sold"],
        by=(CHANNEL,),
        period=P("2026-04-01", "2026-04-30"),
    ),
    answered(
        "AOV and number of buyers by channel last month",
        JUL01,
        ["average_order_value", "active_customers"],
        by=(CHANNEL,),
        period=P("2026-06-01", "2026-06-30"),
        note=(
            "MetricFlow renders an unquoted `order` column (reserved word) for this"
            " combination with a start/end time range: see test_oracle.py"
        ),
    ),
    # --- customers ------------------------------------------------------------------
    answered(
        "How many customers bought something last month?",
        JUL01,
        ["active_customers"],
        period=P("2026-06-01", "2026-06-30"),
    ),
    answered(
        "Active customers by country in Q2 2026",
        JUL01,
        ["active_customers"],
        by=(COUNTRY,),
        period=P("2026-04-01", "2026-06-30"),
    ),
    answered(
        "Monthly active customers in 2025",
        JUN15,
        ["active_customers"],
        by=(MONTH,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "Number of buyers in EMEA this month",
        JUN15,
        ["active_customers"],
        where=(IN(REGION, "EMEA"),),
        period=P("2026-06-01", "2026-06-15"),
    ),
    answered(
        "new customers per month this year",
        JUN15,
        ["new_customers"],
        by=(MONTH,),
        period=P("2026-01-01", "2026-06-15"),
        note="June counts up to as_of only",
    ),
    answered(
        "How many new customers did we get in the last 90 days?",
        JUN15,
        ["new_customers"],
        period=P("2026-03-17", "2026-06-14"),
    ),
    answered(
        "New customers by region in 2025",
        JUN15,
        ["new_customers"],
        by=(REGION,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "new buyers by segment last quarter",
        JUN15,
        ["new_customers"],
        by=(SEGMENT,),
        period=P("2026-01-01", "2026-03-31"),
        note="'new buyers' is new_customers, not 'buyers' (active_customers)",
    ),
    answered(
        "New customers in the United States last month",
        JUN15,
        ["new_customers"],
        where=(IN(COUNTRY, "United States"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    answered(
        "first-time customers by quarter in 2025",
        JUN15,
        ["new_customers"],
        by=(QUARTER,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    # --- return and cancellation rates ------------------------------------------------
    answered(
        "return rate by region last quarter",
        JUN15,
        ["return_rate"],
        by=(REGION,),
        period=P("2026-01-01", "2026-03-31"),
    ),
    answered(
        "cancellation rate mobile app vs web",
        JUN15,
        ["cancellation_rate"],
        by=(CHANNEL,),
        where=(IN(CHANNEL, "mobile", "web"),),
        note="'mobile app' is the mobile channel; no period: all time",
    ),
    answered(
        "What's our cancel rate by channel this year?",
        JUN15,
        ["cancellation_rate"],
        by=(CHANNEL,),
        period=P("2026-01-01", "2026-06-15"),
    ),
    answered(
        "Return rate by channel in May 2026",
        JUN15,
        ["return_rate"],
        by=(CHANNEL,),
        period=P("2026-05-01", "2026-05-31"),
    ),
    answered(
        "Return rate per month in 2025",
        JUN15,
        ["return_rate"],
        by=(MONTH,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    answered(
        "Cancellation rate by country this year",
        JUL01,
        ["cancellation_rate"],
        by=(COUNTRY,),
        period=P("2026-01-01", "2026-07-01"),
    ),
    answered(
        "What was the return rate last month?",
        JUL01,
        ["return_rate"],
        period=P("2026-06-01", "2026-06-30"),
    ),
    answered(
        "cancellation rate for enterprise customers in Q1 2026",
        JUN15,
        ["cancellation_rate"],
        where=(IN(SEGMENT, "enterprise"),),
        period=P("2026-01-01", "2026-03-31"),
    ),
    answered(
        "returns rate and cancel rate by region in 2025",
        JUN15,
        ["return_rate", "cancellation_rate"],
        by=(REGION,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    # --- targets ----------------------------------------------------------------------
    answered(
        "revenue vs target by region in May 2026",
        JUN15,
        ["regional_revenue", "target_revenue", "target_attainment"],
        by=(SALES_REGION,),
        where=(NOT_IN(SALES_REGION, "UNKNOWN"),),
        period=P("2026-05-01", "2026-05-31"),
        note="'revenue vs target': revenue, target and attainment; region is sales_region;"
        " the UNKNOWN region has no target and is left out (meta.without_target)",
    ),
    answered(
        "Target attainment by region by month between 2026-01-01 and 2026-06-30",
        JUL01,
        ["target_attainment"],
        by=(SALES_REGION, MONTH),
        where=(NOT_IN(SALES_REGION, "UNKNOWN"),),
        period=P("2026-01-01", "2026-06-30"),
    ),
    answered(
        "APAC target attainment in Q2 2026",
        JUL01,
        ["target_attainment"],
        where=(IN(SALES_REGION, "APAC"),),
        period=P("2026-04-01", "2026-06-30"),
        note="a region filter with a target metric is on sales_region",
    ),
    answered(
        "Target revenue last quarter",
        JUL01,
        ["target_revenue"],
        period=P("2026-04-01", "2026-06-30"),
    ),
    answered(
        "What was the budget by region in 2025?",
        JUN15,
        ["target_revenue"],
        by=(SALES_REGION,),
        where=(NOT_IN(SALES_REGION, "UNKNOWN"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    # --- gross margin (interpretation only) --------------------------------------------
    answered(
        "Gross margin by category last quarter",
        JUN15,
        ["gross_margin"],
        by=(CATEGORY,),
        period=P("2026-01-01", "2026-03-31"),
        oracle=False,
    ),
    answered(
        "What was our margin % in 2025?",
        JUN15,
        ["gross_margin_pct"],
        period=P("2025-01-01", "2025-12-31"),
        oracle=False,
        note="'margin %' is gross_margin_pct, not gross_margin",
    ),
    answered(
        "Gross margin by region this year",
        JUN15,
        ["gross_margin"],
        by=(REGION,),
        period=P("2026-01-01", "2026-06-15"),
        oracle=False,
    ),
    answered(
        "profit by product category in 2025",
        JUN15,
        ["gross_margin"],
        by=(CATEGORY,),
        period=P("2025-01-01", "2025-12-31"),
        oracle=False,
    ),
    answered(
        "revenue and margin per month last quarter",
        JUL01,
        ["revenue", "gross_margin"],
        by=(MONTH,),
        period=P("2026-04-01", "2026-06-30"),
        oracle=False,
    ),
]

_CLARIFY: list[BankQuestion] = [
    clarify("How are we doing?", note="no metric"),
    clarify("show me the numbers", note="no metric"),
    clarify("revenue in Atlantis", note="a value that matches nothing"),
    clarify("What about last month?", note="a period without a metric"),
    clarify("Give me a breakdown by region", note="a dimension without a metric"),
    clarify("Compare EMEA and APAC", note="values without a metric"),
    clarify("top 5", note="no metric, no dimension"),
    clarify("electronics", note="a value alone"),
    clarify("revenue for the platinum segment last month", note="no such segment"),
    clarify("orders through the fax channel this year", note="no such channel"),
    clarify(
        "new customers by channel last month",
        note="MetricFlow cannot join new_customers to orders",
    ),
    clarify("new customers by product category this year", note="no product path from customers"),
    clarify("target revenue by channel in 2026", note="targets are by region and month only"),
    clarify(
        "return rate by product category last month",
        note="return_rate comes from orders, which have no product",
    ),
    clarify(
        "cancellation rate for electronics in 2025", note="a product filter on an order metric"
    ),
    clarify("What's the trend?", note="no metric"),
]

_UNSUPPORTED: list[BankQuestion] = [
    unsupported("delete all cancelled orders", note="changes data"),
    unsupported("Update the price of the Nera Smart Vase to 20 dollars", note="changes data"),
    unsupported("drop table raw_data.shop_orders", note="changes data"),
    unsupported("Set the EMEA target for July to 1 million", note="changes data"),
    unsupported("forecast revenue next month", note="a forecast"),
    unsupported("predict orders for Q3", note="a forecast"),
    unsupported("what will revenue be next year", note="a forecast"),
    unsupported("How much revenue will we make in Q4?", note="a forecast"),
    unsupported("list customer emails", note="personal data"),
    unsupported("what is the name of customer 42", note="personal data"),
    unsupported("What's the phone number of customer 42?", note="personal data"),
    unsupported("show me customers' email addresses", note="personal data"),
    unsupported("What is the address of customer 1017?", note="personal data"),
    unsupported("revenue in August 2026", note="entirely after as_of"),
    unsupported("orders in 2027", note="entirely after as_of"),
    unsupported("Revenue by region next week", note="entirely after as_of"),
]

BANK: list[BankQuestion] = []


def _slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:48].rstrip("-")


def _with_slugs(entries: list[BankQuestion]) -> list[BankQuestion]:
    seen: dict[str, int] = {}
    out = []
    for entry in entries:
        base = _slug(entry.question)
        seen[base] = seen.get(base, 0) + 1
        slug = base if seen[base] == 1 else f"{base}-{seen[base]}"
        out.append(
            BankQuestion(
                question=entry.question,
                as_of=entry.as_of,
                status=entry.status,
                interpretation=entry.interpretation,
                oracle=entry.oracle,
                note=entry.note,
                slug=slug,
            )
        )
    return out


BANK.extend(_with_slugs([*_ANSWERED, *_CLARIFY, *_UNSUPPORTED]))
