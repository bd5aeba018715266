{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
    )
}}

-- The valid delivery events, one row per event_id, appended as they land;
-- kept through --full-refresh (see report_job_events).
{{ append_new_events(ref('stg_events__deliveries'), [
    'event_id', 'delivery_id', 'kind', 'source', 'recipient', 'channel', 'due_at',
    'attempt', 'status', 'event_at', 'report_job_id', 'delivered_as', 'duration_ms',
    'detail', 'next_attempt_at', 'schema_version',
]) }}
