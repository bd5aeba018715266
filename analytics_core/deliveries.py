"""What a subscription sends for one due time: one planned delivery per recipient.

A **delivery** is one message to one recipient of one subscription (or alert)
for one due time. Its id is derived from exactly those three things, so the
service that queues it, a retried request, a restarted scheduler and a second
scheduler all name the same delivery, and the delivery ledger's primary key
lets only the first of them make it: each delivery is sent once.

The report a recipient gets is its subscription's report job with the
recipient's parameters over the job's, in the recipient's formats (else the
job's). Its report job id is derived from what is rendered and the due time,
so recipients who get the same report share one rendering.

This module plans; the report service (``report_service.delivery``) queues,
renders and sends, and ``analytics deliver --dry-run`` prints the plan.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from analytics_core.schedules import ReportJob, Schedule, _fill
from analytics_core.subscriptions import Recipient, Subscription

#: Namespaces of the derived ids (uuid5): deliveries, and the report jobs they send.
DELIVERY_NAMESPACE = uuid.UUID("8d4f2b6e-93a1-4c57-b0e8-2f61d9a7c3e4")
DELIVERY_JOB_NAMESPACE = uuid.UUID("c1e7a59d-0b38-4f26-8e94-7a2d5f0b6c18")


class UnknownSubscriptionError(KeyError):
    """No subscription has that name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown subscription"


@dataclass(frozen=True)
class PlannedDelivery:
    """One recipient's message for one due time, before it is queued."""

    delivery_id: str
    kind: str  # subscription or alert
    source: str
    recipient: Recipient
    due_at: dt.datetime
    report_type: str
    params: dict[str, Any]
    formats: tuple[str, ...]
    report_job_id: str
    subject: str | None

    @property
    def channel(self) -> str:
        return self.recipient.channel

    def describe(self) -> dict[str, Any]:
        """What ``analytics deliver --dry-run`` shows (no secret values: names only)."""
        target = (
            ", ".join(self.recipient.to) if self.recipient.to else f"secret {self.recipient.secret}"
        )
        return {
            "subscription": self.source,
            "recipient": self.recipient.name,
            "channel": self.channel,
            "to": target,
            "due_at": self.due_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "report": self.report_type,
            "params": self.params,
            "formats": list(self.formats),
            "delivery": self.recipient.delivery,
        }


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("a due time must carry its time zone")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def delivery_id(kind: str, source: str, recipient: str, due: dt.datetime) -> str:
    """The id of a delivery: the same for the same (kind, source, recipient, due)."""
    key = json.dumps([kind, source, recipient, _utc(due).isoformat()], separators=(",", ":"))
    return str(uuid.uuid5(DELIVERY_NAMESPACE, key))


def report_job_id(
    report_type: str, params: dict[str, Any], formats: tuple[str, ...], due: dt.datetime
) -> str:
    """The id of the report job a delivery sends: recipients who get the same
    report (type, parameters, formats) for the same due time share it."""
    key = json.dumps(
        [report_type, params, sorted(formats), _utc(due).isoformat()],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return str(uuid.uuid5(DELIVERY_JOB_NAMESPACE, key))


def subscription(schedule: Schedule, name: str) -> Subscription:
    for found in schedule.subscriptions:
        if found.name == name:
            return found
    names = ", ".join(s.name for s in schedule.subscriptions) or "none"
    raise UnknownSubscriptionError(f"no subscription {name[:80]!r}; the subscriptions are {names}")


def report_job(schedule: Schedule, entry: Subscription) -> ReportJob:
    job = schedule.job(entry.report)
    if not isinstance(job, ReportJob):  # parse_subscriptions checked it; a guard
        raise TypeError(f"{entry.report} is not a report job")
    return job


def plan(schedule: Schedule, name: str, due: dt.datetime) -> list[PlannedDelivery]:
    """Subscription ``name``'s deliveries for ``due``, one per recipient."""
    entry = subscription(schedule, name)
    job = report_job(schedule, entry)
    due = _utc(due)
    day = due.date()
    base = job.params_for(due)
    planned = []
    for recipient in entry.recipients:
        params = {**base, **{k: _fill(v, day) for k, v in recipient.params.items()}}
        formats = recipient.formats or job.formats
        planned.append(
            PlannedDelivery(
                delivery_id=delivery_id("subscription", entry.name, recipient.name, due),
                kind="subscription",
                source=entry.name,
                recipient=recipient,
                due_at=due,
                report_type=job.report_type,
                params=params,
                formats=tuple(formats),
                report_job_id=report_job_id(job.report_type, params, tuple(formats), due),
                subject=entry.subject,
            )
        )
    return planned


def subscriptions_of(schedule: Schedule, report_job_name: str) -> list[Subscription]:
    """The subscriptions that send report job ``report_job_name``."""
    return [s for s in schedule.subscriptions if s.report == report_job_name]


def due_between(
    schedule: Schedule, start: dt.datetime, end: dt.datetime
) -> list[tuple[Subscription, dt.datetime]]:
    """Each subscription's due times in ``(start, end]`` (its report job's cron)."""
    found = []
    for entry in schedule.subscriptions:
        job = report_job(schedule, entry)
        moment = start
        while True:
            [moment] = job.next_runs(moment)
            if moment > end:
                break
            found.append((entry, moment))
    return sorted(found, key=lambda pair: (pair[1], pair[0].name))


# --------------------------------------------------------------------------- alerts

#: An alert's finding, as an evaluator reports it (bounds: one line each).
MAX_FINDINGS = 100
MAX_FINDING_LINES = 20


@dataclass(frozen=True)
class Finding:
    """One thing an alert found: a metric past its line, a stale source."""

    #: What it is about, stable while it lasts (e.g. ``freshness:raw_data.orders``,
    #: ``revenue:week:2026-06-22``): the suppression and de-duplication key.
    key: str
    title: str
    lines: tuple[str, ...] = ()
    #: The owner (dbt meta) for routing data-quality findings; None: everyone's.
    owner: str | None = None
    #: (label, URL): where to see it (the question that reproduces a number).
    link: tuple[str, str] | None = None


def alert_delivery_id(alert: str, recipient: str, key: str, bucket: dt.datetime) -> str:
    """The id of an alert's message to one recipient about one finding in one
    suppression window (``bucket``: the window's start)."""
    text = json.dumps(
        ["alert", alert, recipient, key, _utc(bucket).isoformat()], separators=(",", ":")
    )
    return str(uuid.uuid5(DELIVERY_NAMESPACE, text))


def suppression_window(moment: dt.datetime, suppress: dt.timedelta | None) -> dt.datetime:
    """The start of the window ``moment`` falls in; without suppression (a
    metric alert: its key names the period) one window for all time."""
    if suppress is None:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    seconds = int(suppress.total_seconds())
    epoch = int(_utc(moment).timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)
