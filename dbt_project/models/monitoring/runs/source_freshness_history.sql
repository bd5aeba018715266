-- One row per source per `dbt source freshness` check.
with

checks as (

    select * from {{ ref('stg_monitoring_raw__source_freshness') }}

),

final as (

    select
        invocation_id,
        unique_id,
        source_name,
        table_name,
        status,
        max_loaded_at,
        -- a runtime error has no snapshot time: the check ended when it was recorded
        coalesce(snapshotted_at, recorded_at) as checked_at,
        age_seconds,
        warn_after_seconds,
        error_after_seconds,
        loaded_at_field,
        message,
        status in ('warn', 'error', 'runtime error') as is_breach,
        cast(coalesce(snapshotted_at, recorded_at) as date) as check_date,
        target_name
    from checks

)

select * from final
