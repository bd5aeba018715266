-- Customers as extracted today. Personal data (email, full_name) stays in
-- raw_data: nothing downstream needs it, so nothing downstream can show it.
with source as (

    select * from {{ source('shop', 'shop_customers') }}

),

renamed as (

    select
        cast(customer_id as bigint) as customer_id,
        upper(country_code) as country_code,
        lower(segment) as segment,
        cast(signup_at as timestamp) as signed_up_at,
        cast(updated_at as timestamp) as updated_at,
        cast(_loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
