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
with

parsed as (

    select * from {{ ref('report_job_events_parsed') }}
    where reject_reason is null
    {% if is_incremental() %}
        -- a look-back window: a pipe may commit rows stamped a little before
        -- the newest row this table has seen; event_id keeps them unique
        -- (from the beginning while this table is still empty: a home whose
        -- first builds saw no report job must take the first ones it sees)
        and loaded_at > coalesce(
            (select {{ dbt.dateadd('hour', -24, 'max(loaded_at)') }} from {{ this }}),
            cast('1900-01-01 00:00:00' as timestamp)
        )
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by loaded_at, file_name, file_row_number
        ) as delivery
    from parsed

),

new_events as (

    select * from ranked
    where delivery = 1
    {% if is_incremental() %}
        and event_id not in (select event_id from {{ this }})
    {% endif %}

)

select
    event_id,
    job_id,
    report_type,
    params,
    status,
    triggered_by,
    event_at,
    duration_ms,
    error,
    schema_version,
    file_name,
    file_row_number,
    loaded_at
from new_events
