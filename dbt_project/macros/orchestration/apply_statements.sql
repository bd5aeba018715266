{#-
    Run the platform's Snowflake DDL through dbt, for teams that deploy
    everything with dbt: `analytics snowflake-ddl --apply-with-dbt` renders
    the statements (orchestration/snowflake_ddl.py, the one definition) and
    passes them in ANALYTICS_DDL_STATEMENTS (a JSON list), not on the command
    line, where other users of the machine could read them. dbt's file log is
    off for that run: the API integration's statement holds the API key.
-#}
{% macro apply_statements() %}
    {%- set statements = fromjson(env_var('ANALYTICS_DDL_STATEMENTS', '[]')) -%}
    {%- if statements is string or statements is mapping or statements is none -%}
        {{ exceptions.raise_compiler_error('ANALYTICS_DDL_STATEMENTS must be a JSON list of statements') }}
    {%- endif -%}
    {%- for statement in statements -%}
        {%- do log('statement ' ~ loop.index ~ ' of ' ~ (statements | length) ~ ': ' ~ (statement.split('\n')[0])[:80], info=true) -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {%- do log('applied ' ~ (statements | length) ~ ' statements', info=true) -%}
{% endmacro %}
