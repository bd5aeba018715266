-- One row per source per `dbt source freshness` check, as the on-run-end hook logged it.
-- The staging layer over the run log (monitoring_raw.dbt_source_freshness_log): its columns,
-- named and typed as the hook wrote them; the monitoring models derive from it.
with

logged as (

    select * from {{ source('monitoring_raw', 'dbt_source_freshness_log') }}

),

final as (

    select
        invocation_id,
        unique_id,
        source_name,
        table_name,
        status,
        max_loaded_at,
        snapshotted_at,
        age_seconds,
        warn_after_seconds,
        error_after_seconds,
        loaded_at_field,
        message,
        target_name,
        recorded_at
    from logged

)

select * from final
