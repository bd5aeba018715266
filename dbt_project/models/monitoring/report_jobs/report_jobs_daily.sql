-- Report jobs per report type and UTC day the job was queued (its first
-- event when the queued event is missing): how many, how they ended, and how
-- long the finished ones took.
with

jobs as (

    select
        report_type,
        status,
        duration_ms,
        cast(coalesce(queued_at, first_event_at) as date) as job_date
    from {{ ref('report_jobs') }}

)

select
    job_date,
    report_type,
    count(*) as jobs,
    sum(case when status = 'succeeded' then 1 else 0 end) as succeeded,
    sum(case when status = 'failed' then 1 else 0 end) as failed,
    sum(case when status in ('queued', 'running') then 1 else 0 end) as running_or_queued,
    cast(sum(case when status = 'failed' then 1 else 0 end) as double precision)
    / nullif(sum(case when status in ('succeeded', 'failed') then 1 else 0 end), 0)
        as failure_rate,
    -- duration_ms is null until a job finishes; the percentiles skip nulls.
    -- Rounded to 0.1 ms: no float noise on either warehouse.
    round(percentile_cont(0.5) within group (order by duration_ms), 1) as duration_ms_p50,
    round(percentile_cont(0.95) within group (order by duration_ms), 1) as duration_ms_p95
from jobs
group by job_date, report_type
