"""Report catalog, queries, charts, templates and renderers.

- :mod:`.base` - :class:`ReportDefinition`, parameter types;
- :mod:`.document` - :class:`ReportDocument`, the content every format renders;
- :mod:`.daily_sales`, :mod:`.weekly_executive`, :mod:`.monthly_data_quality`
  - one module per report (params model, relations, typed queries and
  `fetch`, the pure `assemble` of the document from rows);
- :mod:`.charts` - Vega-Lite specs and SVG rendering;
- :mod:`.renderers` - HTML, PDF, CSV, XLSX and JSON (format conventions there);
- :mod:`.catalog` - :data:`CATALOG`, :func:`get_report`, :func:`render_report`.
"""

from report_service.reports.base import ReportDefinition
from report_service.reports.catalog import CATALOG, get_report, render_report
from report_service.reports.document import ReportDocument

__all__ = [
    "CATALOG",
    "ReportDefinition",
    "ReportDocument",
    "get_report",
    "render_report",
]
