-- Every change row of the order-lines CDC log as delivered, typed (see
-- stg_shop__order_changes). A line that moved between orders has rows under
-- both: int_orders__changed recomputes the order it left too.
with source as (

    select * from {{ source('shop', 'shop_order_items') }}

),

renamed as (

    select
        cast(order_item_id as bigint) as order_item_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as bigint) as product_id,
        _cdc_op as cdc_op,
        cast(_cdc_lsn as bigint) as cdc_lsn,
        cast(_loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
