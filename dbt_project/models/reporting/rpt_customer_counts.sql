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
{%- set order_month = 'cast(' ~ dbt.date_trunc('month', 'orders.order_date') ~ ' as date)' %}
{%- set first_order_month = 'cast(' ~ dbt.date_trunc('month', 'first_order_date') ~ ' as date)' %}

-- Active and new customers per month, region and segment (docs/metrics.md:
-- active_customers, new_customers). Known customers only.
with orders as (

    select * from {{ ref('fct_orders') }}
    where
        is_revenue_bearing
        and customer_key <> {{ var('unknown_key') }}
    {% if is_incremental() %}
        and {{ in_changed_periods(
            'cast(' ~ dbt.date_trunc('month', 'order_date') ~ ' as date)', 'month_start',
            changed_periods) }}
    {% endif %}

),

customers as (

    select * from {{ ref('dim_customers') }}
    where customer_key <> {{ var('unknown_key') }}

),

active as (

    select
        {{ order_month }} as month_start,
        customers.region,
        customers.segment,
        count(distinct orders.customer_key) as active_customers
    from orders
    inner join customers
        on orders.customer_key = customers.customer_key
    group by 1, 2, 3

),

newcomers as (

    select
        {{ first_order_month }} as month_start,
        region,
        segment,
        count(*) as new_customers
    from customers
    where first_order_date is not null
    {% if is_incremental() %}
        and {{ in_changed_periods(first_order_month, 'month_start', changed_periods) }}
    {% endif %}
    group by 1, 2, 3

),

final as (

    select
        cast(active.month_start as date) as month_start,
        cast(active.region as varchar) as region,
        cast(active.segment as varchar) as segment,
        cast(active.active_customers as bigint) as active_customers,
        cast(coalesce(newcomers.new_customers, 0) as bigint) as new_customers
    from active
    left join newcomers
        on
            active.month_start = newcomers.month_start
            and active.region = newcomers.region
            and active.segment = newcomers.segment

)

select * from final
