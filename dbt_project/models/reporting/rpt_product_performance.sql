{{
    config(
        materialized='incremental',
        incremental_strategy='replace_periods',
        on_schema_change='fail',
        unique_key='order_date',
    )
}}

-- Incremental: a run recomputes only the periods its changed orders touch
-- (int_orders__changed_periods; strategy replace_periods).
{%- set changed_periods = ref('int_orders__changed_periods') %}
-- Sales and gross margin per day and product, for top-N lists and category
-- views (docs/metrics.md: revenue, units_sold, orders, gross_margin).
with items as (

    select * from {{ ref('fct_order_items') }}
    where is_revenue_bearing
    {% if is_incremental() %}
        and {{ in_changed_periods('order_date', 'order_date', changed_periods) }}
    {% endif %}

),

margins as (

    select * from {{ ref('fct_order_item_margins') }}
    {% if is_incremental() %}
        where {{ in_changed_periods('order_date', 'order_date', changed_periods) }}
    {% endif %}

),

products as (

    select * from {{ ref('dim_products') }}

),

daily as (

    select
        items.order_date,
        items.product_id,
        sum(items.line_net_amount_usd) as revenue_usd,
        sum(items.quantity) as units_sold,
        count(distinct items.order_id) as orders,
        sum(margins.cost_usd) as cost_usd
    from items
    inner join margins
        on items.order_item_id = margins.order_item_id
    group by items.order_date, items.product_id

),

final as (

    select
        cast(daily.order_date as date) as order_date,
        cast(daily.product_id as bigint) as product_id,
        cast(products.product_name as varchar) as product_name,
        cast(products.category as varchar) as category,
        cast(round(daily.revenue_usd, 2) as decimal(18, 2)) as revenue_usd,
        cast(daily.units_sold as bigint) as units_sold,
        cast(daily.orders as bigint) as orders,
        cast(round(daily.cost_usd, 2) as decimal(18, 2)) as cost_usd,
        cast(round(daily.revenue_usd - daily.cost_usd, 2) as decimal(18, 2)) as gross_margin_usd
    from daily
    inner join products
        on daily.product_id = products.product_key

)

select * from final
