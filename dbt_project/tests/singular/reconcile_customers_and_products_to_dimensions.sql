-- Every customer and product of today's extract is in its dimension once,
-- and the dimension has nothing else but its -1 unknown member.
with expected as (

    select
        'customers' as entity_name,
        count(distinct customer_id) + 1 as row_count
    from {{ source('shop', 'shop_customers') }}
    union all
    select
        'products' as entity_name,
        count(distinct product_id) + 1 as row_count
    from {{ source('shop', 'shop_products') }}

),

actual as (

    select
        'customers' as entity_name,
        count(*) as row_count
    from {{ ref('dim_customers') }}
    union all
    select
        'products' as entity_name,
        count(*) as row_count
    from {{ ref('dim_products') }}

)

select
    expected.entity_name,
    expected.row_count as expected_rows,
    actual.row_count as actual_rows
from expected
inner join actual
    on expected.entity_name = actual.entity_name
where expected.row_count <> actual.row_count
