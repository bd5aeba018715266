-- Every dbt invocation that ran nodes: which run built what, when, how long
-- it took and how it ended.
select
    invocation_id,
    command,
    target_name,
    started_at,
    finished_at,
    cast(elapsed_seconds as decimal(18, 3)) as elapsed_seconds,
    status,
    cast(nodes_total as bigint) as nodes_total,
    cast(nodes_failed as bigint) as nodes_failed,
    cast(nodes_errored as bigint) as nodes_errored,
    cast(nodes_skipped as bigint) as nodes_skipped,
    git_commit
from {{ ref('dbt_invocations') }}
