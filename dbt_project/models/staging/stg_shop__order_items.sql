{{
    config(
        materialized='incremental',
        incremental_strategy='sync',
        unique_key='order_item_id',
    )
}}

-- Current state of each order line from the CDC log (see stg_shop__orders).
-- A line that moves to another order is a change of its row here.
with

{% if is_incremental() %}
changed as (

    {{ cdc_keys_changed_since_last_run(source('shop', 'shop_order_items'), 'order_item_id') }}

),
{% endif %}

current_state as (

    {{ cdc_current_state(
        source('shop', 'shop_order_items'), 'order_item_id',
        'changed' if is_incremental() else none) }}

),

high_water as (

    {{ source_high_water_mark(source('shop', 'shop_order_items')) }}

),

renamed as (

    select
        cast(current_state.order_item_id as bigint) as order_item_id,
        cast(current_state.order_id as bigint) as order_id,
        cast(current_state.product_id as bigint) as product_id,
        cast(current_state.quantity as integer) as quantity,
        cast(current_state.unit_price as decimal(12, 2)) as unit_price,
        cast(current_state.discount_amount as decimal(12, 2)) as discount_amount,
        cast(current_state._cdc_lsn as bigint) as cdc_lsn,
        cast(current_state._cdc_ts as timestamp) as changed_at,
        cast(current_state._loaded_at as timestamp) as loaded_at,
        high_water.high_water_mark as _high_water_mark
    from current_state
    cross join high_water
    where current_state._cdc_op <> 'D'

)

{% if is_incremental() %}
{{ sync_batch('renamed', 'changed', 'order_item_id') }}
{% else %}
    select * from renamed
{% endif %}
