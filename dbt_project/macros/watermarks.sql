{#
    Watermark helpers for incremental models. Rows carry `_high_water_mark`:
    the latest raw `_loaded_at` the run that wrote them had seen. The next run
    treats every raw row loaded after it as new. Selecting on `_loaded_at`
    (what arrived), never on `_cdc_ts` or `order_ts`, is what keeps late rows.
#}

{# The latest _loaded_at across every raw table: the high-water mark of this run. #}
{% macro raw_high_water_mark() %}
    select max(loaded_at) as high_water_mark
    from (
        {% for name in ['shop_orders', 'shop_order_items', 'shop_customers', 'shop_products'] %}
        select max(_loaded_at) as loaded_at from {{ source('shop', name) }}
        union all
        {% endfor %}
        select max(_loaded_at) as loaded_at from {{ source('fx', 'fx_rates') }}
    ) as loads
{% endmacro %}

{# The high-water mark the previous run of this model saw. #}
{% macro previous_high_water_mark() -%}
    (select coalesce(max(_high_water_mark), cast('1900-01-01' as timestamp)) from {{ this }})
{%- endmacro %}

{#
    Orders whose facts may have changed since the previous run of the calling
    incremental model. Everything that feeds an order's facts is covered:
    - its own CDC rows, and its lines' CDC rows (including the order a line
      used to belong to);
    - customers that appeared or changed (an unknown customer can become known);
    - products that appeared or changed (an unknown product can become known);
    - fx rates that arrived late (they change the as-of rate of later orders in
      that currency);
    - orders of customers and products that were deleted from their extract
      (known to the snapshots, gone from today's extract): a deletion arrives
      without any new raw row. Ids that never existed are not rechecked: they
      cannot become known without a new extract row, which the first rules see.
    Recomputing an order is idempotent, so touching one more than needed costs
    time, never correctness. int_orders__changed evaluates it once per run;
    the facts and the quarantine read that, so they move together.
#}
{% macro changed_order_ids() %}
    {%- set since = previous_high_water_mark() -%}
    select order_id from {{ source('shop', 'shop_orders') }}
    where _loaded_at > {{ since }}

    union

    select all_rows.order_id
    from {{ source('shop', 'shop_order_items') }} as all_rows
    where all_rows.order_item_id in (
        select order_item_id from {{ source('shop', 'shop_order_items') }}
        where _loaded_at > {{ since }}
    )

    union

    select orders.order_id
    from {{ ref('stg_shop__orders') }} as orders
    where orders.customer_id in (
        select customer_id from {{ source('shop', 'shop_customers') }}
        where _loaded_at > {{ since }}
    )
    or orders.customer_id in (
        select history.customer_id from {{ ref('snp_shop__customers') }} as history
        where history.customer_id not in (select customer_id from {{ ref('stg_shop__customers') }})
    )

    union

    select items.order_id
    from {{ ref('stg_shop__order_items') }} as items
    where items.product_id in (
        select product_id from {{ source('shop', 'shop_products') }}
        where _loaded_at > {{ since }}
    )
    or items.product_id in (
        select history.product_id from {{ ref('snp_shop__products') }} as history
        where history.product_id not in (select product_id from {{ ref('stg_shop__products') }})
    )

    union

    select orders.order_id
    from {{ ref('stg_shop__orders') }} as orders
    inner join (
        select
            currency as currency_code,
            min(rate_date) as first_changed_date
        from {{ source('fx', 'fx_rates') }}
        where _loaded_at > {{ since }}
        group by currency
    ) as late_rates
        on orders.currency_code = late_rates.currency_code
        and orders.order_date >= late_rates.first_changed_date
{% endmacro %}

{#
    The batch an incremental `sync` model returns: for each changed key, the
    rows of `final` for it flagged active, or one all-null row flagged
    inactive when it has none any more, so the `sync` strategy still clears
    its old rows. `final` is read once. The changed keys must be distinct.
#}
{% macro sync_batch(final_cte, changed_cte, key) %}
    select
        {{ final_cte }}.*,
        changed.{{ key }} as _sync_key,
        {{ final_cte }}.{{ key }} is not null as _is_active
    from {{ changed_cte }} as changed
    left join {{ final_cte }}
        on changed.{{ key }} = {{ final_cte }}.{{ key }}
{% endmacro %}

{#
    For an incremental model on order data: the orders int_orders__changed
    listed since this model's previous run. `>=`, not `>`: a run that found
    only deletions (no new raw rows) records them under the previous
    high-water mark; re-reading the last batch costs a little time and is
    idempotent. A full build's entry names no order (it only marks).
#}
{% macro orders_changed_since_last_run() %}
    select distinct changes.order_id
    from {{ ref('int_orders__changed') }} as changes
    where changes._high_water_mark >= {{ previous_high_water_mark() }}
        and changes.order_id is not null
{% endmacro %}

{#
    The latest `_loaded_at` of one raw table: the high-water mark a staging
    model over that table records on the rows it writes.
#}
{% macro source_high_water_mark(relation) %}
    select max(_loaded_at) as high_water_mark from {{ relation }}
{% endmacro %}

{#
    For an incremental staging model over a CDC log: the keys with a change
    row loaded since the model's previous run. Only these keys' current state
    can differ, and `sync` replaces exactly them. The CDC logs are append-only
    (docs/contracts.md): a rewritten history needs `--full-refresh`.
#}
{% macro cdc_keys_changed_since_last_run(relation, key) %}
    select distinct {{ key }}
    from {{ relation }}
    where _loaded_at > {{ previous_high_water_mark() }}
{% endmacro %}

{#
    The current state of each key of a CDC log: the change with the highest
    LSN wins (exact duplicate deliveries count once); a key whose last change
    is a delete has no row. Incrementally (`changed_cte` set), only the changed
    keys are recomputed, from their whole history, so a late row with an older
    LSN never overrides a newer change, and a delete stays a delete.
#}
{% macro cdc_current_state(relation, key, changed_cte=none) %}
    select *
    from {{ relation }}
    {% if changed_cte is not none %}
        where {{ key }} in (select changed.{{ key }} from {{ changed_cte }} as changed)
    {% endif %}
    qualify row_number() over (partition by {{ key }} order by _cdc_lsn desc) = 1
{% endmacro %}
