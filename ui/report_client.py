"""A client of the report service's REST API (``docs/interfaces.md``),
for the UI: the catalog, jobs, their status and their files.

Every failure is a :class:`ReportServiceError` whose message a business user
can read (the service's own ``error.message`` when it sent one); the API key
never appears in it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from analytics_core.errors import AnalyticsError
from analytics_core.formatting import format_utc_minute

#: Files larger than this are not pulled into the UI (a link is offered instead).
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
FINISHED = frozenset({"succeeded", "failed"})


class ReportServiceError(AnalyticsError):
    """The report service refused a request or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ReportServiceClient:
    """``base_url`` like ``http://127.0.0.1:8000``; ``api_key`` for ``x-api-key``."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"x-api-key": api_key} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"ReportServiceClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    # -- requests -------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ReportServiceError(
                f"the report service at {self.base_url} did not answer in time"
            ) from None
        except httpx.HTTPError as exc:
            raise ReportServiceError(
                f"the report service at {self.base_url} cannot be reached"
                f" ({type(exc).__name__}); is it running?"
            ) from None
        if response.status_code >= 400:
            raise ReportServiceError(_error_message(response), response.status_code)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ReportServiceError(
                f"the report service answered {path} with something that is not JSON"
            ) from None

    # -- the API -----------------------------------------------------------------

    def ready(self) -> tuple[bool, list[str]]:
        """Whether the service can render (``/ready``), and why not."""
        try:
            response = self._http.get("/ready")
        except httpx.HTTPError:
            return False, [f"the report service at {self.base_url} cannot be reached"]
        body: Any = {}
        with contextlib.suppress(ValueError):
            body = response.json()
        reasons = body.get("reasons") if isinstance(body, dict) else None
        return response.status_code == 200, [str(r) for r in reasons or []]

    def catalog(self) -> list[dict[str, Any]]:
        """Report types with title, description, params JSON schema, formats, schedule."""
        body = self._json("GET", "/v1/reports")
        reports = body.get("reports", body) if isinstance(body, dict) else body
        if not isinstance(reports, list):
            raise ReportServiceError("the report catalog has an unexpected shape")
        return [r for r in reports if isinstance(r, dict)]

    def create_job(
        self,
        report_type: str,
        params: Mapping[str, Any],
        formats: Sequence[str],
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = {"report_type": report_type, "params": dict(params), "formats": list(formats)}
        result: dict[str, Any] = self._json("POST", "/v1/reports/jobs", json=body, headers=headers)
        return result

    def job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/v1/reports/jobs/{_segment(job_id)}")
        return result

    def recent_jobs(self, limit: int = 20, status: str | None = None) -> list[dict[str, Any]]:
        """The newest jobs of every caller, newest first (``limit`` 1-100), only those
        of ``status`` (queued, running, succeeded, failed) when given; each as :meth:`job`."""
        params: dict[str, Any] = {"limit": limit}
        if status is not None:
            params["status"] = status
        body = self._json("GET", "/v1/reports/jobs", params=params)
        jobs = body.get("jobs") if isinstance(body, dict) else None
        if not isinstance(jobs, list):
            raise ReportServiceError("the list of report jobs has an unexpected shape")
        return [job for job in jobs if isinstance(job, dict)]

    def deliveries(
        self, subscription: str | None = None, limit: int = 50
    ) -> tuple[str, list[dict[str, Any]]]:
        """The service's delivery mode (``send`` or ``outbox``) and its latest
        deliveries, newest due first (of one subscription when given)."""
        params: dict[str, Any] = {"limit": limit}
        if subscription is not None:
            params["subscription"] = subscription
        body = self._json("GET", "/v1/deliveries", params=params)
        found = body.get("deliveries") if isinstance(body, dict) else None
        if not isinstance(found, list):
            raise ReportServiceError("the list of deliveries has an unexpected shape")
        return str(body.get("mode", "send")), [d for d in found if isinstance(d, dict)]

    def send_now(self, subscription: str) -> dict[str, Any]:
        """Queue ``subscription`` for this moment; the service sends it."""
        body = {"subscription": subscription, "now": True}
        result: dict[str, Any] = self._json("POST", "/v1/deliveries", json=body)
        return result

    def notify_alert(self, alert: str, findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Hand an alert's findings to the service (it routes, suppresses, sends)."""
        body = {"alert": alert, "findings": [dict(f) for f in findings]}
        result: dict[str, Any] = self._json("POST", "/v1/alerts/notify", json=body)
        return result

    def wait(
        self,
        job_id: str,
        *,
        timeout: float = 300.0,
        poll: float = 0.5,
        on_update: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll until the job has finished (or ``timeout``); ``on_update`` sees each state."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if on_update is not None:
                on_update(job)
            if job.get("status") in FINISHED:
                return job
            if time.monotonic() > deadline:
                raise ReportServiceError(
                    f"report job {job_id} is still {job.get('status')} after {timeout:.0f} s"
                )
            time.sleep(poll)

    def artifact(self, job_id: str, fmt: str) -> bytes:
        """The file of one format (following a redirect to object storage)."""
        path = f"/v1/reports/jobs/{_segment(job_id)}/artifacts/{_segment(fmt)}"
        response = self._request("GET", path, follow_redirects=True)
        size = int(response.headers.get("content-length") or len(response.content))
        if size > MAX_DOWNLOAD_BYTES:
            raise ReportServiceError(f"the {fmt} file is {size:,} bytes; too large to show here")
        return response.content


def _segment(value: str) -> str:
    """A path segment that cannot change the path."""
    if not value or any(ch in value for ch in "/?#%\\") or value in {".", ".."}:
        raise ReportServiceError(f"not a valid identifier: {value[:80]!r}")
    return value


#: What to fix when the service refuses the key: the setting, by name, and
#: where the local service keeps its key.
WRONG_KEY = (
    "the report service refused the API key: set REPORT_SERVICE_API_KEY to one of "
    "the service's keys (REPORT_SERVICE_API_KEYS where the service runs; a local "
    "service writes its key to $ANALYTICS_HOME/report_service/api_key)"
)


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    message = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message") or body["error"].get("code") or "")
    if response.status_code in (401, 403):
        return f"{WRONG_KEY}{f' (the service said: {message})' if message else ''}"
    if message:
        return message
    return f"the report service answered {response.status_code} {response.reason_phrase}"


#: A job's states, in the order a job passes through them.
JOB_STATUSES = ("queued", "running", "succeeded", "failed")


def job_summary(job: dict[str, Any]) -> dict[str, Any]:
    """One row of the recent jobs table (no parameters: they may be long)."""
    return {
        "job": str(job.get("job_id", ""))[:8],
        "report": job.get("report_type") or "",
        "status": job.get("status") or "",
        "created": to_the_minute(job.get("created_at")),
        "finished": to_the_minute(job.get("finished_at")),
        "formats": ", ".join(a.get("format", "") for a in job.get("artifacts") or []),
        "error": job.get("error") or "",
    }


def to_the_minute(value: Any) -> str:
    """A service timestamp as people read it, ``2026-12-04 16:22 UTC``;
    nothing for no time (not "None")."""
    return format_utc_minute(value, empty="")


def job_label(job: dict[str, Any]) -> str:
    """How a job is named on the page: report, short id, status and creation time."""
    created = to_the_minute(job.get("created_at")) or "not started"
    return (
        f"{job.get('report_type', 'report')} {str(job.get('job_id', ''))[:8]}"
        f" ({job.get('status', 'unknown')}, {created})"
    )
