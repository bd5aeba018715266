{{
    config(
        materialized='incremental',
        incremental_strategy='replace_periods',
        on_schema_change='fail',
        unique_key='week_start',
    )
}}

-- Incremental: a run recomputes only the periods its changed orders touch
-- (int_orders__changed_periods; strategy replace_periods).
{%- set changed_periods = ref('int_orders__changed_periods') %}
{%- set week_of_margin = iso_week_start('margins.order_date') %}

-- KPIs per ISO week (Monday start) and region, against target: revenue,
-- orders, units, average order value, active and new customers, gross
-- margin, return and cancellation rates (docs/metrics.md). Counts behind each rate
-- are published too, so a reader can total regions correctly.
with orders as (

    select * from {{ ref('fct_orders') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

dates as (

    select * from {{ ref('dim_dates') }}

),

margins as (

    -- the margins view carries each line's customer and revenue flag from
    -- fct_order_items, so it needs no second join to the facts
    select
        margins.order_date,
        margins.customer_key,
        margins.gross_margin_usd
    from {{ ref('fct_order_item_margins') }} as margins
    where margins.is_revenue_bearing
    {% if is_incremental() %}
        and {{ in_changed_periods(week_of_margin, 'week_start', changed_periods) }}
    {% endif %}

),

order_facts as (

    select
        dates.week_start,
        customers.region,
        count(case when orders.is_revenue_bearing then orders.order_id end) as orders,
        sum(case when orders.is_revenue_bearing then orders.order_net_amount_usd end)
            as revenue_usd,
        sum(case when orders.is_revenue_bearing then orders.units end) as units_sold,
        count(distinct case
            when orders.is_revenue_bearing and orders.customer_key <> {{ var('unknown_key') }}
                then orders.customer_key
        end) as active_customers,
        count(case when orders.order_status = 'returned' then 1 end) as returned_orders,
        count(case when orders.order_status in ('delivered', 'returned') then 1 end)
            as delivered_or_returned_orders,
        count(case when orders.order_status = 'cancelled' then 1 end) as cancelled_orders,
        count(*) as valid_orders
    from orders
    inner join dates
        on orders.order_date = dates.date_day
    inner join customers
        on orders.customer_key = customers.customer_key
    {% if is_incremental() %}
        where {{ in_changed_periods('dates.week_start', 'week_start', changed_periods) }}
    {% endif %}
    group by dates.week_start, customers.region

),

margin_facts as (

    select
        dates.week_start,
        customers.region,
        sum(margins.gross_margin_usd) as gross_margin_usd
    from margins
    inner join dates
        on margins.order_date = dates.date_day
    inner join customers
        on margins.customer_key = customers.customer_key
    {% if is_incremental() %}
        where {{ in_changed_periods('dates.week_start', 'week_start', changed_periods) }}
    {% endif %}
    group by dates.week_start, customers.region

),

new_customers as (

    select
        dates.week_start,
        customers.region,
        count(*) as new_customers
    from customers
    inner join dates
        on customers.first_order_date = dates.date_day
    where customers.customer_key <> {{ var('unknown_key') }}
    {% if is_incremental() %}
        and {{ in_changed_periods('dates.week_start', 'week_start', changed_periods) }}
    {% endif %}
    group by dates.week_start, customers.region

),

daily_targets as (

    select
        dates.week_start,
        targets.region,
        -- decimal, not float: sums of floats depend on the order of addition
        cast(
            targets.target_revenue_usd / count(*) over (
                partition by targets.region, targets.target_month
            ) as decimal(18, 6)
        ) as target_revenue_usd
    from {{ ref('sales_targets') }} as targets
    inner join dates
        on targets.target_month = dates.month_start

),

weekly_targets as (

    select
        week_start,
        region,
        sum(target_revenue_usd) as target_revenue_usd
    from daily_targets
    group by week_start, region

),

final as (

    select
        cast(order_facts.week_start as date) as week_start,
        cast(order_facts.region as varchar) as region,
        cast(round(coalesce(order_facts.revenue_usd, 0), 2) as decimal(18, 2)) as revenue_usd,
        cast(order_facts.orders as bigint) as orders,
        cast(coalesce(order_facts.units_sold, 0) as bigint) as units_sold,
        cast(round(order_facts.revenue_usd / nullif(order_facts.orders, 0), 2) as decimal(18, 2))
            as average_order_value_usd,
        cast(order_facts.active_customers as bigint) as active_customers,
        cast(coalesce(new_customers.new_customers, 0) as bigint) as new_customers,
        cast(round(coalesce(margin_facts.gross_margin_usd, 0), 2) as decimal(18, 2))
            as gross_margin_usd,
        cast(order_facts.returned_orders as bigint) as returned_orders,
        cast(order_facts.delivered_or_returned_orders as bigint) as delivered_or_returned_orders,
        cast(order_facts.cancelled_orders as bigint) as cancelled_orders,
        cast(order_facts.valid_orders as bigint) as valid_orders,
        cast(
            order_facts.returned_orders / nullif(order_facts.delivered_or_returned_orders, 0)
            as double
        ) as return_rate,
        cast(order_facts.cancelled_orders / nullif(order_facts.valid_orders, 0) as double)
            as cancellation_rate,
        cast(round(weekly_targets.target_revenue_usd, 2) as decimal(18, 2)) as target_revenue_usd,
        cast(order_facts.revenue_usd / nullif(weekly_targets.target_revenue_usd, 0) as double)
            as target_attainment
    from order_facts
    left join margin_facts
        on
            order_facts.week_start = margin_facts.week_start
            and order_facts.region = margin_facts.region
    left join new_customers
        on
            order_facts.week_start = new_customers.week_start
            and order_facts.region = new_customers.region
    left join weekly_targets
        on
            order_facts.week_start = weekly_targets.week_start
            and order_facts.region = weekly_targets.region

)

select * from final
