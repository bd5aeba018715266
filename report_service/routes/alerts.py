"""Alerts: an evaluator reports what an alert found; the service routes,
suppresses and sends it (:mod:`report_service.delivery.alerting`).

``POST /v1/alerts/notify`` ``{"alert", "findings": [{"key", "title",
"lines", "owner", "link": {"label", "url"}}]}``: 202 with the deliveries it
made (``created`` false for one already made in this suppression window) and
the (recipient, key) pairs suppressed. An empty ``findings`` list sends
nothing (nothing was found).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from analytics_core.deliveries import MAX_FINDING_LINES, MAX_FINDINGS, Finding
from analytics_core.errors import ConfigurationError
from report_service.delivery.alerting import RECENT_FOR_SUPPRESSION, plan_alert
from report_service.models import NotFoundError, ServiceError
from report_service.routes.deliveries import record_body, schedule
from report_service.routes.deps import AUTHED, Service
from report_service.routes.schemas import error_responses
from report_service.service import ReportService

router = APIRouter(tags=["alerts"], dependencies=AUTHED)

#: One line of text: no control characters.
Line = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]
_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]{1,2040}$")


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Text
    url: Annotated[str, StringConstraints(max_length=2048)] = Field(
        description="http(s) URL, e.g. the question that reproduces the number."
    )


class FindingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Text = Field(description="What the finding is about; the suppression key.")
    title: Text
    lines: list[Line] = Field(default_factory=list, max_length=MAX_FINDING_LINES)
    owner: Text | None = None
    link: LinkBody | None = None


class AlertNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alert: str = Field(min_length=1, max_length=63, pattern=r"^[a-z][a-z0-9_]*$")
    findings: list[FindingBody] = Field(max_length=MAX_FINDINGS)


def notify(service: ReportService, notice: AlertNotice) -> dict[str, Any]:
    current = schedule()
    alert = next((a for a in current.alerts if a.name == notice.alert), None)
    if alert is None:
        names = ", ".join(a.name for a in current.alerts) or "none"
        raise NotFoundError(f"no alert {notice.alert!r}; the alerts are {names}")
    findings = []
    for body in notice.findings:
        if body.link is not None and not _URL.match(body.link.url):
            raise ServiceError(
                f"finding {body.key[:80]!r}: link.url must be an http(s) URL",
                code="invalid_request",
                status_code=422,
            )
        findings.append(
            Finding(
                key=body.key,
                title=body.title,
                lines=tuple(body.lines),
                owner=body.owner,
                link=(body.link.label, body.link.url) if body.link else None,
            )
        )
    try:
        deliveries = service.deliveries
    except ConfigurationError as exc:
        raise ServiceError(str(exc), code="deliveries_unavailable", status_code=503) from None
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    recent = deliveries.ledger.recent(RECENT_FOR_SUPPRESSION, alert.name)
    plan = plan_alert(alert, findings, now, recent)
    results = deliveries.add(plan.deliveries) if plan.deliveries else []
    return {
        "alert": alert.name,
        "deliveries": [{**record_body(r), "created": made} for r, made in results],
        "suppressed": [{"recipient": r, "key": k} for r, k in plan.suppressed],
    }


@router.post("/v1/alerts/notify", status_code=202, responses=error_responses(401, 404, 415, 503))
async def notify_alert(body: AlertNotice, service: Service) -> JSONResponse:
    """Route, suppress and send an alert's findings (each message made once)."""
    return JSONResponse(await run_in_threadpool(notify, service, body), status_code=202)
