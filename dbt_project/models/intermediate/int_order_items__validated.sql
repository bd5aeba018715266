-- Every current order line with its order, its USD amounts and the first
-- validation rule it breaks (null when valid). A line is valid only when it
-- passes its own rules and belongs to a current, valid order.
-- Defined in macros/validation.sql (validated_order_items), which the
-- incremental facts also call for just the orders they recompute.
{{ validated_order_items({
    'items': ref('stg_shop__order_items'),
    'products': ref('stg_shop__products'),
    'validated_orders': ref('int_orders__validated'),
}) }}
