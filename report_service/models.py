"""Jobs, artifacts and the errors the API shows: shared by every part of the service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from analytics_core.errors import AnalyticsError

JobStatus = Literal["queued", "running", "succeeded", "failed"]
Trigger = Literal["api", "external_function", "schedule"]
FORMATS: tuple[str, ...] = ("html", "pdf", "csv", "xlsx", "json")
Format = Literal["html", "pdf", "csv", "xlsx", "json"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed"})


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Artifact:
    """One rendered file of a job."""

    format: str
    #: The store's key for the file (relative path locally, object key in S3).
    key: str
    bytes: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class PendingEvent:
    """A finished job's terminal event (``succeeded``/``failed``) that is not
    written yet: the store records it in the same write that finishes the job
    (an outbox), the worker clears it once the event is written, and the
    worker pool writes the ones still pending (a worker died in between, or
    the event sink was down)."""

    #: How long the last attempt ran, for the event (``None`` when unknown).
    duration_ms: int | None = None


@dataclass
class Job:
    """A report job as the store keeps it."""

    job_id: str
    report_type: str
    params: dict[str, Any]
    formats: list[str]
    status: JobStatus
    created_at: datetime
    trigger: Trigger = "api"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    artifacts: list[Artifact] = field(default_factory=list)
    #: How many times a worker has claimed the job.
    attempts: int = 0
    #: The worker holding the job and until when (``running`` jobs only).
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    #: A queued job is not claimed before this time (retry back-off).
    not_before: datetime | None = None
    #: ``sha256`` of the canonical request body, for ``Idempotency-Key``.
    request_hash: str | None = None
    idempotency_key: str | None = None
    #: A finished job's terminal event still to be written (see :class:`PendingEvent`).
    pending_event: PendingEvent | None = None


class ServiceError(AnalyticsError):
    """An error the API answers with ``{"error": {"code", "message"}}``."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class InvalidRequestError(ServiceError):
    status_code = 422
    code = "invalid_request"


class NotFoundError(ServiceError):
    status_code = 404
    code = "not_found"


class ConflictError(ServiceError):
    """The same ``Idempotency-Key`` came with a different body."""

    status_code = 422
    code = "idempotency_key_reused"


class QueueFullError(ServiceError):
    status_code = 429
    code = "queue_full"


class ReportError(AnalyticsError):
    """A report could not be rendered; ``retryable`` says whether trying again may help
    (a warehouse that was unreachable) or not (no data for the period, bad template)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
