{{
    config(
        materialized='incremental',
        incremental_strategy='append',
    )
}}

-- The orders each run must recompute, computed once per run for every
-- incremental model on order data (facts and quarantine), with the raw
-- high-water mark of the run that found them. A full build rebuilds those
-- models whole, so it lists no order: it records only its high-water mark,
-- in one row without an order (order_id null). Listing every order there
-- would make the first incremental run after a full build recompute all
-- history, since consumers re-read the batch of the mark they last saw
-- (see orders_changed_since_last_run).
--
-- An order may have changed when any raw row that feeds its facts arrived
-- after the previous run's mark:
-- - its own CDC rows, and its lines' CDC rows (including the order a line
--   used to belong to);
-- - customers that appeared or changed (an unknown customer can become known);
-- - products that appeared or changed (an unknown product can become known);
-- - fx rates that arrived late (they change the as-of rate of later orders in
--   that currency);
-- - orders of customers and products that were deleted from their extract
--   (known to the snapshots, gone from today's extract): a deletion arrives
--   without any new raw row. Ids that never existed are not rechecked: they
--   cannot become known without a new extract row, which the first rules see.
-- Recomputing an order is idempotent, so touching one more than needed costs
-- time, never correctness.

{#-
    The relations the incremental branch reads. dbt parses a model as a full
    build, so they are named here, outside that branch, where the parser
    records them as this model's parents.
-#}
{%- set order_changes = ref('stg_shop__order_changes') %}
{%- set order_item_changes = ref('stg_shop__order_item_changes') %}
{%- set orders = ref('stg_shop__orders') %}
{%- set order_items = ref('stg_shop__order_items') %}
{%- set customers = ref('stg_shop__customers') %}
{%- set products = ref('stg_shop__products') %}
{%- set customer_history = ref('snp_shop__customers') %}
{%- set product_history = ref('snp_shop__products') %}
{%- set fx_rates = ref('stg_fx__rates') %}

with high_water as (

    select high_water_mark from {{ ref('int_raw__high_water_mark') }}

),

changed as (

    {% if is_incremental() %}
        {%- set since = previous_high_water_mark() %}
        select order_id from {{ order_changes }}
        where loaded_at > {{ since }}

        union

        select all_rows.order_id
        from {{ order_item_changes }} as all_rows
        where all_rows.order_item_id in (
            select new_rows.order_item_id from {{ order_item_changes }} as new_rows
            where new_rows.loaded_at > {{ since }}
        )

        union

        select current_orders.order_id
        from {{ orders }} as current_orders
        where current_orders.customer_id in (
            select new_rows.customer_id from {{ customers }} as new_rows
            where new_rows.loaded_at > {{ since }}
        )
        or current_orders.customer_id in (
            select history.customer_id from {{ customer_history }} as history
            where history.customer_id not in (select today.customer_id from {{ customers }} as today)
        )

        union

        select items.order_id
        from {{ order_items }} as items
        where items.product_id in (
            select new_rows.product_id from {{ products }} as new_rows
            where new_rows.loaded_at > {{ since }}
        )
        or items.product_id in (
            select history.product_id from {{ product_history }} as history
            where history.product_id not in (select today.product_id from {{ products }} as today)
        )

        union

        select current_orders.order_id
        from {{ orders }} as current_orders
        inner join (
            select
                new_rates.currency_code,
                min(new_rates.rate_date) as first_changed_date
            from {{ fx_rates }} as new_rates
            where new_rates.loaded_at > {{ since }}
            group by new_rates.currency_code
        ) as late_rates
            on current_orders.currency_code = late_rates.currency_code
            and current_orders.order_date >= late_rates.first_changed_date
    {% else %}
        select cast(null as bigint) as order_id
    {% endif %}

),

final as (

    select
        changed.order_id,
        high_water.high_water_mark as _high_water_mark
    from changed
    cross join high_water

)

select * from final
