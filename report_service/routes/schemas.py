"""Request and response bodies of the API, the error shape every route answers,
and the error statuses the OpenAPI document declares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from report_service.models import FORMATS, Format, Job, JobStatus, Trigger


def _default_formats() -> list[Format]:
    return ["html"]


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report_type: str = Field(min_length=1, max_length=64, description="A type from the catalog.")
    params: dict[str, Any] = Field(default_factory=dict, description="Report parameters.")
    formats: list[Format] = Field(
        default_factory=_default_formats, min_length=1, max_length=len(FORMATS)
    )


class JobCreated(BaseModel):
    """What ``POST /v1/reports/jobs`` (and ``generate_report``, per row) answers."""

    job_id: str
    status: JobStatus
    status_url: str = Field(
        description="Where to poll the job: relative (``/v1/reports/jobs/<id>``) unless "
        "``REPORT_SERVICE_PUBLIC_BASE_URL`` is set."
    )


class ArtifactLink(BaseModel):
    format: Format
    url: str = Field(description="Relative unless a public base URL is configured.")
    bytes: int
    sha256: str


class JobView(BaseModel):
    """A job as ``GET /v1/reports/jobs/{job_id}`` shows it."""

    job_id: str
    report_type: str
    params: dict[str, Any]
    status: JobStatus
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    error: str | None
    attempts: int
    trigger: Trigger
    artifacts: list[ArtifactLink]


class JobList(BaseModel):
    jobs: list[JobView]


class CatalogEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    description: str
    params_schema: dict[str, Any] = Field(description="The parameters' JSON schema.")
    formats: list[Format]
    schedule: str | None = Field(description="When it runs (cron, UTC); null: not scheduled.")


class Catalog(BaseModel):
    reports: list[CatalogEntry]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    reasons: list[str] = Field(default_factory=list, description="Why it is not ready.")


class ExternalBatch(BaseModel):
    """Snowflake's external-function request: ``{"data": [[row_number, args...], ...]}``."""

    model_config = ConfigDict(extra="allow")

    data: list[list[Any]]


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable and machine-readable, e.g. ``invalid_request``.")
    message: str = Field(description="What was wrong, for a person.")


class ErrorBody(BaseModel):
    """Every error the service answers: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


class GeneratedAnswers(BaseModel):
    """One answer per row, in order: ``[row_number, {job_id, status, status_url}]``
    or ``[row_number, {"error": {...}}]``."""

    data: list[tuple[int, JobCreated | ErrorBody]]


class StatusAnswers(BaseModel):
    """One answer per row, in order: ``[row_number, <job>]`` or
    ``[row_number, {"error": {...}}]``."""

    data: list[tuple[int, JobView | ErrorBody]]


def error_body(code: str, message: str) -> dict[str, Any]:
    # Never a string JSON cannot carry (a lone surrogate echoed from input).
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


#: What each error status means, for the OpenAPI document.
ERROR_STATUSES: dict[int, str] = {
    400: "Bad request: a header or path that is not UTF-8 text, malformed JSON, or "
    "(external functions) a malformed batch.",
    401: "No valid `x-api-key`.",
    404: "No such job, file, subscription or alert.",
    409: "The job has not finished: its files are not ready.",
    413: "The body is larger than `REPORT_SERVICE_MAX_BODY_BYTES`, or a batch has more "
    "rows than `REPORT_SERVICE_MAX_BATCH_ROWS`.",
    415: "The body is not `application/json`.",
    422: "Invalid request: a bad parameter or body (nested too deeply, invalid Unicode, "
    "NaN, an unknown report type or format...).",
    429: "The report queue is full; retry after `Retry-After` seconds.",
    431: "Too many request headers, or headers too large.",
    500: "An unexpected error (logged with the request id).",
    503: "Deliveries cannot be made now: the schedule file cannot be read, or this "
    "service has no delivery ledger.",
}
#: Every route can answer these (the edge checks of ``report_service/edge.py``).
COMMON_ERRORS = (400, 413, 422, 431, 500)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these statuses plus :data:`COMMON_ERRORS`."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*COMMON_ERRORS, *statuses}):
        responses[status] = {"model": ErrorBody, "description": ERROR_STATUSES[status]}
    if 429 in statuses:
        responses[429]["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    return responses


def job_body(job: Job, base_url: str) -> dict[str, Any]:
    status_url = f"{base_url}/v1/reports/jobs/{job.job_id}"
    return {
        "job_id": job.job_id,
        "report_type": job.report_type,
        "params": job.params,
        "status": job.status,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "error": job.error,
        "attempts": job.attempts,
        "trigger": job.trigger,
        "artifacts": [
            {
                "format": artifact.format,
                "url": f"{status_url}/artifacts/{artifact.format}",
                "bytes": artifact.bytes,
                "sha256": artifact.sha256,
            }
            for artifact in job.artifacts
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
