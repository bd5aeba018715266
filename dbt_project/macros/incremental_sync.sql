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
