{#
    Snowflake: load the event streams from S3 with Snowpipe.

        dbt run-operation create_events_pipes --target prod \
            --args '{storage_integration: events_s3, s3_url: "s3://bucket/prefix"}'

    s3_url is the events root (ANALYTICS_EVENTS_URL of the writers). Creates,
    if missing, in schema monitoring_raw (prefixed on non-production targets,
    like every schema):
      - the landing table of every stream (as create_event_tables():
        delivery_events, report_job_events, scheduler_run_events);
      - file format event_lines: one line of a file = one text value (CSV
        without delimiters, quotes or escapes). A JSON file format would make
        Snowpipe skip a malformed line (or, by default, the whole file); as
        text every line lands and the models reject bad ones visibly
        (monitoring.<table>_rejected), as they do locally;
      - external stage events_stage on s3_url, through the storage
        integration (which holds the IAM role: no keys in Snowflake);
      - one pipe per stream, <table>_pipe (auto_ingest): COPY INTO the
        stream's landing table of every new <stream>/date=YYYY-MM-DD/*.jsonl
        object, with its file name, line number and load time.
    `dry_run: true` prints the statements instead of running them.

    Least privilege: the statements grant nothing. The role that runs them
    (dbt's role) owns the schema, tables, file format, stage and pipes, which
    is all a pipe needs to copy into its table. An account admin creates the
    storage integration (ALLOWED_STORAGE_LOCATIONS = this prefix only) and
    grants exactly `USAGE ON INTEGRATION <name>` to that role; S3 event
    notifications go to the pipes' notification_channel (`show pipes`; the
    pipes of one stage share it).
#}
{% macro events_ddl(storage_integration, s3_url) %}
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
    {%- set streams = event_streams() -%}
    {%- set schema = events_relation(streams | sort | first).without_identifier() -%}
    {%- set file_format = schema ~ '.event_lines' -%}
    {%- set stage = schema ~ '.events_stage' -%}
    {%- set url = s3_url.rstrip('/') ~ '/' -%}
    {%- set statements = ['create schema if not exists ' ~ schema] -%}
    {%- for stream in streams | sort -%}
        {%- do statements.append(
            'create table if not exists ' ~ events_relation(stream) ~ ' (' ~ events_columns_ddl() ~ ')') -%}
    {%- endfor -%}
    {%- do statements.append("create file format if not exists " ~ file_format ~ "
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
    comment = 'Operational events: one JSON line per row, kept as text'") -%}
    {%- do statements.append("create stage if not exists " ~ stage ~ "
    url = '" ~ url ~ "'
    storage_integration = " ~ storage_integration ~ "
    file_format = " ~ file_format ~ "
    comment = 'Operational events written by the report service and the scheduler'") -%}
    {%- for stream in streams | sort -%}
        {%- set table = events_relation(stream) -%}
        {%- do statements.append("create pipe if not exists " ~ table ~ "_pipe
    auto_ingest = true
    comment = 'Loads " ~ stream ~ " events into " ~ table ~ "'
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
    pattern = '(.*/)?" ~ stream ~ "/date=[0-9-]+/[^/]+[.]jsonl'
    on_error = continue") -%}
    {%- endfor -%}
    {{ return(statements) }}
{% endmacro %}

{% macro create_events_pipes(storage_integration, s3_url, dry_run=false) %}
    {%- if target.type != 'snowflake' -%}
        {{ exceptions.raise_compiler_error(
            "create_events_pipes is for Snowflake targets; locally the build reads "
            ~ "the events folder itself (orchestration/local_events.py)") }}
    {%- endif -%}
    {%- for statement in events_ddl(storage_integration, s3_url) -%}
        {%- if dry_run -%}
            {{ print(statement ~ ';') }}
        {%- else -%}
            {%- do run_query(statement) -%}
            {{ log('ran: ' ~ statement.split('\n')[0], info=true) }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
