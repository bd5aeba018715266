{#
    Snowflake: load report job events from S3 with Snowpipe.

        dbt run-operation create_report_events_pipe --target prod \
            --args '{storage_integration: report_events_s3, s3_url: "s3://bucket/prefix"}'

    creates, if missing, in schema monitoring_raw (prefixed on non-production
    targets, like every schema):
      - the landing table report_job_events (as create_report_events_table());
      - file format report_job_events_lines: one line of a file = one text
        value (CSV without delimiters, quotes or escapes). A JSON file format
        would make Snowpipe skip a malformed line (or, by default, the whole
        file); as text every line lands and the models reject bad ones
        visibly (monitoring.report_job_events_rejected), as they do locally;
      - external stage report_job_events_stage on s3_url, through the storage
        integration (which holds the IAM role: no keys in Snowflake);
      - pipe report_job_events_pipe (auto_ingest): COPY INTO the landing table
        of every new report_jobs/date=YYYY-MM-DD/*.jsonl object, with its
        file name, line number and load time.
    `dry_run: true` prints the statements instead of running them.

    Least privilege: the statements grant nothing. The role that runs them
    (dbt's role) owns the schema, table, file format, stage and pipe, which is
    all a pipe needs to copy into its table. An account admin creates the
    storage integration (ALLOWED_STORAGE_LOCATIONS = this prefix only) and
    grants exactly `USAGE ON INTEGRATION <name>` to that role; S3 event
    notifications go to the pipe's notification_channel (`show pipes`).
#}
{% macro report_events_ddl(storage_integration, s3_url) %}
    {%- if not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_$]{0,254}', storage_integration | string) -%}
        {{ exceptions.raise_compiler_error(
            "storage_integration must be a plain Snowflake identifier, not "
            ~ (storage_integration | string)[:80]) }}
    {%- endif -%}
    {%- if not modules.re.fullmatch('s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._=/-]*)?', s3_url | string) -%}
        {{ exceptions.raise_compiler_error(
            "s3_url must look like s3://bucket/prefix (letters, digits, . _ = / -), not "
            ~ (s3_url | string)[:200]) }}
    {%- endif -%}
    {%- set table = report_events_relation() -%}
    {%- set schema = table.without_identifier() -%}
    {%- set file_format = schema ~ '.report_job_events_lines' -%}
    {%- set stage = schema ~ '.report_job_events_stage' -%}
    {%- set pipe = schema ~ '.report_job_events_pipe' -%}
    {%- set url = s3_url.rstrip('/') ~ '/' -%}
    {%- set statements = [
        'create schema if not exists ' ~ schema,
        'create table if not exists ' ~ table ~ ' (' ~ report_events_columns_ddl() ~ ')',
        "create file format if not exists " ~ file_format ~ "
    type = csv
    record_delimiter = '\\n'
    field_delimiter = none
    field_optionally_enclosed_by = none
    escape = none
    escape_unenclosed_field = none
    skip_header = 0
    skip_blank_lines = true
    trim_space = false
    replace_invalid_characters = true
    encoding = 'UTF8'
    comment = 'Report job events: one JSON line per row, kept as text'",
        "create stage if not exists " ~ stage ~ "
    url = '" ~ url ~ "'
    storage_integration = " ~ storage_integration ~ "
    file_format = " ~ file_format ~ "
    comment = 'Report job events written by the report service'",
        "create pipe if not exists " ~ pipe ~ "
    auto_ingest = true
    comment = 'Loads report job events into " ~ table ~ "'
    as
    copy into " ~ table ~ " (raw_line, file_name, file_row_number, loaded_at)
    from (
        select
            lines.$1,
            metadata$filename,
            metadata$file_row_number,
            sysdate()
        from @" ~ stage ~ " as lines
    )
    pattern = '.*report_jobs/date=[0-9-]+/[^/]+[.]jsonl'
    on_error = continue",
    ] -%}
    {{ return(statements) }}
{% endmacro %}

{% macro create_report_events_pipe(storage_integration, s3_url, dry_run=false) %}
    {%- if target.type != 'snowflake' -%}
        {{ exceptions.raise_compiler_error(
            "create_report_events_pipe is for Snowflake targets; locally the build reads "
            ~ "$ANALYTICS_EVENTS_DIR itself") }}
    {%- endif -%}
    {%- for statement in report_events_ddl(storage_integration, s3_url) -%}
        {%- if dry_run -%}
            {{ print(statement ~ ';') }}
        {%- else -%}
            {%- do run_query(statement) -%}
            {{ log('ran: ' ~ statement.split('\n')[0], info=true) }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
