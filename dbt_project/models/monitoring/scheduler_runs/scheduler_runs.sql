-- One row per scheduled run (a job and the time it was due): how it ended,
-- after how many attempts, and when. The latest event wins: the highest
-- attempt, then the end of an attempt over its start (running), then the
-- later event.
with

events as (

    select
        *,
        case when status = 'running' then 1 else 2 end as status_order
    from {{ ref('scheduler_run_events') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by job_name, due_at
            order by attempt desc, status_order desc, event_at desc, event_id desc
        ) as recency
    from events

),

attempts as (

    select
        job_name,
        due_at,
        max(attempt) as attempts,
        min(case when status = 'running' then event_at end) as first_started_at,
        sum(case when status in ('retrying', 'failed') then 1 else 0 end) as failed_attempts,
        sum(duration_ms) as total_duration_ms,
        count(*) as events
    from events
    group by job_name, due_at

)

select
    ranked.job_name,
    ranked.kind,
    ranked.due_at,
    ranked.status,
    attempts.attempts,
    attempts.failed_attempts,
    attempts.first_started_at,
    case when ranked.status <> 'running' then ranked.event_at end as finished_at,
    case when ranked.status <> 'running' then ranked.duration_ms end as last_duration_ms,
    attempts.total_duration_ms,
    ranked.next_attempt_at,
    ranked.detail,
    attempts.events
from ranked
inner join attempts
    on
        ranked.job_name = attempts.job_name
        and ranked.due_at = attempts.due_at
where ranked.recency = 1
