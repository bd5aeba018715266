"""What routes depend on (FastAPI ``Depends``): the service object, its
settings, the job store, the warehouse, the public base URL and the API-key
check. Tests replace any of them with ``app.dependency_overrides``.

Every dependency here is ``async``: FastAPI runs a sync dependency in the
thread pool, which costs more than the work itself on the hot read paths
(checking a key, reading a job).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from analytics_core.settings import ReportServiceSettings
from analytics_core.warehouse import WarehouseClient
from report_service.models import ServiceError
from report_service.service import ReportService
from report_service.stores.base import JobStore

#: ``x-api-key``, as the OpenAPI document's security scheme (checked by ``require_key``).
API_KEY_HEADER = APIKeyHeader(
    name="x-api-key", auto_error=False, description="One of the service's API keys."
)


async def get_service(request: Request) -> ReportService:
    """The :class:`ReportService` :func:`~report_service.app.create_app` was given."""
    service: ReportService = request.app.state.service
    return service


Service = Annotated[ReportService, Depends(get_service)]


async def get_settings(service: Service) -> ReportServiceSettings:
    return service.service


async def get_store(service: Service) -> JobStore:
    return service.store


async def get_warehouse(service: Service) -> Callable[[], WarehouseClient]:
    """The warehouse client's opener, not the client: a route that reads the
    warehouse decides when to open it and what an error opening it means
    (``/ready`` reports it as a reason, not a 500)."""
    return service.warehouse


ServiceSettings = Annotated[ReportServiceSettings, Depends(get_settings)]
Store = Annotated[JobStore, Depends(get_store)]
OpenWarehouse = Annotated[Callable[[], WarehouseClient], Depends(get_warehouse)]


def public_base(request: Request, settings: ReportServiceSettings) -> str:
    """The configured public base URL, else none: links are relative (under the
    server's configured root path), never built from the request's Host."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    return str(request.scope.get("root_path", "")).rstrip("/")


async def base_url(request: Request, service: Service) -> str:
    return public_base(request, service.service)


async def require_key(
    request: Request, x_api_key: Annotated[str | None, Security(API_KEY_HEADER)] = None
) -> None:
    # Every /v1 request runs this: it reads the app's service itself rather
    # than through ``get_service``, one dependency fewer to resolve per call.
    service: ReportService = request.app.state.service
    if not service.key_is_valid(x_api_key):
        raise ServiceError(
            "a valid x-api-key header is required", code="unauthorized", status_code=401
        )


BaseUrl = Annotated[str, Depends(base_url)]
#: The dependencies of every ``/v1`` route.
AUTHED = [Depends(require_key)]
