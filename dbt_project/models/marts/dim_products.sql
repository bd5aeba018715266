-- Products with their current attributes and a -1 unknown member.
with products as (

    select * from {{ ref('stg_shop__products') }}

),

known as (

    select
        product_id as product_key,
        sku,
        product_name,
        category,
        unit_cost_usd,
        list_price_usd,
        is_active,
        updated_at,
        loaded_at as _loaded_at
    from products

),

unknown_member as (

    select
        cast({{ var('unknown_key') }} as bigint) as product_key,
        cast(null as varchar) as sku,
        'Unknown product' as product_name,
        'unknown' as category,
        cast(null as decimal(12, 2)) as unit_cost_usd,
        cast(null as decimal(12, 2)) as list_price_usd,
        false as is_active,
        cast(null as timestamp) as updated_at,
        cast(null as timestamp) as _loaded_at

)

select * from known
union all
select * from unknown_member
