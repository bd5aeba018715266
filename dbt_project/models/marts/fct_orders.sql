{{
    config(
        materialized='incremental',
        incremental_strategy='sync',
        unique_key='order_id',
    )
}}

{#-
    The relations this model reads. dbt parses a model as a full build, so
    the ones only the incremental branch reads are named here, outside it,
    where the parser records them as the model's parents. The incremental
    branch validates just the changed orders from staging (validated_orders
    and validated_order_items in macros/validation.sql); a full build reads
    the int_*__validated views.
-#}
{%- set changes = ref('int_orders__changed') -%}
{%- set staging = {
    'orders': ref('stg_shop__orders'),
    'customers': ref('stg_shop__customers'),
    'fx_rates': ref('int_fx_rates__daily'),
    'items': ref('stg_shop__order_items'),
    'products': ref('stg_shop__products'),
} -%}

-- One row per current, valid order with its totals over valid lines. Orders
-- with no valid line stay (they are real orders) but are not revenue-bearing.
with

{% if is_incremental() %}
changed_orders as (

    {{ orders_changed_since_last_run(changes) }}

),
{% endif %}

high_water as (

    select high_water_mark from {{ ref('int_raw__high_water_mark') }}

),

orders as (

    {% if is_incremental() %}
        select * from ({{ validated_orders(staging, 'changed_orders') }}) as validated
    {% else %}
        select * from {{ ref('int_orders__validated') }}
    {% endif %}
    where quarantine_rule is null

),

valid_items as (

    {% if is_incremental() %}
        select * from ({{ validated_order_items(staging, 'changed_orders') }}) as validated
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
