-- Every delivery of a subscription's report or an alert to one recipient:
-- where it stands, after how many attempts, and why the latest attempt
-- failed (monitoring.deliveries). The monthly_data_quality report counts the
-- month's deliveries from it and lists the failed ones.
select
    delivery_id,
    kind,
    source,
    recipient,
    channel,
    due_at,
    report_job_id,
    status,
    cast(attempts as bigint) as attempts,
    cast(failed_attempts as bigint) as failed_attempts,
    queued_at,
    sent_at,
    finished_at,
    delivered_as,
    detail,
    next_attempt_at,
    cast(events as bigint) as events
from {{ ref('deliveries') }}
