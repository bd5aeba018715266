{#
    Order and order-line validation, defined once. The views int_orders__validated
    and int_order_items__validated are these macros without arguments. The
    incremental branches of the models that read them (fct_orders,
    fct_order_items, quarantined_rows) call them with `changed_orders`, the
    name of a CTE with the order_id of every order the run recomputes: the
    filter then applies to the staging scans, before the joins. A filter
    written outside the views is not pushed through their left joins (DuckDB
    turns `in (select ...)` into a semi join above them), so every increment
    validated every order and line of history.

    A line's order has the line's order_id, so filtering both sides by the
    same orders keeps every join partner a recomputed line needs.

    The calling model passes the relations in (`inputs`, a mapping), naming
    them with ref() in its own body, so dbt records them as the model's
    parents when it parses it, whichever branch reads them:
    - orders, customers, fx_rates: stg_shop__orders, stg_shop__customers,
      int_fx_rates__daily (validated_orders; validated_order_items when it
      validates the changed orders itself);
    - items, products: stg_shop__order_items, stg_shop__products
      (validated_order_items);
    - validated_orders: int_orders__validated (validated_order_items without
      changed_orders reads the validated orders from it).
#}

{#
    Every current order with its USD rate and the first validation rule it
    breaks (null when valid). The rules are those of docs/raw-data.md.
#}
{% macro validated_orders(inputs, changed_orders=none) %}
with orders as (

    select * from {{ inputs['orders'] }}
    {% if changed_orders is not none %}
        where order_id in (select changed.order_id from {{ changed_orders }} as changed)
    {% endif %}

),

customers as (

    select customer_id from {{ inputs['customers'] }}

),

fx_rates as (

    select * from {{ inputs['fx_rates'] }}

),

joined as (

    select
        orders.*,
        case
            when customers.customer_id is not null then orders.customer_id
            else {{ var('unknown_key') }}
        end as customer_key,
        case
            when orders.currency_code = 'USD' then cast(1 as decimal(18, 8))
            else fx_rates.usd_per_unit
        end as usd_per_unit,
        case
            when orders.currency_code = 'USD' then orders.order_date
            else fx_rates.rate_date
        end as fx_rate_date
    from orders
    left join customers
        on orders.customer_id = customers.customer_id
    left join fx_rates
        on
            orders.currency_code = fx_rates.currency_code
            and orders.order_date = fx_rates.date_day

),

validated as (

    select
        *,
        case
            when
                order_ts > {{ dbt.dateadd('day', var('future_order_tolerance_days'), 'loaded_at') }}
                then 'future_dated_order'
            when usd_per_unit is null
                then 'missing_fx_rate'
        end as quarantine_rule
    from joined

)

select * from validated
{% endmacro %}

{#
    Every current order line with its order, its USD amounts and the first
    validation rule it breaks (null when valid). A line is valid only when it
    passes its own rules and belongs to a current, valid order.
#}
{% macro validated_order_items(inputs, changed_orders=none) %}
with items as (

    select * from {{ inputs['items'] }}
    {% if changed_orders is not none %}
        where order_id in (select changed.order_id from {{ changed_orders }} as changed)
    {% endif %}

),

orders as (

    {% if changed_orders is none %}
        select * from {{ inputs['validated_orders'] }}
    {% else %}
        {{ validated_orders(inputs, changed_orders) }}
    {% endif %}

),

products as (

    select product_id from {{ inputs['products'] }}

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
{% endmacro %}
