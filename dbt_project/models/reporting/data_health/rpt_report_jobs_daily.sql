-- Report jobs per day and report type: how many, how many failed, how long
-- they took.
select
    job_date,
    report_type,
    cast(jobs as bigint) as jobs,
    cast(succeeded as bigint) as succeeded,
    cast(failed as bigint) as failed,
    cast(failure_rate as decimal(9, 4)) as failure_rate,
    cast(duration_ms_p50 as decimal(18, 1)) as duration_ms_p50,
    cast(duration_ms_p95 as decimal(18, 1)) as duration_ms_p95
from {{ ref('report_jobs_daily') }}
