{{
    config(
        materialized='incremental',
        incremental_strategy='sync',
        unique_key='order_id',
    )
}}

-- The incremental branch reads the orders to recompute from
-- int_orders__changed, and validates just those orders from staging
-- (macros/validation.sql):
-- depends_on: {{ ref('int_orders__changed') }}
-- depends_on: {{ ref('stg_shop__orders') }}
-- depends_on: {{ ref('stg_shop__order_items') }}
-- depends_on: {{ ref('stg_shop__customers') }}
-- depends_on: {{ ref('stg_shop__products') }}
-- depends_on: {{ ref('int_fx_rates__daily') }}

-- One row per current, valid order with its totals over valid lines. Orders
-- with no valid line stay (they are real orders) but are not revenue-bearing.
with

{% if is_incremental() %}
changed_orders as (

    {{ orders_changed_since_last_run() }}

),
{% endif %}

high_water as (

    {{ raw_high_water_mark() }}

),

orders as (

    {% if is_incremental() %}
        select * from ({{ validated_orders('changed_orders') }}) as validated
    {% else %}
        select * from {{ ref('int_orders__validated') }}
    {% endif %}
    where quarantine_rule is null

),

valid_items as (

    {% if is_incremental() %}
        select * from ({{ validated_order_items('changed_orders') }}) as validated
    {% else %}
        select * from {{ ref('int_order_items__validated') }}
    {% endif %}
    where quarantine_rule is null

),

item_totals as (

    select
        order_id,
        count(*) as valid_item_count,
        sum(quantity) as units,
        sum(line_net_amount_usd) as order_net_amount_usd,
        max(loaded_at) as items_loaded_at
    from valid_items
    group by order_id

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.customer_key,
        orders.order_ts,
        orders.order_date,
        orders.channel,
        orders.order_status,
        orders.currency_code,
        orders.usd_per_unit,
        orders.fx_rate_date,
        coalesce(item_totals.valid_item_count, 0) as valid_item_count,
        coalesce(item_totals.units, 0) as units,
        coalesce(item_totals.order_net_amount_usd, 0) as order_net_amount_usd,
        orders.order_status in ('placed', 'shipped', 'delivered')
        and coalesce(item_totals.valid_item_count, 0) > 0 as is_revenue_bearing,
        greatest(orders.loaded_at, coalesce(item_totals.items_loaded_at, orders.loaded_at))
            as _loaded_at,
        high_water.high_water_mark as _high_water_mark
    from orders
    left join item_totals
        on orders.order_id = item_totals.order_id
    cross join high_water

)

{% if is_incremental() %}
{{ sync_batch('final', 'changed_orders', 'order_id') }}
{% else %}
    select * from final
{% endif %}
