{#
    Report job events (analytics_core/events.py): the raw landing table and
    the SQL that reads its JSON lines on DuckDB and on Snowflake.

    The landing table `monitoring_raw.report_job_events` (prefixed like every
    schema on non-production targets) holds one row per line of an events
    file, as text, whether or not the line is valid:
      raw_line         the line (JSON text, or whatever a broken writer left)
      file_name        the file relative to the events root,
                       report_jobs/date=YYYY-MM-DD/<name>.jsonl
      file_row_number  the line's number in its file (1-based)
      loaded_at        when the line landed in the warehouse (UTC)
    Keeping lines as text means a malformed line is never lost: the models
    parse them and put the ones that fail in report_job_events_rejected.

    - Snowflake: Snowpipe copies new S3 objects into it
      (report_events_ddl.sql).
    - DuckDB: this macro is the local stand-in for Snowpipe. It copies the
      lines of $ANALYTICS_EVENTS_DIR/report_jobs/*/*.jsonl that are not in the
      table yet (by file and line number); the build copy of the warehouse
      keeps them only if the build succeeds. No events folder, or no files, is
      an empty table.

    create_report_events_table() must run before assert_raw_contract() checks
    the sources (on-run-start), so the table exists on a fresh warehouse.
#}

{% macro report_events_relation() %}
    {{ return(api.Relation.create(
        database=target.database,
        schema=generate_schema_name('monitoring_raw', none) | trim,
        identifier='report_job_events')) }}
{% endmacro %}

{% macro report_events_columns_ddl() -%}
    raw_line varchar, file_name varchar, file_row_number bigint, loaded_at {{ dbt.type_timestamp() }}
{%- endmacro %}

{% macro create_report_events_table() %}
    {%- if execute -%}
        {%- set relation = report_events_relation() -%}
        {%- do adapter.execute(
            'create schema if not exists ' ~ relation.without_identifier(),
            auto_begin=False, fetch=False) -%}
        {%- do adapter.execute(
            'create table if not exists ' ~ relation ~ ' (' ~ report_events_columns_ddl() ~ ')',
            auto_begin=False, fetch=False) -%}
        {%- if target.type == 'duckdb' and flags.WHICH in ('build', 'run') -%}
            {%- do load_local_report_events(relation) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{# DuckDB: copy new lines of the local events files into the landing table. #}
{% macro load_local_report_events(relation) %}
    {%- set root = env_var('ANALYTICS_EVENTS_DIR', '.analytics/events') | replace('\\', '/') -%}
    {%- set root = root.rstrip('/') -%}
    {%- set pattern = (root ~ '/report_jobs/*/*.jsonl') | replace("'", "''") -%}
    {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set prefix_length = (root ~ '/') | length -%}
    {%- set load_sql -%}
        insert into {{ relation }} (raw_line, file_name, file_row_number, loaded_at)
        with files as (
            select
                substr(replace(filename, '\', '/'), {{ prefix_length + 1 }}) as file_name,
                -- a file with bytes that are not UTF-8 is read escaped (\xFF):
                -- its lines are kept, and rejected as not JSON
                string_split(
                    coalesce(try(decode(content)), replace(content::varchar, '\x0A', chr(10))),
                    chr(10)
                ) as lines
            from read_blob('{{ pattern }}')
        ),
        numbered as (
            select
                file_name,
                unnest(lines) as raw_line,
                generate_subscripts(lines, 1) as file_row_number
            from files
        )
        select
            rtrim(numbered.raw_line, chr(13)) as raw_line,
            numbered.file_name,
            numbered.file_row_number,
            cast(timezone('UTC', now()) as timestamp) as loaded_at
        from numbered
        where trim(numbered.raw_line) <> ''
            and not exists (
                select 1 from {{ relation }} as loaded
                where loaded.file_name = numbered.file_name
                    and loaded.file_row_number = numbered.file_row_number
            )
    {%- endset -%}
    {%- do adapter.execute(load_sql, auto_begin=False, fetch=False) -%}
{% endmacro %}

{# ------------------------------------------------------------ reading JSON #}

{# The line as a JSON document, or null when it is not valid JSON. #}
{% macro report_events_parse_json(line) %}
    {{ return(adapter.dispatch('report_events_parse_json')(line)) }}
{% endmacro %}

{% macro default__report_events_parse_json(line) -%}
    case when json_valid({{ line }}) then {{ line }} end
{%- endmacro %}

{% macro snowflake__report_events_parse_json(line) -%}
    try_parse_json({{ line }})
{%- endmacro %}

{#
    The JSON type of a member of `doc` (or of doc itself when key is none),
    the same words on both adapters: string, integer, number, object, array,
    boolean, null (a JSON null), missing.
#}
{% macro report_events_json_type(doc, key=none) %}
    {{ return(adapter.dispatch('report_events_json_type')(doc, key)) }}
{% endmacro %}

{% macro default__report_events_json_type(doc, key) -%}
    case json_type({{ doc }}{% if key %}, '$.{{ key }}'{% endif %})
        when 'VARCHAR' then 'string'
        when 'UBIGINT' then 'integer'
        when 'BIGINT' then 'integer'
        when 'DOUBLE' then 'number'
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
        when 'BOOLEAN' then 'boolean'
        when 'NULL' then 'null'
        else 'missing'
    end
{%- endmacro %}

{% macro snowflake__report_events_json_type(doc, key) -%}
    case typeof({{ doc }}{% if key %}:"{{ key }}"{% endif %})
        when 'VARCHAR' then 'string'
        when 'INTEGER' then 'integer'
        when 'DECIMAL' then 'number'
        when 'DOUBLE' then 'number'
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
        when 'BOOLEAN' then 'boolean'
        when 'NULL_VALUE' then 'null'
        else 'missing'
    end
{%- endmacro %}

{# A string member as text (null when it is not a string). #}
{% macro report_events_json_string(doc, key) %}
    {{ return(adapter.dispatch('report_events_json_string')(doc, key)) }}
{% endmacro %}

{% macro default__report_events_json_string(doc, key) -%}
    json_extract_string({{ doc }}, '$.{{ key }}')
{%- endmacro %}

{% macro snowflake__report_events_json_string(doc, key) -%}
    cast({{ doc }}:"{{ key }}" as varchar)
{%- endmacro %}

{# An integer member as bigint (only call it where the member is an integer). #}
{% macro report_events_json_integer(doc, key) %}
    {{ return(adapter.dispatch('report_events_json_integer')(doc, key)) }}
{% endmacro %}

{% macro default__report_events_json_integer(doc, key) -%}
    try_cast(json_extract({{ doc }}, '$.{{ key }}') as bigint)
{%- endmacro %}

{% macro snowflake__report_events_json_integer(doc, key) -%}
    cast({{ doc }}:"{{ key }}" as bigint)
{%- endmacro %}

{# Any member as JSON text. #}
{% macro report_events_json_text(doc, key) %}
    {{ return(adapter.dispatch('report_events_json_text')(doc, key)) }}
{% endmacro %}

{% macro default__report_events_json_text(doc, key) -%}
    cast(json_extract({{ doc }}, '$.{{ key }}') as varchar)
{%- endmacro %}

{% macro snowflake__report_events_json_text(doc, key) -%}
    to_json({{ doc }}:"{{ key }}")
{%- endmacro %}

{# An ISO 8601 text with a UTC offset as a UTC timestamp without time zone; null if it is not one. #}
{% macro report_events_utc_timestamp(text) %}
    {{ return(adapter.dispatch('report_events_utc_timestamp')(text)) }}
{% endmacro %}

{% macro default__report_events_utc_timestamp(text) -%}
    cast(timezone('UTC', try_cast({{ text }} as timestamp with time zone)) as timestamp)
{%- endmacro %}

{% macro snowflake__report_events_utc_timestamp(text) -%}
    cast(convert_timezone('UTC', try_cast({{ text }} as timestamp_tz)) as timestamp_ntz)
{%- endmacro %}

{# Whether `text` matches the whole regular expression (no backslashes: Snowflake literals eat them). #}
{% macro report_events_matches(text, pattern) %}
    {{ return(adapter.dispatch('report_events_matches')(text, pattern)) }}
{% endmacro %}

{% macro default__report_events_matches(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro snowflake__report_events_matches(text, pattern) -%}
    regexp_like({{ text }}, '{{ pattern }}')
{%- endmacro %}

{# Warns (severity warn in the yml) while any landed line was rejected. #}
{% test no_rejected_report_events(model) %}
    select * from {{ model }}
{% endtest %}
