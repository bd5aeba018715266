"""Vega-Lite chart specifications (data inlined) and their SVG rendering.

Specs carry plain JSON values only (dates as ISO strings, money as numbers),
so the JSON format can ship them as they are. :func:`to_svg` uses vl-convert,
imported on first use: its first call costs most of a second.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from report_service.models import ReportError
from report_service.reports import fonts

#: Charts are measured and drawn in the reports' shipped typeface (fonts.py).
_FONT = fonts.FAMILY
_WIDTH = 560
_HEIGHT = 220
_BLUE = "#1f5fa8"
_GREY = "#9aa5b1"

_vl_lock = threading.Lock()
_vl_module: Any = None


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def inline_values(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows as Vega-Lite inline data values (JSON-ready)."""
    return [{key: _json_value(value) for key, value in row.items()} for row in rows]


def _base(title: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": _WIDTH,
        "height": _HEIGHT,
        "background": "white",
        "data": {"values": values},
        "config": {
            "font": _FONT,
            "view": {"stroke": None},
            "axis": {"labelFontSize": 11, "titleFontSize": 11},
        },
    }


def line_chart(
    title: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    x: str,
    x_title: str,
    series: Sequence[tuple[str, str]],
    y_title: str,
    y_format: str = "$,.0f",
) -> dict[str, Any]:
    """A temporal line chart of one or more series (``(field, legend label)``)."""
    values: list[dict[str, Any]] = []
    for row in rows:
        for field, label in series:
            values.append(
                {"x": _json_value(row[x]), "series": label, "value": _json_value(row[field])}
            )
    spec = _base(title, values)
    spec.update(
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {
                    "field": "x",
                    "type": "temporal",
                    "title": x_title,
                    "axis": {"format": "%b %d"},
                },
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": y_title,
                    "axis": {"format": y_format},
                },
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {"range": [_BLUE, _GREY]},
                    "legend": {"orient": "top"},
                },
                "strokeDash": {"field": "series", "type": "nominal", "legend": None},
            },
        }
    )
    return spec


def grouped_bar_chart(
    title: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    category: str,
    category_title: str,
    series: Sequence[tuple[str, str]],
    y_title: str,
    y_format: str = "$,.0f",
) -> dict[str, Any]:
    """Bars per category, one bar per series side by side."""
    values: list[dict[str, Any]] = []
    for row in rows:
        for field, label in series:
            values.append(
                {
                    "category": _json_value(row[category]),
                    "series": label,
                    "value": _json_value(row[field]),
                }
            )
    spec = _base(title, values)
    spec.update(
        {
            "mark": {"type": "bar"},
            "encoding": {
                "x": {
                    "field": "category",
                    "type": "nominal",
                    "title": category_title,
                    "axis": {"labelAngle": 0},
                },
                "xOffset": {"field": "series", "type": "nominal"},
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": y_title,
                    "axis": {"format": y_format},
                },
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {"range": [_BLUE, _GREY]},
                    "legend": {"orient": "top"},
                },
            },
        }
    )
    return spec


def bar_chart(
    title: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    x: str,
    x_title: str,
    y: str,
    y_title: str,
    temporal: bool = True,
    y_format: str = ",.0f",
) -> dict[str, Any]:
    """One bar per ``x`` (a day by default)."""
    values = inline_values([{"x": row[x], "y": row[y]} for row in rows])
    spec = _base(title, values)
    x_encoding: dict[str, Any] = {
        "field": "x",
        "type": "ordinal" if temporal else "nominal",
        "title": x_title,
    }
    if temporal:
        x_encoding["timeUnit"] = "yearmonthdate"
        x_encoding["axis"] = {"format": "%d", "labelAngle": 0}
    spec.update(
        {
            "mark": {"type": "bar", "color": _BLUE},
            "encoding": {
                "x": x_encoding,
                "y": {
                    "field": "y",
                    "type": "quantitative",
                    "title": y_title,
                    "axis": {"format": y_format, "tickMinStep": 1},
                },
            },
        }
    )
    return spec


_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>\s*")


def _vl_convert() -> Any:
    global _vl_module
    with _vl_lock:
        if _vl_module is None:
            try:
                import vl_convert
            except ImportError as exc:  # pragma: no cover - a declared dependency
                raise ReportError(f"chart rendering is unavailable: {exc}") from exc
            # Measure labels with the typeface the pages embed (fonts.py).
            vl_convert.register_font_directory(str(fonts.font_directory()))
            _vl_module = vl_convert
        return _vl_module


def to_svg(spec: Mapping[str, Any]) -> str:
    """The chart as an inline ``<svg>`` element for HTML (no XML prolog, no
    namespace URLs: the HTML parser puts inline SVG in the SVG namespace)."""
    vl_convert = _vl_convert()
    try:
        svg = str(vl_convert.vegalite_to_svg(dict(spec)))
    except Exception as exc:  # vl-convert raises plain exceptions
        raise ReportError(f"cannot render chart {spec.get('title')!r}: {exc}") from exc
    svg = _XML_DECL.sub("", svg)
    return _XMLNS.sub("", svg)
