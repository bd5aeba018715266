{{
    config(
        materialized='incremental',
        incremental_strategy='replace_periods',
        on_schema_change='fail',
        unique_key='month_start',
    )
}}

-- Incremental: a run recomputes only the periods its changed orders touch
-- (int_orders__changed_periods; strategy replace_periods).
{%- set changed_periods = ref('int_orders__changed_periods') %}
{%- set item_month = 'cast(' ~ dbt.date_trunc('month', 'items.order_date') ~ ' as date)' %}

-- Revenue against target per month and region (docs/metrics.md: target_revenue,
-- target_attainment). Months with a target but no sales show zero revenue.
with revenue as (

    select
        {{ item_month }} as month_start,
        customers.region,
        sum(items.line_net_amount_usd) as revenue_usd,
        count(distinct items.order_id) as orders,
        sum(items.quantity) as units_sold
    from {{ ref('fct_order_items') }} as items
    inner join {{ ref('dim_customers') }} as customers
        on items.customer_key = customers.customer_key
    where items.is_revenue_bearing
    {% if is_incremental() %}
        and {{ in_changed_periods(item_month, 'month_start', changed_periods) }}
    {% endif %}
    group by 1, 2

),

targets as (

    select
        region,
        cast(target_month as date) as month_start,
        target_revenue_usd
    from {{ ref('sales_targets') }}
    {% if is_incremental() %}
        -- the changed months, and months newer than any recorded (a month
        -- with a target but no sales yet appears once the orders reach it)
        where
            {{ in_changed_periods('cast(target_month as date)', 'month_start', changed_periods) }}
            or cast(target_month as date) > (
                select coalesce(max(recorded.month_start), cast('1900-01-01' as date))
                from {{ this }} as recorded
            )
    {% endif %}

),

joined as (

    select
        coalesce(revenue.month_start, targets.month_start) as month_start,
        coalesce(revenue.region, targets.region) as region,
        coalesce(revenue.revenue_usd, 0) as revenue_usd,
        coalesce(revenue.orders, 0) as orders,
        coalesce(revenue.units_sold, 0) as units_sold,
        targets.target_revenue_usd
    from revenue
    full outer join targets
        on
            revenue.month_start = targets.month_start
            and revenue.region = targets.region
    where
        revenue.month_start is not null
        or targets.month_start <= (
            select max(latest.order_date) from {{ ref('fct_order_items') }} as latest
        )

),

final as (

    select
        cast(month_start as date) as month_start,
        cast(region as varchar) as region,
        cast(round(revenue_usd, 2) as decimal(18, 2)) as revenue_usd,
        cast(orders as bigint) as orders,
        cast(units_sold as bigint) as units_sold,
        cast(target_revenue_usd as decimal(18, 2)) as target_revenue_usd,
        cast(revenue_usd / nullif(target_revenue_usd, 0) as double) as target_attainment
    from joined

)

select * from final
