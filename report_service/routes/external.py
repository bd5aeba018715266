"""Snowflake external functions: ``generate_report``, ``report_job_status`` and
``deliver_subscription`` (:mod:`report_service.routes.deliveries`).

Snowflake sends batches, ``{"data": [[row_number, args...], ...]}``, and wants
one answer per row, in order; a row that cannot be read answers
``[n, {"error": {...}}]`` and fails no other row.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from analytics_core.settings import ReportServiceSettings
from report_service.edge import JsonError, json_problem, parse_json
from report_service.models import FORMATS, InvalidRequestError, Job, ServiceError
from report_service.routes.deps import AUTHED, BaseUrl, Service, ServiceSettings, Store
from report_service.routes.jobs import JOB_ID_RE
from report_service.routes.schemas import (
    ExternalBatch,
    GeneratedAnswers,
    StatusAnswers,
    error_body,
    error_responses,
    job_body,
)
from report_service.service import JOB_NAMESPACE, ReportService, canonical_hash, new_job

log = logging.getLogger("report_service.api")


def router(settings: ReportServiceSettings) -> APIRouter:
    """The routes, with the batch schema (its row limit) of these settings in the
    OpenAPI document: a function of the settings, unlike the other routers."""
    batch_body = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": batch_schema(settings)}},
        }
    }
    routes = APIRouter(tags=["external functions"], dependencies=AUTHED)
    routes.add_api_route(
        "/v1/external/generate_report",
        external_generate_report,
        methods=["POST"],
        response_model=GeneratedAnswers,
        responses=error_responses(401, 415, 429),
        openapi_extra=batch_body,
    )
    routes.add_api_route(
        "/v1/external/deliver_subscription",
        external_deliver_subscription,
        methods=["POST"],
        responses=error_responses(401, 415),
        openapi_extra=batch_body,
    )
    routes.add_api_route(
        "/v1/external/job_status",
        external_job_status,
        methods=["POST"],
        response_model=StatusAnswers,
        responses=error_responses(401, 415),
        openapi_extra=batch_body,
    )
    return routes


def external_generate_report(
    request: Request, service: Service, settings: ServiceSettings, base: BaseUrl
) -> dict[str, Any]:
    """Snowflake external function ``generate_report(report_type, params)``:
    rows ``[n, report_type, params]`` answer ``[n, {job_id, status, status_url}]``;
    a row that cannot be read answers ``[n, {"error": {...}}]``, the others their jobs."""
    rows = batch_rows(request, settings)
    batch = batch_id(request)
    answers: list[Any] = [None] * len(rows)
    jobs: list[tuple[int, Job]] = []
    for index, row in enumerate(rows):
        try:
            jobs.append((index, generate_row(row, batch, settings.max_json_depth)))
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
        enqueue_rows(service, jobs, rows, answers, base, retried=batch is not None)
    return {"data": answers}


def enqueue_rows(
    service: ReportService,
    jobs: list[tuple[int, Job]],
    rows: list[list[Any]],
    answers: list[Any],
    base: str,
    *,
    retried: bool,
) -> None:
    """Queue the rows' jobs and put each row's answer in its place. A batch with
    Snowflake's ids may be a retry: only the jobs not made before count against
    the queue limit."""
    existing = [service.store.get(job.job_id) for _, job in jobs] if retried else []
    fresh = sum(1 for job in existing if job is None) if retried else len(jobs)
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


def external_job_status(
    request: Request, store: Store, settings: ServiceSettings, base: BaseUrl
) -> dict[str, Any]:
    """Snowflake external function ``report_job_status(job_id)``: rows ``[n, job_id]``
    answer ``[n, <job object>]``."""
    rows = batch_rows(request, settings)
    max_depth = settings.max_json_depth
    answers = []
    for row in rows:
        number = row[0]
        if len(row) != 2 or not isinstance(row[1], str) or json_problem(row, max_depth):
            answers.append([number, error_body("invalid_request", "expected one job_id")])
            continue
        job = store.get(row[1]) if JOB_ID_RE.match(row[1]) else None
        if job is None:
            answers.append([number, error_body("not_found", f"no job {row[1][:80]!r}")])
        else:
            answers.append([number, job_body(job, base)])
    return {"data": answers}


def batch_rows(request: Request, settings: ReportServiceSettings) -> list[list[Any]]:
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
    if len(body.data) > settings.max_batch_rows:
        raise ServiceError(
            f"a batch has at most {settings.max_batch_rows} rows",
            code="batch_too_large",
            status_code=413,
        )
    seen = set()
    for row in body.data:
        if not row or type(row[0]) is not int:
            raise ServiceError("every row must start with its row number", code="malformed_batch")
        if row[0] in seen:
            raise ServiceError(f"row number {row[0]} appears twice", code="malformed_batch")
        seen.add(row[0])
    return body.data


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


def generate_row(row: list[Any], batch: str | None, max_depth: int) -> Job:
    """The job of one ``generate_report`` row, or a :class:`ServiceError` for it."""
    number = row[0]
    if len(row) != 3:
        raise InvalidRequestError(f"expected 2 arguments (report_type, params), got {len(row) - 1}")
    problem = json_problem(row, max_depth)
    if problem is not None:
        raise InvalidRequestError(f"the row: {problem}")
    report_type, params = row[1], row_params(row[2], max_depth - 1)
    if not isinstance(report_type, str) or not 1 <= len(report_type) <= 64:
        raise InvalidRequestError("report_type must be a string of 1-64 characters")
    formats = row_formats(params.pop("formats", ["html"]))
    job_id = str(uuid.uuid5(JOB_NAMESPACE, f"external:{batch}:{number}")) if batch else None
    return new_job(
        report_type,
        params,
        formats,
        trigger="external_function",
        job_id=job_id,
        request_hash=canonical_hash([report_type, params]),
    )


def batch_id(request: Request) -> str | None:
    """Snowflake's batch identity: query id and batch id (retries repeat both)."""
    batch = request.headers.get("sf-external-function-query-batch-id")
    if not batch:
        return None
    query = request.headers.get("sf-external-function-current-query-id", "")
    return f"{query[:200]}/{batch[:200]}"


def row_params(value: Any, max_depth: int) -> dict[str, Any]:
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


def row_formats(value: Any) -> list[str]:
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


def external_deliver_subscription(
    request: Request, service: Service, settings: ServiceSettings
) -> dict[str, Any]:
    """Rows ``[n, subscription, due_at or null]`` answer ``[n, {subscription,
    due_at, deliveries}]``; a row that cannot be served answers its error."""
    from report_service.routes.deliveries import DeliveryRequest, queue

    rows = batch_rows(request, settings)
    answers = []
    for row in rows:
        number = row[0]
        try:
            if len(row) != 3 or not isinstance(row[1], str):
                raise InvalidRequestError("expected 2 arguments (subscription, due_at)")
            due = None
            if row[2] is not None:
                try:
                    due = DeliveryRequest.model_validate(
                        {"subscription": row[1], "due_at": row[2]}
                    ).due_at
                except ValueError:
                    raise InvalidRequestError(
                        "due_at must be a time with its zone (ISO 8601) or null"
                    ) from None
            answers.append([number, queue(service, row[1], due, False)])
        except ServiceError as exc:
            answers.append([number, error_body(exc.code, exc.message)])
    return {"data": answers}
