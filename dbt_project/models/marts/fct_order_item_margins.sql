{{ config(materialized='view') }}

-- Cost and gross margin of each valid order line. The unit cost is the
-- product's cost as of the order time from the snapshot, else its current
-- cost (docs/metrics.md: gross_margin). A view, because costs change with every
-- product extract while the facts it reads are incremental.
with items as (

    select * from {{ ref('fct_order_items') }}

),

product_history as (

    select * from {{ ref('snp_shop__products') }}

),

current_products as (

    select * from {{ ref('stg_shop__products') }}

),

costed as (

    select
        items.order_item_id,
        items.order_id,
        items.product_id,
        items.customer_key,
        items.order_date,
        items.is_revenue_bearing,
        items.quantity,
        coalesce(product_history.unit_cost_usd, current_products.unit_cost_usd) as unit_cost_usd,
        items.line_net_amount_usd
    from items
    left join product_history
        on
            items.product_id = product_history.product_id
            and items.order_ts >= product_history.dbt_valid_from
            and (
                items.order_ts < product_history.dbt_valid_to
                or product_history.dbt_valid_to is null
            )
    left join current_products
        on items.product_id = current_products.product_id

),

final as (

    select
        order_item_id,
        order_id,
        product_id,
        customer_key,
        order_date,
        is_revenue_bearing,
        unit_cost_usd,
        cast(quantity * unit_cost_usd as decimal(38, 10)) as cost_usd,
        line_net_amount_usd,
        cast(line_net_amount_usd - quantity * unit_cost_usd as decimal(38, 10)) as gross_margin_usd
    from costed

)

select * from final
