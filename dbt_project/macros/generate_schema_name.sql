{#
    Production targets (var `production_targets`) build into the exact schema
    names raw_data, processed_data, reporting and monitoring. Every other target
    prefixes them with its own schema (a developer's `dev_<user>`, a CI run's
    id), so nobody builds over production.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- elif target.name in var('production_targets') -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema | trim }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
