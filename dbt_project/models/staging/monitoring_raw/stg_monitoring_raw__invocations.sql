-- One row per dbt invocation, as the on-run-end hook logged it.
-- The staging layer over the run log (monitoring_raw.dbt_invocations_log): its columns,
-- named and typed as the hook wrote them; the monitoring models derive from it.
with

logged as (

    select * from {{ source('monitoring_raw', 'dbt_invocations_log') }}

),

final as (

    select
        invocation_id,
        command,
        invocation_command,
        target_name,
        target_type,
        dbt_version,
        project_name,
        is_full_refresh,
        selected,
        started_at,
        finished_at,
        elapsed_seconds,
        nodes_total,
        nodes_succeeded,
        nodes_warned,
        nodes_failed,
        nodes_errored,
        nodes_skipped,
        git_commit,
        recorded_at
    from logged

)

select * from final
