{{ config(materialized='view') }}

-- Whether a period's return rate has settled: an order can still be returned
-- for `return_settling_days` days after it was placed (delivery, then the
-- return window), so the return rate of a period whose last day is nearer
-- the data's latest order day than that still rises as returns arrive. One
-- row. A view, so the as-of day is always the current data's (the weekly
-- table is incremental and would keep an old flag).
with latest as (

    select max(order_date) as as_of_date
    from {{ ref('fct_orders') }}

)

select
    cast(as_of_date as date) as as_of_date,
    cast({{ var('return_settling_days') }} as integer) as settling_days,
    cast(
        {{ dbt.dateadd('day', -1 * var('return_settling_days'), 'as_of_date') }} as date
    ) as settled_through
from latest
