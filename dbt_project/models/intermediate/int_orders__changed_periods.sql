{{ config(materialized='table') }}

-- The order days (with their ISO week and month) whose reporting rows the
-- orders recomputed in this run can change: every day any version of such
-- an order was placed on (so a deleted or re-dated order clears its old day),
-- and a customer's first revenue-bearing day among the orders not recomputed
-- when a recomputed order of theirs is on or before it (only then can their
-- first-order day, which new_customers counts, move from or to it). The incremental rpt_* tables
-- replace exactly these periods (strategy `replace_periods`,
-- macros/incremental_sync.sql). The orders of this run are the entries of
-- int_orders__changed with its latest high-water mark (a run that found no
-- new raw rows shares the previous run's mark: re-reading it is idempotent).
-- A full build lists no order (it rebuilds the rpt_* tables whole without
-- reading this), so this is empty then.
with changed_orders as (

    select distinct run_log.order_id
    from {{ ref('int_orders__changed') }} as run_log
    where run_log._high_water_mark >= (
        select max(all_runs._high_water_mark) from {{ ref('int_orders__changed') }} as all_runs
    )
    and run_log.order_id is not null

),

versions as (

    select distinct
        order_changes.order_date,
        order_changes.customer_id
    from {{ ref('stg_shop__order_changes') }} as order_changes
    where order_changes.order_id in (select changed_orders.order_id from changed_orders)

),

changed_customers as (

    select
        customer_id,
        min(order_date) as first_changed_date
    from versions
    where customer_id is not null
    group by customer_id

),

unchanged_first_orders as (

    select
        orders.customer_key,
        min(orders.order_date) as order_date
    from {{ ref('fct_orders') }} as orders
    where
        orders.is_revenue_bearing
        and orders.customer_key in (select changed_customers.customer_id from changed_customers)
        and orders.order_id not in (select changed_orders.order_id from changed_orders)
    group by orders.customer_key

),

moved_first_orders as (

    select unchanged_first_orders.order_date
    from unchanged_first_orders
    inner join changed_customers
        on unchanged_first_orders.customer_key = changed_customers.customer_id
    where changed_customers.first_changed_date <= unchanged_first_orders.order_date

),

changed_days as (

    select order_date from versions
    union distinct
    select order_date from moved_first_orders

),

final as (

    select
        order_date,
        {{ iso_week_start('order_date') }} as week_start,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start
    from changed_days
    where order_date is not null

)

select * from final
