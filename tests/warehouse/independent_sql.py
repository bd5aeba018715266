"""Metrics computed straight from ``raw_data``, written from the contracts
(the metrics glossary (docs/metrics.md) and docs/raw-data.md), not from the dbt models.

The SQL deliberately takes other routes than the models (an ASOF join for the
fx rule, ``not exists`` for validity) so a shared mistake is unlikely.
"""

from __future__ import annotations

import csv
from pathlib import Path

from analytics_core.settings import PROJECT_ROOT

COUNTRIES_CSV = PROJECT_ROOT / "dbt_project" / "seeds" / "countries.csv"


def country_regions() -> list[tuple[str, str]]:
    with Path(COUNTRIES_CSV).open(newline="") as handle:
        return [(row["country_code"], row["region"]) for row in csv.DictReader(handle)]


#: Revenue, orders and units per month and region, from raw data alone.
#: Expects a temporary table ``country_regions(country_code, region)``.
MONTHLY_METRICS_FROM_RAW = """
with orders_now as (
    select * exclude (recency) from (
        select *, row_number() over (partition by order_id order by _cdc_lsn desc) as recency
        from raw_data.shop_orders
    ) where recency = 1 and _cdc_op <> 'D'
),
items_now as (
    select * exclude (recency) from (
        select *, row_number() over (partition by order_item_id order by _cdc_lsn desc) as recency
        from raw_data.shop_order_items
    ) where recency = 1 and _cdc_op <> 'D'
),
rates as (
    select currency, rate_date, arg_max(usd_per_unit, _loaded_at) as usd_per_unit
    from raw_data.fx_rates group by all
),
orders_priced as (
    select o.*, case when o.currency = 'USD' then 1 else r.usd_per_unit end as usd_rate
    from orders_now as o
    asof left join rates as r
        on o.currency = r.currency and cast(o.order_ts as date) >= r.rate_date
),
valid_orders as (
    select * from orders_priced
    where usd_rate is not null and not (order_ts > _loaded_at + interval 1 day)
),
valid_items as (
    select i.*, o.usd_rate, o.order_ts, o.status, o.customer_id
    from items_now as i
    join valid_orders as o using (order_id)
    where i.quantity > 0
      and exists (select 1 from raw_data.shop_products as p where p.product_id = i.product_id)
),
revenue_items as (
    select * from valid_items where status in ('placed', 'shipped', 'delivered')
),
with_region as (
    select
        revenue_items.*,
        coalesce(country_regions.region, 'UNKNOWN') as region
    from revenue_items
    left join raw_data.shop_customers as c on c.customer_id = revenue_items.customer_id
    left join country_regions on country_regions.country_code = c.country_code
)
select
    cast(date_trunc('month', order_ts) as date) as month_start,
    region,
    round(sum((quantity * unit_price - discount_amount) * usd_rate), 2) as revenue_usd,
    count(distinct order_id) as orders,
    sum(quantity) as units_sold
from with_region
group by all
order by all
"""

REPORTED_MONTHLY_METRICS = """
select month_start, region, revenue_usd, orders, units_sold
from reporting.rpt_monthly_region_targets
where orders > 0
order by all
"""
