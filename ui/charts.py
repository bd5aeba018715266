"""Which chart fits a result, as a Vega-Lite spec (no Streamlit here).

- one row, one number: a big number (no chart);
- a time column (``metric_time__*`` or dates): a line per series;
- a category and numbers: bars, sorted by the first number;
- two categories and a number: grouped bars;
- anything else: the table alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Kind = Literal["number", "line", "bar", "table"]

#: Bars beyond this many categories are unreadable: show the top ones.
MAX_BARS = 30


@dataclass(frozen=True)
class Chart:
    kind: Kind
    #: For ``number``: the value and its column.
    value: Any = None
    x: str | None = None
    y: tuple[str, ...] = ()
    color: str | None = None
    spec: dict[str, Any] = field(default_factory=dict)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def is_time(column: str, values: Sequence[Any]) -> bool:
    if column.startswith("metric_time") or column.endswith(("_date", "_day", "_month", "_at")):
        return True
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, datetime.date) for v in present)


def label(column: str) -> str:
    """``customer__region`` -> ``Region``; ``metric_time__month`` -> ``Month``."""
    name = column.split("__")[-1] if "__" in column else column
    return name.replace("_", " ").capitalize()


def records(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows as JSON-ready records (dates ISO, decimals as floats)."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)
        return value

    return [{c: plain(v) for c, v in zip(columns, row, strict=False)} for row in rows]


def choose_chart(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    labels: Mapping[str, str] | None = None,
) -> Chart:
    """The chart that fits ``rows`` (see the module docstring); ``labels``
    title the axes, legends and tooltips (default: :func:`label` of each name)."""
    if not rows or not columns:
        return Chart("table")
    by_column = {c: [row[i] for row in rows] for i, c in enumerate(columns)}
    numeric = [
        c
        for c in columns
        if all(v is None or is_number(v) for v in by_column[c])
        and any(v is not None for v in by_column[c])
        and not c.startswith("metric_time")
    ]
    others = [c for c in columns if c not in numeric]
    if len(rows) == 1 and len(numeric) == 1 and not others:
        return Chart("number", value=rows[0][columns.index(numeric[0])], y=(numeric[0],))
    if not numeric:
        return Chart("table")
    times = [c for c in others if is_time(c, by_column[c])]
    categories = [c for c in others if c not in times]
    data = records(columns, rows)
    if times and len(categories) <= 1:
        x, color = times[0], (categories[0] if categories else None)
        spec = _line(data, x, numeric, color, _titles(labels))
        return Chart("line", x=x, y=tuple(numeric), color=color, spec=spec)
    if not times and 1 <= len(categories) <= 2:
        x = categories[0]
        color = categories[1] if len(categories) == 2 else None
        spec = _bar(data, x, numeric, color, _titles(labels))
        return Chart("bar", x=x, y=tuple(numeric), color=color, spec=spec)
    return Chart("table")


def _titles(labels: Mapping[str, str] | None) -> Callable[[str], str]:
    known = dict(labels or {})
    return lambda column: known.get(column) or label(column)


def _fold(metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Several metrics: one series each (a fold into ``metric``/``value``)."""
    if len(metrics) == 1:
        return []
    return [{"fold": list(metrics), "as": ["metric", "value"]}]


def _line(
    data: list[dict[str, Any]],
    x: str,
    metrics: Sequence[str],
    color: str | None,
    title: Callable[[str], str] = label,
) -> dict[str, Any]:
    y_field = metrics[0] if len(metrics) == 1 else "value"
    encoding: dict[str, Any] = {
        "x": {"field": x, "type": "temporal", "title": title(x)},
        "y": {"field": y_field, "type": "quantitative", "title": title(metrics[0])},
        "tooltip": [
            {"field": c, "title": title(c)} for c in [x, *metrics, *([color] if color else [])]
        ],
    }
    if color:
        encoding["color"] = {"field": color, "type": "nominal", "title": title(color)}
    elif len(metrics) > 1:
        encoding["color"] = {"field": "metric", "type": "nominal", "title": "Metric"}
        encoding["y"]["title"] = "Value"
    return {
        "data": {"values": data},
        "transform": _fold(metrics) if not color else [],
        "mark": {"type": "line", "point": len(data) <= 60},
        "encoding": encoding,
    }


def _bar(
    data: list[dict[str, Any]],
    x: str,
    metrics: Sequence[str],
    color: str | None,
    title: Callable[[str], str] = label,
) -> dict[str, Any]:
    first = metrics[0]
    ordered = sorted(data, key=lambda r: -(r.get(first) or 0))[: MAX_BARS * (3 if color else 1)]
    encoding: dict[str, Any] = {
        "y": {"field": x, "type": "nominal", "title": title(x), "sort": "-x"},
        "x": {"field": first, "type": "quantitative", "title": title(first)},
        "tooltip": [
            {"field": c, "title": title(c)} for c in [x, *metrics, *([color] if color else [])]
        ],
    }
    if color:
        encoding["color"] = {"field": color, "type": "nominal", "title": title(color)}
        encoding["yOffset"] = {"field": color}
    return {"data": {"values": ordered}, "mark": {"type": "bar"}, "encoding": encoding}


def trend_chart(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    whole_numbers: bool = True,
    height: int | None = None,
) -> dict[str, Any]:
    """A daily trend as a Vega-Lite spec: ``columns`` are (day, value). Counts
    are bars on an integer axis; a measure (``whole_numbers=False``, e.g. a
    duration) is points joined by a line, and days without a value are gaps."""
    day, value = columns[0], columns[1]
    y: dict[str, Any] = {"field": value, "type": "quantitative", "title": label(value)}
    if whole_numbers:
        y["axis"] = {"format": "d", "tickMinStep": 1}
    spec: dict[str, Any] = {
        "data": {"values": records(columns, rows)},
        "mark": {"type": "bar"} if whole_numbers else {"type": "line", "point": True},
        "encoding": {
            "x": {"field": day, "type": "temporal", "title": None, "timeUnit": "yearmonthdate"},
            "y": y,
            "tooltip": [
                {"field": day, "type": "temporal", "title": "Day"},
                {"field": value, "title": label(value)},
            ],
        },
    }
    if height is not None:
        spec["height"] = height
    return spec
