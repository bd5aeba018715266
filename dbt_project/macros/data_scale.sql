{#-
    The scale of the data in raw_data, as a number: the scale the local data
    generator recorded in _generator.state (beside raw_data, in the sources'
    database), or 1 where there is no such table (real data, whose plans are
    real plans).

    The sales_targets seed is the plan for data of scale 1; its post-hook
    multiplies it by this, so that target attainment reads the same (about
    95-105%) at any generated scale. Read at run time: a parse reads nothing.
-#}
{% macro generated_data_scale() %}
    {%- if not execute -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set raw = source('shop', 'shop_orders') -%}
    {%- set state = adapter.get_relation(database=raw.database, schema='_generator', identifier='state') -%}
    {%- if state is none -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set result = run_query('select max(scale) from ' ~ state) -%}
    {%- set scale = result.columns[0].values()[0] -%}
    {%- if scale is none or scale <= 0 -%}
        {{ return(1) }}
    {%- endif -%}
    {{ return(scale | float) }}
{% endmacro %}


{#- The post-hook of the sales_targets seed: the plan at the data's scale, in whole dollars. -#}
{% macro scale_sales_targets() %}
    {%- set scale = generated_data_scale() -%}
    {%- if scale != 1 -%}
        update {{ this }}
        set target_revenue_usd = round(cast(target_revenue_usd as double) * {{ scale }}, 0)
    {%- else -%}
        select 1 as targets_kept_at_scale_1
    {%- endif -%}
{% endmacro %}
