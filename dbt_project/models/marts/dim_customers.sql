-- Customers with their current attributes, region from the countries seed,
-- and a -1 unknown member for orders with a null or unknown customer, so
-- facts never lose rows on a join. No personal data.
with customers as (

    select * from {{ ref('stg_shop__customers') }}

),

countries as (

    select * from {{ ref('countries') }}

),

first_orders as (

    select
        customer_key,
        min(order_date) as first_order_date
    from {{ ref('fct_orders') }}
    where is_revenue_bearing
    group by customer_key

),

known as (

    select
        customers.customer_id as customer_key,
        customers.country_code,
        coalesce(countries.country_name, 'Unknown') as country_name,
        coalesce(countries.region, 'UNKNOWN') as region,
        customers.segment,
        customers.signed_up_at,
        first_orders.first_order_date,
        customers.updated_at,
        customers.loaded_at as _loaded_at
    from customers
    left join countries
        on customers.country_code = countries.country_code
    left join first_orders
        on customers.customer_id = first_orders.customer_key

),

unknown_first_order as (

    -- an aggregate without group by: always exactly one row
    select min(first_order_date) as first_order_date
    from first_orders
    where customer_key = {{ var('unknown_key') }}

),

unknown_member as (

    select
        cast({{ var('unknown_key') }} as bigint) as customer_key,
        cast(null as varchar) as country_code,
        'Unknown' as country_name,
        'UNKNOWN' as region,
        'unknown' as segment,
        cast(null as timestamp) as signed_up_at,
        unknown_first_order.first_order_date,
        cast(null as timestamp) as updated_at,
        cast(null as timestamp) as _loaded_at
    from unknown_first_order

)

select * from known
union all
select * from unknown_member
