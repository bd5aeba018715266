"""Formula injection as a class: every way a text can start a spreadsheet
formula (leading whitespace, control and format characters, full-width and
small forms of ``= + - @``) is escaped in the report CSV and XLSX and in the
UI's CSV download, by the one shared function."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from analytics_core.spreadsheet import escape_formula, is_formula_like
from questions.answers import Answer
from report_service.reports.catalog import write_formats
from report_service.reports.document import Column, Kpi, ReportDocument, Table
from ui.answer_view import csv_bytes

TRIGGERS = [
    "=",
    "+",
    "-",
    "@",
    "\uff1d",  # full-width equals
    "\uff0b",  # full-width plus
    "\uff0d",  # full-width hyphen-minus
    "\uff20",  # full-width commercial at
    "\ufe66",  # small equals
    "\ufe62",  # small plus
    "\ufe63",  # small hyphen-minus
    "\u2212",  # minus sign
]
LEADS = [
    "",
    " ",
    "   ",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "\x0b",
    "\x0c",
    "\u00a0",  # no-break space
    "\u3000",  # ideographic space
    "\u2003",  # em space
    "\u2028",  # line separator
    "\u200b",  # zero-width space
    "\ufeff",  # byte order mark
    "\u2060",  # word joiner
    " \t\u200b ",
]
FORMULAS = [
    lead + trigger + 'HYPERLINK("http://evil.example","x")'
    for lead, trigger in itertools.product(LEADS, TRIGGERS)
]
#: Texts that are data wherever a sign or an at appears.
PLAIN = ["plain", "a=b", "Widget =x", "1-2", "user@example", "", " ", "Gizmo :pro", "x\t=1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_every_formula_start_is_escaped(text: str) -> None:
    assert is_formula_like(text)
    assert escape_formula(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_data_is_left_alone(text: str) -> None:
    assert escape_formula(text) == text


def test_tab_and_carriage_return_first_are_escaped() -> None:
    assert escape_formula("\tTAB") == "'\tTAB"
    assert escape_formula("\rCR") == "'\rCR"


def test_non_strings_are_left_alone() -> None:
    for value in (-1, Decimal("-1.5"), -2.5, None, dt.date(2026, 5, 1), True):
        assert escape_formula(value) == value


def document(texts: list[str]) -> ReportDocument:
    table = Table(
        name="products",
        title="Products",
        columns=(Column("text", "Text"), Column("amount", "Amount", "usd")),
        rows=tuple((text, Decimal("-1.50")) for text in texts),
    )
    return ReportDocument(
        report_type="daily_sales",
        title="Products",
        subtitle="",
        period_start=dt.date(2026, 6, 30),
        period_end=dt.date(2026, 6, 30),
        params={},
        generated_at=dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC),
        kpis=(Kpi.of("revenue_usd", " =Revenue", Decimal("-5.00"), "usd", ()),),
        tables=(table,),
    )


def test_report_csv_and_xlsx_escape_the_class(tmp_path: Path) -> None:
    texts = [*FORMULAS, *PLAIN, "\x01control"]
    paths = write_formats(document(texts), ["csv", "xlsx"], tmp_path)

    with paths["csv"].open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row and row[0] == "products"]
    assert [row[1] for row in rows] == [escape_formula(t) for t in texts]
    assert [row[1] for row in rows][: len(FORMULAS)] == ["'" + t for t in FORMULAS]
    assert {row[2] for row in rows} == {"-1.50"}  # numbers stay numbers

    workbook = openpyxl.load_workbook(paths["xlsx"])
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value}"
        values = [r[0] for r in workbook["Products"].iter_rows(min_row=2, values_only=True)]
        assert workbook["KPIs"]["B2"].value == "' =Revenue"
    finally:
        workbook.close()
    # openpyxl reads a carriage return back as a newline; a control character a
    # worksheet cannot hold is replaced, not a failed report.
    expected = [str(escape_formula(t)).replace("\r\n", "\n").replace("\r", "\n") for t in texts]
    expected = [v.replace("\x0b", "\ufffd").replace("\x0c", "\ufffd") for v in expected]
    expected[-1] = "\ufffdcontrol"
    assert [v or "" for v in values] == [v.replace("\r", "\n") for v in expected]


def test_the_ui_csv_download_escapes_the_class() -> None:
    texts = [*FORMULAS, *PLAIN]
    answer = Answer(
        question="revenue by product",
        status="answered",
        engine="local",
        explanation="Revenue by product",
        columns=["product__product_name", "=revenue"],
        rows=[[text, -3] for text in texts],
    )
    rows = list(csv.reader(io.StringIO(csv_bytes(answer).decode("utf-8"), newline="")))
    assert rows[0] == ["product__product_name", "'=revenue"]
    assert [r[0] for r in rows[1:]] == [escape_formula(t) for t in texts]
    assert [r[0] for r in rows[1:]][: len(FORMULAS)] == ["'" + t for t in FORMULAS]
    assert {r[1] for r in rows[1:]} == {"-3"}
