"""A question bank that measures language, not memory (issue 18).

Every question here was written from the metrics glossary (``docs/metrics.md``),
the raw-data contract (``docs/raw-data.md``) and the lead's conventions for
comparisons (``/work/notes/spec-18-compare.md``, summarised below) *before*
the engine was run on it, in the words a business reader would type: casual
and formal, British and American spelling, fillers, a few typos. The engine's
own vocabulary (the ``meta`` synonyms of the semantic layer) and its code were
not read while writing it. ``tests/questions/question_bank.py`` stays as the
regression bank; no question is shared with it.

Each entry has a question, an as-of date, the status the engine must give,
the class it tests (``kind``), and for answered questions the interpretation
it must reach (``Interpretation.to_json()`` plus the ``compare`` key of the
spec). ``oracle`` entries also have their rows computed straight from
``raw_data`` (``oracle_sql.py``, ``oracle_compare.py``). ``mentions`` are words
the explanation (or the warnings) must name: the unknown word of a clarify,
both periods of a conflict, the misspelt word a typo correction read, the
UNKNOWN region left out of target questions, "valid orders" for orders by
status. About 30% of the entries are *held out* (``held_out``): chosen by
:func:`held_out_questions`, a hash of the question within each kind, never by looking
at results. Development happens against the rest; both scores are reported.

The data: the small warehouse (``tests/warehouses.py``: scale 0.01, seed 7,
end date 2026-06-30) has orders from 2024-06-30 to 2026-06-30; the
``sales_targets`` seed has targets per region and month for 2024-01..2028-12
(the scale-1 plan, built at the data's scale).
The as-of dates below sit inside that window.

Conventions of the spec (period ``X``, base ``Y``, as-of ``A``):

- compare ``period``: "X vs Y", "X compared with/against Y" -> period X, base Y.
  "growth", "change", "up or down", "increase", "decline" with a period: the
  previous period of the same kind (calendar unit before; a to-date span one
  unit earlier; last N days the N days before; an explicit day range the
  same number of days just before). Growth with no period: the last complete
  month against the month before. "YoY", "vs the same month/period last
  year", "compared to last year" after a period: the period shifted back 12
  months, day for day.
- compare ``share``: "share of revenue from mobile" groups by and filters on the
  channel and takes the share of it; "share ... by channel" / "percentage ...
  from each channel" groups by it.
- compare ``ratio``: "revenue per customer" -> metrics [revenue,
  active_customers], ratio; "revenue per order" is average_order_value.
- Two metrics side by side and two values side by side are not a compare.
- Status words used as verbs are no filter ("orders placed", "orders were
  shipped" -> orders); "cancelled"/"returned" orders are their metrics; an
  attributive revenue-bearing status before "orders" is a filter.
- "orders by status" is valid_orders by order__order_status.
- Target attainment and targets by region leave the UNKNOWN region out
  (``sales_region not in [UNKNOWN]``) and say so; targets of a future month
  in the seed are answered; revenue of a future period is unsupported.
- Unknown metrics/dimensions/values -> clarify naming the word; a misspelt
  known word is corrected when one known word is close, and the answer says so.
- Two periods with no comparison cue -> clarify naming both.

The regression bank's conventions hold too: metrics in the order named,
``group_by`` compared sorted, filters in warehouse spelling, periods inclusive
(labels not compared), no period -> None (all time), named periods partly in
the future stay whole, to-date periods end on the as-of day, "last N days"
ends yesterday, ``order_by`` asserted for top/bottom and time-grouped
questions (time ascending) only, ``limit`` always.

Decisions of this bank where the spec is silent (each entry that depends on
one says so in its note):

- "the week of <date>" is the ISO week (Monday-Sunday) holding that day;
  "week commencing <date>" the same; "fortnight ending <date>" the 14 days
  ending that day.
- A month or day named without a year is the most recent one that has started
  on or before the as-of date ("March" on 2026-06-15 is March 2026,
  "September" is September 2025).
- "on <weekday>" is the most recent such day on or before the as-of date;
  "last <weekday>" the most recent strictly before it. "this past weekend"
  is the most recent complete Saturday-Sunday before the as-of date.
- "last/past N weeks|months|quarters" are the N complete calendar units before
  the current one (as "last week" and "last month" are calendar units);
  "last/past/previous N days" are the N days ending yesterday.
- "the same month last year" alone is the as-of date's month one year earlier,
  whole.
- "H1"/"first half" is January-June, "H2"/"second half" July-December;
  "first half of this year" on a date in the second half is whole.
- A slashed date is answered when only one reading is a date (``25/5/2026``,
  ``6/15/2025``) and is a clarify when both are (``3/4/2026``).
- "X vs/compared to last year" after a to-date period is year over year: the
  same span a year earlier, not the whole previous year.
- "from Q4 2025 to Q1 2026" as a change: period is the later, base the earlier.
- "week-over-week" with no period: last complete week against the week
  before (the week analogue of the spec's month default).
- "why did X drop/fall/go down/go up" with a period is a growth question on
  that period (the spec's "why did revenue drop last week?").
- "by order date" is metric_time__day (the order date *is* the metric's
  time); "by acquisition month" of new customers is metric_time__month (their
  time is the first order date).
- Target attainment with no region grouping still leaves UNKNOWN out (its
  revenue has no target and would inflate attainment); with a region filter
  (EMEA) no second filter is added. target_revenue alone is filtered only when
  grouped by region.
- "sent back" is returned; "including cancelled ones"/"whatever their status"
  is valid_orders; "delivered or returned" orders is that metric (its label).
- "share of orders (that were) cancelled" is the cancellation rate, not a
  share compare; "margin as a percentage of revenue" is gross_margin_pct.
- "first-time buyers/shoppers" is new_customers (the glossary's "first-time
  customers"); "Austria" is an unknown value, not a typo of Australia.
- "cancelation"/"canceled" are American spellings, not typos: no correction
  notice is required.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

Status = Literal["answered", "clarify", "unsupported"]

KINDS = (
    "metric",
    "dimension",
    "period",
    "compare",
    "share",
    "ratio",
    "verb",
    "unknown",
    "typo",
    "surprising_rows",
    "conflict",
    "unsupported",
)

#: Fraction of each kind held out from development.
HELD_OUT_FRACTION = 0.3

REGION = "customer__region"
COUNTRY = "customer__country"
COUNTRY_CODE = "customer__country_code"
SEGMENT = "customer__segment"
CATEGORY = "product__category"
PRODUCT = "product__product_name"
CHANNEL = "order__channel"
STATUS = "order__order_status"
REVENUE_BEARING = "order__is_revenue_bearing"
SALES_REGION = "sales_region"
DAY = "metric_time__day"
WEEK = "metric_time__week"
MONTH = "metric_time__month"
QUARTER = "metric_time__quarter"
YEAR = "metric_time__year"

JUN15 = datetime.date(2026, 6, 15)  # Monday: last week 06-08..06-14, this quarter from 04-01
JUN19 = datetime.date(2026, 6, 19)  # Friday: "on Friday" is the day itself
JUL01 = datetime.date(2026, 7, 1)  # Wednesday: the data ends the day before
MAY10 = datetime.date(2026, 5, 10)  # Sunday: this week 05-04..05-10
MAR18 = datetime.date(2026, 3, 18)  # Wednesday: this quarter from 2026-01-01
NOV20 = datetime.date(2025, 11, 20)  # Thursday: a date of the second half of 2025


@dataclass(frozen=True)
class LanguageQuestion:
    question: str
    as_of: datetime.date
    status: Status
    kind: str
    #: The expected ``Interpretation.to_json()`` plus ``compare`` (answered only);
    #: ``period`` and the compare base hold start/end only; ``order_by`` None
    #: means not asserted.
    interpretation: dict[str, Any] | None = None
    #: Whether the rows are checked against the raw-data oracle.
    oracle: bool = False
    #: Words the explanation or warnings must name (case-insensitive).
    mentions: tuple[str, ...] = ()
    note: str = ""
    held_out: bool = False
    slug: str = ""


def IN(dimension: str, *values: str) -> dict[str, Any]:
    return {"dimension": dimension, "operator": "in", "values": list(values)}


def NOT_IN(dimension: str, *values: str) -> dict[str, Any]:
    return {"dimension": dimension, "operator": "not in", "values": list(values)}


def P(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


def VS(start: str, end: str) -> dict[str, Any]:
    """A period compare against the base ``start``..``end``."""
    return {"kind": "period", "base": {"start": start, "end": end}}


def SHARE(*of: str) -> dict[str, Any]:
    return {"kind": "share", "of": list(of)}


def RATIO(numerator: str, denominator: str) -> dict[str, Any]:
    return {"kind": "ratio", "numerator": numerator, "denominator": denominator}


NO_UNKNOWN = NOT_IN(SALES_REGION, "UNKNOWN")


def ask(
    question: str,
    as_of: datetime.date,
    metrics: list[str],
    *,
    kind: str,
    by: tuple[str, ...] = (),
    where: tuple[dict[str, Any], ...] = (),
    period: dict[str, str] | None = None,
    compare: dict[str, Any] | None = None,
    top: tuple[str, int] | None = None,
    bottom: tuple[str, int] | None = None,
    oracle: bool = True,
    mentions: tuple[str, ...] = (),
    note: str = "",
) -> LanguageQuestion:
    """An answered entry."""
    order_by: list[dict[str, Any]] | None = None
    limit: int | None = None
    if top is not None or bottom is not None:
        metric, limit = top or bottom  # type: ignore[misc]
        order_by = [{"by": metric, "descending": top is not None}]
    else:
        times = [g for g in by if g.startswith("metric_time__")]
        if times:
            order_by = [{"by": times[0], "descending": False}]
    return LanguageQuestion(
        question=question,
        as_of=as_of,
        status="answered",
        kind=kind,
        interpretation={
            "metrics": list(metrics),
            "group_by": sorted(by),
            "filters": list(where),
            "period": period,
            "order_by": order_by,
            "limit": limit,
            "compare": compare,
        },
        oracle=oracle,
        mentions=mentions,
        note=note,
    )


def clarify(
    question: str,
    as_of: datetime.date = JUN15,
    *,
    kind: str,
    mentions: tuple[str, ...],
    note: str = "",
) -> LanguageQuestion:
    return LanguageQuestion(
        question=question,
        as_of=as_of,
        status="clarify",
        kind=kind,
        mentions=mentions,
        note=note,
    )


def unsupported(
    question: str, as_of: datetime.date = JUN15, *, kind: str = "unsupported", note: str = ""
) -> LanguageQuestion:
    return LanguageQuestion(
        question=question, as_of=as_of, status="unsupported", kind=kind, note=note
    )


# --- every metric of the glossary, in a reader's words ------------------------------

_METRIC = "metric"
_METRICS: list[LanguageQuestion] = [
    ask(
        "Can you tell me what our total revenue was in April 2026?",
        JUN15,
        ["revenue"],
        kind=_METRIC,
        period=P("2026-04-01", "2026-04-30"),
    ),
    ask(
        "Roughly how much money did we bring in last quarter?",
        JUN15,
        ["revenue"],
        kind=_METRIC,
        period=P("2026-01-01", "2026-03-31"),
        note="money brought in is revenue",
    ),
    ask(
        "takings for March please",
        JUN15,
        ["revenue"],
        kind=_METRIC,
        period=P("2026-03-01", "2026-03-31"),
        note="a month without a year: the most recent March that has started",
    ),
    ask(
        "What did we turn over in 2025?",
        JUN15,
        ["revenue"],
        kind=_METRIC,
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "number of purchases in February 2026",
        JUN15,
        ["orders"],
        kind=_METRIC,
        period=P("2026-02-01", "2026-02-28"),
    ),
    ask(
        "How many orders came in last week?",
        JUN15,
        ["orders"],
        kind=_METRIC,
        period=P("2026-06-08", "2026-06-14"),
    ),
    ask(
        "What's the average order value for Q1 2026?",
        JUN15,
        ["average_order_value"],
        kind=_METRIC,
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "avg basket in the United Kingdom in 2025",
        JUN15,
        ["average_order_value"],
        kind=_METRIC,
        where=(IN(COUNTRY, "United Kingdom"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "On average, how much does a customer spend per order? Last month, please.",
        JUN15,
        ["average_order_value"],
        kind=_METRIC,
        period=P("2026-05-01", "2026-05-31"),
        note="spend per order is average_order_value, not a ratio compare",
    ),
    ask(
        "Units sold in January 2026",
        JUN15,
        ["units_sold"],
        kind=_METRIC,
        period=P("2026-01-01", "2026-01-31"),
    ),
    ask(
        "how many items did we sell yesterday",
        JUL01,
        ["units_sold"],
        kind=_METRIC,
        period=P("2026-06-30", "2026-06-30"),
    ),
    ask(
        "number of active customers in May 2026",
        JUN15,
        ["active_customers"],
        kind=_METRIC,
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "How many different customers bought something last month?",
        JUN15,
        ["active_customers"],
        kind=_METRIC,
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "how many new customers did we win in Q2 2025?",
        JUN15,
        ["new_customers"],
        kind=_METRIC,
        period=P("2025-04-01", "2025-06-30"),
    ),
    ask(
        "customer acquisition in the last 30 days",
        JUN15,
        ["new_customers"],
        kind=_METRIC,
        period=P("2026-05-16", "2026-06-14"),
    ),
    ask(
        "What was the gross margin in 2025?",
        JUN15,
        ["gross_margin"],
        kind=_METRIC,
        period=P("2025-01-01", "2025-12-31"),
        oracle=False,
        note="no oracle for cost from the product history",
    ),
    ask(
        "gross profit for electronics last quarter",
        JUN15,
        ["gross_margin"],
        kind=_METRIC,
        where=(IN(CATEGORY, "electronics"),),
        period=P("2026-01-01", "2026-03-31"),
        oracle=False,
    ),
    ask(
        "What's our margin rate so far this year?",
        JUN15,
        ["gross_margin_pct"],
        kind=_METRIC,
        period=P("2026-01-01", "2026-06-15"),
        oracle=False,
    ),
    ask(
        "How many returns did we have in May 2026?",
        JUN15,
        ["returned_orders"],
        kind=_METRIC,
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "number of orders that were delivered or returned in April 2026",
        JUN15,
        ["delivered_or_returned_orders"],
        kind=_METRIC,
        period=P("2026-04-01", "2026-04-30"),
        note="the metric's own label, though the statuses are verbs here",
    ),
    ask(
        "What percentage of orders got sent back in 2025?",
        JUN15,
        ["return_rate"],
        kind=_METRIC,
        period=P("2025-01-01", "2025-12-31"),
        note="'sent back' is returned; the percentage returned is the return rate",
    ),
    ask(
        "rate of returns for the web channel this year",
        JUN15,
        ["return_rate"],
        kind=_METRIC,
        where=(IN(CHANNEL, "web"),),
        period=P("2026-01-01", "2026-06-15"),
    ),
    ask(
        "How many cancellations were there last week?",
        JUN15,
        ["cancelled_orders"],
        kind=_METRIC,
        period=P("2026-06-08", "2026-06-14"),
    ),
    ask(
        "total number of orders including cancelled ones in 2025",
        JUN15,
        ["valid_orders"],
        kind=_METRIC,
        period=P("2025-01-01", "2025-12-31"),
        note="orders of any status are valid_orders",
    ),
    ask(
        "all orders whatever their status, last month",
        JUN15,
        ["valid_orders"],
        kind=_METRIC,
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "cancellation rate for Q1 2026 please",
        JUN15,
        ["cancellation_rate"],
        kind=_METRIC,
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "what was the sales target for May 2026?",
        JUN15,
        ["target_revenue"],
        kind=_METRIC,
        period=P("2026-05-01", "2026-05-31"),
        note="not grouped by region: no UNKNOWN filter",
    ),
    ask(
        "How did we do against plan in Q1 2026?",
        JUN15,
        ["target_attainment"],
        kind=_METRIC,
        where=(NO_UNKNOWN,),
        period=P("2026-01-01", "2026-03-31"),
        mentions=("unknown",),
        note="attainment leaves UNKNOWN out even ungrouped (bank decision)",
    ),
    ask(
        "target attainment for EMEA in April 2026",
        JUN15,
        ["target_attainment"],
        kind=_METRIC,
        where=(IN(SALES_REGION, "EMEA"),),
        period=P("2026-04-01", "2026-04-30"),
        note="the EMEA filter already leaves UNKNOWN out: no second filter",
    ),
    ask(
        "What was revenue in US dollars last month?",
        JUN15,
        ["revenue"],
        kind=_METRIC,
        period=P("2026-05-01", "2026-05-31"),
        note="all money is USD: 'in US dollars' is no filter",
    ),
    ask(
        "How many units did the books category move in 2025?",
        JUN15,
        ["units_sold"],
        kind=_METRIC,
        where=(IN(CATEGORY, "books"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "net revenue by month in 2025",
        JUN15,
        ["revenue"],
        kind=_METRIC,
        by=(MONTH,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "How many shoppers did we have in APAC this quarter?",
        JUN15,
        ["active_customers"],
        kind=_METRIC,
        where=(IN(REGION, "APAC"),),
        period=P("2026-04-01", "2026-06-15"),
    ),
    ask(
        "what is our return ratio for 2025",
        JUN15,
        ["return_rate"],
        kind=_METRIC,
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "percentage of orders cancelled last month in the mobile channel",
        JUN15,
        ["cancellation_rate"],
        kind=_METRIC,
        where=(IN(CHANNEL, "mobile"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "Could you pull the number of buyers for Q4 2025?",
        JUN15,
        ["active_customers"],
        kind=_METRIC,
        period=P("2025-10-01", "2025-12-31"),
    ),
    ask(
        "What's the gross margin percentage by category in 2025?",
        JUN15,
        ["gross_margin_pct"],
        kind=_METRIC,
        by=(CATEGORY,),
        period=P("2025-01-01", "2025-12-31"),
        oracle=False,
    ),
    ask(
        "Total sales for the whole of 2025, in dollars",
        JUN15,
        ["revenue"],
        kind=_METRIC,
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "How many orders did we take in December 2025?",
        JUN15,
        ["orders"],
        kind=_METRIC,
        period=P("2025-12-01", "2025-12-31"),
    ),
]

# --- every dimension --------------------------------------------------------------

_DIM = "dimension"
_DIMENSIONS: list[LanguageQuestion] = [
    ask(
        "revenue split by sales channel for May 2026",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(CHANNEL,),
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "orders per country last quarter",
        JUN15,
        ["orders"],
        kind=_DIM,
        by=(COUNTRY,),
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "AOV by customer type in 2025",
        JUN15,
        ["average_order_value"],
        kind=_DIM,
        by=(SEGMENT,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "units sold by department this month",
        JUN15,
        ["units_sold"],
        kind=_DIM,
        by=(CATEGORY,),
        period=P("2026-06-01", "2026-06-15"),
    ),
    ask(
        "Top 5 products by units in Q1 2026",
        JUN15,
        ["units_sold"],
        kind=_DIM,
        by=(PRODUCT,),
        period=P("2026-01-01", "2026-03-31"),
        top=("units_sold", 5),
    ),
    ask(
        "Which three products brought in the least revenue in 2025?",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(PRODUCT,),
        period=P("2025-01-01", "2025-12-31"),
        bottom=("revenue", 3),
    ),
    ask(
        "active customers by market in May 2026",
        JUN15,
        ["active_customers"],
        kind=_DIM,
        by=(REGION,),
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "revenue by ISO country code in 2025",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(COUNTRY_CODE,),
        period=P("2025-01-01", "2025-12-31"),
        note="the unknown customer's country code is null",
    ),
    ask(
        "orders from country code JP last month",
        JUN15,
        ["orders"],
        kind=_DIM,
        where=(IN(COUNTRY_CODE, "JP"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "new customers by customer segment in 2025",
        JUN15,
        ["new_customers"],
        kind=_DIM,
        by=(SEGMENT,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "cancellation rate by channel last year",
        JUN15,
        ["cancellation_rate"],
        kind=_DIM,
        by=(CHANNEL,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "return rate per region in Q1 2026",
        JUN15,
        ["return_rate"],
        kind=_DIM,
        by=(REGION,),
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "weekly revenue in May 2026",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(WEEK,),
        period=P("2026-05-01", "2026-05-31"),
        note="May 1st is a Friday: the first week counts from that day only",
    ),
    ask(
        "orders per day last week",
        JUN15,
        ["orders"],
        kind=_DIM,
        by=(DAY,),
        period=P("2026-06-08", "2026-06-14"),
    ),
    ask(
        "quarterly AOV in 2025",
        JUN15,
        ["average_order_value"],
        kind=_DIM,
        by=(QUARTER,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "revenue for each year we have data",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(YEAR,),
        note="all time",
    ),
    ask(
        "revenue by geography in Q4 2025",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(REGION,),
        period=P("2025-10-01", "2025-12-31"),
    ),
    ask(
        "enterprise customers' orders last month",
        JUN15,
        ["orders"],
        kind=_DIM,
        where=(IN(SEGMENT, "enterprise"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "small business revenue in Q1 2026",
        JUN15,
        ["revenue"],
        kind=_DIM,
        where=(IN(SEGMENT, "small_business"),),
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "revenue in Japan and Australia last month",
        JUN15,
        ["revenue"],
        kind=_DIM,
        where=(IN(COUNTRY, "Japan", "Australia"),),
        period=P("2026-05-01", "2026-05-31"),
        note="'A and B' filters on both without grouping",
    ),
    ask(
        "revenue for Japan vs Australia last month",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(COUNTRY,),
        where=(IN(COUNTRY, "Japan", "Australia"),),
        period=P("2026-05-01", "2026-05-31"),
        note="two values side by side: filter and group, no compare",
    ),
    ask(
        "web vs mobile orders in 2025",
        JUN15,
        ["orders"],
        kind=_DIM,
        by=(CHANNEL,),
        where=(IN(CHANNEL, "web", "mobile"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "revenue by order date last week",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(DAY,),
        period=P("2026-06-08", "2026-06-14"),
        note="the order date is the metric's time: metric_time__day (bank decision)",
    ),
    ask(
        "valid orders split by whether they count toward revenue in 2025",
        JUN15,
        ["valid_orders"],
        kind=_DIM,
        by=(REVENUE_BEARING,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "new customers by acquisition month in 2025",
        JUN15,
        ["new_customers"],
        kind=_DIM,
        by=(MONTH,),
        period=P("2025-01-01", "2025-12-31"),
        note="new customers' time is the first order date: metric_time__month (bank decision)",
    ),
    ask(
        "revenue in every category except grocery last month",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(CATEGORY,),
        where=(NOT_IN(CATEGORY, "grocery"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "units sold by category and channel in Q1 2026",
        JUN15,
        ["units_sold"],
        kind=_DIM,
        by=(CATEGORY, CHANNEL),
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "orders by region and segment last quarter",
        JUN15,
        ["orders"],
        kind=_DIM,
        by=(REGION, SEGMENT),
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "Revenue from outside EMEA in 2025",
        JUN15,
        ["revenue"],
        kind=_DIM,
        where=(NOT_IN(REGION, "EMEA"),),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "sales by product for toys in May 2026",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(PRODUCT,),
        where=(IN(CATEGORY, "toys"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "which country had the most orders in 2025?",
        JUN15,
        ["orders"],
        kind=_DIM,
        by=(COUNTRY,),
        period=P("2025-01-01", "2025-12-31"),
        top=("orders", 1),
    ),
    ask(
        "revenue by customer segment and region, Q1 2026",
        JUN15,
        ["revenue"],
        kind=_DIM,
        by=(REGION, SEGMENT),
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "Gross margin by region in 2025",
        JUN15,
        ["gross_margin"],
        kind=_DIM,
        by=(REGION,),
        period=P("2025-01-01", "2025-12-31"),
        oracle=False,
    ),
]

# --- every period form ------------------------------------------------------------

_PER = "period"
_PERIODS: list[LanguageQuestion] = [
    ask(
        "revenue for the week of 2026-06-10",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-06-08", "2026-06-14"),
    ),
    ask(
        "How many orders did we get the week of June 1st?",
        JUN15,
        ["orders"],
        kind=_PER,
        period=P("2026-06-01", "2026-06-07"),
    ),
    ask(
        "units sold in the week of March 4",
        JUN15,
        ["units_sold"],
        kind=_PER,
        period=P("2026-03-02", "2026-03-08"),
    ),
    ask(
        "sales in the week commencing 11 May 2026",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-05-11", "2026-05-17"),
    ),
    ask(
        "revenue between March 3 and March 9",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-03-03", "2026-03-09"),
    ),
    ask(
        "orders from 3 March to 9 March 2026",
        JUN15,
        ["orders"],
        kind=_PER,
        period=P("2026-03-03", "2026-03-09"),
    ),
    ask(
        "units sold Mar 3-9",
        JUN15,
        ["units_sold"],
        kind=_PER,
        period=P("2026-03-03", "2026-03-09"),
    ),
    ask(
        "new customers 2026-03-03 to 2026-03-09",
        JUN15,
        ["new_customers"],
        kind=_PER,
        period=P("2026-03-03", "2026-03-09"),
    ),
    ask(
        "what was revenue from April 20th through April 26th?",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-04-20", "2026-04-26"),
    ),
    ask(
        "AOV from the 1st to the 15th of May 2026",
        JUN15,
        ["average_order_value"],
        kind=_PER,
        period=P("2026-05-01", "2026-05-15"),
    ),
    ask("revenue on June 3", JUN15, ["revenue"], kind=_PER, period=P("2026-06-03", "2026-06-03")),
    ask(
        "orders on the 3rd of June",
        JUN15,
        ["orders"],
        kind=_PER,
        period=P("2026-06-03", "2026-06-03"),
    ),
    ask(
        "active customers on 2026-06-03",
        JUN15,
        ["active_customers"],
        kind=_PER,
        period=P("2026-06-03", "2026-06-03"),
    ),
    ask(
        "sales on 14 February",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-02-14", "2026-02-14"),
    ),
    ask(
        "revenue on Christmas Day 2025",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2025-12-25", "2025-12-25"),
    ),
    ask(
        "revenue in the first half of 2025",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2025-01-01", "2025-06-30"),
    ),
    ask("orders for H1 2026", JUL01, ["orders"], kind=_PER, period=P("2026-01-01", "2026-06-30")),
    ask(
        "average order value in the second half of last year",
        JUN15,
        ["average_order_value"],
        kind=_PER,
        period=P("2025-07-01", "2025-12-31"),
    ),
    ask(
        "units sold in H2 2025",
        JUN15,
        ["units_sold"],
        kind=_PER,
        period=P("2025-07-01", "2025-12-31"),
    ),
    ask(
        "first half of this year: revenue by region",
        NOV20,
        ["revenue"],
        kind=_PER,
        by=(REGION,),
        period=P("2025-01-01", "2025-06-30"),
    ),
    ask(
        "revenue year to date",
        JUL01,
        ["revenue"],
        kind=_PER,
        period=P("2026-01-01", "2026-07-01"),
    ),
    ask("QTD orders", MAY10, ["orders"], kind=_PER, period=P("2026-04-01", "2026-05-10")),
    ask(
        "month-to-date revenue",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-06-01", "2026-06-15"),
    ),
    ask("week to date sales", MAY10, ["revenue"], kind=_PER, period=P("2026-05-04", "2026-05-10")),
    ask("WTD orders", JUL01, ["orders"], kind=_PER, period=P("2026-06-29", "2026-07-01")),
    ask(
        "revenue in the last 14 days",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-06-01", "2026-06-14"),
    ),
    ask(
        "orders over the past 30 days",
        JUL01,
        ["orders"],
        kind=_PER,
        period=P("2026-06-01", "2026-06-30"),
    ),
    ask(
        "units sold in the previous 10 days",
        MAY10,
        ["units_sold"],
        kind=_PER,
        period=P("2026-04-30", "2026-05-09"),
    ),
    ask(
        "revenue in the last 4 weeks",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-05-18", "2026-06-14"),
        note="N complete ISO weeks before the current one (bank decision)",
    ),
    ask(
        "orders in the past 2 weeks",
        MAY10,
        ["orders"],
        kind=_PER,
        period=P("2026-04-20", "2026-05-03"),
        note="N complete ISO weeks before the current one (bank decision)",
    ),
    ask(
        "new customers in the last 3 months",
        JUN15,
        ["new_customers"],
        kind=_PER,
        period=P("2026-03-01", "2026-05-31"),
        note="N complete months before the current one (bank decision)",
    ),
    ask(
        "revenue over the last six months",
        JUL01,
        ["revenue"],
        kind=_PER,
        period=P("2026-01-01", "2026-06-30"),
        note="N complete months before the current one (bank decision)",
    ),
    ask(
        "orders in the last 2 quarters",
        JUN15,
        ["orders"],
        kind=_PER,
        period=P("2025-10-01", "2026-03-31"),
        note="N complete quarters before the current one (bank decision)",
    ),
    ask(
        "AOV over the past four quarters",
        JUL01,
        ["average_order_value"],
        kind=_PER,
        period=P("2025-07-01", "2026-06-30"),
    ),
    ask(
        "revenue last Monday",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-06-08", "2026-06-08"),
        note="as-of is a Monday: 'last Monday' is strictly before it",
    ),
    ask(
        "orders on Friday",
        JUN19,
        ["orders"],
        kind=_PER,
        period=P("2026-06-19", "2026-06-19"),
        note="as-of is a Friday: 'on Friday' is the day itself (bank decision)",
    ),
    ask(
        "how much did we sell last Friday",
        JUN19,
        ["revenue"],
        kind=_PER,
        period=P("2026-06-12", "2026-06-12"),
    ),
    ask(
        "units on Wednesday",
        JUN15,
        ["units_sold"],
        kind=_PER,
        period=P("2026-06-10", "2026-06-10"),
    ),
    ask(
        "revenue last Sunday",
        MAY10,
        ["revenue"],
        kind=_PER,
        period=P("2026-05-03", "2026-05-03"),
    ),
    ask(
        "orders in the same month last year",
        JUN15,
        ["orders"],
        kind=_PER,
        period=P("2025-06-01", "2025-06-30"),
    ),
    ask(
        "what was revenue for the same month last year?",
        NOV20,
        ["revenue"],
        kind=_PER,
        period=P("2024-11-01", "2024-11-30"),
    ),
    ask("sales in May", JUN15, ["revenue"], kind=_PER, period=P("2026-05-01", "2026-05-31")),
    ask(
        "orders in September",
        JUN15,
        ["orders"],
        kind=_PER,
        period=P("2025-09-01", "2025-09-30"),
        note="the most recent September that has started",
    ),
    ask(
        "revenue in December",
        JUL01,
        ["revenue"],
        kind=_PER,
        period=P("2025-12-01", "2025-12-31"),
    ),
    ask(
        "revenue in the prior year",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "sales since the start of April",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-04-01", "2026-06-15"),
    ),
    ask(
        "revenue in the third quarter of 2025",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2025-07-01", "2025-09-30"),
    ),
    ask(
        "revenue this past weekend",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-06-13", "2026-06-14"),
    ),
    ask(
        "orders the day before yesterday",
        JUL01,
        ["orders"],
        kind=_PER,
        period=P("2026-06-29", "2026-06-29"),
    ),
    ask(
        "revenue on 25/5/2026",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-05-25", "2026-05-25"),
        note="day 25 cannot be a month: one reading",
    ),
    ask(
        "orders on 6/15/2025",
        JUN15,
        ["orders"],
        kind=_PER,
        period=P("2025-06-15", "2025-06-15"),
        note="15 cannot be a month: one reading",
    ),
    ask(
        "orders in the month of April 2026",
        JUN15,
        ["orders"],
        kind=_PER,
        period=P("2026-04-01", "2026-04-30"),
    ),
    ask(
        "revenue from Jan to March 2026",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "weekly sales during Q1 2026",
        JUN15,
        ["revenue"],
        kind=_PER,
        by=(WEEK,),
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask("revenue in 2024", JUN15, ["revenue"], kind=_PER, period=P("2024-01-01", "2024-12-31")),
    ask(
        "orders so far this quarter",
        MAR18,
        ["orders"],
        kind=_PER,
        period=P("2026-01-01", "2026-03-18"),
    ),
    ask(
        "How much did we sell in the previous quarter?",
        MAR18,
        ["revenue"],
        kind=_PER,
        period=P("2025-10-01", "2025-12-31"),
    ),
    ask(
        "new customers this week",
        MAR18,
        ["new_customers"],
        kind=_PER,
        period=P("2026-03-16", "2026-03-18"),
    ),
    ask(
        "orders over the last 7 days",
        MAR18,
        ["orders"],
        kind=_PER,
        period=P("2026-03-11", "2026-03-17"),
    ),
    ask(
        "revenue for the fortnight ending 2026-06-14",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-06-01", "2026-06-14"),
    ),
    ask(
        "Revenue in the second quarter so far",
        JUN15,
        ["revenue"],
        kind=_PER,
        period=P("2026-04-01", "2026-06-15"),
    ),
]

# --- comparisons of periods (and what is not one) -----------------------------------

_CMP = "compare"
_COMPARES: list[LanguageQuestion] = [
    ask(
        "revenue this month vs last month",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-06-01", "2026-06-15"),
        compare=VS("2026-05-01", "2026-05-31"),
    ),
    ask(
        "2025 vs 2024 revenue by region",
        JUN15,
        ["revenue"],
        kind=_CMP,
        by=(REGION,),
        period=P("2025-01-01", "2025-12-31"),
        compare=VS("2024-01-01", "2024-12-31"),
    ),
    ask(
        "orders last week compared with the week before",
        JUN15,
        ["orders"],
        kind=_CMP,
        period=P("2026-06-08", "2026-06-14"),
        compare=VS("2026-06-01", "2026-06-07"),
    ),
    ask(
        "revenue growth last quarter",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-01-01", "2026-03-31"),
        compare=VS("2025-10-01", "2025-12-31"),
    ),
    ask(
        "How much did orders grow in May 2026?",
        JUN15,
        ["orders"],
        kind=_CMP,
        period=P("2026-05-01", "2026-05-31"),
        compare=VS("2026-04-01", "2026-04-30"),
    ),
    ask(
        "month-over-month revenue growth",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-05-01", "2026-05-31"),
        compare=VS("2026-04-01", "2026-04-30"),
        note="growth with no period: the last complete month",
    ),
    ask(
        "What's our revenue growth?",
        JUL01,
        ["revenue"],
        kind=_CMP,
        period=P("2026-06-01", "2026-06-30"),
        compare=VS("2026-05-01", "2026-05-31"),
    ),
    ask(
        "AOV in May 2026 compared with the same month last year",
        JUN15,
        ["average_order_value"],
        kind=_CMP,
        period=P("2026-05-01", "2026-05-31"),
        compare=VS("2025-05-01", "2025-05-31"),
    ),
    ask(
        "YoY revenue for Q1 2026",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-01-01", "2026-03-31"),
        compare=VS("2025-01-01", "2025-03-31"),
    ),
    ask(
        "new customers this year vs the same period last year",
        JUN15,
        ["new_customers"],
        kind=_CMP,
        period=P("2026-01-01", "2026-06-15"),
        compare=VS("2025-01-01", "2025-06-15"),
    ),
    ask(
        "Was revenue up or down last week?",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-06-08", "2026-06-14"),
        compare=VS("2026-06-01", "2026-06-07"),
    ),
    ask(
        "change in active customers last month",
        JUN15,
        ["active_customers"],
        kind=_CMP,
        period=P("2026-05-01", "2026-05-31"),
        compare=VS("2026-04-01", "2026-04-30"),
    ),
    ask(
        "did units sold increase in Q1 2026?",
        JUN15,
        ["units_sold"],
        kind=_CMP,
        period=P("2026-01-01", "2026-03-31"),
        compare=VS("2025-10-01", "2025-12-31"),
    ),
    ask(
        "decline in orders yesterday",
        JUL01,
        ["orders"],
        kind=_CMP,
        period=P("2026-06-30", "2026-06-30"),
        compare=VS("2026-06-29", "2026-06-29"),
    ),
    ask(
        "revenue by channel, May 2026 against April 2026",
        JUN15,
        ["revenue"],
        kind=_CMP,
        by=(CHANNEL,),
        period=P("2026-05-01", "2026-05-31"),
        compare=VS("2026-04-01", "2026-04-30"),
    ),
    ask(
        "How does EMEA revenue this quarter compare to last year?",
        JUN15,
        ["revenue"],
        kind=_CMP,
        where=(IN(REGION, "EMEA"),),
        period=P("2026-04-01", "2026-06-15"),
        compare=VS("2025-04-01", "2025-06-15"),
        note="'compared to last year' after a period: shifted 12 months, day for day",
    ),
    ask(
        "orders year over year by month for 2025",
        JUN15,
        ["orders"],
        kind=_CMP,
        by=(MONTH,),
        period=P("2025-01-01", "2025-12-31"),
        compare=VS("2024-01-01", "2024-12-31"),
    ),
    ask(
        "revenue growth in the last 30 days",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-05-16", "2026-06-14"),
        compare=VS("2026-04-16", "2026-05-15"),
    ),
    ask(
        "revenue growth between March 3 and March 9",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-03-03", "2026-03-09"),
        compare=VS("2026-02-24", "2026-03-02"),
        note="an explicit day range: the same number of days just before",
    ),
    ask(
        "year-to-date revenue versus last year",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-01-01", "2026-06-15"),
        compare=VS("2025-01-01", "2025-06-15"),
        note="'vs last year' after a to-date period is year over year (bank decision)",
    ),
    ask(
        "Q2 2025 vs Q2 2024 orders",
        JUN15,
        ["orders"],
        kind=_CMP,
        period=P("2025-04-01", "2025-06-30"),
        compare=VS("2024-04-01", "2024-06-30"),
    ),
    ask(
        "How did the return rate change from Q4 2025 to Q1 2026?",
        JUN15,
        ["return_rate"],
        kind=_CMP,
        period=P("2026-01-01", "2026-03-31"),
        compare=VS("2025-10-01", "2025-12-31"),
        note="'from X to Y': period Y, base X (bank decision)",
    ),
    ask(
        "cancellation rate this year compared to last year",
        JUN15,
        ["cancellation_rate"],
        kind=_CMP,
        period=P("2026-01-01", "2026-06-15"),
        compare=VS("2025-01-01", "2025-06-15"),
        note="'compared to last year' after a to-date period is year over year (bank decision)",
    ),
    ask(
        "daily revenue last week vs the week before",
        JUN15,
        ["revenue"],
        kind=_CMP,
        by=(DAY,),
        period=P("2026-06-08", "2026-06-14"),
        compare=VS("2026-06-01", "2026-06-07"),
    ),
    ask(
        "monthly revenue in H1 2026 vs H1 2025",
        JUL01,
        ["revenue"],
        kind=_CMP,
        by=(MONTH,),
        period=P("2026-01-01", "2026-06-30"),
        compare=VS("2025-01-01", "2025-06-30"),
    ),
    ask(
        "units sold per category: last month vs the same month a year ago",
        JUN15,
        ["units_sold"],
        kind=_CMP,
        by=(CATEGORY,),
        period=P("2026-05-01", "2026-05-31"),
        compare=VS("2025-05-01", "2025-05-31"),
    ),
    ask(
        "percentage change in revenue last week",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2026-06-08", "2026-06-14"),
        compare=VS("2026-06-01", "2026-06-07"),
    ),
    ask(
        "revenue increase in 2025 over 2024",
        JUN15,
        ["revenue"],
        kind=_CMP,
        period=P("2025-01-01", "2025-12-31"),
        compare=VS("2024-01-01", "2024-12-31"),
    ),
    ask(
        "how much did new customer numbers go up in April 2026",
        JUN15,
        ["new_customers"],
        kind=_CMP,
        period=P("2026-04-01", "2026-04-30"),
        compare=VS("2026-03-01", "2026-03-31"),
    ),
    ask(
        "revenue yesterday vs the same day last week",
        JUL01,
        ["revenue"],
        kind=_CMP,
        period=P("2026-06-30", "2026-06-30"),
        compare=VS("2026-06-23", "2026-06-23"),
    ),
    ask(
        "growth in active customers by region in Q1 2026",
        JUN15,
        ["active_customers"],
        kind=_CMP,
        by=(REGION,),
        period=P("2026-01-01", "2026-03-31"),
        compare=VS("2025-10-01", "2025-12-31"),
    ),
    ask(
        "new vs active customers by month",
        JUN15,
        ["new_customers", "active_customers"],
        kind=_CMP,
        by=(MONTH,),
        note="two metrics side by side are not a compare; all time",
    ),
    ask(
        "EMEA vs AMER revenue in 2025",
        JUN15,
        ["revenue"],
        kind=_CMP,
        by=(REGION,),
        where=(IN(REGION, "EMEA", "AMER"),),
        period=P("2025-01-01", "2025-12-31"),
        note="two values side by side are not a compare",
    ),
    ask(
        "How did March 2026 compare with February 2026 for orders?",
        JUN15,
        ["orders"],
        kind=_CMP,
        period=P("2026-03-01", "2026-03-31"),
        compare=VS("2026-02-01", "2026-02-28"),
    ),
    ask(
        "AOV this quarter against last quarter",
        JUN15,
        ["average_order_value"],
        kind=_CMP,
        period=P("2026-04-01", "2026-06-15"),
        compare=VS("2026-01-01", "2026-03-31"),
        note="two named periods: each as named (the base is the whole last quarter)",
    ),
    ask(
        "week-over-week change in orders",
        JUN15,
        ["orders"],
        kind=_CMP,
        period=P("2026-06-08", "2026-06-14"),
        compare=VS("2026-06-01", "2026-06-07"),
        note="no period: the last complete week (bank decision)",
    ),
    ask(
        "revenue by month this year vs last year",
        JUN15,
        ["revenue"],
        kind=_CMP,
        by=(MONTH,),
        period=P("2026-01-01", "2026-06-15"),
        compare=VS("2025-01-01", "2025-06-15"),
        note="'vs last year' after a to-date period is year over year (bank decision)",
    ),
]

# --- shares -----------------------------------------------------------------------

_SHR = "share"
_SHARES: list[LanguageQuestion] = [
    ask(
        "share of revenue from mobile last month",
        JUN15,
        ["revenue"],
        kind=_SHR,
        by=(CHANNEL,),
        where=(IN(CHANNEL, "mobile"),),
        period=P("2026-05-01", "2026-05-31"),
        compare=SHARE(CHANNEL),
    ),
    ask(
        "What percentage of orders came from each channel in 2025?",
        JUN15,
        ["orders"],
        kind=_SHR,
        by=(CHANNEL,),
        period=P("2025-01-01", "2025-12-31"),
        compare=SHARE(CHANNEL),
    ),
    ask(
        "share of sales by region so far this year",
        JUN15,
        ["revenue"],
        kind=_SHR,
        by=(REGION,),
        period=P("2026-01-01", "2026-06-15"),
        compare=SHARE(REGION),
    ),
    ask(
        "what % of our revenue came from EMEA in Q1 2026",
        JUN15,
        ["revenue"],
        kind=_SHR,
        by=(REGION,),
        where=(IN(REGION, "EMEA"),),
        period=P("2026-01-01", "2026-03-31"),
        compare=SHARE(REGION),
    ),
    ask(
        "How much of our revenue was from the web channel in May 2026, as a percentage?",
        JUN15,
        ["revenue"],
        kind=_SHR,
        by=(CHANNEL,),
        where=(IN(CHANNEL, "web"),),
        period=P("2026-05-01", "2026-05-31"),
        compare=SHARE(CHANNEL),
    ),
    ask(
        "proportion of units sold by category last quarter",
        JUN15,
        ["units_sold"],
        kind=_SHR,
        by=(CATEGORY,),
        period=P("2026-01-01", "2026-03-31"),
        compare=SHARE(CATEGORY),
    ),
    ask(
        "enterprise share of revenue in 2025",
        JUN15,
        ["revenue"],
        kind=_SHR,
        by=(SEGMENT,),
        where=(IN(SEGMENT, "enterprise"),),
        period=P("2025-01-01", "2025-12-31"),
        compare=SHARE(SEGMENT),
    ),
    ask(
        "What fraction of APAC orders came through mobile last month?",
        JUN15,
        ["orders"],
        kind=_SHR,
        by=(CHANNEL,),
        where=(IN(CHANNEL, "mobile"), IN(REGION, "APAC")),
        period=P("2026-05-01", "2026-05-31"),
        compare=SHARE(CHANNEL),
        note="the denominator keeps the APAC filter: a share of APAC orders",
    ),
    ask(
        "revenue mix by channel for each month of 2025",
        JUN15,
        ["revenue"],
        kind=_SHR,
        by=(CHANNEL, MONTH),
        period=P("2025-01-01", "2025-12-31"),
        compare=SHARE(CHANNEL),
        note="'mix' is a share; each month's channels add up to 1",
    ),
    ask(
        "share of new customers by region in 2025",
        JUN15,
        ["new_customers"],
        kind=_SHR,
        by=(REGION,),
        period=P("2025-01-01", "2025-12-31"),
        compare=SHARE(REGION),
    ),
    ask(
        "What share of orders were cancelled in Q1 2026?",
        JUN15,
        ["cancellation_rate"],
        kind=_SHR,
        period=P("2026-01-01", "2026-03-31"),
        note="the share cancelled is the defined cancellation rate, not a share compare",
    ),
    ask(
        "percentage of revenue from the United States last year",
        JUN15,
        ["revenue"],
        kind=_SHR,
        by=(COUNTRY,),
        where=(IN(COUNTRY, "United States"),),
        period=P("2025-01-01", "2025-12-31"),
        compare=SHARE(COUNTRY),
    ),
    ask(
        "Germany's share of EMEA revenue in 2025",
        JUN15,
        ["revenue"],
        kind=_SHR,
        by=(COUNTRY,),
        where=(IN(COUNTRY, "Germany"), IN(REGION, "EMEA")),
        period=P("2025-01-01", "2025-12-31"),
        compare=SHARE(COUNTRY),
        note="the denominator keeps the EMEA filter",
    ),
    ask(
        "what percent of units were sold in the store channel in April 2026",
        JUN15,
        ["units_sold"],
        kind=_SHR,
        by=(CHANNEL,),
        where=(IN(CHANNEL, "store"),),
        period=P("2026-04-01", "2026-04-30"),
        compare=SHARE(CHANNEL),
    ),
]

# --- ratios the semantic layer does not define ------------------------------------

_RAT = "ratio"
_RATIOS: list[LanguageQuestion] = [
    ask(
        "revenue per customer last month",
        JUN15,
        ["revenue", "active_customers"],
        kind=_RAT,
        period=P("2026-05-01", "2026-05-31"),
        compare=RATIO("revenue", "active_customers"),
    ),
    ask(
        "average revenue per active customer by region in 2025",
        JUN15,
        ["revenue", "active_customers"],
        kind=_RAT,
        by=(REGION,),
        period=P("2025-01-01", "2025-12-31"),
        compare=RATIO("revenue", "active_customers"),
    ),
    ask(
        "orders per customer in Q1 2026",
        JUN15,
        ["orders", "active_customers"],
        kind=_RAT,
        period=P("2026-01-01", "2026-03-31"),
        compare=RATIO("orders", "active_customers"),
    ),
    ask(
        "units per order last month",
        JUN15,
        ["units_sold", "orders"],
        kind=_RAT,
        period=P("2026-05-01", "2026-05-31"),
        compare=RATIO("units_sold", "orders"),
    ),
    ask(
        "average number of items per order in 2025",
        JUN15,
        ["units_sold", "orders"],
        kind=_RAT,
        period=P("2025-01-01", "2025-12-31"),
        compare=RATIO("units_sold", "orders"),
        note="items are units",
    ),
    ask(
        "revenue per unit sold by category so far this year",
        JUN15,
        ["revenue", "units_sold"],
        kind=_RAT,
        by=(CATEGORY,),
        period=P("2026-01-01", "2026-06-15"),
        compare=RATIO("revenue", "units_sold"),
    ),
    ask(
        "How much revenue do we make per order in May 2026?",
        JUN15,
        ["average_order_value"],
        kind=_RAT,
        period=P("2026-05-01", "2026-05-31"),
        note="revenue per order IS average_order_value (spec), no ratio compare",
    ),
    ask(
        "spend per buyer in EMEA last quarter",
        JUN15,
        ["revenue", "active_customers"],
        kind=_RAT,
        where=(IN(REGION, "EMEA"),),
        period=P("2026-01-01", "2026-03-31"),
        compare=RATIO("revenue", "active_customers"),
    ),
    ask(
        "revenue per new customer in 2025",
        JUN15,
        ["revenue", "new_customers"],
        kind=_RAT,
        period=P("2025-01-01", "2025-12-31"),
        compare=RATIO("revenue", "new_customers"),
    ),
    ask(
        "average selling price per unit last month",
        JUN15,
        ["revenue", "units_sold"],
        kind=_RAT,
        period=P("2026-05-01", "2026-05-31"),
        compare=RATIO("revenue", "units_sold"),
    ),
    ask(
        "orders per active customer by segment, 2025",
        JUN15,
        ["orders", "active_customers"],
        kind=_RAT,
        by=(SEGMENT,),
        period=P("2025-01-01", "2025-12-31"),
        compare=RATIO("orders", "active_customers"),
    ),
    ask(
        "gross margin per order last quarter",
        JUN15,
        ["gross_margin", "orders"],
        kind=_RAT,
        period=P("2026-01-01", "2026-03-31"),
        compare=RATIO("gross_margin", "orders"),
        oracle=False,
    ),
    ask(
        "margin as a percentage of revenue in 2025",
        JUN15,
        ["gross_margin_pct"],
        kind=_RAT,
        period=P("2025-01-01", "2025-12-31"),
        oracle=False,
        note="a defined ratio: gross_margin_pct",
    ),
    ask(
        "revenue per customer per month in 2025",
        JUN15,
        ["revenue", "active_customers"],
        kind=_RAT,
        by=(MONTH,),
        period=P("2025-01-01", "2025-12-31"),
        compare=RATIO("revenue", "active_customers"),
    ),
]

# --- verbs that are not values ------------------------------------------------------

_VRB = "verb"
_VERBS: list[LanguageQuestion] = [
    ask(
        "How many orders were placed last week?",
        JUN15,
        ["orders"],
        kind=_VRB,
        period=P("2026-06-08", "2026-06-14"),
    ),
    ask(
        "orders shipped in May 2026",
        JUN15,
        ["orders"],
        kind=_VRB,
        period=P("2026-05-01", "2026-05-31"),
        note="'shipped' after the noun is a verb: no status filter",
    ),
    ask(
        "how many orders did we ship to Canada last month",
        JUN15,
        ["orders"],
        kind=_VRB,
        where=(IN(COUNTRY, "Canada"),),
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "How many orders got returned in 2025?",
        JUN15,
        ["returned_orders"],
        kind=_VRB,
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "how many orders were cancelled yesterday",
        JUL01,
        ["cancelled_orders"],
        kind=_VRB,
        period=P("2026-06-30", "2026-06-30"),
    ),
    ask(
        "number of orders customers placed through the store channel in Q1 2026",
        JUN15,
        ["orders"],
        kind=_VRB,
        where=(IN(CHANNEL, "store"),),
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "Why did revenue drop last week?",
        JUN15,
        ["revenue"],
        kind=_VRB,
        period=P("2026-06-08", "2026-06-14"),
        compare=VS("2026-06-01", "2026-06-07"),
        note="not a data change: last week against the week before (spec)",
    ),
    ask(
        "why did orders fall in May?",
        JUN15,
        ["orders"],
        kind=_VRB,
        period=P("2026-05-01", "2026-05-31"),
        compare=VS("2026-04-01", "2026-04-30"),
    ),
    ask(
        "what made sales go down yesterday",
        JUL01,
        ["revenue"],
        kind=_VRB,
        period=P("2026-06-30", "2026-06-30"),
        compare=VS("2026-06-29", "2026-06-29"),
    ),
    ask(
        "shipped orders in EMEA last week",
        JUL01,
        ["orders"],
        kind=_VRB,
        where=(IN(STATUS, "shipped"), IN(REGION, "EMEA")),
        period=P("2026-06-22", "2026-06-28"),
        note="an attributive revenue-bearing status is a filter",
    ),
    ask(
        "placed orders by channel this week",
        JUL01,
        ["orders"],
        kind=_VRB,
        by=(CHANNEL,),
        where=(IN(STATUS, "placed"),),
        period=P("2026-06-29", "2026-07-01"),
    ),
    ask(
        "returned orders by region in 2025",
        JUN15,
        ["returned_orders"],
        kind=_VRB,
        by=(REGION,),
        period=P("2025-01-01", "2025-12-31"),
    ),
    ask(
        "canceled orders last quarter",
        JUN15,
        ["cancelled_orders"],
        kind=_VRB,
        period=P("2026-01-01", "2026-03-31"),
        note="American spelling",
    ),
    ask(
        "How much revenue came from orders placed in April 2026?",
        JUN15,
        ["revenue"],
        kind=_VRB,
        period=P("2026-04-01", "2026-04-30"),
    ),
    ask(
        "units shipped last month",
        JUN15,
        ["units_sold"],
        kind=_VRB,
        period=P("2026-05-01", "2026-05-31"),
    ),
    ask(
        "How many customers placed an order in Q1 2026?",
        JUN15,
        ["active_customers"],
        kind=_VRB,
        period=P("2026-01-01", "2026-03-31"),
    ),
    ask(
        "why did the average order value go up in March 2026?",
        JUN15,
        ["average_order_value"],
        kind=_VRB,
        period=P("2026-03-01", "2026-03-31"),
        compare=VS("2026-02-01", "2026-02-28"),
    ),
    ask(
        "Why is revenue down this month?",
        JUN15,
        ["revenue"],
        kind=_VRB,
        period=P("2026-06-01", "2026-06-15"),
        compare=VS("2026-05-01", "2026-05-15"),
        note="a to-date period: the same span one month earlier",
    ),
    ask(
        "How many orders were returned last quarter by channel",
        JUN15,
        ["returned_orders"],
        kind=_VRB,
        by=(CHANNEL,),
        period=P("2026-01-01", "2026-03-31"),
    ),
]

# --- words the project does not know -------------------------------------------------

_UNK = "unknown"
_UNKNOWN: list[LanguageQuestion] = [
    clarify("what's our churn last quarter?", kind=_UNK, mentions=("churn",)),
    clarify("profit after tax in 2025", kind=_UNK, mentions=("tax",)),
    clarify("revenue by sales rep last month", kind=_UNK, mentions=("rep",)),
    clarify("inventory levels for electronics", kind=_UNK, mentions=("inventory",)),
    clarify("web sessions last week", kind=_UNK, mentions=("sessions",)),
    clarify("conversion rate by channel this month", kind=_UNK, mentions=("conversion",)),
    clarify("customer lifetime value by segment", kind=_UNK, mentions=("lifetime",)),
    clarify("What's our NPS score?", kind=_UNK, mentions=("nps",)),
    clarify("marketing spend in Q1 2026", kind=_UNK, mentions=("marketing",)),
    clarify("revenue by supplier in 2025", kind=_UNK, mentions=("supplier",)),
    clarify("orders by city last month", kind=_UNK, mentions=("city",)),
    clarify("revenue by payment method", kind=_UNK, mentions=("payment",)),
    clarify("EBITDA for 2025", kind=_UNK, mentions=("ebitda",)),
    clarify("churned customers by region in 2025", kind=_UNK, mentions=("churned",)),
    clarify("average delivery time last month", kind=_UNK, mentions=("delivery",)),
    clarify("revenue by store location", kind=_UNK, mentions=("location",)),
    clarify("shipping costs in 2025", kind=_UNK, mentions=("shipping",)),
    clarify(
        "revenue in Narnia last month", kind=_UNK, mentions=("narnia",), note="an unknown value"
    ),
    clarify(
        "orders through the kiosk channel in 2025",
        kind=_UNK,
        mentions=("kiosk",),
        note="no such channel",
    ),
    clarify(
        "revenue from wholesale customers in 2025",
        kind=_UNK,
        mentions=("wholesale",),
        note="no such segment",
    ),
    clarify("repeat purchase rate in 2025", kind=_UNK, mentions=("repeat",)),
    clarify("revenue per employee in 2025", kind=_UNK, mentions=("employee",)),
    clarify(
        "revenue in Austria last month",
        kind=_UNK,
        mentions=("austria",),
        note="a real country the data does not have, not a typo of Australia",
    ),
    clarify("page views by product last week", kind=_UNK, mentions=("page",)),
    ask(
        "first-time buyers in May 2026",
        JUN15,
        ["new_customers"],
        kind=_UNK,
        period=P("2026-05-01", "2026-05-31"),
        note="issue 18 class: first-time buyers are new customers",
    ),
    ask(
        "How many first time shoppers did we get last quarter?",
        JUN15,
        ["new_customers"],
        kind=_UNK,
        period=P("2026-01-01", "2026-03-31"),
    ),
]

# --- typos and spelling -------------------------------------------------------------

_TYP = "typo"
_TYPOS: list[LanguageQuestion] = [
    ask(
        "revenue by regoin last month",
        JUN15,
        ["revenue"],
        kind=_TYP,
        by=(REGION,),
        period=P("2026-05-01", "2026-05-31"),
        mentions=("regoin",),
    ),
    ask(
        "revnue in Q1 2026",
        JUN15,
        ["revenue"],
        kind=_TYP,
        period=P("2026-01-01", "2026-03-31"),
        mentions=("revnue",),
    ),
    ask(
        "How many custmers did we have last month?",
        JUN15,
        ["active_customers"],
        kind=_TYP,
        period=P("2026-05-01", "2026-05-31"),
        mentions=("custmers",),
    ),
    ask(
        "avrage order value in 2025",
        JUN15,
        ["average_order_value"],
        kind=_TYP,
        period=P("2025-01-01", "2025-12-31"),
        mentions=("avrage",),
    ),
    ask(
        "orders by chanel this year",
        JUN15,
        ["orders"],
        kind=_TYP,
        by=(CHANNEL,),
        period=P("2026-01-01", "2026-06-15"),
        mentions=("chanel",),
    ),
    ask(
        "units sold by catgory in May 2026",
        JUN15,
        ["units_sold"],
        kind=_TYP,
        by=(CATEGORY,),
        period=P("2026-05-01", "2026-05-31"),
        mentions=("catgory",),
    ),
    ask(
        "retrun rate last quarter",
        JUN15,
        ["return_rate"],
        kind=_TYP,
        period=P("2026-01-01", "2026-03-31"),
        mentions=("retrun",),
    ),
    ask(
        "cancelation rate in 2025",
        JUN15,
        ["cancellation_rate"],
        kind=_TYP,
        period=P("2025-01-01", "2025-12-31"),
        note="American spelling: no correction notice required",
    ),
    ask(
        "new custoemrs by month in 2025",
        JUN15,
        ["new_customers"],
        kind=_TYP,
        by=(MONTH,),
        period=P("2025-01-01", "2025-12-31"),
        mentions=("custoemrs",),
    ),
    ask(
        "revenue by segmnet in Q1 2026",
        JUN15,
        ["revenue"],
        kind=_TYP,
        by=(SEGMENT,),
        period=P("2026-01-01", "2026-03-31"),
        mentions=("segmnet",),
    ),
    ask(
        "sales in Germny last month",
        JUN15,
        ["revenue"],
        kind=_TYP,
        where=(IN(COUNTRY, "Germany"),),
        period=P("2026-05-01", "2026-05-31"),
        mentions=("germny",),
        note="a misspelt value with one close known value",
    ),
    ask(
        "turnvoer for the mobile channel in May 2026",
        JUN15,
        ["revenue"],
        kind=_TYP,
        where=(IN(CHANNEL, "mobile"),),
        period=P("2026-05-01", "2026-05-31"),
        mentions=("turnvoer",),
    ),
    ask(
        "revenue by prodcut category in 2025",
        JUN15,
        ["revenue"],
        kind=_TYP,
        by=(CATEGORY,),
        period=P("2025-01-01", "2025-12-31"),
        mentions=("prodcut",),
    ),
    ask(
        "gross marign in 2025",
        JUN15,
        ["gross_margin"],
        kind=_TYP,
        period=P("2025-01-01", "2025-12-31"),
        oracle=False,
        mentions=("marign",),
    ),
    ask(
        "ordres last week",
        JUN15,
        ["orders"],
        kind=_TYP,
        period=P("2026-06-08", "2026-06-14"),
        mentions=("ordres",),
    ),
    ask(
        "revenue by coutnry in Q1 2026",
        JUN15,
        ["revenue"],
        kind=_TYP,
        by=(COUNTRY,),
        period=P("2026-01-01", "2026-03-31"),
        mentions=("coutnry",),
    ),
    ask(
        "please analyse revenue by categroy for 2025",
        JUN15,
        ["revenue"],
        kind=_TYP,
        by=(CATEGORY,),
        period=P("2025-01-01", "2025-12-31"),
        mentions=("categroy",),
    ),
    ask(
        "What were revenues in Febuary 2026?",
        JUN15,
        ["revenue"],
        kind=_TYP,
        period=P("2026-02-01", "2026-02-28"),
        mentions=("febuary",),
    ),
]

# --- empty or surprising rows ---------------------------------------------------------

_SUR = "surprising_rows"
_TARGET_TRIPLE = ["regional_revenue", "target_revenue", "target_attainment"]
_SURPRISING: list[LanguageQuestion] = [
    ask(
        "target attainment by region last month",
        JUN15,
        ["target_attainment"],
        kind=_SUR,
        by=(SALES_REGION,),
        where=(NO_UNKNOWN,),
        period=P("2026-05-01", "2026-05-31"),
        mentions=("unknown",),
    ),
    ask(
        "How are the regions tracking against their sales targets in Q1 2026?",
        JUN15,
        ["target_attainment"],
        kind=_SUR,
        by=(SALES_REGION,),
        where=(NO_UNKNOWN,),
        period=P("2026-01-01", "2026-03-31"),
        mentions=("unknown",),
    ),
    ask(
        "revenue vs target by region for April 2026",
        JUN15,
        _TARGET_TRIPLE,
        kind=_SUR,
        by=(SALES_REGION,),
        where=(NO_UNKNOWN,),
        period=P("2026-04-01", "2026-04-30"),
        mentions=("unknown",),
        note="revenue against target by region: the regional triple (regression bank convention)",
    ),
    ask(
        "what's the revenue target for September 2026?",
        JUN15,
        ["target_revenue"],
        kind=_SUR,
        period=P("2026-09-01", "2026-09-30"),
        note="a planned month after as-of is answered (targets are plans)",
    ),
    ask(
        "EMEA's budget for Q3 2026",
        JUN15,
        ["target_revenue"],
        kind=_SUR,
        where=(IN(SALES_REGION, "EMEA"),),
        period=P("2026-07-01", "2026-09-30"),
    ),
    ask(
        "targets by region for next month",
        JUN15,
        ["target_revenue"],
        kind=_SUR,
        by=(SALES_REGION,),
        where=(NO_UNKNOWN,),
        period=P("2026-07-01", "2026-07-31"),
        mentions=("unknown",),
    ),
    ask(
        "sales plan by region for 2027",
        JUN15,
        ["target_revenue"],
        kind=_SUR,
        by=(SALES_REGION,),
        where=(NO_UNKNOWN,),
        period=P("2027-01-01", "2027-12-31"),
        mentions=("unknown",),
    ),
    ask(
        "show me last month's orders by status",
        JUN15,
        ["valid_orders"],
        kind=_SUR,
        by=(STATUS,),
        period=P("2026-05-01", "2026-05-31"),
        mentions=("valid orders",),
    ),
    ask(
        "how many orders are in each status for 2025?",
        JUN15,
        ["valid_orders"],
        kind=_SUR,
        by=(STATUS,),
        period=P("2025-01-01", "2025-12-31"),
        mentions=("valid orders",),
    ),
    ask(
        "break down Q1 2026 orders by order state",
        JUN15,
        ["valid_orders"],
        kind=_SUR,
        by=(STATUS,),
        period=P("2026-01-01", "2026-03-31"),
        mentions=("valid orders",),
    ),
    unsupported(
        "revenue for September 2026",
        JUN15,
        kind=_SUR,
        note="revenue of a future period is unsupported, unlike its target",
    ),
    ask(
        "monthly target attainment per region in 2025",
        JUN15,
        ["target_attainment"],
        kind=_SUR,
        by=(SALES_REGION, MONTH),
        where=(NO_UNKNOWN,),
        period=P("2025-01-01", "2025-12-31"),
        mentions=("unknown",),
    ),
    ask(
        "attainment by region this year",
        JUN15,
        ["target_attainment"],
        kind=_SUR,
        by=(SALES_REGION,),
        where=(NO_UNKNOWN,),
        period=P("2026-01-01", "2026-06-15"),
        mentions=("unknown",),
    ),
    ask(
        "revenue by region in May 2026",
        JUN15,
        ["revenue"],
        kind=_SUR,
        by=(REGION,),
        period=P("2026-05-01", "2026-05-31"),
        note="the UNKNOWN row stays: unknown customers' revenue is real",
    ),
    ask(
        "orders by status in the last 30 days",
        JUL01,
        ["valid_orders"],
        kind=_SUR,
        by=(STATUS,),
        period=P("2026-06-01", "2026-06-30"),
        mentions=("valid orders",),
    ),
]

# --- two periods, ambiguous dates -----------------------------------------------------

_CON = "conflict"
_CONFLICTS: list[LanguageQuestion] = [
    clarify("revenue last month in 2024", kind=_CON, mentions=("last month", "2024")),
    clarify("orders yesterday in March 2026", kind=_CON, mentions=("yesterday", "march")),
    clarify("sales this week in Q1 2025", kind=_CON, mentions=("this week", "q1")),
    clarify("new customers in 2025 last quarter", kind=_CON, mentions=("2025", "last quarter")),
    clarify("revenue on 3/4/2026", kind=_CON, mentions=("3/4/2026",)),
    clarify("orders on 05/06/2026", kind=_CON, mentions=("05/06/2026",)),
    clarify("units sold since 4/5/2026", kind=_CON, mentions=("4/5/2026",)),
    clarify("AOV in January for the last 7 days", kind=_CON, mentions=("january", "last 7 days")),
    clarify("revenue between 1/2/2026 and 1/3/2026", kind=_CON, mentions=("1/2/2026",)),
    clarify("revenue for May 2026 in the last 7 days", kind=_CON, mentions=("may", "last 7 days")),
    clarify("orders on 2/3", kind=_CON, mentions=("2/3",), note="no year and two readings"),
]

# --- what the platform will not do ----------------------------------------------------

_UNSUPPORTED: list[LanguageQuestion] = [
    unsupported("please delete the test orders from last week", note="changes data"),
    unsupported("can you update customer 17 to the enterprise segment?", note="changes data"),
    unsupported("add a new product called Lumo Desk Lamp", note="changes data"),
    unsupported("rename the EMEA region to Europe", note="changes data"),
    unsupported("truncate the fx rates table", note="changes data"),
    unsupported("refund order 12345", note="changes data"),
    unsupported("set the Q3 target for APAC to 2 million", note="changes data"),
    unsupported("insert a row into shop_orders", note="changes data"),
    unsupported("mark order 991 as delivered", note="changes data"),
    unsupported("What will revenue be in December 2026?", note="a forecast"),
    unsupported("project next quarter's orders", note="a forecast"),
    unsupported("estimate how many new customers we'll get next month", note="a forecast"),
    unsupported("predict the return rate for H2 2026", note="a forecast"),
    unsupported("what will our margin be next year", note="a forecast"),
    unsupported(
        "How much revenue do you expect in July?",
        note="'expect' asks for a forecast: not July 2025 by the month rule",
    ),
    unsupported("give me the email addresses of our top 10 customers", note="personal data"),
    unsupported("what's the full name of customer 88?", note="personal data"),
    unsupported("list the names of customers in Germany", note="personal data"),
    unsupported("where does customer 501 live?", note="personal data"),
    unsupported("export all customer phone numbers", note="personal data"),
    unsupported("orders next week", note="entirely after as-of"),
    unsupported("revenue for next month", note="entirely after as-of"),
]


# --- assembling the bank ------------------------------------------------------------


def _slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:48].rstrip("-")


def _digest(question: str) -> str:
    return hashlib.sha256(question.strip().lower().encode("utf-8")).hexdigest()


def held_out_questions(entries: Iterable[LanguageQuestion]) -> set[str]:
    """The questions held out: within each kind, ordered by the SHA-256 of the
    lower-cased question, the first ``round(HELD_OUT_FRACTION * n)`` (at least
    one, and never all). Depends on the questions alone, so adding an entry
    moves at most the entries of its own kind."""
    by_kind: dict[str, list[str]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry.question)
    held: set[str] = set()
    for questions in by_kind.values():
        ordered = sorted(questions, key=_digest)
        count = min(max(1, round(HELD_OUT_FRACTION * len(ordered))), len(ordered) - 1)
        held.update(ordered[:count])
    return held


def _assemble(entries: list[LanguageQuestion]) -> list[LanguageQuestion]:
    held = held_out_questions(entries)
    seen: dict[str, int] = {}
    out = []
    for entry in entries:
        base = _slug(entry.question)
        seen[base] = seen.get(base, 0) + 1
        slug = base if seen[base] == 1 else f"{base}-{seen[base]}"
        out.append(replace(entry, slug=slug, held_out=entry.question in held))
    return out


BANK: list[LanguageQuestion] = _assemble(
    [
        *_METRICS,
        *_DIMENSIONS,
        *_PERIODS,
        *_COMPARES,
        *_SHARES,
        *_RATIOS,
        *_VERBS,
        *_UNKNOWN,
        *_TYPOS,
        *_SURPRISING,
        *_CONFLICTS,
        *_UNSUPPORTED,
    ]
)
DEVELOPMENT = [entry for entry in BANK if not entry.held_out]
HELD_OUT = [entry for entry in BANK if entry.held_out]
