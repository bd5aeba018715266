-- Every current order with its USD rate and the first validation rule it
-- breaks (null when valid). The rules are those of raw-data.md.
-- Defined in macros/validation.sql (validated_orders), which the incremental
-- facts also call for just the orders they recompute.
{{ validated_orders() }}
