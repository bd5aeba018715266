{#
    Raw volume monitoring (model monitoring.raw_volume_daily, test
    no_volume_anomaly). The one place its parameters are read; override any of
    them with `--vars` or in dbt_project.yml:
    - volume_anomaly_window_days (28): days of history before a load day that
      its median and deviation are computed over (the day itself excluded);
    - volume_anomaly_min_history_days (14): fewer days of history than this
      and a day is never flagged;
    - volume_anomaly_z_threshold (3.5): flag when |robust z-score| exceeds it
      (Iglewicz and Hoaglin's cut-off for the modified z-score).
#}
{% macro volume_anomaly_settings() %}
    {%- set settings = {
        'window_days': var('volume_anomaly_window_days', 28) | int,
        'min_history_days': var('volume_anomaly_min_history_days', 14) | int,
        'z_threshold': var('volume_anomaly_z_threshold', 3.5) | float,
    } -%}
    {%- if settings.window_days < 1 or settings.min_history_days > settings.window_days -%}
        {{ exceptions.raise_compiler_error(
            "volume_anomaly_window_days must be >= 1 and >= volume_anomaly_min_history_days") }}
    {%- endif -%}
    {{ return(settings) }}
{% endmacro %}

{#
    The raw tables whose loads are counted: every table of sources `shop` and
    `fx` (models/staging/__sources.yml), as (source name, table name) pairs.
#}
{% macro volume_source_tables() %}
    {{ return([
        ('shop', 'shop_orders'),
        ('shop', 'shop_order_items'),
        ('shop', 'shop_customers'),
        ('shop', 'shop_products'),
        ('fx', 'fx_rates'),
    ]) }}
{% endmacro %}

{#
    Whole numbers 0 .. 10^digit_count - 1 in column day_offset, from a cross
    join of digits (no dialect-specific generator; runs on DuckDB and
    Snowflake). Five digits cover 273 years of days.
#}
{% macro volume_day_offsets(digit_count=5) %}
    with digits as (
        select 0 as digit union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6
        union all select 7 union all select 8 union all select 9
    )

    select
        {% for i in range(digit_count) -%}
            d{{ i }}.digit * {{ 10 ** i }}{{ " + " if not loop.last }}
        {%- endfor %} as day_offset
    from
        {% for i in range(digit_count) -%}
            digits as d{{ i }}{{ "," if not loop.last }}
        {% endfor %}
{% endmacro %}
