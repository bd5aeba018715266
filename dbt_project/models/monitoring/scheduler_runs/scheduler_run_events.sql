{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
    )
}}

-- The valid scheduler run events, one row per event_id, appended as they
-- land; kept through --full-refresh (see report_job_events).
{{ append_new_events(ref('stg_events__scheduler_runs'), [
    'event_id', 'job_name', 'kind', 'due_at', 'attempt', 'status', 'event_at',
    'duration_ms', 'detail', 'next_attempt_at', 'schema_version',
]) }}
