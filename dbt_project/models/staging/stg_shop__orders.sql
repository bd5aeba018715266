{{
    config(
        materialized='incremental',
        incremental_strategy='sync',
        unique_key='order_id',
    )
}}

-- Current state of each order from the CDC log: the change with the highest
-- LSN wins; exact duplicate deliveries count once; deleted orders drop out.
-- Incremental: each run recomputes only the orders with a change row loaded
-- since its previous run (cdc_current_state in macros/watermarks.sql) and
-- `sync` replaces them, deletes included.
with

{% if is_incremental() %}
changed as (

    {{ cdc_keys_changed_since_last_run(source('shop', 'shop_orders'), 'order_id') }}

),
{% endif %}

current_state as (

    {{ cdc_current_state(
        source('shop', 'shop_orders'), 'order_id',
        'changed' if is_incremental() else none) }}

),

high_water as (

    {{ source_high_water_mark(source('shop', 'shop_orders')) }}

),

renamed as (

    select
        cast(current_state.order_id as bigint) as order_id,
        cast(current_state.customer_id as bigint) as customer_id,
        cast(current_state.order_ts as timestamp) as order_ts,
        cast(current_state.order_ts as date) as order_date,
        lower(current_state.channel) as channel,
        lower(current_state.status) as order_status,
        upper(current_state.currency) as currency_code,
        cast(current_state._cdc_lsn as bigint) as cdc_lsn,
        cast(current_state._cdc_ts as timestamp) as changed_at,
        cast(current_state._loaded_at as timestamp) as loaded_at,
        high_water.high_water_mark as _high_water_mark
    from current_state
    cross join high_water
    where current_state._cdc_op <> 'D'

)

{% if is_incremental() %}
{{ sync_batch('renamed', 'changed', 'order_id') }}
{% else %}
    select * from renamed
{% endif %}
