-- One row per delivery (a subscription's report or an alert, to one
-- recipient, for one due time): where it stands, after how many attempts,
-- and when. The latest event wins: the highest attempt, then the end of an
-- attempt (sent, retrying, failed) over the delivery being queued (attempt
-- 0), then the later event.
with

events as (

    select
        *,
        case when status = 'queued' then 1 else 2 end as status_order
    from {{ ref('delivery_events') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by delivery_id
            order by attempt desc, status_order desc, event_at desc, event_id desc
        ) as recency
    from events

),

attempts as (

    select
        delivery_id,
        max(attempt) as attempts,
        sum(case when status in ('retrying', 'failed') then 1 else 0 end) as failed_attempts,
        min(case when status = 'queued' then event_at end) as queued_at,
        -- the report job of any event, for a latest event that does not name it
        max(report_job_id) as any_report_job_id,
        count(*) as events
    from events
    group by delivery_id

)

select
    ranked.delivery_id,
    ranked.kind,
    ranked.source,
    ranked.recipient,
    ranked.channel,
    ranked.due_at,
    coalesce(ranked.report_job_id, attempts.any_report_job_id) as report_job_id,
    ranked.status,
    attempts.attempts,
    attempts.failed_attempts,
    attempts.queued_at,
    case when ranked.status = 'sent' then ranked.event_at end as sent_at,
    case when ranked.status <> 'queued' then ranked.event_at end as finished_at,
    case when ranked.status = 'sent' then ranked.delivered_as end as delivered_as,
    ranked.detail,
    ranked.next_attempt_at,
    attempts.events
from ranked
inner join attempts
    on ranked.delivery_id = attempts.delivery_id
where ranked.recency = 1
