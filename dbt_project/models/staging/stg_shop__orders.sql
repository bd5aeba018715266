-- Current state of each order from the CDC log: the change with the highest
-- LSN wins; exact duplicate deliveries count once; deleted orders drop out.
with source as (

    select * from {{ source('shop', 'shop_orders') }}

),

current_state as (

    select *
    from source
    qualify row_number() over (partition by order_id order by _cdc_lsn desc) = 1

),

renamed as (

    select
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(order_ts as timestamp) as order_ts,
        cast(order_ts as date) as order_date,
        lower(channel) as channel,
        lower(status) as order_status,
        upper(currency) as currency_code,
        cast(_cdc_lsn as bigint) as cdc_lsn,
        cast(_cdc_ts as timestamp) as changed_at,
        cast(_loaded_at as timestamp) as loaded_at
    from current_state
    where _cdc_op <> 'D'

)

select * from renamed
