-- Every current order line with its order, its USD amounts and the first
-- validation rule it breaks (null when valid). A line is valid only when it
-- passes its own rules and belongs to a current, valid order.
with items as (

    select * from {{ ref('stg_shop__order_items') }}

),

orders as (

    select * from {{ ref('int_orders__validated') }}

),

products as (

    select product_id from {{ ref('stg_shop__products') }}

),

joined as (

    select
        items.order_item_id,
        items.order_id,
        items.product_id,
        items.quantity,
        items.unit_price,
        items.discount_amount,
        items.loaded_at,
        orders.order_id is not null as has_current_order,
        products.product_id is not null as has_current_product,
        orders.quarantine_rule as order_quarantine_rule,
        orders.customer_id,
        orders.customer_key,
        orders.order_ts,
        orders.order_date,
        orders.channel,
        orders.order_status,
        orders.currency_code,
        orders.usd_per_unit,
        greatest(items.loaded_at, coalesce(orders.loaded_at, items.loaded_at)) as source_loaded_at
    from items
    left join orders
        on items.order_id = orders.order_id
    left join products
        on items.product_id = products.product_id

),

validated as (

    select
        *,
        case
            when quantity <= 0 then 'nonpositive_quantity'
            when not has_current_product then 'unknown_product'
            when not has_current_order then 'unknown_order'
            when order_quarantine_rule is not null then 'order_quarantined'
        end as quarantine_rule,
        cast(quantity * unit_price - discount_amount as decimal(18, 2)) as line_net_amount,
        cast(
            (quantity * unit_price - discount_amount) * usd_per_unit as decimal(38, 10)
        ) as line_net_amount_usd
    from joined

)

select * from validated
