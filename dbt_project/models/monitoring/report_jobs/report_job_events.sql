{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
    )
}}

-- The valid report job events, one row per event_id, appended as they land.
-- full_refresh=false: the events are history that exists nowhere else once
-- the files are gone, so --full-refresh keeps this table. A re-delivered
-- event (same event_id) is kept once: the first delivery wins.
{{ append_new_events(ref('stg_events__report_jobs'), [
    'event_id', 'job_id', 'report_type', 'params', 'status', 'triggered_by',
    'event_at', 'duration_ms', 'error', 'schema_version',
]) }}
