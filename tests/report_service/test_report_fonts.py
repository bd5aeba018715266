"""The reports' shipped typeface and print layout (report_service/reports/fonts.py).

A chart is measured by vl-convert and drawn by a browser or WeasyPrint: both
must use the same font, whatever the machine has installed, or an axis title
overlaps its tick labels. The pages embed the shipped font (subset, as data:
URIs); the PDFs embed nothing else. A short table stays on one page.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import zlib
from pathlib import Path

from fontTools.ttLib import TTFont
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from report_service.reports import charts, fonts
from report_service.reports.document import Chart, Column, ReportDocument, Table
from report_service.reports.renderers import render_html_text, render_pdf


def document(*tables: Table, chart: bool = True) -> ReportDocument:
    spec = charts.line_chart(
        "Weekly revenue against target",
        [
            {"week_start": f"2026-0{m}-06", "revenue": 123456.0 * m, "target": 700000.0}
            for m in range(1, 8)
        ],
        x="week_start",
        x_title="Week of",
        series=(("revenue", "Revenue"), ("target", "Target")),
        y_title="USD",
    )
    return ReportDocument(
        report_type="weekly_executive",
        title="Weekly executive summary",
        subtitle="Zürich, Saõ Paulo & Kraków",
        period_start=dt.date(2026, 1, 5),
        period_end=dt.date(2026, 1, 11),
        params={},
        generated_at=dt.datetime(2026, 1, 12, 8, 0),
        kpis=(),
        tables=tables,
        charts=(Chart("trend", "Trend", spec),) if chart else (),
    )


def rows_table(name: str, count: int) -> Table:
    return Table(
        name,
        name.title(),
        (Column("label", "Label"), Column("value", "Value", "int")),
        tuple((f"{name} row {i}", i) for i in range(count)),
    )


def embedded_faces(html: str) -> list[TTFont]:
    fonts_found = re.findall(r'url\("data:font/ttf;base64,([A-Za-z0-9+/=]+)"\)', html)
    return [TTFont(io.BytesIO(base64.b64decode(data))) for data in fonts_found]


def pdf_font_names(path: Path) -> set[str]:
    """The names of the fonts a PDF embeds (its object streams are compressed)."""
    data = path.read_bytes()
    names: set[str] = set()
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            raw = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        names |= {n.decode() for n in re.findall(rb"/FontName\s*/([A-Za-z0-9+\-]+)", raw)}
    return names


def test_the_page_embeds_the_shipped_faces_subset_to_its_characters() -> None:
    html = render_html_text(document(rows_table("regions", 3)))
    faces = embedded_faces(html)
    assert len(faces) == len(fonts.FACES) == 2
    for face in faces:
        assert face["name"].getDebugName(1) == fonts.FAMILY
        cmap = face.getBestCmap()
        for character in "Zürich Kraków 0123456789 $%":
            assert ord(character) in cmap, character
        assert len(cmap) < 200, "subset to the page's characters"
    assert 'font-family="Lato"' in html, "the chart's text asks for the shipped face"
    assert "http://" not in html.split("<body>", 1)[1] and "https://" not in html


def test_charts_ask_for_the_shipped_face_and_vl_convert_knows_it() -> None:
    svg = charts.to_svg(document().charts[0].spec)
    assert 'font-family="Lato"' in svg
    assert 'font-family="Helvetica' not in svg


def test_the_pdf_embeds_only_the_shipped_faces(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    render_pdf(document(rows_table("regions", 3)), path)
    names = pdf_font_names(path)
    assert names, "no embedded font found in the PDF"
    assert {name.split("+", 1)[-1] for name in names} <= {"Lato", "Lato-Bold"}, names


def _pages_showing(html: str, marker: str) -> set[int]:
    rendered = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).render()
    found: set[int] = set()

    def walk(box: object, number: int) -> None:
        text = getattr(box, "text", None)
        if text and marker in text:
            found.add(number)
        for child in getattr(box, "children", None) or []:
            walk(child, number)

    for number, page in enumerate(rendered.pages):
        walk(page._page_box, number)
    return found


def test_a_short_table_is_not_split_across_pages() -> None:
    """A 20-row table after long ones would straddle a page break in several of
    these layouts (it does without the rule); it moves whole to the next page."""
    for long_rows in (36, 42, 48):
        html = render_html_text(
            document(rows_table("long", long_rows), rows_table("short", 20), chart=False)
        )
        assert len(_pages_showing(html, "short row")) == 1, long_rows
        unkept = html.replace(' class="keep-together"', "")
        assert len(_pages_showing(unkept, "short row")) == 2, "the layout must test a break"


def test_a_long_table_still_breaks_between_rows() -> None:
    html = render_html_text(document(rows_table("long", 120), chart=False))
    assert 'id="table-long" class="keep-together"' not in html
    assert len(_pages_showing(html, "long row")) >= 3
