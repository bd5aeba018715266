-- Every change row of the orders CDC log as delivered, typed: the history
-- stg_shop__orders reduces to current state. The incremental models find
-- what arrived since their previous run here (int_orders__changed) and every
-- day any version of an order was placed on (int_orders__changed_periods),
-- so no model outside staging reads the raw log. A view: each reader filters
-- it (by load time or by order), and the filter reaches the raw scan.
with source as (

    select * from {{ source('shop', 'shop_orders') }}

),

renamed as (

    select
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(order_ts as timestamp) as order_ts,
        cast(order_ts as date) as order_date,
        _cdc_op as cdc_op,
        cast(_cdc_lsn as bigint) as cdc_lsn,
        cast(_loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
