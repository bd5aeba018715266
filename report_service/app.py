"""The FastAPI application: routes of the interfaces of ``docs/contracts.md``.

``create_app(ReportService(...))`` builds the app; :class:`ReportService`
holds what the routes share: settings, the job store, the artifact store, the
warehouse client, the worker pool and the metrics. Workers start with the
app and stop with it (SIGTERM: stop claiming, finish or release running jobs
within ``shutdown_grace_seconds``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from analytics_core.errors import ConfigurationError
from analytics_core.events import EventSink, event_sink
from analytics_core.settings import ReportServiceSettings, Settings
from report_service.artifacts import CONTENT_TYPES as ARTIFACT_CONTENT_TYPES
from report_service.artifacts import ArtifactStore, open_artifact_store
from report_service.edge import (
    EdgeGuardMiddleware,
    JsonError,
    json_problem,
    parse_json,
    send_error,
)
from report_service.models import (
    FORMATS,
    Format,
    InvalidRequestError,
    Job,
    JobStatus,
    NotFoundError,
    QueueFullError,
    ServiceError,
    Trigger,
    utcnow,
)
from report_service.observability import Metrics, configure_logging, request_id_var
from report_service.stores.base import JobStore
from report_service.stores.factory import open_job_store
from report_service.worker import WorkerPool, job_event

log = logging.getLogger("report_service.api")

#: Job ids are UUIDs; anything else in a path is simply not found.
JOB_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
#: Namespace of the deterministic job ids (uuid5) of idempotent requests.
JOB_NAMESPACE = uuid.UUID("0f3a8c52-6d1e-4c9a-9a57-3f1f6c2d8b10")
#: ``x-api-key``, as the OpenAPI document's security scheme (checked by ``require_key``).
API_KEY_HEADER = APIKeyHeader(
    name="x-api-key", auto_error=False, description="One of the service's API keys."
)
MAX_PARAMS_BYTES = 8192
#: ``GET /v1/reports/jobs``: how many jobs by default and at most.
RECENT_JOBS_DEFAULT = 20
RECENT_JOBS_MAX = 100
QUEUE_DEPTH_CACHE_SECONDS = 0.5


# -- the service object ---------------------------------------------------------
class ReportService:
    """Everything the routes share. Tests and the CLI build it from settings."""

    def __init__(
        self,
        service: ReportServiceSettings | None = None,
        settings: Settings | None = None,
        *,
        store: JobStore | None = None,
        artifacts: ArtifactStore | None = None,
        events: EventSink | None = None,
        start_workers: bool = True,
    ) -> None:
        self.service = service or ReportServiceSettings()
        self.settings = settings or Settings()
        self.api_keys = [key.encode() for key in load_api_keys(self.service)]
        self.store = store or open_job_store(self.service, self.settings)
        self.artifacts = artifacts or open_artifact_store(self.service, self.settings)
        self.events = events if events is not None else event_sink(self.settings)
        self.start_workers = start_workers
        from report_service.stores.sqlite import SQLiteJobStore

        #: Reads from a local SQLite file are fast enough to run on the event loop.
        self.local_store = isinstance(self.store, SQLiteJobStore)
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._depth = (0.0, 0)
        self.metrics = Metrics(self.queue_depth_now, lambda: self.pool.running_jobs)
        self.pool = WorkerPool(
            store=self.store,
            artifacts=self.artifacts,
            renderer=self.render,
            events=self.events,
            workers=self.service.workers,
            lease_seconds=self.service.lease_seconds,
            max_attempts=self.service.max_attempts,
            poll_seconds=self.service.poll_seconds,
            on_finished=lambda job, outcome, seconds: self.metrics.job_finished(
                job.report_type, outcome, seconds
            ),
        )

    # warehouse ---------------------------------------------------------------
    def warehouse(self) -> Any:
        """The shared warehouse client, opened on first use."""
        with self._client_lock:
            if self._client is None:
                from report_service.warehouse import open_warehouse_client

                self._client = open_warehouse_client(self.service, self.settings)
            return self._client

    def render(self, job: Job, out_dir: Path) -> dict[str, Path]:
        from report_service.reports import render_report

        return render_report(job.report_type, job.params, job.formats, self.warehouse(), out_dir)

    def ready_reasons(self) -> list[str]:
        from report_service.reports import CATALOG
        from report_service.warehouse import check_ready

        reasons: list[str] = []
        try:
            reasons.extend(check_ready(self.warehouse(), CATALOG))
        except Exception as exc:
            reasons.append(f"warehouse: {exc}")
        try:
            self.store.queue_depth()
        except Exception as exc:
            reasons.append(f"job store: {type(exc).__name__}: {exc}")
        return reasons

    # queue -------------------------------------------------------------------
    def queue_depth_now(self) -> float:
        try:
            return float(self.store.queue_depth())
        except Exception:
            return float("nan")

    def queue_depth(self) -> int:
        """The store's queue depth, cached for half a second (checked on every POST)."""
        at, depth = self._depth
        now = time.monotonic()
        if now - at > QUEUE_DEPTH_CACHE_SECONDS:
            depth = self.store.queue_depth()
            self._depth = (now, depth)
        return depth

    def admit(self, jobs: int) -> None:
        depth = self.queue_depth()
        if depth + jobs > self.service.queue_limit:
            raise QueueFullError(
                f"the report queue is full ({depth} jobs waiting, limit "
                f"{self.service.queue_limit}); retry later"
            )

    def enqueue(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        results = self.store.create_many(jobs)
        created = [job for job, was_created in results if was_created]
        if created:
            at, depth = self._depth
            self._depth = (at, depth + len(created))
            for job in created:
                self.metrics.jobs_created.labels(job.report_type, job.trigger).inc()
            if self.events is not None:
                try:
                    self.events.write([job_event(job, "queued") for job in created])
                except Exception:
                    log.exception("writing job events failed")
            self.pool.wake()
        return results

    # auth --------------------------------------------------------------------
    def key_is_valid(self, presented: str | None) -> bool:
        if not presented or not self.api_keys:
            return False
        candidate = presented.encode("utf-8", "replace")
        valid = False
        for key in self.api_keys:  # compare with every key: constant time overall
            valid |= hmac.compare_digest(candidate, key)
        return valid

    # lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        if self.start_workers:
            self.pool.start()

    def stop(self) -> None:
        if self.start_workers:
            self.pool.stop(self.service.shutdown_grace_seconds)
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        self.store.close()


def load_api_keys(service: ReportServiceSettings) -> list[str]:
    """Keys from ``REPORT_SERVICE_API_KEYS`` plus, in AWS, the Secrets Manager
    secret ``REPORT_SERVICE_API_KEYS_SECRET`` (comma-separated or a JSON list)."""
    keys = service.api_key_list
    if service.api_keys_secret:
        import boto3  # type: ignore[import-untyped]

        client = boto3.client(
            "secretsmanager",
            region_name=service.aws_region,
            endpoint_url=service.aws_endpoint_url,
        )
        try:
            value = client.get_secret_value(SecretId=service.api_keys_secret)["SecretString"]
        except Exception as exc:
            raise ConfigurationError(
                f"cannot read the API keys secret {service.api_keys_secret!r}: {type(exc).__name__}"
            ) from exc
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value.split(",")
        if isinstance(parsed, dict):
            parsed = parsed.get("api_keys", [])
        if isinstance(parsed, str):
            parsed = parsed.split(",")
        keys += [str(key).strip() for key in parsed if str(key).strip()]
    return keys


def local_api_key(settings: Settings) -> str:
    """The local default: a random key kept in ``$ANALYTICS_HOME/report_service/api_key``
    (mode 0600), created on first use, so a local service is never open.

    The file is written atomically with mode 0600 whatever the umask or a
    stale temporary file (:func:`~analytics_core.private_files.write_private`);
    an existing key file that others can read, a link or another user's file
    is refused (:class:`~analytics_core.private_files.PrivateFileError`), not used."""
    from analytics_core.private_files import write_private

    path = settings.report_service_key_path
    key = settings.local_report_service_key()
    if key:
        return key
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created only if absent, so two first starts agree on one key (the loser
    # reads the winner's). Deciding to replace from `path.exists()` raced: a
    # start that saw no key replaced the key another start had just linked.
    # Only an empty file (left by an old version) is replaced, after the read.
    token = secrets.token_urlsafe(32) + "\n"
    write_private(path, token, replace=False)
    key = settings.local_report_service_key()
    if not key:
        write_private(path, token, replace=True)
        key = settings.local_report_service_key()
    if not key:
        raise ConfigurationError(f"the report service key file {path} could not be written")
    return key


# -- request and response bodies --------------------------------------------------
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
    404: "No such job or file.",
    409: "The job has not finished: its files are not ready.",
    413: "The body is larger than `REPORT_SERVICE_MAX_BODY_BYTES`, or a batch has more "
    "rows than `REPORT_SERVICE_MAX_BATCH_ROWS`.",
    415: "The body is not `application/json`.",
    422: "Invalid request: a bad parameter or body (nested too deeply, invalid Unicode, "
    "NaN, an unknown report type or format...).",
    429: "The report queue is full; retry after `Retry-After` seconds.",
    431: "Too many request headers, or headers too large.",
    500: "An unexpected error (logged with the request id).",
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


def canonical_hash(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def new_job(
    report_type: str,
    params: dict[str, Any],
    formats: list[str],
    *,
    trigger: Trigger,
    job_id: str | None = None,
    request_hash: str | None = None,
    idempotency_key: str | None = None,
) -> Job:
    """Validate a request against the catalog and make its queued job."""
    from report_service.reports import get_report

    definition = get_report(report_type)
    validated = definition.validate_params(params)
    clean_params = validated.model_dump(mode="json", exclude_unset=True)
    if len(json.dumps(clean_params)) > MAX_PARAMS_BYTES:
        raise InvalidRequestError(f"params are larger than {MAX_PARAMS_BYTES} bytes")
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise InvalidRequestError(
            f"unknown format {unknown[0]!r}; formats are {', '.join(FORMATS)}",
            code="unknown_format",
        )
    unique_formats = list(dict.fromkeys(formats))
    return Job(
        job_id=job_id or str(uuid.uuid4()),
        report_type=report_type,
        params=clean_params,
        formats=unique_formats,
        status="queued",
        created_at=utcnow(),
        trigger=trigger,
        request_hash=request_hash,
        idempotency_key=idempotency_key,
    )


# -- middleware -------------------------------------------------------------------
class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes with 413, before any route
    reads them (by ``Content-Length``, or while a chunked body streams in)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    await send_error(send, 400, "bad_request", "bad Content-Length")
                    return
                if too_big:
                    await self._refuse(send)
                    return
        # Read the whole body first (it is at most ``limit`` bytes), so a chunked
        # body that grows too large is refused before any route sees it.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body = message.get("body", b"")
            received += len(body)
            if received > self.limit:
                await self._refuse(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        message = f"the request body is larger than {self.limit} bytes"
        await send_error(send, 413, "payload_too_large", message)


class RequestContextMiddleware:
    """Request id (``x-request-id`` in and out), one access-log line and the
    latency metric per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if REQUEST_ID_RE.match(candidate):
                    request_id = candidate
                break
        request_id = request_id or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            self.metrics.request_seconds.labels(scope["method"], route_path, str(status)).observe(
                seconds
            )
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"][:200],
                        "route": route_path,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )
            request_id_var.reset(token)


# -- the app --------------------------------------------------------------------------
def create_app(service: ReportService) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        log.info("report service started", extra={"workers": service.service.workers})
        try:
            yield
        finally:
            log.info("report service stopping")
            service.stop()
            log.info("report service stopped")

    app = FastAPI(
        title="Analytics platform report service",
        version="1",
        description=(
            "Renders the reports of the catalog from the dbt-built reporting views, as "
            "background jobs. Every /v1 route needs an `x-api-key` header."
        ),
        lifespan=lifespan,
    )
    app.state.service = service

    def base_url(request: Request) -> str:
        """The configured public base URL, else none: links are relative (under the
        server's configured root path), never built from the request's Host."""
        if service.service.public_base_url:
            return service.service.public_base_url.rstrip("/")
        return str(request.scope.get("root_path", "")).rstrip("/")

    # ``async``: a sync dependency or route runs in a thread pool, which costs more
    # than the work itself on the hot read paths (checking a key, reading a job).
    async def require_key(x_api_key: str | None = Security(API_KEY_HEADER)) -> None:
        if not service.key_is_valid(x_api_key):
            raise ServiceError(
                "a valid x-api-key header is required", code="unauthorized", status_code=401
            )

    # errors: always the error shape, never a stack trace ---------------------
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"Retry-After": "5"} if exc.status_code == 429 else None
        return error_response(exc.status_code, exc.code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(error.get("type") == "json_invalid" for error in errors):
            return error_response(400, "malformed_json", "the request body is not valid JSON")
        first = errors[0] if errors else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = str(first.get("msg", "invalid request"))[:300]
        message = f"{where[:200]}: {message}" if where else message
        if request.url.path.startswith("/v1/external/"):
            # Snowflake's protocol: a body that is not a batch is a 400.
            return error_response(400, "malformed_batch", message)
        return error_response(422, "invalid_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error_response(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            exc.headers,  # 405: Allow
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; see the service log")

    # unauthenticated ---------------------------------------------------------
    @app.get("/health", tags=["operations"], response_model=Health, responses=error_responses())
    async def health() -> dict[str, str]:
        """Liveness: answers while the process runs; checks nothing else."""
        return {"status": "ok"}

    @app.get(
        "/ready",
        tags=["operations"],
        response_model=Readiness,
        response_model_exclude_unset=True,
        responses={
            **error_responses(),
            503: {"model": Readiness, "description": "Not ready, with the reasons."},
        },
    )
    def ready() -> dict[str, Any] | JSONResponse:
        """200 when the warehouse and every relation the catalog reads are there."""
        reasons = service.ready_reasons()
        if reasons:
            return JSONResponse({"status": "not_ready", "reasons": reasons}, status_code=503)
        return {"status": "ready"}

    @app.get(
        "/metrics",
        tags=["operations"],
        response_class=Response,
        responses={
            **error_responses(),
            200: {
                "description": "Prometheus text format.",
                "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            },
        },
    )
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # the catalog and jobs ------------------------------------------------------
    authed = [Depends(require_key)]

    @app.get(
        "/v1/reports",
        tags=["reports"],
        dependencies=authed,
        response_model=Catalog,
        responses=error_responses(401),
    )
    def catalog() -> dict[str, Any]:
        """The report catalog: types, parameters (JSON schema), formats and schedules."""
        from report_service.reports import CATALOG

        return {"reports": [definition.catalog_entry() for definition in CATALOG.values()]}

    @app.post(
        "/v1/reports/jobs",
        tags=["reports"],
        dependencies=authed,
        status_code=202,
        response_model=JobCreated,
        responses={
            **error_responses(401, 415, 429),
            202: {
                "description": "Queued (or, for a repeated `Idempotency-Key`, the job it made).",
                "headers": {
                    "Location": {"description": "`status_url`", "schema": {"type": "string"}}
                },
            },
        },
    )
    def create_job(
        body: JobRequest,
        request: Request,
        idempotency_key: str | None = Header(default=None),
    ) -> JSONResponse:
        """Queue a report job; poll ``status_url`` (or ``Location``) for the result."""
        job_id = None
        request_hash = canonical_hash(body.model_dump(mode="json"))
        if idempotency_key is not None:
            if not IDEMPOTENCY_KEY_RE.match(idempotency_key):
                raise InvalidRequestError(
                    "Idempotency-Key must be 1-200 printable ASCII characters",
                    code="invalid_idempotency_key",
                )
            caller = hashlib.sha256(request.headers.get("x-api-key", "").encode()).hexdigest()
            job_id = str(uuid.uuid5(JOB_NAMESPACE, f"api:{caller[:16]}:{idempotency_key}"))
            existing = service.store.get(job_id)
            if existing is not None:
                return _created(existing, base_url(request), request_hash, existing)
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
        return _created(stored, base_url(request), request_hash, None)

    def _created(job: Job, base: str, request_hash: str, existing: Job | None) -> JSONResponse:
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

    @app.get(
        "/v1/reports/jobs",
        tags=["reports"],
        dependencies=authed,
        response_model=JobList,
        responses=error_responses(401),
    )
    def list_jobs(
        request: Request,
        limit: Annotated[
            int, Query(ge=1, le=RECENT_JOBS_MAX, description=f"How many, 1-{RECENT_JOBS_MAX}.")
        ] = RECENT_JOBS_DEFAULT,
        status: Annotated[JobStatus | None, Query(description="Only jobs of this status.")] = None,
    ) -> JSONResponse:
        """Recent jobs of every caller, newest first by ``created_at``, each as
        ``GET /v1/reports/jobs/{job_id}`` shows it (DynamoDB: the last 31 days)."""
        jobs = service.store.recent(limit, status)
        base = base_url(request)
        return JSONResponse({"jobs": [job_body(job, base) for job in jobs]})

    @app.get(
        "/v1/reports/jobs/{job_id}",
        tags=["reports"],
        dependencies=authed,
        response_model=JobView,
        responses=error_responses(401, 404),
    )
    async def get_job(job_id: str, request: Request) -> JSONResponse:
        """A job's status and, once it succeeded, its artifacts."""
        # A primary-key read in SQLite takes tens of microseconds: cheaper inline
        # than a hop to the thread pool. A network store (DynamoDB) must not block
        # the event loop.
        if service.local_store:
            job = _find(job_id)
        else:
            job = await run_in_threadpool(_find, job_id)
        return JSONResponse(job_body(job, base_url(request)))

    def _find(job_id: str) -> Job:
        job = service.store.get(job_id) if JOB_ID_RE.match(job_id) else None
        if job is None:
            raise NotFoundError(f"no job {job_id[:80]!r}")
        return job

    @app.get(
        "/v1/reports/jobs/{job_id}/artifacts/{fmt}",
        tags=["reports"],
        dependencies=authed,
        response_class=Response,
        responses={
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
        },
    )
    def get_artifact(job_id: str, fmt: str) -> Response:
        """The rendered file (streamed), or a redirect to a presigned object-store URL."""
        if fmt not in FORMATS:
            raise NotFoundError(f"no format {fmt[:20]!r}; formats are {', '.join(FORMATS)}")
        job = _find(job_id)
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
        filename = f"{job.report_type}-{job.job_id[:8]}.{fmt}"
        disposition = "inline" if fmt in ("html", "pdf", "json") else "attachment"
        chunks: Iterator[bytes] = service.artifacts.open(artifact)
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

    # Snowflake external functions --------------------------------------------
    max_depth = service.service.max_json_depth
    batch_body = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": batch_schema(service.service)}},
        }
    }

    @app.post(
        "/v1/external/generate_report",
        tags=["external functions"],
        dependencies=authed,
        response_model=GeneratedAnswers,
        responses=error_responses(401, 415, 429),
        openapi_extra=batch_body,
    )
    def external_generate_report(request: Request) -> dict[str, Any]:
        """Snowflake external function ``generate_report(report_type, params)``:
        rows ``[n, report_type, params]`` answer ``[n, {job_id, status, status_url}]``;
        a row that cannot be read answers ``[n, {"error": {...}}]``, the others their jobs."""
        rows = _rows(request)
        batch = _batch_id(request)
        base = base_url(request)
        answers: list[Any] = [None] * len(rows)
        jobs: list[tuple[int, Job]] = []
        for index, row in enumerate(rows):
            try:
                jobs.append((index, _generate_row(row, batch, max_depth)))
            except ServiceError as exc:
                answers[index] = [row[0], error_body(exc.code, exc.message)]
            except Exception:
                # Whatever a row holds, it answers for itself and no other row.
                log.exception("an external-function row failed", extra={"row": row[0]})
                answers[index] = [
                    row[0],
                    error_body("internal_error", "this row failed; see the service log"),
                ]
        if jobs:
            existing = [service.store.get(job.job_id) for _, job in jobs] if batch else []
            fresh = sum(1 for job in existing if job is None) if batch else len(jobs)
            if fresh:
                service.admit(fresh)
            results = service.enqueue([job for _, job in jobs])
            for (index, _), (stored, _created_now) in zip(jobs, results, strict=True):
                answers[index] = [
                    rows[index][0],
                    {
                        "job_id": stored.job_id,
                        "status": stored.status,
                        "status_url": f"{base}/v1/reports/jobs/{stored.job_id}",
                    },
                ]
        return {"data": answers}

    @app.post(
        "/v1/external/job_status",
        tags=["external functions"],
        dependencies=authed,
        response_model=StatusAnswers,
        responses=error_responses(401, 415),
        openapi_extra=batch_body,
    )
    def external_job_status(request: Request) -> dict[str, Any]:
        """Snowflake external function ``report_job_status(job_id)``: rows ``[n, job_id]``
        answer ``[n, <job object>]``."""
        rows = _rows(request)
        base = base_url(request)
        answers = []
        for row in rows:
            number = row[0]
            if len(row) != 2 or not isinstance(row[1], str) or json_problem(row, max_depth):
                answers.append([number, error_body("invalid_request", "expected one job_id")])
                continue
            job = service.store.get(row[1]) if JOB_ID_RE.match(row[1]) else None
            if job is None:
                answers.append([number, error_body("not_found", f"no job {row[1][:80]!r}")])
            else:
                answers.append([number, job_body(job, base)])
        return {"data": answers}

    def _rows(request: Request) -> list[list[Any]]:
        """The batch the edge parsed (``report_service/edge.py``): its envelope is
        checked there, each row's values by the route, row by row."""
        if "json_body" not in request.scope:
            raise ServiceError(
                'the body must be a batch: {"data": [[row_number, ...], ...]}',
                code="malformed_batch",
            )
        try:
            body = ExternalBatch.model_validate(request.scope["json_body"])
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            raise ServiceError(
                f"{where[:200]}: {str(first.get('msg'))[:300]}", code="malformed_batch"
            ) from None
        if len(body.data) > service.service.max_batch_rows:
            raise ServiceError(
                f"a batch has at most {service.service.max_batch_rows} rows",
                code="batch_too_large",
                status_code=413,
            )
        seen = set()
        for row in body.data:
            if not row or type(row[0]) is not int:
                raise ServiceError(
                    "every row must start with its row number", code="malformed_batch"
                )
            if row[0] in seen:
                raise ServiceError(f"row number {row[0]} appears twice", code="malformed_batch")
            seen.add(row[0])
        return body.data

    # Outermost last: every answer, the edge's refusals too, has a request id
    # and an access-log line.
    app.add_middleware(
        EdgeGuardMiddleware,
        max_header_bytes=service.service.max_header_bytes,
        max_header_count=service.service.max_header_count,
        max_json_depth=max_depth,
    )
    app.add_middleware(BodyLimitMiddleware, limit=service.service.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=service.metrics)
    return app


def batch_schema(settings: ReportServiceSettings) -> dict[str, Any]:
    """The JSON schema of an external-function batch."""
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "array",
                "maxItems": settings.max_batch_rows,
                "description": "Rows: the row number, then the function's arguments.",
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "prefixItems": [{"type": "integer"}],
                    "items": {},
                },
            }
        },
    }


def _generate_row(row: list[Any], batch: str | None, max_depth: int) -> Job:
    """The job of one ``generate_report`` row, or a :class:`ServiceError` for it."""
    number = row[0]
    if len(row) != 3:
        raise InvalidRequestError(f"expected 2 arguments (report_type, params), got {len(row) - 1}")
    problem = json_problem(row, max_depth)
    if problem is not None:
        raise InvalidRequestError(f"the row: {problem}")
    report_type, params = row[1], _params(row[2], max_depth - 1)
    if not isinstance(report_type, str) or not 1 <= len(report_type) <= 64:
        raise InvalidRequestError("report_type must be a string of 1-64 characters")
    formats = _formats(params.pop("formats", ["html"]))
    job_id = str(uuid.uuid5(JOB_NAMESPACE, f"external:{batch}:{number}")) if batch else None
    return new_job(
        report_type,
        params,
        formats,
        trigger="external_function",
        job_id=job_id,
        request_hash=canonical_hash([report_type, params]),
    )


def _batch_id(request: Request) -> str | None:
    """Snowflake's batch identity: query id and batch id (retries repeat both)."""
    batch = request.headers.get("sf-external-function-query-batch-id")
    if not batch:
        return None
    query = request.headers.get("sf-external-function-current-query-id", "")
    return f"{query[:200]}/{batch[:200]}"


def _params(value: Any, max_depth: int) -> dict[str, Any]:
    """A VARIANT object, a JSON string holding one, or NULL (no parameters); what a
    JSON string holds is checked as strictly as a body (``report_service/edge.py``)."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = parse_json(value, max_depth) if value.strip() else {}
        except JsonError as exc:
            if exc.malformed:
                raise InvalidRequestError(
                    "params must be an object or a JSON string of one"
                ) from None
            raise InvalidRequestError(f"params: {exc.message}") from None
        problem = json_problem(value, max_depth)
        if problem is not None:
            raise InvalidRequestError(f"params: {problem}")
    if not isinstance(value, dict):
        raise InvalidRequestError("params must be an object")
    return value


def _formats(value: Any) -> list[str]:
    """External functions take formats as an optional ``"formats"`` key of params
    (default ``["html"]``): the function's signature stays (report_type, params)."""
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or not value
        or len(value) > len(FORMATS)
        or not all(isinstance(fmt, str) for fmt in value)
    ):
        raise InvalidRequestError(f"formats must be a list of {', '.join(FORMATS)}")
    return value


def build_app(
    service: ReportServiceSettings | None = None, settings: Settings | None = None
) -> FastAPI:
    """The app from the environment's settings, with JSON logging configured."""
    report_service = ReportService(service, settings)
    configure_logging(report_service.service.log_level)
    return create_app(report_service)


AsgiCall = Callable[[Scope, Receive, Send], Awaitable[None]]
