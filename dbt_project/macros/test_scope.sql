{#
    Data tests on the big incremental tables (current-state staging, facts,
    quarantine) check the rows the latest run wrote, not the whole history: a
    test configured with `where: __latest_run__` reads only the rows that carry
    the table's latest `_high_water_mark`. On a full build every row carries
    the same mark, so every row is tested. Only row-level tests use it
    (not_null, accepted_values, accepted_range: older rows were tested when
    they were written and a run never changes a row it does not rewrite), and
    unique tests of keys the `sync` strategy replaces whole (a run deletes
    every row of the keys it writes, so a new row cannot repeat an old one).
    Relationship tests stay whole: the other side changes too. Any other
    `where` works as in dbt.
#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == '__latest_run__' -%}
        {%- set where -%}
            _high_water_mark >= (
                select max(latest_run._high_water_mark) from {{ relation }} as latest_run
            )
        {%- endset -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') as dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
