-- One row per report job: its latest status and when it passed each step.
-- Latest = the event with the latest `at`; on a tie the later step wins
-- (queued < running < succeeded, failed), then the later delivery.
with

events as (

    select
        *,
        case status
            when 'queued' then 1
            when 'running' then 2
            else 3
        end as status_order
    from {{ ref('report_job_events') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by job_id
            order by event_at desc, status_order desc, loaded_at desc, event_id desc
        ) as recency
    from events

),

steps as (

    select
        job_id,
        min(case when status = 'queued' then event_at end) as queued_at,
        min(case when status = 'running' then event_at end) as started_at,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        count(*) as events
    from events
    group by job_id

),

latest as (

    select * from ranked
    where recency = 1

)

select
    latest.job_id,
    latest.report_type,
    latest.triggered_by,
    latest.params,
    latest.status,
    steps.queued_at,
    steps.started_at,
    case when latest.status in ('succeeded', 'failed') then latest.event_at end as finished_at,
    case when latest.status in ('succeeded', 'failed') then latest.duration_ms end as duration_ms,
    case when latest.status = 'failed' then latest.error end as error,  -- noqa: RF04
    steps.first_event_at,
    steps.last_event_at,
    steps.events
from latest
inner join steps
    on latest.job_id = steps.job_id
