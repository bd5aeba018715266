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

-- One row per valid order line (see docs/metrics.md: "valid item"), amounts in the
-- order currency and in USD. Incremental on _loaded_at: each run recomputes
-- the orders touched by raw rows that arrived since the last run.
with

{% if is_incremental() %}
changed_orders as (

    {{ orders_changed_since_last_run(changes) }}

),
{% endif %}

high_water as (

    select high_water_mark from {{ ref('int_raw__high_water_mark') }}

),

items as (

    {% if is_incremental() %}
        select * from ({{ validated_order_items(staging, 'changed_orders') }}) as validated
    {% else %}
        select * from {{ ref('int_order_items__validated') }}
    {% endif %}

),

final as (

    select
        items.order_item_id,
        items.order_id,
        items.product_id,
        items.customer_id,
        items.customer_key,
        items.order_ts,
        items.order_date,
        items.channel,
        items.order_status,
        items.currency_code,
        items.quantity,
        items.unit_price,
        items.discount_amount,
        items.line_net_amount,
        items.usd_per_unit,
        items.line_net_amount_usd,
        items.order_status in ('placed', 'shipped', 'delivered') as is_revenue_bearing,
        items.source_loaded_at as _loaded_at,
        high_water.high_water_mark as _high_water_mark
    from items
    cross join high_water
    where items.quarantine_rule is null

)

{% if is_incremental() %}
{{ sync_batch('final', 'changed_orders', 'order_id') }}
{% else %}
    select * from final
{% endif %}
