"""The report catalog."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from report_service.routes.deps import AUTHED
from report_service.routes.schemas import Catalog, error_responses

router = APIRouter(tags=["reports"], dependencies=AUTHED)


@router.get("/v1/reports", response_model=Catalog, responses=error_responses(401))
def catalog() -> dict[str, Any]:
    """The report catalog: types, parameters (JSON schema), formats and schedules."""
    from report_service.reports import CATALOG

    return {"reports": [definition.catalog_entry() for definition in CATALOG.values()]}
