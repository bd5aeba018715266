{#
    Runs at the start of every dbt invocation (on-run-start). Fails fast, with
    a message naming the table and column, when a raw table the project reads
    is missing or lacks a column its source definition documents. The column
    lists live once, in models/staging/__sources.yml.
#}
{% macro assert_raw_contract() %}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'snapshot', 'seed') -%}
        {%- for node in graph.sources.values() -%}
            {%- set relation = adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.identifier) -%}
            {%- if relation is none -%}
                {{ exceptions.raise_compiler_error(
                    "raw table " ~ node.schema ~ "." ~ node.identifier
                    ~ " does not exist: load raw data first (analytics generate)") }}
            {%- endif -%}
            {%- set present = [] -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do present.append(column.name | lower) -%}
            {%- endfor -%}
            {%- for column_name in node.columns -%}
                {%- if column_name | lower not in present -%}
                    {{ exceptions.raise_compiler_error(
                        "raw table " ~ node.schema ~ "." ~ node.identifier
                        ~ " is missing contract column " ~ column_name) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as raw_contract_checked
{% endmacro %}
