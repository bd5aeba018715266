{#-
    The model's key: the given columns are never null and no combination of
    them occurs twice. One query per model instead of a unique and a not_null
    test per column (every test is a dbt node, and dbt's own cost per node
    is most of a small build). Fails with one row per duplicated or null
    key, with how often it occurs.
-#}
{% test primary_key(model, columns) %}
    {%- if columns is string or not columns -%}
        {{ exceptions.raise_compiler_error("primary_key needs a list of columns, got " ~ columns) }}
    {%- endif %}
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
    {%- for column in columns %}
        or {{ column }} is null
    {%- endfor %}
{% endtest %}
