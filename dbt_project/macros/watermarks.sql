{#
    Watermark helpers for incremental models. Rows carry `_high_water_mark`:
    the latest raw `_loaded_at` the run that wrote them had seen
    (int_raw__high_water_mark). The next run treats every raw row loaded
    after it as new. Selecting on `_loaded_at`
    (what arrived), never on `_cdc_ts` or `order_ts`, is what keeps late rows.
#}

{# The high-water mark the previous run of this model saw. #}
{% macro previous_high_water_mark() -%}
    (select coalesce(max(_high_water_mark), cast('1900-01-01' as timestamp)) from {{ this }})
{%- endmacro %}

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
    `changes` is int_orders__changed, which the calling model refs.
#}
{% macro orders_changed_since_last_run(changes) %}
    select distinct changes.order_id
    from {{ changes }} as changes
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
    (docs/raw-data.md): a rewritten history needs `--full-refresh`.
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
