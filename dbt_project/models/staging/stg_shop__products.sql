-- Products as extracted today; amounts are USD.
with source as (

    select * from {{ source('shop', 'shop_products') }}

),

renamed as (

    select
        cast(product_id as bigint) as product_id,
        sku,
        product_name,
        lower(category) as category,
        cast(unit_cost as decimal(12, 2)) as unit_cost_usd,
        cast(list_price as decimal(12, 2)) as list_price_usd,
        cast(is_active as boolean) as is_active,
        cast(updated_at as timestamp) as updated_at,
        cast(_loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
