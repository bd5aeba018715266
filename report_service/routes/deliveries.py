"""Deliveries: queue a subscription's deliveries for a due time, list them.

- ``POST /v1/deliveries`` ``{"subscription", "due_at"?, "now"?}``: the
  subscription's deliveries for ``due_at`` (default: its report job's latest
  due time), or for this moment with ``"now": true`` (a send-now). Each
  delivery is made once: asking again for the same time answers the same
  deliveries and sends nothing more.
- ``GET /v1/deliveries``: recent deliveries, newest due first.
- ``POST /v1/external/deliver_subscription``: the Snowflake external
  function ``deliver_subscription(subscription, due_at)``, rows
  ``[n, subscription, due_at or null]``; the tasks call it after
  ``generate_report``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from analytics_core import deliveries as planning
from analytics_core.errors import ConfigurationError
from analytics_core.schedules import Schedule, load_schedule
from analytics_core.settings import SchedulerSettings
from report_service.models import InvalidRequestError, NotFoundError, ServiceError
from report_service.routes.deps import AUTHED, Service
from report_service.routes.schemas import error_responses
from report_service.service import ReportService

router = APIRouter(tags=["deliveries"], dependencies=AUTHED)

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: How far back a due time may be asked for.
MAX_AGE = dt.timedelta(days=400)
RECENT_DEFAULT = 50
RECENT_MAX = 500


class DeliveryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscription: str = Field(min_length=1, max_length=63, description="A subscription's name.")
    due_at: AwareDatetime | None = Field(
        default=None,
        description="The due time (UTC or with an offset); default: the latest due time.",
    )
    now: bool = Field(default=False, description="Send for this moment (a send-now).")


def schedule() -> Schedule:
    try:
        return load_schedule(SchedulerSettings().schedule_file)
    except ConfigurationError as exc:
        raise ServiceError(
            f"the schedule file cannot be read: {exc}", code="schedule_invalid", status_code=503
        ) from None


def due_time(
    entry_schedule: Schedule, name: str, due_at: dt.datetime | None, now: bool
) -> dt.datetime:
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if now and due_at is not None:
        raise InvalidRequestError("give due_at or now, not both")
    if now:
        return moment
    entry = subscription_or_404(entry_schedule, name)
    job = planning.report_job(entry_schedule, entry)
    if due_at is None:
        return job.previous_run(moment)
    due = due_at.astimezone(dt.UTC)
    if due > moment + dt.timedelta(minutes=5):
        raise InvalidRequestError("due_at is in the future; deliveries are made when they are due")
    if due < moment - MAX_AGE:
        raise InvalidRequestError(f"due_at is more than {MAX_AGE.days} days ago")
    return due


def subscription_or_404(entry_schedule: Schedule, name: str) -> Any:
    if not NAME_RE.match(name):
        raise NotFoundError(f"no subscription {name[:80]!r}")
    try:
        return planning.subscription(entry_schedule, name)
    except planning.UnknownSubscriptionError as exc:
        raise NotFoundError(str(exc)) from None


def queue(
    service: ReportService, name: str, due_at: dt.datetime | None, now: bool
) -> dict[str, Any]:
    current = schedule()
    subscription_or_404(current, name)
    due = due_time(current, name, due_at, now)
    try:
        deliveries = service.deliveries
    except ConfigurationError as exc:
        raise ServiceError(str(exc), code="deliveries_unavailable", status_code=503) from None
    planned = planning.plan(current, name, due)
    results = deliveries.queue(planned)
    return {
        "subscription": name,
        "due_at": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "deliveries": [{**record_body(record), "created": made} for record, made in results],
    }


def record_body(record: Any) -> dict[str, Any]:
    def ts(moment: dt.datetime | None) -> str | None:
        return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "delivery_id": record.delivery_id,
        "kind": record.kind,
        "source": record.source,
        "recipient": record.recipient,
        "channel": record.channel,
        "due_at": ts(record.due_at),
        "status": record.status,
        "attempts": record.attempts,
        "report_job_id": record.report_job_id,
        "next_attempt_at": ts(record.next_attempt_at),
        "sent_at": ts(record.sent_at),
        "delivered_as": record.delivered_as,
        "detail": record.detail,
        "updated_at": ts(record.updated_at),
    }


@router.post("/v1/deliveries", status_code=202, responses=error_responses(401, 404, 415, 429, 503))
async def create_deliveries(body: DeliveryRequest, service: Service) -> JSONResponse:
    """Queue a subscription's deliveries for one due time (each made once)."""
    answer = await run_in_threadpool(queue, service, body.subscription, body.due_at, body.now)
    return JSONResponse(answer, status_code=202)


@router.get("/v1/deliveries", responses=error_responses(401, 503))
async def list_deliveries(
    service: Service,
    subscription: Annotated[str | None, Query(max_length=63)] = None,
    limit: Annotated[int, Query(ge=1, le=RECENT_MAX)] = RECENT_DEFAULT,
) -> JSONResponse:
    """Recent deliveries, newest due first (optionally of one subscription)."""
    if subscription is not None and not NAME_RE.match(subscription):
        raise InvalidRequestError("subscription must be a subscription's name")
    try:
        deliveries = service.deliveries
    except ConfigurationError as exc:
        raise ServiceError(str(exc), code="deliveries_unavailable", status_code=503) from None
    records = await run_in_threadpool(deliveries.ledger.recent, limit, subscription)
    # mode: outbox (written under the service's home, nothing leaves) or send.
    return JSONResponse(
        {"mode": deliveries.settings.mode, "deliveries": [record_body(r) for r in records]}
    )
