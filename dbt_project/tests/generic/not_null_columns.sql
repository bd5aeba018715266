{#-
    None of the given columns is null: one scan of the model for all of them,
    instead of a not_null test (a dbt node and a query) per column. Fails with
    each row that has a null in any of them; the columns are returned, so a
    stored failure shows which one is null.
-#}
{% test not_null_columns(model, columns) %}
    {%- if columns is string or not columns -%}
        {{ exceptions.raise_compiler_error("not_null_columns needs a list of columns, got " ~ columns) }}
    {%- endif %}
    select {{ columns | join(', ') }}
    from {{ model }}
    where
    {%- for column in columns %}
        {% if not loop.first %}or {% endif %}{{ column }} is null
    {%- endfor %}
{% endtest %}
