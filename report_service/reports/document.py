"""The rendered-format-independent content of a report.

A report's ``build`` returns one :class:`ReportDocument`; every renderer (HTML,
PDF, CSV, XLSX, JSON) reads the same document, so the numbers agree across
formats by construction.

Value kinds (:attr:`Column.kind`, :attr:`Kpi.kind`) say how a raw value is
shown. Those that every component shows alike are formatted by
:mod:`analytics_core.formatting`: ``usd`` is money in USD (``$1,234.56``),
``int`` a count (``1,234``), ``ratio`` a percentage (0.125 shows as
``12.5%``), ``number`` two decimals, ``date`` a day, ``bool`` ``yes`` or
``no``, ``text`` as it is. Only reports have ``seconds`` (``12.3 s``) and
``datetime`` (to the minute, in UTC: ``2026-06-22 14:05 UTC``). An empty
value is :data:`analytics_core.formatting.EMPTY` whatever the kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from analytics_core import formatting

Direction = Literal["up", "down", "flat", "none"]
Kind = Literal["usd", "int", "number", "ratio", "seconds", "date", "datetime", "text", "bool"]

CENT = Decimal("0.01")


def to_usd(value: Any) -> Decimal | None:
    """A money value as a ``Decimal`` with two places (drivers return ``Decimal``
    or ``float`` for the same column, depending on the warehouse)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def to_int(value: Any) -> int | None:
    return None if value is None else int(value)


def to_float(value: Any) -> float | None:
    return None if value is None else float(value)


def ratio(numerator: Any, denominator: Any) -> float | None:
    """``numerator / denominator`` as a float, ``None`` when undefined."""
    if numerator is None or denominator is None or Decimal(str(denominator)) == 0:
        return None
    return float(Decimal(str(numerator)) / Decimal(str(denominator)))


def safe_div_usd(numerator: Any, denominator: Any) -> Decimal | None:
    """A money quotient (e.g. average order value), ``None`` when undefined."""
    if numerator is None or denominator is None or Decimal(str(denominator)) == 0:
        return None
    return (Decimal(str(numerator)) / Decimal(str(denominator))).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def change_pct(value: Any, reference: Any) -> float | None:
    """Relative change of ``value`` against ``reference`` (0.1 = +10%)."""
    if value is None or reference is None or Decimal(str(reference)) == 0:
        return None
    return float((Decimal(str(value)) - Decimal(str(reference))) / abs(Decimal(str(reference))))


def direction_of(change: float | None) -> Direction:
    if change is None:
        return "none"
    if abs(change) < 0.0005:
        return "flat"
    return "up" if change > 0 else "down"


#: The report kinds :mod:`analytics_core.formatting` defines: its kind and unit.
SHARED_KINDS: dict[str, tuple[formatting.Kind, str | None]] = {
    "usd": ("money", "USD"),
    "int": ("count", None),
    "ratio": ("percent", None),
    "number": ("number", None),
    "date": ("date", None),
    "bool": ("bool", None),
    "text": ("text", None),
}


def format_value(value: Any, kind: str) -> str:
    """How ``value`` of ``kind`` is shown to people (HTML, PDF)."""
    if kind in SHARED_KINDS:
        shared, unit = SHARED_KINDS[kind]
        return formatting.format_value(value, shared, unit=unit)
    if value is None:
        return formatting.EMPTY
    if kind == "seconds":
        number = formatting.as_decimal(value)
        if number is None:
            return formatting.EMPTY
        return f"{number.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,.1f} s"
    if kind == "datetime" and isinstance(value, dt.datetime):
        # A naive timestamp from the warehouse is UTC already.
        return formatting.format_utc_minute(value)
    return formatting.format_value(value, "text")


def format_change(change: float | None) -> str:
    """A change as shown next to a KPI: ``▲ 12.3%``, ``▼ 4.0%``, ``● 0.0%``."""
    if change is None:
        return formatting.EMPTY
    arrow = {"up": "▲", "down": "▼", "flat": "●", "none": ""}[direction_of(change)]
    return f"{arrow} {formatting.format_percent(abs(change))}"


@dataclass(frozen=True)
class Comparison:
    """A KPI against one reference (the day before, target, ...)."""

    label: str
    value: Any
    change_pct: float | None
    direction: Direction
    formatted: str
    formatted_change: str

    @classmethod
    def of(cls, label: str, value: Any, reference: Any, kind: str) -> Comparison:
        change = change_pct(value, reference)
        return cls(
            label=label,
            value=reference,
            change_pct=change,
            direction=direction_of(change),
            formatted=format_value(reference, kind),
            formatted_change=format_change(change),
        )


@dataclass(frozen=True)
class Kpi:
    """One headline number with its comparisons."""

    name: str
    label: str
    value: Any
    kind: str
    formatted: str
    comparisons: tuple[Comparison, ...] = ()
    #: ``True`` when a rise is good news (revenue), ``False`` when it is bad
    #: (return rate, failures); only colours the arrow.
    higher_is_better: bool = True

    @classmethod
    def of(
        cls,
        name: str,
        label: str,
        value: Any,
        kind: str,
        comparisons: Sequence[tuple[str, Any]] = (),
        *,
        higher_is_better: bool = True,
    ) -> Kpi:
        return cls(
            name=name,
            label=label,
            value=value,
            kind=kind,
            formatted=format_value(value, kind),
            comparisons=tuple(Comparison.of(lbl, value, ref, kind) for lbl, ref in comparisons),
            higher_is_better=higher_is_better,
        )


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    """Raw values (``rows``) with column names, labels and kinds."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def formatted_rows(self) -> list[list[str]]:
        return [
            [format_value(v, c.kind) for v, c in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite specification with its data inlined."""

    name: str
    title: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class ReportDocument:
    """Everything a report shows, independent of the output format."""

    report_type: str
    title: str
    subtitle: str
    period_start: dt.date
    period_end: dt.date
    params: dict[str, Any]
    generated_at: dt.datetime
    kpis: tuple[Kpi, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def file_stem(self) -> str:
        """A file name stem: ``daily_sales_2026-06-30``."""
        if self.period_start == self.period_end:
            return f"{self.report_type}_{self.period_start.isoformat()}"
        return f"{self.report_type}_{self.period_start.isoformat()}_{self.period_end.isoformat()}"

    def kpi_table(self) -> Table:
        """The KPIs as a table (one row per KPI and comparison), for CSV and XLSX."""
        rows: list[tuple[Any, ...]] = []
        for kpi in self.kpis:
            if not kpi.comparisons:
                rows.append((kpi.name, kpi.label, kpi.value, None, None, None))
            for comparison in kpi.comparisons:
                rows.append(
                    (
                        kpi.name,
                        kpi.label,
                        kpi.value,
                        comparison.label,
                        comparison.value,
                        comparison.change_pct,
                    )
                )
        return Table(
            name="kpis",
            title="Key figures",
            columns=(
                Column("kpi", "KPI"),
                Column("label", "Label"),
                Column("value", "Value", "number"),
                Column("comparison", "Compared with"),
                Column("comparison_value", "Comparison value", "number"),
                Column("change_pct", "Change", "ratio"),
            ),
            rows=tuple(rows),
        )

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)
