{#
    Incremental strategy `sync`: replace every target row of the keys in this
    batch with the batch's *active* rows.

    The model's incremental SQL (see the sync_batch macro) returns, for each
    key it touched (config `unique_key`, e.g. order_id, in column `_sync_key`),
    all rows that key should now have, flagged `_is_active = true`, or a
    placeholder flagged false, so a key that should have no rows any more
    (deleted, or now quarantined) is cleared too. Updates, deletes and rows that
    moved between keys are applied in one delete + insert, inside the
    materialization's transaction. The two flag columns exist only in the
    batch: on a full build the model returns its rows without them, so the
    target never has them (dest_columns come from the target).
#}
{% macro get_incremental_sync_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set batch = arg_dict["temp_relation"] -%}
    {%- set key = arg_dict["unique_key"] -%}
    {%- if key is none or key is not string -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'sync' needs a single-column unique_key") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    delete from {{ target }}
    where {{ key }} in (select _sync_key from {{ batch }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ batch }}
    where _is_active;
{% endmacro %}

{#
    Incremental strategy `replace_periods`, for the contracted rpt_* tables:
    delete every target row of the periods this run changed and insert the
    model's rows, which it computes for exactly those periods. `unique_key` is
    the period column (order_date, week_start or month_start); the periods
    come from the same column of int_orders__changed_periods, so a period that
    no longer has any row is cleared too. Unlike `sync`, the batch needs no
    flag columns, so it matches the model's contract.
#}
{% macro get_incremental_replace_periods_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set batch = arg_dict["temp_relation"] -%}
    {%- set key = arg_dict["unique_key"] -%}
    {%- if key not in ["order_date", "week_start", "month_start"] -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'replace_periods' needs unique_key order_date, week_start "
            ~ "or month_start, not " ~ key) }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    delete from {{ target }}
    where {{ key }} in (
        select periods.{{ key }} from {{ ref('int_orders__changed_periods') }} as periods
    );

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ batch }};
{% endmacro %}

{#
    For an rpt_* model: whether the row's period is one this run changed.
    `changed_periods` is int_orders__changed_periods, which the model refs.
#}
{% macro in_changed_periods(period_expr, period_column, changed_periods) %}
    {{ period_expr }} in (
        select periods.{{ period_column }} from {{ changed_periods }} as periods
    )
{% endmacro %}
