-- Valid order lines with their customer's current region as a column, for
-- the semantic layer only: MetricFlow can only put revenue next to the
-- sales_targets seed (target_attainment, docs/metrics.md: "the same region and
-- month") when both sides carry a `region` entity. Same rows and amounts as
-- fct_order_items; region exactly as rpt_monthly_region_targets joins it.
with items as (

    select * from {{ ref('fct_order_items') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

final as (

    select
        items.order_item_id,
        items.order_date,
        customers.region,
        items.is_revenue_bearing,
        items.line_net_amount_usd
    from items
    inner join customers
        on items.customer_key = customers.customer_key

)

select * from final
