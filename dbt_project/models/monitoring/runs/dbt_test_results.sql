-- One row per data test execution: failure counts over time. Unit tests
-- (checks of model logic, not of data) are in dbt_node_executions and
-- dbt_node_status.
with

executions as (

    select * from {{ ref('dbt_node_executions') }}
    where resource_type = 'test'

),

final as (

    select
        invocation_id,
        unique_id,
        node_name as test_name,
        attached_node as tested_node,
        status,
        failures,
        severity,
        message,
        execution_seconds,
        executed_at,
        run_date as test_date,
        target_name
    from executions

)

select * from final
