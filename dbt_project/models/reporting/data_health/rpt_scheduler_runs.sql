-- Every scheduled run of the local scheduler (a job of the schedule file and
-- the time it was due): how it ended, after how many attempts, and why the
-- latest attempt failed (monitoring.scheduler_runs). Data-quality alerts
-- find the failed ones (check failed_runs).
select
    job_name,
    kind,
    due_at,
    status,
    cast(attempts as bigint) as attempts,
    cast(failed_attempts as bigint) as failed_attempts,
    first_started_at,
    finished_at,
    cast(last_duration_ms as bigint) as last_duration_ms,
    next_attempt_at,
    detail
from {{ ref('scheduler_runs') }}
