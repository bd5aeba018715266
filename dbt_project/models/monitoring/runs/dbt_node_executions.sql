-- One row per node result of every dbt invocation: models, seeds,
-- snapshots, tests, unit tests and the sources of freshness runs.
with

node_results as (

    select * from {{ ref('stg_monitoring_raw__node_results') }}

),

invocations as (

    select * from {{ ref('dbt_invocations') }}

),

final as (

    select
        node_results.invocation_id,
        node_results.unique_id,
        node_results.node_name,
        node_results.resource_type,
        node_results.package_name,
        node_results.materialization,
        node_results.schema_name,
        node_results.relation_name,
        node_results.status,
        node_results.started_at,
        node_results.completed_at,
        -- a skipped node never started: it counts from its invocation's start
        coalesce(node_results.started_at, invocations.started_at, node_results.recorded_at)
            as executed_at,
        node_results.execution_seconds,
        node_results.rows_affected,
        node_results.failures,
        node_results.message,
        node_results.compiled_code_hash,
        node_results.attached_node,
        node_results.severity,
        node_results.target_name,
        invocations.command,
        node_results.status in ('success', 'pass') as is_success,
        node_results.status in ('fail', 'error', 'runtime error') as is_failure,
        node_results.status = 'warn' as is_warning,
        node_results.status = 'skipped' as is_skipped,
        cast(
            coalesce(node_results.started_at, invocations.started_at, node_results.recorded_at)
            as date
        ) as run_date,
        node_results.recorded_at
    from node_results
    left join invocations
        on node_results.invocation_id = invocations.invocation_id

)

select * from final
