"""Asking the report service to deliver: the scheduler after a report job, and
``analytics deliver``. The service makes each delivery once (its ledger), so
asking again for the same due time sends nothing twice."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx

from analytics_core.errors import AnalyticsError
from analytics_core.settings import SchedulerSettings

log = logging.getLogger("analytics.scheduler")

#: How long ``analytics alerts`` may run after a build.
ALERTS_TIMEOUT_SECONDS = 600


class DeliveryRequestError(AnalyticsError):
    """The report service could not be asked, or refused; the message says why."""


def _ts(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def service_error(response: httpx.Response) -> str:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text[:200]
    return f"the report service answered {response.status_code}: {message}"


def _post(config: SchedulerSettings, api_key: str | None, path: str, body: Any) -> httpx.Response:
    headers = {"x-api-key": api_key} if api_key else {}
    url = config.report_service_url.rstrip("/") + path
    try:
        return httpx.post(url, json=body, headers=headers, timeout=config.request_timeout_seconds)
    except httpx.HTTPError as exc:
        raise DeliveryRequestError(
            f"the report service at {config.report_service_url} cannot be reached "
            f"({type(exc).__name__}); start it with `analytics up` or "
            "`analytics serve report-service`"
        ) from None


def queue_deliveries(
    config: SchedulerSettings, api_key: str | None, names: list[str], due: dt.datetime
) -> str:
    """Queue subscriptions ``names`` for ``due`` through the external-function
    route (the path Snowflake's tasks take); a line saying how many."""
    rows = [[index, name, _ts(due)] for index, name in enumerate(names)]
    response = _post(config, api_key, "/v1/external/deliver_subscription", {"data": rows})
    if response.status_code != 200:
        raise DeliveryRequestError(service_error(response))
    try:
        answers = response.json()["data"]
    except (ValueError, KeyError, TypeError):
        raise DeliveryRequestError("the report service answered in an unexpected shape") from None
    count = 0
    for name, answer in zip(names, answers, strict=False):
        if not isinstance(answer, list) or len(answer) != 2 or not isinstance(answer[1], dict):
            raise DeliveryRequestError("the report service answered in an unexpected shape")
        result = answer[1]
        if "deliveries" not in result:
            message = result.get("error", {}).get("message", result)
            raise DeliveryRequestError(f"subscription {name}: {message}")
        count += len(result["deliveries"])
    return f"{count} deliver{'ies' if count != 1 else 'y'} of {', '.join(names)}"


def send_now(config: SchedulerSettings, api_key: str | None, name: str) -> dict[str, Any]:
    """Queue one subscription for this moment (``analytics deliver NAME --now``)."""
    response = _post(config, api_key, "/v1/deliveries", {"subscription": name, "now": True})
    if response.status_code != 202:
        raise DeliveryRequestError(service_error(response))
    answer: dict[str, Any] = response.json()
    return answer


def recent(
    config: SchedulerSettings, api_key: str | None, name: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    headers = {"x-api-key": api_key} if api_key else {}
    params: dict[str, Any] = {"limit": limit}
    if name:
        params["subscription"] = name
    url = config.report_service_url.rstrip("/") + "/v1/deliveries"
    try:
        response = httpx.get(
            url, params=params, headers=headers, timeout=config.request_timeout_seconds
        )
    except httpx.HTTPError as exc:
        raise DeliveryRequestError(
            f"the report service at {config.report_service_url} cannot be reached "
            f"({type(exc).__name__})"
        ) from None
    if response.status_code != 200:
        raise DeliveryRequestError(service_error(response))
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


def notify_alert(
    config: SchedulerSettings, api_key: str | None, alert: str, findings: list[dict[str, Any]]
) -> dict[str, Any]:
    """Hand an alert's findings to the service, which routes, suppresses and sends."""
    response = _post(config, api_key, "/v1/alerts/notify", {"alert": alert, "findings": findings})
    if response.status_code != 202:
        raise DeliveryRequestError(service_error(response))
    answer: dict[str, Any] = response.json()
    return answer


@dataclass(frozen=True)
class AlertsRun:
    """What ``analytics alerts --after`` did: ``ok``, the run's detail
    ("; alerts evaluated" or why not) and what the command printed."""

    ok: bool
    detail: str
    output: str = ""


def run_alerts_after(build_job: str, env: dict[str, str]) -> AlertsRun:
    """``analytics alerts --after BUILD_JOB`` as a child process (the scheduler
    and ``analytics build --alerts-after``, after a successful build). A child:
    its own timeout, and the semantic layer it opens leaves with it."""
    command = [sys.executable, "-m", "orchestration.cli", "alerts", "--after", build_job]
    try:
        done = subprocess.run(  # noqa: S603 - our interpreter, a fixed command
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=ALERTS_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.error("%s: the alerts ran longer than %d s", build_job, ALERTS_TIMEOUT_SECONDS)
        return AlertsRun(False, f"; alerts: timed out after {ALERTS_TIMEOUT_SECONDS} s")
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit {done.returncode}"
        log.error("%s: the alerts failed: %s", build_job, last)
        return AlertsRun(False, f"; alerts failed: {last}", done.stdout)
    return AlertsRun(True, "; alerts evaluated", done.stdout)
