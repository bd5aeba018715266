"""How a report shows its values: the kinds every component shares come from
analytics_core.formatting (one definition), the report's own kinds (seconds,
bool, datetime) are shown here, and an empty value is the one glyph."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

from analytics_core import formatting
from report_service.reports.document import (
    SHARED_KINDS,
    Column,
    Kpi,
    ReportDocument,
    Table,
    format_change,
    format_value,
)
from report_service.reports.renderers import render_html_text

ZURICH_SUMMER = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (Decimal("1234.565"), "usd", "$1,234.57"),
        (-12, "usd", "-$12.00"),
        (1234, "int", "1,234"),
        (2.5, "int", "2.50"),  # an average of counts keeps its decimals
        (0.1234, "ratio", "12.3%"),
        (0.0005, "ratio", "0.1%"),  # half up, not the float's half even
        (1234.5, "number", "1,234.50"),
        (dt.date(2026, 6, 22), "date", "2026-06-22"),
        ("EMEA", "text", "EMEA"),
        (12.34, "seconds", "12.3 s"),
        (3600.05, "seconds", "3,600.1 s"),
        (True, "bool", "yes"),
        (False, "bool", "no"),
        (dt.datetime(2026, 6, 22, 14, 5), "datetime", "2026-06-22 14:05 UTC"),
        (dt.datetime(2026, 6, 22, 0, 0), "datetime", "2026-06-22 00:00 UTC"),
        # An aware timestamp is shown in UTC, as the report says all its times are.
        (dt.datetime(2026, 6, 22, 1, 30, tzinfo=ZURICH_SUMMER), "datetime", "2026-06-21 23:30 UTC"),
    ],
)
def test_each_kind(value: Any, kind: str, shown: str) -> None:
    assert format_value(value, kind) == shown


@pytest.mark.parametrize("kind", sorted(SHARED_KINDS))
@pytest.mark.parametrize("value", [Decimal("-1234.5"), 0.0625, 7, dt.date(2026, 1, 31), "x"])
def test_shared_kinds_are_analytics_core_formatting(value: Any, kind: str) -> None:
    shared, unit = SHARED_KINDS[kind]
    assert format_value(value, kind) == formatting.format_value(value, shared, unit=unit)


ALL_KINDS = ["usd", "int", "ratio", "number", "date", "text", "seconds", "bool", "datetime"]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_an_empty_value_is_one_glyph_whatever_the_kind(kind: str) -> None:
    assert format_value(None, kind) == formatting.EMPTY


@pytest.mark.parametrize("kind", ["usd", "int", "ratio", "number", "seconds"])
@pytest.mark.parametrize("value", [math.nan, math.inf, Decimal("NaN")])
def test_no_readable_number_is_empty(value: Any, kind: str) -> None:
    assert format_value(value, kind) == formatting.EMPTY


def test_a_change_shows_its_direction_and_no_change_is_empty() -> None:
    assert format_change(0.1234) == "▲ 12.3%"
    assert format_change(-0.04) == "▼ 4.0%"
    assert format_change(0.0001) == "● 0.0%"
    assert format_change(None) == formatting.EMPTY
    kpi = Kpi.of("revenue_usd", "Revenue", Decimal("110"), "usd", [("day before", Decimal("0"))])
    assert kpi.formatted == "$110.00"
    (comparison,) = kpi.comparisons
    assert (comparison.formatted, comparison.formatted_change) == ("$0.00", formatting.EMPTY)


def test_the_html_shows_empty_cells_and_changes_with_the_one_glyph() -> None:
    table = Table(
        name="regions",
        title="Regions",
        columns=(Column("region", "Region"), Column("revenue_usd", "Revenue", "usd")),
        rows=(("EMEA", Decimal("10.5")), ("APAC", None)),
    )
    kpi = Kpi.of("revenue_usd", "Revenue", Decimal("10.5"), "usd", [("day before", None)])
    document = ReportDocument(
        report_type="daily_sales",
        title="Daily sales",
        subtitle="22 June 2026",
        period_start=dt.date(2026, 6, 22),
        period_end=dt.date(2026, 6, 22),
        params={},
        generated_at=dt.datetime(2026, 6, 23, 6, 0),
        kpis=(kpi,),
        tables=(table,),
    )
    assert table.formatted_rows() == [["EMEA", "$10.50"], ["APAC", formatting.EMPTY]]
    html = render_html_text(document)
    assert f'<td class="num">{formatting.EMPTY}</td>' in html
    assert f"{formatting.EMPTY}</span> vs day before: {formatting.EMPTY}</li>" in html
    assert "\u2014" not in html and "n/a" not in html and "None" not in html


def test_a_count_takes_the_form_of_its_noun() -> None:
    from analytics_core.formatting import counted

    assert counted(1, "finding") == "1 finding"
    assert counted(0, "message") == "0 messages"
    assert counted(2, "attempt") == "2 attempts"
    assert counted(12345, "row") == "12,345 rows"
