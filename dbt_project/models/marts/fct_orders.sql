{{
    config(
        materialized='incremental',
        incremental_strategy='sync',
        unique_key='order_id',
    )
}}

-- The incremental branch reads the orders to recompute from:
-- depends_on: {{ ref('int_orders__changed') }}

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

    select * from {{ ref('int_orders__validated') }}
    where quarantine_rule is null
    {% if is_incremental() %}
        and order_id in (select order_id from changed_orders)
    {% endif %}

),

valid_items as (

    select * from {{ ref('int_order_items__validated') }}
    where quarantine_rule is null
    {% if is_incremental() %}
        and order_id in (select order_id from changed_orders)
    {% endif %}

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
