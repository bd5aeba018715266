{{
    config(
        materialized='incremental',
        incremental_strategy='replace_periods',
        on_schema_change='fail',
        unique_key='order_date',
    )
}}

-- Incremental: a run recomputes only the periods its changed orders touch
-- (int_orders__changed_periods; strategy replace_periods).
{%- set changed_periods = ref('int_orders__changed_periods') %}
-- Sales per day, region and channel (docs/metrics.md: revenue, orders,
-- average_order_value, units_sold, active_customers).
with items as (

    select * from {{ ref('fct_order_items') }}
    where is_revenue_bearing
    {% if is_incremental() %}
        and {{ in_changed_periods('order_date', 'order_date', changed_periods) }}
    {% endif %}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

daily as (

    select
        items.order_date,
        customers.region,
        items.channel,
        sum(items.line_net_amount_usd) as revenue_usd,
        count(distinct items.order_id) as orders,
        sum(items.quantity) as units_sold,
        count(
            distinct case
                when items.customer_key <> {{ var('unknown_key') }} then items.customer_key
            end
        )
            as active_customers
    from items
    inner join customers
        on items.customer_key = customers.customer_key
    group by items.order_date, customers.region, items.channel

),

final as (

    select
        cast(order_date as date) as order_date,
        cast(region as varchar) as region,
        cast(channel as varchar) as channel,
        cast(round(revenue_usd, 2) as decimal(18, 2)) as revenue_usd,
        cast(orders as bigint) as orders,
        cast(units_sold as bigint) as units_sold,
        cast(round(revenue_usd / orders, 2) as decimal(18, 2)) as average_order_value_usd,
        cast(active_customers as bigint) as active_customers
    from daily

)

select * from final
