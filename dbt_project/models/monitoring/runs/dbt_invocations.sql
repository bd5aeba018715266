-- One row per dbt invocation, read from the append-only log the on-run-end
-- hook writes. A view: it shows every invocation up to now, the current
-- build's own row included once that build has finished.
with

invocations as (

    select * from {{ ref('stg_monitoring_raw__invocations') }}

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
        case
            when coalesce(nodes_failed, 0) + coalesce(nodes_errored, 0) = 0 then 'success'
            else 'failed'
        end as status,
        git_commit,
        cast(started_at as date) as run_date,
        recorded_at
    from invocations

)

select * from final
