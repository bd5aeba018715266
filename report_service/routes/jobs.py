"""Report jobs: queue one, list recent ones, read one, download its files."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from report_service.artifacts import CONTENT_TYPES as ARTIFACT_CONTENT_TYPES
from report_service.models import (
    FORMATS,
    Artifact,
    InvalidRequestError,
    Job,
    JobStatus,
    NotFoundError,
    ServiceError,
)
from report_service.routes.deps import AUTHED, BaseUrl, Service, Store, public_base
from report_service.routes.schemas import (
    JobCreated,
    JobList,
    JobRequest,
    JobView,
    error_responses,
    job_body,
)
from report_service.service import JOB_NAMESPACE, ReportService, canonical_hash, new_job
from report_service.stores.base import JobStore

router = APIRouter(tags=["reports"], dependencies=AUTHED)

#: Job ids are UUIDs; anything else in a path is simply not found.
JOB_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
#: ``GET /v1/reports/jobs``: how many jobs by default and at most.
RECENT_JOBS_DEFAULT = 20
RECENT_JOBS_MAX = 100

CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **error_responses(401, 415, 429),
    202: {
        "description": "Queued (or, for a repeated `Idempotency-Key`, the job it made).",
        "headers": {"Location": {"description": "`status_url`", "schema": {"type": "string"}}},
    },
}
ARTIFACT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **error_responses(401, 404, 409),
    200: {
        "description": "The file.",
        "content": {
            content_type: {
                "schema": {"type": "object", "description": "The report document."}
                if content_type.startswith("application/json")
                else {"type": "string", "format": "binary"}
            }
            for content_type in ARTIFACT_CONTENT_TYPES.values()
        },
    },
    307: {
        "description": "A presigned object-store URL (in AWS).",
        "headers": {"Location": {"schema": {"type": "string"}}},
    },
}


@router.post(
    "/v1/reports/jobs",
    status_code=202,
    response_model=JobCreated,
    responses=CREATE_RESPONSES,
)
def create_job(
    body: JobRequest,
    request: Request,
    service: Service,
    base: BaseUrl,
    idempotency_key: str | None = Header(default=None),
) -> JSONResponse:
    """Queue a report job; poll ``status_url`` (or ``Location``) for the result."""
    job_id = None
    request_hash = canonical_hash(body.model_dump(mode="json"))
    if idempotency_key is not None:
        job_id = idempotent_job_id(idempotency_key, request.headers.get("x-api-key", ""))
        existing = service.store.get(job_id)
        if existing is not None:
            return created(existing, base, request_hash, existing)
    job = new_job(
        body.report_type,
        body.params,
        list(body.formats),
        trigger="api",
        job_id=job_id,
        request_hash=request_hash,
        idempotency_key=idempotency_key,
    )
    service.admit(1)
    [(stored, _)] = service.enqueue([job])
    return created(stored, base, request_hash, None)


def idempotent_job_id(idempotency_key: str, api_key: str) -> str:
    """The job id an ``Idempotency-Key`` names: the same for the same caller (key)."""
    if not IDEMPOTENCY_KEY_RE.match(idempotency_key):
        raise InvalidRequestError(
            "Idempotency-Key must be 1-200 printable ASCII characters",
            code="invalid_idempotency_key",
        )
    caller = hashlib.sha256(api_key.encode()).hexdigest()
    return str(uuid.uuid5(JOB_NAMESPACE, f"api:{caller[:16]}:{idempotency_key}"))


def created(job: Job, base: str, request_hash: str, existing: Job | None) -> JSONResponse:
    if existing is not None and existing.request_hash != request_hash:
        raise ServiceError(
            "this Idempotency-Key was used with a different request body",
            code="idempotency_key_reused",
            status_code=422,
        )
    status_url = f"{base}/v1/reports/jobs/{job.job_id}"
    return JSONResponse(
        {"job_id": job.job_id, "status": job.status, "status_url": status_url},
        status_code=202,
        headers={"Location": status_url},
    )


@router.get("/v1/reports/jobs", response_model=JobList, responses=error_responses(401))
def list_jobs(
    store: Store,
    base: BaseUrl,
    limit: Annotated[
        int, Query(ge=1, le=RECENT_JOBS_MAX, description=f"How many, 1-{RECENT_JOBS_MAX}.")
    ] = RECENT_JOBS_DEFAULT,
    status: Annotated[JobStatus | None, Query(description="Only jobs of this status.")] = None,
) -> JSONResponse:
    """Recent jobs of every caller, newest first by ``created_at``, each as
    ``GET /v1/reports/jobs/{job_id}`` shows it (DynamoDB: the last 31 days)."""
    jobs = store.recent(limit, status)
    return JSONResponse({"jobs": [job_body(job, base) for job in jobs]})


@router.get(
    "/v1/reports/jobs/{job_id}", response_model=JobView, responses=error_responses(401, 404)
)
async def get_job(job_id: str, request: Request) -> JSONResponse:
    """A job's status and, once it succeeded, its artifacts."""
    # The hottest read (clients poll it): no dependency beyond the key check.
    # Each resolved dependency costs FastAPI tens of microseconds, a tenth of
    # the whole request, so the service comes from the app state directly
    # (what ``get_service`` returns too).
    service: ReportService = request.app.state.service
    # A primary-key read in SQLite takes tens of microseconds: cheaper inline
    # than a hop to the thread pool. A network store (DynamoDB) must not block
    # the event loop.
    if service.local_store:
        job = find_job(service.store, job_id)
    else:
        job = await run_in_threadpool(find_job, service.store, job_id)
    return JSONResponse(job_body(job, public_base(request, service.service)))


def find_job(store: JobStore, job_id: str) -> Job:
    job = store.get(job_id) if JOB_ID_RE.match(job_id) else None
    if job is None:
        raise NotFoundError(f"no job {job_id[:80]!r}")
    return job


@router.get(
    "/v1/reports/jobs/{job_id}/artifacts/{fmt}",
    response_class=Response,
    responses=ARTIFACT_RESPONSES,
)
def get_artifact(job_id: str, fmt: str, service: Service) -> Response:
    """The rendered file (streamed), or a redirect to a presigned object-store URL."""
    if fmt not in FORMATS:
        raise NotFoundError(f"no format {fmt[:20]!r}; formats are {', '.join(FORMATS)}")
    job = find_job(service.store, job_id)
    artifact = next((a for a in job.artifacts if a.format == fmt), None)
    if artifact is None:
        if job.status in ("queued", "running"):
            raise ServiceError(
                f"job {job.job_id} is {job.status}; its files are not ready",
                code="not_ready",
                status_code=409,
            )
        raise NotFoundError(f"job {job.job_id} has no {fmt} file")
    url = service.artifacts.presigned_url(artifact)
    if url:
        return RedirectResponse(url, status_code=307)
    return stream_artifact(job, artifact, service.artifacts.open(artifact))


def stream_artifact(job: Job, artifact: Artifact, chunks: Iterator[bytes]) -> StreamingResponse:
    fmt = artifact.format
    filename = f"{job.report_type}-{job.job_id[:8]}.{fmt}"
    disposition = "inline" if fmt in ("html", "pdf", "json") else "attachment"
    return StreamingResponse(
        chunks,
        media_type=artifact.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Content-Length": str(artifact.bytes),
            "ETag": f'"{artifact.sha256}"',
            "x-checksum-sha256": artifact.sha256,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
            ),
        },
    )
