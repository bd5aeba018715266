"""Derive the ``sales_targets`` seed from a generated history (sized for scale 1).

Run ``uv run python -m orchestration.generator.targets`` to regenerate
``dbt_project/seeds/sales_targets.csv``. It generates a scale-1 history ending
today, measures revenue per region and month the
way ``docs/metrics.md`` defines it (current, valid items of orders now placed,
shipped or delivered, converted at the latest rate on or before the order
date), fits revenue per expected order for each region on the mature months
(the last two months still lack most returns) and extrapolates with the
generator's own demand curve (growth and seasonality, no noise). Targets are
5% above that, rounded to whole thousands of USD.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np

from analytics_core.settings import PROJECT_ROOT
from orchestration.generator.config import GeneratorConfig
from orchestration.generator.demand import expected_orders
from orchestration.generator.duckdb_sink import DuckDBSink
from orchestration.generator.generation import generate
from orchestration.generator.geography import COUNTRIES_SEED, REGIONS
from orchestration.generator.timeline import day_number, day_range

SEED_PATH = PROJECT_ROOT / "dbt_project" / "seeds" / "sales_targets.csv"
FIRST_MONTH = dt.date(2024, 1, 1)
LAST_MONTH = dt.date(2028, 12, 1)
UPLIFT = 1.05
IMMATURE_MONTHS = 2

#: Revenue per region and month of order date, per docs/metrics.md (USD).
MONTHLY_REVENUE_SQL = """
with orders as (
    select * from raw_data.shop_orders
    qualify row_number() over (partition by order_id order by _cdc_lsn desc) = 1
),
valid_orders as (
    select order_id, customer_id, order_ts, currency from orders
    where _cdc_op <> 'D'
      and status in ('placed', 'shipped', 'delivered')
      and order_ts <= _loaded_at + interval 1 day
),
items as (
    select * from raw_data.shop_order_items
    qualify row_number() over (partition by order_item_id order by _cdc_lsn desc) = 1
),
valid_items as (
    select i.order_id, i.quantity * i.unit_price - i.discount_amount as net_amount
    from items as i
    where i._cdc_op <> 'D'
      and i.quantity > 0
      and i.product_id in (select product_id from raw_data.shop_products)
),
lines as (
    select o.order_ts::date as order_date, o.currency, o.customer_id, i.net_amount
    from valid_items as i
    join valid_orders as o using (order_id)
),
converted as (
    select l.order_date, l.customer_id, l.net_amount * f.usd_per_unit as revenue_usd
    from lines as l
    asof join raw_data.fx_rates as f
        on f.currency = l.currency and f.rate_date <= l.order_date
)
select countries.region, date_trunc('month', c.order_date)::date as month,
       sum(c.revenue_usd)::double as revenue_usd
from converted as c
join raw_data.shop_customers as cu using (customer_id)
join read_csv(?) as countries using (country_code)
group by all
"""


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def expected_orders_in(month: dt.date) -> float:
    """Orders the demand curve expects in a month at scale 1 (no noise)."""
    days = day_range(day_number(month), day_number(_next_month(month)) - 1)
    return float(np.sum(expected_orders(days, 1.0)))


def measure(warehouse: Path) -> dict[tuple[str, dt.date], float]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set enable_progress_bar = false")
        rows = con.execute(MONTHLY_REVENUE_SQL, [str(COUNTRIES_SEED)]).fetchall()
    return {(region, month): revenue for region, month, revenue in rows}


def targets(
    revenue: dict[tuple[str, dt.date], float], start: dt.date, end: dt.date
) -> list[tuple[str, dt.date, int]]:
    """Targets per region and month from measured monthly revenue of a history."""
    first_full = _next_month(start.replace(day=1))
    last_mature = end.replace(day=1)
    for _ in range(IMMATURE_MONTHS):
        last_mature = (last_mature - dt.timedelta(days=1)).replace(day=1)
    fit_months = month_starts(first_full, last_mature)
    result = []
    for region in REGIONS:
        per_order = sum(revenue.get((region, m), 0.0) for m in fit_months) / sum(
            expected_orders_in(m) for m in fit_months
        )
        for month in month_starts(FIRST_MONTH, LAST_MONTH):
            target = UPLIFT * per_order * expected_orders_in(month)
            result.append((region, month, int(round(target, -3))))
    return sorted(result, key=lambda row: (row[1], REGIONS.index(row[0])))


def write_seed(rows: Sequence[tuple[str, dt.date, int]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["region", "target_month", "target_revenue_usd"])
        writer.writerows((region, month.isoformat(), value) for region, month, value in rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--out", type=Path, default=SEED_PATH)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        warehouse = Path(directory) / "scale1.duckdb"
        with DuckDBSink(warehouse) as sink:
            summary = generate(GeneratorConfig(scale=1.0, end_date=args.end_date), sink)
        revenue = measure(warehouse)
    rows = targets(revenue, summary.start_date, summary.end_date)
    write_seed(rows, args.out)
    target_of = {(region, month): value for region, month, value in rows}
    for (region, month), value in sorted(revenue.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        target = target_of.get((region, month), 0)
        print(f"{month} {region:5} measured {value:14,.0f}  target {target:14,}")
    print(f"wrote {len(rows)} targets to {args.out}")


if __name__ == "__main__":
    main()
