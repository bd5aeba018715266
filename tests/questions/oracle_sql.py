"""Expected answers to questions, computed straight from ``raw_data``.

Written from the contracts (the metrics glossary, ``docs/metrics.md`` and
``docs/raw-data.md``), not from the dbt models, and on purpose by other routes than
the models and than ``tests/warehouse/independent_sql.py``:

- current CDC state: the rows carrying each key's ``max(_cdc_lsn)`` (a join on
  the aggregate, not a window), exact duplicates collapsed by ``group by``;
- fx rule: a correlated subquery picking the latest ``rate_date`` on or before
  the order date (USD is 1 by definition);
- validity: the rules of docs/raw-data.md, each a plain predicate;
- dimensions: the customer's and product's *current* attributes; an order whose
  customer is null or not in the current extract belongs to the unknown
  customer (country ``Unknown``, region ``UNKNOWN``, segment ``unknown``,
  country code null); an order is revenue-bearing when its status is placed,
  shipped or delivered and it has at least one valid line;
  country names and regions come from the ``countries`` seed CSV, targets from
  the ``sales_targets`` seed CSV (read with ``read_csv``, not the seeded tables)
  times the scale the generator recorded in ``_generator.state``.

One query is an interpretation in the shape of ``Interpretation.to_json()``
(metrics, group_by, filters, period, order_by, limit); :func:`answer_from_raw`
returns ``(columns, rows)``: the group-by names, then the metric names, one row
per group that has data for at least one metric (as MetricFlow, which omits
groups without rows and full-outer-joins metrics of different sources).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import duckdb

from analytics_core.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
COUNTRIES_CSV = SEEDS / "countries.csv"
SALES_TARGETS_CSV = SEEDS / "sales_targets.csv"

GRAINS = ("day", "week", "month", "quarter", "year")
REVENUE_BEARING = ("placed", "shipped", "delivered")


class OracleUnsupported(ValueError):
    """The oracle cannot compute this query (a metric or slice it does not model)."""


# --- the raw data, read by the contract ------------------------------------------

#: Current, valid orders with the current attributes of their customer.
#: One row per order: order_id, customer_id, is_known_customer, order_ts,
#: metric_date, channel, order_status, usd_rate, region, country, segment.
_BASE = """
countries as (
    select
        cast(country_code as varchar) as country_code,
        cast(country_name as varchar) as country_name,
        cast(region as varchar) as region
    from read_csv('{countries_csv}', header = true, all_varchar = true)
),
order_last_change as (
    select order_id, max(_cdc_lsn) as last_lsn
    from raw_data.shop_orders
    group by order_id
),
order_state as (
    select
        o.order_id, o.customer_id, o.order_ts, o.channel, o.status, o.currency, o._cdc_op,
        min(o._loaded_at) as landed_at
    from raw_data.shop_orders as o
    join order_last_change as l on l.order_id = o.order_id and l.last_lsn = o._cdc_lsn
    group by all
),
rates as (
    -- one rate per currency and day (the latest load wins should a day repeat)
    select currency, rate_date, max_by(usd_per_unit, _loaded_at) as usd_per_unit
    from raw_data.fx_rates
    group by all
),
order_priced as (
    select
        s.*,
        cast(s.order_ts as date) as metric_date,
        case
            when s.currency = 'USD' then 1.0
            else (
                select max_by(r.usd_per_unit, r.rate_date)
                from rates as r
                where r.currency = s.currency and r.rate_date <= cast(s.order_ts as date)
            )
        end as usd_rate
    from order_state as s
    where s._cdc_op <> 'D'
),
customers_now as (
    select customer_id, max_by(country_code, _loaded_at) as country_code,
        max_by(segment, _loaded_at) as segment
    from raw_data.shop_customers
    group by customer_id
),
customer_attributes as (
    select
        c.customer_id,
        c.country_code,
        coalesce(k.region, 'UNKNOWN') as region,
        coalesce(k.country_name, 'Unknown') as country,
        c.segment
    from customers_now as c
    left join countries as k on k.country_code = c.country_code
),
valid_orders as (
    select
        p.order_id,
        p.customer_id,
        a.customer_id is not null as is_known_customer,
        p.order_ts,
        p.metric_date,
        p.channel,
        p.status as order_status,
        cast(p.usd_rate as double) as usd_rate,
        coalesce(a.region, 'UNKNOWN') as region,
        coalesce(a.country, 'Unknown') as country,
        a.country_code,
        case when a.customer_id is null then 'unknown' else a.segment end as segment
    from order_priced as p
    left join customer_attributes as a on a.customer_id = p.customer_id
    where p.usd_rate is not null
      and p.order_ts <= p.landed_at + interval 1 day
),
item_last_change as (
    select order_item_id, max(_cdc_lsn) as last_lsn
    from raw_data.shop_order_items
    group by order_item_id
),
item_state as (
    select distinct
        i.order_item_id, i.order_id, i.product_id, i.quantity, i.unit_price,
        i.discount_amount, i._cdc_op
    from raw_data.shop_order_items as i
    join item_last_change as l
        on l.order_item_id = i.order_item_id and l.last_lsn = i._cdc_lsn
),
products_now as (
    select product_id, max_by(category, _loaded_at) as category,
        max_by(product_name, _loaded_at) as product_name
    from raw_data.shop_products
    group by product_id
),
valid_lines as (
    select
        o.*,
        i.order_item_id,
        i.quantity,
        cast(i.quantity * i.unit_price - i.discount_amount as double) * o.usd_rate as net_usd,
        p.category,
        p.product_name
    from item_state as i
    join valid_orders as o on o.order_id = i.order_id
    join products_now as p on p.product_id = i.product_id
    where i._cdc_op <> 'D' and i.quantity > 0
),
revenue_lines as (
    select * from valid_lines where order_status in {revenue_bearing}
),
orders_flagged as (
    -- every valid order, and whether it is revenue-bearing (a revenue-bearing
    -- status and at least one valid line)
    select
        o.*,
        o.order_status in {revenue_bearing}
            and o.order_id in (select order_id from valid_lines) as is_revenue_bearing
    from valid_orders as o
),
first_purchases as (
    -- known customers and the date of their first revenue-bearing order
    select
        customer_id,
        min(order_ts)::date as metric_date,
        any_value(region) as region,
        any_value(country) as country,
        any_value(country_code) as country_code,
        any_value(segment) as segment
    from revenue_lines
    where is_known_customer
    group by customer_id
),
targets as (
    select
        cast(region as varchar) as region,
        cast(target_month as date) as metric_date,
        -- the plan at the generated data's scale (the seed's post-hook)
        round(
            cast(target_revenue_usd as double)
            * coalesce((select max(scale) from _generator.state), 1),
            0
        ) as target_usd
    from read_csv('{targets_csv}', header = true, all_varchar = true)
)
"""


def _base_ctes() -> str:
    return _BASE.format(
        countries_csv=str(COUNTRIES_CSV).replace("'", "''"),
        targets_csv=str(SALES_TARGETS_CSV).replace("'", "''"),
        revenue_bearing="(" + ", ".join(f"'{s}'" for s in REVENUE_BEARING) + ")",
    )


# --- metric families: where each metric is counted and how it can be sliced ------

_CUSTOMER_DIMENSIONS = {
    "customer__region": "region",
    "customer__country": "country",
    "customer__country_code": "country_code",
    "customer__segment": "segment",
}
_ORDER_DIMENSIONS = {"order__channel": "channel", "order__order_status": "order_status"}
_PRODUCT_DIMENSIONS = {"product__category": "category", "product__product_name": "product_name"}


class _Family:
    def __init__(
        self, relation: str, dimensions: Mapping[str, str], aggregates: Mapping[str, str]
    ) -> None:
        self.relation = relation
        self.dimensions = dict(dimensions)
        self.aggregates = dict(aggregates)


_FAMILIES: dict[str, _Family] = {
    # lines of revenue-bearing orders
    "sales": _Family(
        "revenue_lines",
        {
            **_CUSTOMER_DIMENSIONS,
            **_ORDER_DIMENSIONS,
            **_PRODUCT_DIMENSIONS,
            # every line here is of a revenue-bearing order, by definition
            "order__is_revenue_bearing": "true",
        },
        {
            "revenue": "sum(net_usd)",
            "orders": "count(distinct order_id)",
            "units_sold": "sum(quantity)",
            "active_customers": "count(distinct case when is_known_customer then customer_id end)",
            "average_order_value": "sum(net_usd) / count(distinct order_id)",
        },
    ),
    # every current valid order, whatever its status
    "order_status": _Family(
        "orders_flagged",
        {
            **_CUSTOMER_DIMENSIONS,
            **_ORDER_DIMENSIONS,
            "order__is_revenue_bearing": "is_revenue_bearing",
        },
        {
            "returned_orders": "count(*) filter (where order_status = 'returned')",
            "delivered_or_returned_orders": (
                "count(*) filter (where order_status in ('delivered', 'returned'))"
            ),
            "return_rate": (
                "(count(*) filter (where order_status = 'returned'))::double"
                " / nullif(count(*) filter (where order_status in ('delivered', 'returned')), 0)"
            ),
            "cancelled_orders": "count(*) filter (where order_status = 'cancelled')",
            "valid_orders": "count(*)",
            "cancellation_rate": (
                "(count(*) filter (where order_status = 'cancelled'))::double / count(*)"
            ),
        },
    ),
    # known customers on the date of their first revenue-bearing order
    "acquisition": _Family("first_purchases", _CUSTOMER_DIMENSIONS, {"new_customers": "count(*)"}),
    # revenue and targets by sales region (the customer's current region)
    "regional_sales": _Family(
        "revenue_lines", {"sales_region": "region"}, {"regional_revenue": "sum(net_usd)"}
    ),
    "targets": _Family(
        "targets", {"sales_region": "region"}, {"target_revenue": "sum(target_usd)"}
    ),
}

#: Ratio metrics the oracle assembles from two families.
_CROSS_FAMILY_RATIOS = {"target_attainment": ("regional_revenue", "target_revenue")}


def _family_of(metric: str) -> str:
    for name, family in _FAMILIES.items():
        if metric in family.aggregates:
            return name
    raise OracleUnsupported(f"no oracle for metric {metric!r}")


def _time_grain(name: str) -> str | None:
    if name.startswith("metric_time__"):
        grain = name.removeprefix("metric_time__")
        if grain not in GRAINS:
            raise OracleUnsupported(f"unknown grain {grain!r}")
        return grain
    return None


def _column(family: _Family, family_name: str, dimension: str) -> str:
    grain = _time_grain(dimension)
    if grain is not None:
        if family_name == "targets" and grain in ("day", "week"):
            raise OracleUnsupported("targets are monthly")
        return f"cast(date_trunc('{grain}', metric_date) as date)"
    if dimension not in family.dimensions:
        raise OracleUnsupported(f"{dimension} does not slice {family_name}")
    return family.dimensions[dimension]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _family_sql(
    family_name: str,
    metrics: Sequence[str],
    group_by: Sequence[str],
    filters: Sequence[Mapping[str, Any]],
    start: datetime.date | None,
    end: datetime.date | None,
) -> str:
    family = _FAMILIES[family_name]
    keys = [f"{_column(family, family_name, g)} as k{i}" for i, g in enumerate(group_by)]
    values = [f"{family.aggregates[m]} as m{i}" for i, m in enumerate(metrics)]
    conditions = ["true"]
    if start is not None:
        conditions.append(f"metric_date >= date '{start.isoformat()}'")
    if end is not None:
        conditions.append(f"metric_date <= date '{end.isoformat()}'")
    for f in filters:
        column = _column(family, family_name, f["dimension"])
        negate = "not " if f.get("operator", "in") == "not in" else ""
        values_sql = ", ".join(_literal(str(v)) for v in f["values"])
        conditions.append(f"{column} {negate}in ({values_sql})")
    group = " group by all" if keys else ""
    return (
        f"with {_base_ctes()}\nselect {', '.join([*keys, *values])}\n"
        f"from {family.relation}\nwhere {' and '.join(conditions)}{group}"
    )


def _date(value: str | None) -> datetime.date | None:
    return None if value is None else datetime.date.fromisoformat(value)


def answer_from_raw(
    con: duckdb.DuckDBPyConnection, interpretation: Mapping[str, Any]
) -> tuple[list[str], list[list[Any]]]:
    """``(columns, rows)`` of an interpretation, from raw data alone.

    Rows are ordered by ``order_by`` (then cut at ``limit``) if given, else by
    the group-by values."""
    metrics = list(interpretation["metrics"])
    group_by = list(interpretation.get("group_by") or [])
    filters = list(interpretation.get("filters") or [])
    period = interpretation.get("period") or {}
    start, end = _date(period.get("start")), _date(period.get("end"))

    needed: dict[str, list[str]] = {}
    for metric in metrics:
        parts = _CROSS_FAMILY_RATIOS.get(metric, (metric,))
        for part in parts:
            family = needed.setdefault(_family_of(part), [])
            if part not in family:
                family.append(part)

    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for family_name, family_metrics in needed.items():
        sql = _family_sql(family_name, family_metrics, group_by, filters, start, end)
        for row in con.execute(sql).fetchall():
            key = tuple(row[: len(group_by)])
            record = merged.setdefault(key, {})
            for metric, value in zip(family_metrics, row[len(group_by) :], strict=True):
                record[metric] = None if value is None else float(value)

    rows: list[list[Any]] = []
    for key, record in merged.items():
        values: list[Any] = []
        for metric in metrics:
            if metric in _CROSS_FAMILY_RATIOS:
                numerator, denominator = (record.get(p) for p in _CROSS_FAMILY_RATIOS[metric])
                ok = numerator is not None and denominator not in (None, 0)
                values.append(numerator / denominator if ok else None)  # type: ignore[operator]
            else:
                values.append(record.get(metric))
        rows.append([*key, *values])

    columns = [*group_by, *metrics]
    order_by = list(interpretation.get("order_by") or [])
    rows.sort(key=lambda r: tuple(_sort_key(v) for v in r[: len(group_by)]))
    for order in reversed(order_by):
        index = columns.index(order["by"])
        rows.sort(key=lambda r, i=index: _sort_key(r[i]), reverse=bool(order["descending"]))
    limit = interpretation.get("limit")
    if limit is not None:
        rows = rows[: int(limit)]
    return columns, rows


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (1, "")
    if isinstance(value, datetime.date):
        return (0, value.isoformat())
    return (0, value)


#: Oracles by the name a bank entry gives.
ORACLES: dict[
    str, Callable[[duckdb.DuckDBPyConnection, Mapping[str, Any]], tuple[list[str], list[list[Any]]]]
] = {"raw": answer_from_raw}


# --- comparing an answer with the oracle's ------------------------------------------

#: Relative tolerance of numbers (sums of doubles in different orders).
REL_TOL = 1e-6


def normalise(value: Any) -> Any:
    """Dates and timestamps as ISO dates (first 10 characters), numbers as floats."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()[:10]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    return value


def _same_number(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-9)


def _records(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    keys: Sequence[str],
    metrics: Sequence[str],
) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    out = []
    for row in rows:
        record = {c: normalise(v) for c, v in zip(columns, row, strict=True)}
        out.append((tuple(record[k] for k in keys), tuple(record[m] for m in metrics)))
    return out


def answer_differences(
    actual_columns: Sequence[str],
    actual_rows: Sequence[Sequence[Any]],
    expected_columns: Sequence[str],
    expected_rows: Sequence[Sequence[Any]],
    *,
    group_by: Sequence[str],
    metrics: Sequence[str],
    order_by: Sequence[Mapping[str, Any]] = (),
    limit: int | None = None,
) -> list[str]:
    """What differs between an answer and the oracle's (empty: the same).

    Columns are compared as sets and rows by column name. Without ``limit`` rows
    are compared as sets keyed by the group-by values; an extra answer row whose
    metrics are all 0 counts as absent (a group with a zero count is no group).
    With ``limit`` (top/bottom N), ``expected_rows`` must be the oracle's *whole*
    sorted list: the answer must be its first N rows, ties in the sort metric in
    any order."""
    problems: list[str] = []
    if set(actual_columns) != set(expected_columns):
        return [f"columns {list(actual_columns)} != expected {list(expected_columns)}"]
    actual = _records(actual_columns, actual_rows, group_by, metrics)
    expected = _records(expected_columns, expected_rows, group_by, metrics)
    for name, records in (("answer", actual), ("oracle", expected)):
        keys = [key for key, _ in records]
        if len(set(keys)) != len(keys):
            problems.append(f"the {name} has duplicate groups")
    if problems:
        return problems

    def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
        return all(_same_number(x, y) for x, y in zip(a, b, strict=True))

    by_key = dict(expected)
    if limit is None:
        got = dict(actual)
        for key, values in got.items():
            if key not in by_key:
                if not all(v == 0 for v in values):
                    problems.append(f"unexpected row {key}: {values}")
            elif not same(values, by_key[key]):
                problems.append(f"row {key}: {values} != expected {by_key[key]}")
        problems.extend(
            f"missing row {key}: {values}" for key, values in expected if key not in got
        )
        return problems

    want = min(limit, len(expected))
    if len(actual) != want:
        problems.append(f"{len(actual)} rows, expected {want}")
    sort_index = [metrics.index(o["by"]) for o in order_by if o["by"] in metrics]
    for position, (key, values) in enumerate(actual[:want]):
        if key not in by_key:
            problems.append(f"row {position} {key}: not a group of the oracle")
            continue
        if not same(values, by_key[key]):
            problems.append(f"row {position} {key}: {values} != expected {by_key[key]}")
        for i in sort_index:
            if not _same_number(values[i], expected[position][1][i]):
                problems.append(
                    f"row {position} {key}: {metrics[i]} {values[i]} is not the"
                    f" {position + 1}. value {expected[position][1][i]}"
                )
    return problems


def oracle_differences(
    con: Any,
    oracle: str,
    interpretation: Mapping[str, Any],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> list[str]:
    """How ``columns``/``rows`` differ from the oracle's answer to
    ``interpretation`` (for top/bottom N, against the oracle's whole sorted
    list, so rows tied on the ranking value may come in any order)."""
    expected_columns, expected_rows = ORACLES[oracle](con, {**interpretation, "limit": None})
    return answer_differences(
        columns,
        rows,
        expected_columns,
        expected_rows,
        group_by=interpretation["group_by"],
        metrics=interpretation["metrics"],
        order_by=interpretation["order_by"] or [],
        limit=interpretation["limit"],
    )
