{#
    dbt run results and source freshness, recorded in the warehouse.

    Three append-only tables in the schema `monitoring_raw` (prefixed like
    every other schema on non-production targets):
      dbt_invocations_log       one row per dbt invocation
      dbt_node_results_log      one row per node result of an invocation
      dbt_source_freshness_log  one row per source of a `dbt source freshness`
    dbt never drops them (they are not models), so `--full-refresh` keeps the
    history. The views in models/monitoring/runs read them.

    on-run-start: create_run_results_tables() creates the schema and tables if
    missing (and adds columns a newer version of this file defines), so the
    views over them always bind. on-run-end: record_run_results(results) adds
    this invocation's rows.

    The hook must never fail a build, and dbt's Jinja cannot catch errors, so
    every value is made safe by construction: strings escaped for the adapter
    (Snowflake literals treat backslash as an escape, DuckDB's do not), NUL
    characters dropped, free text truncated, numbers validated, timestamps
    rendered as UTC 'YYYY-MM-DD HH:MM:SS.ffffff' and cast, None as null.

    Rows go in with a few INSERT statements per table (batches of at most
    var('run_results_batch_size') rows and var('run_results_batch_bytes')
    bytes of SQL), and only rows whose (invocation_id, unique_id) is not there
    yet: recording the same invocation twice (a retried hook) adds nothing.
#}

{#
    Whether this invocation runs nodes worth recording. Commands that only
    compile (compile, docs generate, show) run the project hooks too, but
    record nothing and create nothing.
#}
{% macro run_results_enabled() %}
    {{ return(execute and flags.WHICH not in ('compile', 'generate', 'show', 'docs', 'list', 'ls', 'parse')) }}
{% endmacro %}

{# The schema of the log tables: `monitoring_raw`, prefixed like the others. #}
{% macro run_results_schema() %}
    {{ return(generate_schema_name('monitoring_raw', none) | trim) }}
{% endmacro %}

{% macro run_results_relation(identifier) %}
    {{ return(api.Relation.create(
        database=target.database, schema=run_results_schema(), identifier=identifier)) }}
{% endmacro %}

{#
    The columns of each log table, (name, type) in order. Types are the same
    words on DuckDB and Snowflake; `timestamp` is rendered with
    dbt.type_timestamp() (timestamp_ntz on Snowflake). All timestamps are UTC.
#}
{% macro run_results_columns(table) %}
    {%- set tables = {
        'dbt_invocations_log': [
            ('invocation_id', 'varchar'),
            ('command', 'varchar'),
            ('invocation_command', 'varchar'),
            ('target_name', 'varchar'),
            ('target_type', 'varchar'),
            ('dbt_version', 'varchar'),
            ('project_name', 'varchar'),
            ('is_full_refresh', 'boolean'),
            ('selected', 'varchar'),
            ('started_at', 'timestamp'),
            ('finished_at', 'timestamp'),
            ('elapsed_seconds', 'double'),
            ('nodes_total', 'bigint'),
            ('nodes_succeeded', 'bigint'),
            ('nodes_warned', 'bigint'),
            ('nodes_failed', 'bigint'),
            ('nodes_errored', 'bigint'),
            ('nodes_skipped', 'bigint'),
            ('git_commit', 'varchar'),
            ('recorded_at', 'timestamp'),
        ],
        'dbt_node_results_log': [
            ('invocation_id', 'varchar'),
            ('unique_id', 'varchar'),
            ('node_name', 'varchar'),
            ('resource_type', 'varchar'),
            ('package_name', 'varchar'),
            ('materialization', 'varchar'),
            ('schema_name', 'varchar'),
            ('relation_name', 'varchar'),
            ('status', 'varchar'),
            ('started_at', 'timestamp'),
            ('completed_at', 'timestamp'),
            ('execution_seconds', 'double'),
            ('rows_affected', 'bigint'),
            ('failures', 'bigint'),
            ('message', 'varchar'),
            ('compiled_code_hash', 'varchar'),
            ('attached_node', 'varchar'),
            ('severity', 'varchar'),
            ('target_name', 'varchar'),
            ('recorded_at', 'timestamp'),
        ],
        'dbt_source_freshness_log': [
            ('invocation_id', 'varchar'),
            ('unique_id', 'varchar'),
            ('source_name', 'varchar'),
            ('table_name', 'varchar'),
            ('status', 'varchar'),
            ('max_loaded_at', 'timestamp'),
            ('snapshotted_at', 'timestamp'),
            ('age_seconds', 'double'),
            ('warn_after_seconds', 'bigint'),
            ('error_after_seconds', 'bigint'),
            ('loaded_at_field', 'varchar'),
            ('message', 'varchar'),
            ('target_name', 'varchar'),
            ('recorded_at', 'timestamp'),
        ],
    } -%}
    {{ return(tables if table is none else tables[table]) }}
{% endmacro %}

{% macro run_results_column_type(data_type) %}
    {{ return(dbt.type_timestamp() if data_type == 'timestamp' else data_type) }}
{% endmacro %}

{# Run one statement outside any transaction (DuckDB autocommits it). #}
{% macro run_results_execute(sql) %}
    {% do adapter.execute(sql, auto_begin=False, fetch=False) %}
{% endmacro %}

{#
    on-run-start: the schema and the three tables, created if missing. A
    column this file defines that an existing table lacks is added, so the
    views (and assert_raw_contract, which checks the sources) always bind.
#}
{% macro create_run_results_tables(add_missing_columns=true) %}
    {%- if run_results_enabled() -%}
        {%- set schema_relation = api.Relation.create(
            database=target.database, schema=run_results_schema()) -%}
        {%- do run_results_execute(
            'create schema if not exists ' ~ schema_relation.without_identifier()) -%}
        {%- for table, columns in run_results_columns(none).items() -%}
            {%- set relation = run_results_relation(table) -%}
            {%- set definitions = [] -%}
            {%- for name, data_type in columns -%}
                {%- do definitions.append(name ~ ' ' ~ run_results_column_type(data_type)) -%}
            {%- endfor -%}
            {%- do run_results_execute(
                'create table if not exists ' ~ relation ~ ' (' ~ definitions | join(', ') ~ ')') -%}
            {%- if add_missing_columns -%}
                {#- information_schema through adapter.execute(auto_begin=False):
                    get_columns_in_relation would open a transaction on the
                    hook connection that is never committed, and the other
                    on-run-start hooks' DDL would vanish with it. -#}
                {%- set present = [] -%}
                {%- set listed = adapter.execute(
                    "select column_name from information_schema.columns"
                    ~ " where upper(table_schema) = upper('" ~ relation.schema ~ "')"
                    ~ " and upper(table_name) = upper('" ~ relation.identifier ~ "')",
                    auto_begin=False, fetch=True)[1] -%}
                {%- for row in listed -%}
                    {%- do present.append(row[0] | lower) -%}
                {%- endfor -%}
                {%- for name, data_type in columns if name not in present -%}
                    {%- do run_results_execute(
                        'alter table ' ~ relation ~ ' add column ' ~ name ~ ' '
                        ~ run_results_column_type(data_type)) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{# ---------------------------------------------------------------- values #}

{# A SQL string literal of `text` for this adapter (text is already a string). #}
{% macro run_results_string_literal(text) %}
    {{ return(adapter.dispatch('run_results_string_literal')(text)) }}
{% endmacro %}

{# DuckDB (and standard SQL): only the quote is special; it is doubled. #}
{% macro default__run_results_string_literal(text) %}
    {{ return("'" ~ text | replace("'", "''") ~ "'") }}
{% endmacro %}

{# Snowflake: backslash starts an escape sequence, so it is doubled too. #}
{% macro snowflake__run_results_string_literal(text) %}
    {{ return("'" ~ text | replace('\\', '\\\\') | replace("'", "''") ~ "'") }}
{% endmacro %}

{# Free text: a string, without NUL characters, at most `max_length` characters. #}
{% macro run_results_text(value, max_length=none) %}
    {%- if value is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = (value | string) | replace('\x00', '') -%}
    {%- set limit = max_length or var('run_results_max_text_length', 2000) -%}
    {{ return(text[:limit]) }}
{% endmacro %}

{# A finite number, or none. Booleans and strings are not numbers here. #}
{% macro run_results_number(value) %}
    {%- if value is none or value is sameas true or value is sameas false
        or value is not number -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if value != value or value > 1e15 or value < -1e15 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{#
    A naive UTC datetime, or none: from a datetime (aware ones converted to
    UTC) or an ISO 8601 string. Anything else is none.
#}
{% macro run_results_datetime(value) %}
    {%- if value is none -%}
        {{ return(none) }}
    {%- elif value is string -%}
        {%- set iso = '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?(Z|[+-]\\d{2}:?\\d{2})?$' -%}
        {%- if modules.re.match(iso, value) -%}
            {{ return(run_results_datetime(modules.datetime.datetime.fromisoformat(
                value | replace('Z', '+00:00')))) }}
        {%- endif -%}
        {{ return(none) }}
    {%- elif value.strftime is defined and value.tzinfo is defined -%}
        {%- if value.tzinfo is not none -%}
            {{ return(value.astimezone(modules.pytz.utc).replace(tzinfo=none)) }}
        {%- endif -%}
        {{ return(value) }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}

{# The SQL of one value for a column of `data_type` (inside VALUES). #}
{% macro run_results_sql_value(value, data_type) %}
    {%- if value is none -%}
        {{ return('null') }}
    {%- elif data_type == 'varchar' -%}
        {{ return(run_results_string_literal(run_results_text(value))) }}
    {%- elif data_type == 'boolean' -%}
        {{ return('true' if value is sameas true else ('false' if value is sameas false else 'null')) }}
    {%- elif data_type == 'bigint' -%}
        {%- set number = run_results_number(value) -%}
        {{ return('null' if number is none else '%d' | format(number | int)) }}
    {%- elif data_type == 'double' -%}
        {%- set number = run_results_number(value) -%}
        {{ return('null' if number is none else '%.6f' | format(number | float)) }}
    {%- elif data_type == 'timestamp' -%}
        {%- set moment = run_results_datetime(value) -%}
        {%- if moment is none or moment.year < 1000 -%}
            {{ return('null') }}
        {%- endif -%}
        {{ return("'" ~ moment.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "'") }}
    {%- endif -%}
    {{ return('null') }}
{% endmacro %}

{# ---------------------------------------------------------------- insert #}

{#
    Append `rows` (dicts keyed by column name) to the log `table`, in batches,
    skipping rows whose (invocation_id[, unique_id]) the table already has.
    Returns the number of INSERT statements run.
#}
{% macro run_results_insert(table, rows, key_columns) %}
    {%- if not rows -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set columns = run_results_columns(table) -%}
    {%- set relation = run_results_relation(table) -%}
    {%- set max_rows = var('run_results_batch_size', 500) | int -%}
    {%- set max_bytes = var('run_results_batch_bytes', 500000) | int -%}
    {%- set batches = [] -%}
    {%- set batch = namespace(rows=[], bytes=0) -%}
    {%- for row in rows -%}
        {%- set values = [] -%}
        {%- for name, data_type in columns -%}
            {%- do values.append(run_results_sql_value(row.get(name), data_type)) -%}
        {%- endfor -%}
        {%- set row_sql = '(' ~ values | join(', ') ~ ')' -%}
        {%- set row_bytes = row_sql.encode('utf-8') | length -%}
        {%- if batch.rows and (batch.rows | length >= max_rows or batch.bytes + row_bytes > max_bytes) -%}
            {%- do batches.append(batch.rows) -%}
            {%- set batch.rows = [] -%}
            {%- set batch.bytes = 0 -%}
        {%- endif -%}
        {%- do batch.rows.append(row_sql) -%}
        {%- set batch.bytes = batch.bytes + row_bytes -%}
    {%- endfor -%}
    {%- do batches.append(batch.rows) -%}

    {%- set names = [] -%}
    {%- set casts = [] -%}
    {%- for name, data_type in columns -%}
        {%- do names.append(name) -%}
        {%- do casts.append('cast(v.' ~ name ~ ' as ' ~ run_results_column_type(data_type) ~ ')') -%}
    {%- endfor -%}
    {%- set matches = [] -%}
    {%- for key in key_columns -%}
        {%- do matches.append('logged.' ~ key ~ ' = v.' ~ key) -%}
    {%- endfor -%}
    {%- for rows_sql in batches -%}
        {%- set sql -%}
            insert into {{ relation }} ({{ names | join(', ') }})
            select {{ casts | join(', ') }}
            from (values
            {{ rows_sql | join(',\n') }}
            ) as v ({{ names | join(', ') }})
            where not exists (
                select 1 from {{ relation }} as logged
                where {{ matches | join(' and ') }}
            )
        {%- endset -%}
        {%- do run_results_execute(sql) -%}
    {%- endfor -%}
    {{ return(batches | length) }}
{% endmacro %}
