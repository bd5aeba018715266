-- The current state of every model, seed, snapshot and test: what ran last,
-- how it ended, when it last succeeded and failed.
select
    unique_id,
    node_name,
    resource_type,
    last_run_at,
    last_status,
    last_status in ('fail', 'error', 'runtime error') as is_failing,
    last_success_at,
    last_failure_at,
    cast(last_failures as bigint) as last_failures,
    last_message,
    cast(runs_total as bigint) as runs_total,
    cast(failures_total as bigint) as failures_total
from {{ ref('dbt_node_status') }}
