"""The report catalog and the one entry point that renders a report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from analytics_core.warehouse import WarehouseClient, WarehouseError
from report_service.models import FORMATS, InvalidRequestError, ReportError
from report_service.reports import daily_sales, monthly_data_quality, weekly_executive
from report_service.reports.base import ReportDefinition
from report_service.reports.document import ReportDocument
from report_service.reports.renderers import RENDERERS, render_html_text, render_pdf

#: Every report type the service renders, by name.
CATALOG: Mapping[str, ReportDefinition] = MappingProxyType(
    {
        definition.report_type: definition
        for definition in (
            daily_sales.DEFINITION,
            weekly_executive.DEFINITION,
            monthly_data_quality.DEFINITION,
        )
    }
)


def get_report(report_type: str) -> ReportDefinition:
    """The definition of ``report_type``; ``InvalidRequestError`` naming the known types."""
    definition = CATALOG.get(report_type) if isinstance(report_type, str) else None
    if definition is None:
        known = ", ".join(sorted(CATALOG))
        raise InvalidRequestError(
            f"unknown report type {str(report_type)[:60]!r}; known types: {known}",
            code="unknown_report_type",
        )
    return definition


def validate_formats(formats: Sequence[str]) -> list[str]:
    """The requested formats, de-duplicated in order; ``InvalidRequestError`` if
    none or one is unknown."""
    if isinstance(formats, str) or not isinstance(formats, Sequence) or not formats:
        raise InvalidRequestError(
            f"formats must be a non-empty list of: {', '.join(FORMATS)}", code="invalid_formats"
        )
    chosen: list[str] = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise InvalidRequestError(
                f"unsupported format {str(fmt)[:20]!r}; supported: {', '.join(FORMATS)}",
                code="invalid_formats",
            )
        if fmt not in chosen:
            chosen.append(fmt)
    return chosen


def write_formats(
    document: ReportDocument, formats: Sequence[str], out_dir: Path
) -> dict[str, Path]:
    """Write ``document`` in every format to ``out_dir`` (PDF last, from the same HTML)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    html: str | None = None
    for fmt in sorted(formats, key=lambda f: f == "pdf"):
        path = out_dir / f"{document.file_stem}.{fmt}"
        if fmt == "html":
            html = render_html_text(document)
            path.write_text(html, encoding="utf-8")
        elif fmt == "pdf":
            render_pdf(document, path, html)
        else:
            RENDERERS[fmt](document, path)
        paths[fmt] = path
    return {fmt: paths[fmt] for fmt in formats}


def render_report(
    report_type: str,
    params: Mapping[str, Any],
    formats: Sequence[str],
    client: WarehouseClient,
    out_dir: Path,
) -> dict[str, Path]:
    """Render ``report_type`` with ``params`` into one file per format in ``out_dir``.

    Raises :class:`InvalidRequestError` for an unknown type, bad params or
    formats, and :class:`ReportError` when the report cannot be rendered
    (``retryable`` when the warehouse was unavailable).
    """
    definition = get_report(report_type)
    validated = definition.validate_params(params)
    chosen = validate_formats(formats)
    try:
        document = definition.build(client, validated)
    except WarehouseError as exc:
        # The shared clients raise their own error; what renders reports (the
        # workers, `analytics report`) handles ReportError, retryable or not.
        raise ReportError(str(exc), retryable=exc.retryable) from exc
    try:
        return write_formats(document, chosen, Path(out_dir))
    except (ReportError, InvalidRequestError):
        raise
    except OSError as exc:
        raise ReportError(f"cannot write the report files: {exc}", retryable=True) from exc
