"""Renderers: one :class:`ReportDocument` to HTML, PDF, CSV, XLSX or JSON.

Format conventions:

- **html**: one self-contained file (inline CSS, charts as inline SVG, no
  external URL, font or script); Jinja2 with autoescaping, so data can never
  inject markup. Readable on a phone (viewport, horizontally scrolling
  tables) and printable (page breaks, light background).
- **pdf**: WeasyPrint from the same HTML. WeasyPrint is imported only here;
  when it (or a system library it needs) is missing, PDF alone fails with
  ``ReportError("PDF rendering is unavailable: ...")``.
- **csv**: one file of sections. The first column of every row is ``table``:
  each section starts with a header row (``table``, column names...), its
  rows carry the table's name in that first column, and a blank row ends the
  section. The first section is ``kpis`` (one row per KPI and comparison),
  then every table of the report. Numbers stay numbers; strings that a
  spreadsheet could read as a formula (``=``, ``+``, ``-``, ``@`` first, also
  after leading spaces or control characters and in full-width forms such as
  U+FF1D; or a leading tab or carriage return) are prefixed with ``'``
  (:func:`analytics_core.spreadsheet.escape_formula`, which the UI's CSV
  download uses too).
- **xlsx**: a ``KPIs`` sheet, then one sheet per table (names made unique and
  at most 31 characters); same formula-injection rule for strings, and
  control characters a worksheet cannot hold become U+FFFD.
- **json**: the document itself. Dates and timestamps are ISO 8601 strings;
  decimals (money) are JSON numbers (exact to the cent: at most 15
  significant digits); ratios are JSON numbers (0.125 = 12.5%).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from analytics_core.spreadsheet import escape_formula
from report_service.models import ReportError
from report_service.reports import fonts
from report_service.reports.charts import to_svg
from report_service.reports.document import ReportDocument, Table

TEMPLATES_DIR = Path(__file__).parent / "templates"
#: WeasyPrint (Pango, fontconfig) is not documented as thread-safe: one PDF at a time.
_PDF_LOCK = threading.Lock()
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: What a worksheet cannot hold (openpyxl refuses it): C0 controls but tab, LF, CR.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: Any) -> Any:
    """A raw value as written to CSV and XLSX (dates stay dates, numbers numbers)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return escape_formula(value)


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def document_to_dict(document: ReportDocument) -> dict[str, Any]:
    """The document as JSON-ready data (see the module docstring)."""
    data = asdict(document)
    data["tables"] = [
        {
            "name": t.name,
            "title": t.title,
            "note": t.note,
            "columns": [{"name": c.name, "label": c.label, "kind": c.kind} for c in t.columns],
            "rows": [list(row) for row in t.rows],
        }
        for t in document.tables
    ]
    data["charts"] = [{"name": c.name, "title": c.title, "spec": c.spec} for c in document.charts]
    # Round-trip through the encoder so only JSON types remain.
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=json_default))
    return loaded


def render_json(document: ReportDocument, path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(document_to_dict(document), handle, default=json_default, indent=2)
        handle.write("\n")


def _sections(document: ReportDocument) -> Iterator[Table]:
    yield document.kpi_table()
    yield from document.tables


def _csv_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return _cell(value)


def render_csv(document: ReportDocument, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for table in _sections(document):
            writer.writerow(["table", *(_cell(name) for name in table.column_names)])
            for row in table.rows:
                writer.writerow([table.name, *(_csv_number(v) for v in row)])
            writer.writerow([])


def sheet_names(titles: list[str]) -> list[str]:
    """Excel-valid, unique sheet names (at most 31 characters) for ``titles``."""
    names: list[str] = []
    seen: set[str] = set()
    for title in titles:
        base = _SHEET_FORBIDDEN.sub("_", title).strip("'") or "Sheet"
        base = base[:31]
        name, counter = base, 2
        while name.lower() in seen:
            suffix = f" ({counter})"
            name = base[: 31 - len(suffix)] + suffix
            counter += 1
        seen.add(name.lower())
        names.append(name)
    return names


def _xlsx_cell(value: Any) -> Any:
    value = _cell(value)
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("\ufffd", value)
    return value


def render_xlsx(document: ReportDocument, path: Path) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    tables = list(_sections(document))
    titles = ["KPIs", *(t.title for t in tables[1:])]
    bold = Font(bold=True)
    for table, name in zip(tables, sheet_names(titles), strict=True):
        sheet = workbook.create_sheet(title=name)
        header = []
        for label in table.column_names:
            cell = WriteOnlyCell(sheet, value=_xlsx_cell(label))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append([_xlsx_cell(v) for v in row])
    workbook.save(str(path))


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment (autoescaping on for every template)."""
    return _environment()


def render_html_text(document: ReportDocument) -> str:
    """The report as one self-contained HTML page."""
    charts = []
    for chart in document.charts:
        # vl-convert's SVG of our own spec: its text nodes are XML-escaped.
        svg = Markup(to_svg(chart.spec))  # noqa: S704
        charts.append({"name": chart.name, "title": chart.title, "svg": svg})
    template = environment().get_template("report.html.j2")
    # Twice: the page's own characters choose the glyphs of the embedded font.
    draft = template.render(document=document, charts=charts, font_css="")
    font_css = Markup(fonts.font_face_css(draft))  # noqa: S704 - our base64 and names only
    return template.render(document=document, charts=charts, font_css=font_css)


def render_html(document: ReportDocument, path: Path) -> None:
    path.write_text(render_html_text(document), encoding="utf-8")


def render_pdf(document: ReportDocument, path: Path, html: str | None = None) -> None:
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        raise ReportError(f"PDF rendering is unavailable: {exc}") from exc
    text = html if html is not None else render_html_text(document)

    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    # The embedded fonts are data: URIs; nothing else is ever loaded (no
    # file, no network: a value in a report cannot make the renderer fetch).
    data_only = URLFetcher(allowed_protocols=("data",))

    try:
        with _PDF_LOCK:
            HTML(string=text, url_fetcher=data_only).write_pdf(str(path))
    except OSError as exc:
        raise ReportError(f"PDF rendering is unavailable: {exc}") from exc


RENDERERS: dict[str, Callable[[ReportDocument, Path], None]] = {
    "html": render_html,
    "pdf": render_pdf,
    "csv": render_csv,
    "xlsx": render_xlsx,
    "json": render_json,
}
