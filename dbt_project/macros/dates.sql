{#
    Date helpers that run the same on DuckDB and Snowflake (hub packages such
    as dbt_utils cannot be installed here, and a cross join of digits needs no
    dialect-specific generator function).
#}

{# One row per day from start_date to end_date inclusive, column date_day. #}
{% macro date_spine(start_date, end_date) %}
    {%- set day_count = (
        modules.datetime.date.fromisoformat(end_date)
        - modules.datetime.date.fromisoformat(start_date)
    ).days + 1 -%}
    {%- set digit_count = (day_count | string | length) -%}
    with digits as (
        select 0 as d union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6
        union all select 7 union all select 8 union all select 9
    ),

    offsets as (
        select
            {% for i in range(digit_count) -%}
                d{{ i }}.d * {{ 10 ** i }}{{ " + " if not loop.last }}
            {%- endfor %} as day_offset
        from
            {% for i in range(digit_count) -%}
                digits as d{{ i }}{{ "," if not loop.last }}
            {% endfor %}
    )

    select
        cast({{ dbt.dateadd('day', 'day_offset', "cast('" ~ start_date ~ "' as date)") }} as date)
            as date_day
    from offsets
    where day_offset < {{ day_count }}
{% endmacro %}

{# ISO day of week: Monday = 1 ... Sunday = 7. #}
{% macro iso_day_of_week(date_expr) %}
    {{ return(adapter.dispatch('iso_day_of_week')(date_expr)) }}
{% endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    extract(isodow from {{ date_expr }})
{%- endmacro %}

{% macro snowflake__iso_day_of_week(date_expr) -%}
    dayofweekiso({{ date_expr }})
{%- endmacro %}

{# ISO week number (1-53). #}
{% macro iso_week_of_year(date_expr) %}
    {{ return(adapter.dispatch('iso_week_of_year')(date_expr)) }}
{% endmacro %}

{% macro default__iso_week_of_year(date_expr) -%}
    extract(week from {{ date_expr }})
{%- endmacro %}

{% macro snowflake__iso_week_of_year(date_expr) -%}
    weekiso({{ date_expr }})
{%- endmacro %}

{# ISO year (the year the ISO week belongs to). #}
{% macro iso_year(date_expr) %}
    {{ return(adapter.dispatch('iso_year')(date_expr)) }}
{% endmacro %}

{% macro default__iso_year(date_expr) -%}
    extract(isoyear from {{ date_expr }})
{%- endmacro %}

{% macro snowflake__iso_year(date_expr) -%}
    yearofweekiso({{ date_expr }})
{%- endmacro %}

{# Monday of the ISO week. date_trunc('week') is Monday on DuckDB and on
   Snowflake with its default WEEK_START; spell it out to be independent of it. #}
{% macro iso_week_start(date_expr) -%}
    cast({{ dbt.dateadd('day', '1 - ' ~ iso_day_of_week(date_expr), date_expr) }} as date)
{%- endmacro %}

{#
    The first day of the period a date falls in, for a grain held in a column
    or literal (`'day'` or `'month'`): the scorecard counts the same activity
    at both grains in one query.
#}
{% macro period_start(grain_expr, date_expr) -%}
    case {{ grain_expr }}
        when 'day' then cast({{ date_expr }} as date)
        when 'month' then cast({{ dbt.date_trunc('month', date_expr) }} as date)
    end
{%- endmacro %}
