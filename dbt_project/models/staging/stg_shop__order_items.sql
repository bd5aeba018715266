-- Current state of each order line from the CDC log (see stg_shop__orders).
with source as (

    select * from {{ source('shop', 'shop_order_items') }}

),

current_state as (

    select *
    from source
    qualify row_number() over (partition by order_item_id order by _cdc_lsn desc) = 1

),

renamed as (

    select
        cast(order_item_id as bigint) as order_item_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as bigint) as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(12, 2)) as unit_price,
        cast(discount_amount as decimal(12, 2)) as discount_amount,
        cast(_cdc_lsn as bigint) as cdc_lsn,
        cast(_cdc_ts as timestamp) as changed_at,
        cast(_loaded_at as timestamp) as loaded_at
    from current_state
    where _cdc_op <> 'D'

)

select * from renamed
