-- Every current order with its USD rate and the first validation rule it
-- breaks (null when valid). The rules are those of docs/raw-data.md.
-- Defined in macros/validation.sql (validated_orders), which the incremental
-- facts also call for just the orders they recompute.
{{ validated_orders({
    'orders': ref('stg_shop__orders'),
    'customers': ref('stg_shop__customers'),
    'fx_rates': ref('int_fx_rates__daily'),
}) }}
