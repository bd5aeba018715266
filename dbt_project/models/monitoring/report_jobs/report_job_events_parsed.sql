{{ config(materialized='view') }}

-- Every landed line, parsed against the event schema of
-- analytics_core/events.py. reject_reason is null for a valid event and
-- names the first rule a line breaks otherwise.
with

source as (

    select * from {{ source('report_events', 'report_job_events') }}

),

parsed as (

    select
        raw_line,
        file_name,
        file_row_number,
        loaded_at,
        {{ report_events_parse_json('raw_line') }} as doc
    from source

),

typed as (

    select
        raw_line,
        file_name,
        file_row_number,
        loaded_at,
        doc,
        {{ report_events_json_type('doc') }} as doc_type,
        {{ report_events_json_type('doc', 'schema_version') }} as schema_version_type,
        {{ report_events_json_type('doc', 'event_id') }} as event_id_type,
        {{ report_events_json_type('doc', 'job_id') }} as job_id_type,
        {{ report_events_json_type('doc', 'report_type') }} as report_type_type,
        {{ report_events_json_type('doc', 'params') }} as params_type,
        {{ report_events_json_type('doc', 'status') }} as status_type,
        {{ report_events_json_type('doc', 'at') }} as at_type,
        {{ report_events_json_type('doc', 'duration_ms') }} as duration_ms_type,
        {{ report_events_json_type('doc', 'error') }} as error_type,
        {{ report_events_json_type('doc', 'trigger') }} as trigger_type
    from parsed

),

extracted as (

    select
        raw_line,
        file_name,
        file_row_number,
        loaded_at,
        doc_type,
        schema_version_type,
        event_id_type,
        job_id_type,
        report_type_type,
        params_type,
        status_type,
        at_type,
        duration_ms_type,
        error_type,
        trigger_type,
        case
            when schema_version_type = 'integer'
                then {{ report_events_json_integer('doc', 'schema_version') }}
        end as schema_version,
        lower({{ report_events_json_string('doc', 'event_id') }}) as event_id,
        {{ report_events_json_string('doc', 'job_id') }} as job_id,
        {{ report_events_json_string('doc', 'report_type') }} as report_type,
        case
            when params_type = 'object' then {{ report_events_json_text('doc', 'params') }}
        end as params,
        {{ report_events_json_string('doc', 'status') }} as status,
        {{ report_events_json_string('doc', 'at') }} as at_text,
        case
            when duration_ms_type = 'integer'
                then {{ report_events_json_integer('doc', 'duration_ms') }}
        end as duration_ms,
        {{ report_events_json_string('doc', 'error') }} as error,  -- noqa: RF04
        {{ report_events_json_string('doc', 'trigger') }} as trigger_value
    from typed

),

checked as (

    select
        *,
        {{ report_events_utc_timestamp('at_text') }} as event_at,
        case
            when doc_type <> 'object' then 'not_a_json_object'
            when schema_version_type <> 'integer' or schema_version <> 1
                then 'unsupported_schema_version'
            when
                event_id_type <> 'string'
                or not {{ report_events_matches(
                    'event_id',
                    '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}') }}
                then 'bad_event_id'
            when job_id_type <> 'string' or length(job_id) not between 1 and 128
                then 'bad_job_id'
            when
                report_type_type <> 'string'
                or length(report_type) > 64
                or not {{ report_events_matches('report_type', '[a-z][a-z0-9_]*') }}
                then 'bad_report_type'
            when
                status_type <> 'string'
                or status not in ('queued', 'running', 'succeeded', 'failed')
                then 'bad_status'
            when
                trigger_type <> 'string'
                or trigger_value not in ('api', 'external_function', 'schedule')
                then 'bad_trigger'
            when
                at_type <> 'string'
                or not {{ report_events_matches(
                    'at_text', '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ].*(Z|z|[+-][0-9]{2}:?[0-9]{2})') }}
                or {{ report_events_utc_timestamp('at_text') }} is null
                then 'bad_at'
            when
                duration_ms_type not in ('integer', 'null', 'missing')
                or duration_ms < 0
                then 'bad_duration_ms'
            when error_type not in ('string', 'null', 'missing') or length(error) > 4000
                then 'bad_error'
            when params_type not in ('object', 'missing') then 'bad_params'
        end as reject_reason
    from extracted

)

select
    file_name,
    file_row_number,
    loaded_at,
    raw_line,
    reject_reason,
    event_id,
    schema_version,
    job_id,
    report_type,
    coalesce(params, '{}') as params,
    status,
    trigger_value as triggered_by,
    event_at,
    duration_ms,
    error
from checked
