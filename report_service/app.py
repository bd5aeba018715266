"""The FastAPI application: routes of the interfaces of ``docs/interfaces.md``.

``create_app(ReportService(...))`` assembles it: the routers of
:mod:`report_service.routes` (reports, jobs, external functions,
operations), the error handlers and the middleware. What the routes share
is the :class:`~report_service.service.ReportService` in ``app.state``,
reached through the dependencies of :mod:`report_service.routes.deps`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.edge import EdgeGuardMiddleware
from report_service.middleware import BodyLimitMiddleware, RequestContextMiddleware
from report_service.observability import configure_logging
from report_service.routes import alerts, deliveries, external, jobs, operations, reports
from report_service.routes.errors import install_error_handlers
from report_service.service import ReportService

log = logging.getLogger("report_service.api")

__all__ = ["ReportService", "build_app", "create_app"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Workers start with the app and stop with it."""
    service: ReportService = app.state.service
    service.start()
    log.info("report service started", extra={"workers": service.service.workers})
    try:
        yield
    finally:
        log.info("report service stopping")
        service.stop()
        log.info("report service stopped")


def create_app(service: ReportService) -> FastAPI:
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
    install_error_handlers(app)
    # FastAPI matches included routers in order and none of their paths
    # overlap: the hottest read (a job's status, polled) goes first.
    app.include_router(jobs.router)
    app.include_router(external.router(service.service))
    app.include_router(reports.router)
    app.include_router(deliveries.router)
    app.include_router(alerts.router)
    app.include_router(operations.router)
    # Outermost last: every answer, the edge's refusals too, has a request id
    # and an access-log line.
    settings = service.service
    app.add_middleware(
        EdgeGuardMiddleware,
        max_header_bytes=settings.max_header_bytes,
        max_header_count=settings.max_header_count,
        max_json_depth=settings.max_json_depth,
    )
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=service.metrics)
    return app


def build_app(
    service: ReportServiceSettings | None = None, settings: Settings | None = None
) -> FastAPI:
    """The app from the environment's settings (the ones given, else read here:
    this is an entry point), with JSON logging configured."""
    from report_service.warehouse import snowflake_from_env

    service = service or ReportServiceSettings()
    report_service = ReportService(
        service, settings or Settings(), snowflake=snowflake_from_env(service)
    )
    configure_logging(report_service.service.log_level)
    return create_app(report_service)
