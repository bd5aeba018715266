-- One row per node result of every dbt invocation, as the on-run-end hook logged it.
-- The staging layer over the run log (monitoring_raw.dbt_node_results_log): its columns,
-- named and typed as the hook wrote them; the monitoring models derive from it.
with

logged as (

    select * from {{ source('monitoring_raw', 'dbt_node_results_log') }}

),

final as (

    select
        invocation_id,
        unique_id,
        node_name,
        resource_type,
        package_name,
        materialization,
        schema_name,
        relation_name,
        status,
        started_at,
        completed_at,
        execution_seconds,
        rows_affected,
        failures,
        message,
        compiled_code_hash,
        attached_node,
        severity,
        target_name,
        recorded_at
    from logged

)

select * from final
