-- The current state of every model, seed, snapshot and test (data and unit)
-- ever run: its latest execution, when it last succeeded and failed, and
-- its totals.
with

executions as (

    select * from {{ ref('dbt_node_executions') }}
    where resource_type in ('model', 'seed', 'snapshot', 'test', 'unit_test')

),

ranked as (

    select
        executions.*,
        row_number() over (
            partition by executions.unique_id
            order by
                executions.executed_at desc,
                executions.recorded_at desc,
                executions.invocation_id desc
        ) as recency
    from executions

),

latest as (

    select * from ranked
    where recency = 1

),

totals as (

    select
        unique_id,
        max(case when is_success then executed_at end) as last_success_at,
        max(case when is_failure then executed_at end) as last_failure_at,
        count(*) as runs_total,
        sum(case when is_failure then 1 else 0 end) as failures_total
    from executions
    group by unique_id

),

final as (

    select
        latest.unique_id,
        latest.node_name,
        latest.resource_type,
        latest.executed_at as last_run_at,
        latest.status as last_status,
        latest.invocation_id as last_invocation_id,
        totals.last_success_at,
        totals.last_failure_at,
        latest.failures as last_failures,
        latest.message as last_message,
        totals.runs_total,
        totals.failures_total
    from latest
    inner join totals
        on latest.unique_id = totals.unique_id

)

select * from final
