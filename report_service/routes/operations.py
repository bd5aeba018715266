"""Operating the service, without a key: liveness, readiness, metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from report_service.routes.deps import OpenWarehouse, Service, Store
from report_service.routes.schemas import Health, Readiness, error_responses
from report_service.service import ready_reasons

router = APIRouter(tags=["operations"])

READY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **error_responses(),
    503: {"model": Readiness, "description": "Not ready, with the reasons."},
}
METRICS_RESPONSES: dict[int | str, dict[str, Any]] = {
    **error_responses(),
    200: {
        "description": "Prometheus text format.",
        "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
    },
}


@router.get("/health", response_model=Health, responses=error_responses())
async def health() -> dict[str, str]:
    """Liveness: answers while the process runs; checks nothing else."""
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=Readiness,
    response_model_exclude_unset=True,
    responses=READY_RESPONSES,
)
def ready(open_warehouse: OpenWarehouse, store: Store) -> dict[str, Any] | JSONResponse:
    """200 when the warehouse and every relation the catalog reads are there."""
    reasons = ready_reasons(open_warehouse, store)
    if reasons:
        return JSONResponse({"status": "not_ready", "reasons": reasons}, status_code=503)
    return {"status": "ready"}


@router.get("/metrics", response_class=Response, responses=METRICS_RESPONSES)
def metrics(service: Service) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)
