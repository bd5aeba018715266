"""An answer as people read it: every column labelled from the semantic layer,
every cell formatted by its kind (:mod:`analytics_core.formatting`), the big
number of a one-row answer formatted as the table is, and the answer as JSON
with numbers kept numbers.

Columns are semantic-layer names (``revenue``, ``customer__region``,
``metric_time__month``) and the comparison columns of docs/interfaces.md
(``m__base``, ``m__change``, ``m__change_pct``, ``m__share``,
``a__per__b``). What each becomes:

- a metric: its label; money when its ``meta.unit`` names a currency, a
  percentage when it is a ratio without a unit (return rate, gross margin %,
  target attainment are fractions), else a count;
- ``m__base`` "Revenue (base)" and ``m__change`` "Revenue change", the kind
  of ``m`` (a rate's change in percentage points); ``m__change_pct``
  "Revenue change %" and ``m__share`` "Revenue share", percentages;
- ``a__per__b`` "Revenue per active customer": money when ``a`` is money and
  ``b`` is not, a percentage when both are money, else a number;
- ``m__per_day`` (week, month, quarter, year) "Revenue per day": the average
  of ``m`` per unit of time, the kind of ``m``;
- a time column by its grain: ``metric_time__month`` is "Month", another time
  dimension "Order date (month)"; cells "Jan 2025", "week of 2026-06-22";
- a dimension: its label (a flag's cells ``yes``/``no``); anything else (a
  Cortex Analyst column) is matched without case, else named from its words
  and typed from its values.

The catalog is read from the semantic manifest alone (no MetricFlow), so every
engine's answer can be presented.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from analytics_core.formatting import (
    EMPTY,
    GRAINS,
    Kind,
    as_decimal,
    format_value,
    json_number,
)
from questions.answers import Answer
from questions.semantic import (
    DimensionInfo,
    MetricInfo,
    dimension_infos,
    metric_infos,
    saved_query_infos,
)


@dataclass(frozen=True)
class ColumnMeta:
    """How one column is shown: ``label``, ``kind`` (see
    :mod:`analytics_core.formatting`), ``unit`` (a currency for money, ``pp``
    for a change of a rate), ``grain`` for dates, ``signed`` for changes."""

    name: str
    label: str
    kind: Kind
    unit: str | None = None
    grain: str | None = None
    signed: bool = False
    #: The metric a derived column belongs to (``revenue`` for ``revenue__base``)
    #: and its role: ``metric``, ``base``, ``change``, ``change_pct``,
    #: ``share``, ``ratio``, ``average``; None for dimensions and unknown columns.
    metric: str | None = None
    role: str | None = None

    def format(self, value: Any) -> str:
        return format_value(value, self.kind, unit=self.unit, grain=self.grain, signed=self.signed)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "unit": self.unit,
            "grain": self.grain,
        }


@dataclass(frozen=True)
class Headline:
    """A big number: the label, the value formatted as in the table and, for
    a comparison, the change (``+12.3%``) and what it is against."""

    column: str
    label: str
    value: str
    delta: str | None = None
    against: str | None = None


@dataclass
class Presented:
    columns: list[ColumnMeta]
    #: Every cell formatted (never "None"; an empty cell is an en dash,
    #: :data:`~analytics_core.formatting.EMPTY`).
    rows: list[list[str]]
    headlines: list[Headline] = field(default_factory=list)
    #: Why some cells are empty, where it matters (a change over a base of 0).
    notes: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.columns]

    def records(self) -> list[dict[str, str]]:
        """Rows keyed by label (labels made unique with the column's name)."""
        keys = _unique([c.label for c in self.columns], [c.name for c in self.columns])
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


class Catalog:
    """Labels, kinds and units of the semantic layer's metrics and dimensions."""

    def __init__(self, metrics: Sequence[MetricInfo], dimensions: Sequence[DimensionInfo]):
        self.metrics = {m.name: m for m in metrics}
        self.dimensions = {d.name: d for d in dimensions}

    @classmethod
    def from_manifest(cls, raw: Mapping[str, Any]) -> Catalog:
        return cls(metric_infos(raw), dimension_infos(raw))

    @classmethod
    def for_engine(cls, engine: object) -> Catalog:
        """The catalog of ``engine``'s semantic layer (the local engine's own),
        else of the project's semantic manifest (Cortex Analyst answers with
        the same metrics)."""
        layer = getattr(engine, "layer", None)
        raw = getattr(layer, "raw_manifest", None)
        if raw is None:
            from questions.semantic import load_raw_semantic_manifest

            raw = load_raw_semantic_manifest()
        return cls.from_manifest(raw)

    def metric_kind(self, name: str) -> tuple[Kind, str | None]:
        metric = self.metrics[name]
        unit = metric.meta.get("unit")
        if unit:
            return "money", str(unit)
        if metric.type == "ratio":
            return "percent", None
        return "count", None

    def column(self, name: str, values: Sequence[Any] = ()) -> ColumnMeta:
        """How column ``name`` is shown (``values``: its cells, for unknown columns)."""
        known = self._known(name) or self._known(name.lower())  # the layer's names are lower case
        if known is None:
            return _guessed(name, values)
        if known.kind == "text" and _truths(values):
            return replace(known, name=name, kind="bool")  # a flag dimension
        return replace(known, name=name)

    def _known(self, name: str) -> ColumnMeta | None:
        if not name:
            return None
        if name in self.metrics:
            kind, unit = self.metric_kind(name)
            label = self.metrics[name].label
            return ColumnMeta(name, label, kind, unit, metric=name, role="metric")
        if name in self.dimensions:
            info = self.dimensions[name]
            if info.is_time:
                return ColumnMeta(name, info.label, "date", grain="day")
            return ColumnMeta(name, info.label, "text")
        stem, _, grain = name.rpartition("__")
        if grain in GRAINS and stem in self.dimensions and self.dimensions[stem].is_time:
            label = (
                grain.capitalize()
                if stem == "metric_time"
                else f"{self.dimensions[stem].label} ({grain})"
            )
            return ColumnMeta(name, label, "date", grain=grain)
        return self._derived(name)

    def _derived(self, name: str) -> ColumnMeta | None:
        """The comparison columns of docs/interfaces.md."""
        numerator, per, denominator = name.partition("__per__")
        if per and numerator in self.metrics and denominator in self.metrics:
            top, unit = self.metric_kind(numerator)
            bottom, _ = self.metric_kind(denominator)
            label = (
                f"{self.metrics[numerator].label} per {_singular(self.metrics[denominator].label)}"
            )
            kind: Kind = "number"
            if top == "money":
                kind, unit = ("percent", None) if bottom == "money" else ("money", unit)
            return ColumnMeta(
                name, label, kind, unit if kind == "money" else None, metric=name, role="ratio"
            )
        metric, average, per = name.rpartition("__per_")
        if average and metric in self.metrics and per in GRAINS:
            kind, unit = self.metric_kind(metric)
            label = f"{self.metrics[metric].label} per {per}"
            return ColumnMeta(name, label, kind, unit, metric=metric, role="average")
        for suffix, role in (
            ("__change_pct", "change_pct"),
            ("__change", "change"),
            ("__base", "base"),
            ("__share", "share"),
        ):
            metric = name[: -len(suffix)] if name.endswith(suffix) else ""
            if metric not in self.metrics:
                continue
            kind, unit = self.metric_kind(metric)
            label = self.metrics[metric].label
            if role == "base":
                return ColumnMeta(name, f"{label} (base)", kind, unit, metric=metric, role=role)
            if role == "change":
                unit = "pp" if kind == "percent" else unit
                return ColumnMeta(
                    name, f"{label} change", kind, unit, signed=True, metric=metric, role=role
                )
            if role == "change_pct":
                return ColumnMeta(
                    name, f"{label} change %", "percent", signed=True, metric=metric, role=role
                )
            return ColumnMeta(name, f"{label} share", "percent", metric=metric, role=role)
        return None


def _singular(label: str) -> str:
    """ "Active customers" -> "active customer" (the unit one counts per)."""
    words = label.lower().split()
    if words and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


def _truths(values: Sequence[Any]) -> bool:
    """Whether ``values`` are flags (True/False, some empty)."""
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, bool) for v in present)


def _guessed(name: str, values: Sequence[Any]) -> ColumnMeta:
    """A column the semantic layer does not name: its words, typed by its values."""
    label = name.replace("__", " ").replace("_", " ").strip().capitalize() or name
    if _truths(values):
        return ColumnMeta(name, label, "bool")
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, datetime.date) for v in present):
        return ColumnMeta(name, label, "date", grain="day")
    numbers = [
        v for v in present if isinstance(v, int | float | Decimal) and not isinstance(v, bool)
    ]
    if present and len(numbers) == len(present):
        readable = [as_decimal(v) for v in numbers]
        whole = all(d is None or d == d.to_integral_value() for d in readable)
        return ColumnMeta(name, label, "count" if whole else "number")
    return ColumnMeta(name, label, "text")


def _unique(labels: Sequence[str], names: Sequence[str]) -> list[str]:
    seen = {label: labels.count(label) for label in labels}
    return [
        label if seen[label] == 1 else f"{label} ({name})"
        for label, name in zip(labels, names, strict=True)
    ]


def _empty(value: Any) -> bool:
    return as_decimal(value) is None and not isinstance(value, str | datetime.date)


def present(answer: Answer, catalog: Catalog) -> Presented:
    """``answer`` labelled and formatted (see the module docstring)."""
    by_column = [
        [row[i] if i < len(row) else None for row in answer.rows]
        for i in range(len(answer.columns))
    ]
    columns = [
        catalog.column(name, values) for name, values in zip(answer.columns, by_column, strict=True)
    ]
    rows = [
        [c.format(row[i] if i < len(row) else None) for i, c in enumerate(columns)]
        for row in answer.rows
    ]
    shown = Presented(columns, rows)
    shown.notes = _empty_notes(columns, by_column)
    numeric = {"money", "count", "percent", "number"}
    if len(answer.rows) == 1 and all(c.kind in numeric for c in columns):
        shown.headlines = _headlines(columns, answer.rows[0])
    return shown


def _empty_notes(columns: Sequence[ColumnMeta], by_column: Sequence[Sequence[Any]]) -> list[str]:
    """Why a change % is empty: the base was 0, or there was no base."""
    notes = []
    index = {c.name: i for i, c in enumerate(columns)}
    for i, column in enumerate(columns):
        if column.role != "change_pct" or not any(_empty(v) for v in by_column[i]):
            continue
        base = index.get(f"{column.metric}__base")
        bases = (
            [by_column[base][r] for r, v in enumerate(by_column[i]) if _empty(v)]
            if base is not None
            else []
        )
        zero = any(as_decimal(b) == 0 for b in bases)
        missing = any(_empty(b) for b in bases)
        why = (
            " or ".join(
                reason
                for reason, found in (("the base is 0", zero), ("there is no base value", missing))
                if found
            )
            or "the base is 0 or missing"
        )
        notes.append(
            f"{column.label} is {EMPTY} where {why}: a change over nothing has no percentage."
        )
    return notes


def _headlines(columns: Sequence[ColumnMeta], row: Sequence[Any]) -> list[Headline]:
    """The big numbers of a one-row answer of numbers: each metric, ratio and
    unknown number, with its change % (else its change) as the delta."""
    cells = {c.name: (c, row[i] if i < len(row) else None) for i, c in enumerate(columns)}
    out = []
    for column in columns:
        if column.role not in ("metric", "ratio", "average", None):
            continue  # a base or change is the delta of its metric
        value = cells[column.name][1]
        delta = against = None
        for suffix in ("__change_pct", "__change"):
            found = cells.get(f"{column.name}{suffix}")
            if found is not None and not _empty(found[1]):
                delta = found[0].format(found[1])
                break
        base = cells.get(f"{column.name}__base")
        if base is not None:
            against = f"against {base[0].format(base[1])}"
        out.append(Headline(column.name, column.label, column.format(value), delta, against))
    return out


def answer_json(answer: Answer, catalog: Catalog) -> dict[str, Any]:
    """The ``analytics ask --json`` object: :meth:`Answer.to_json` with numbers
    kept numbers by kind (money rounded to cents, fractions to 6 places, NaN
    and infinities null) and ``columns_meta`` (label, kind, unit, grain per
    column)."""
    payload = answer.to_json()
    columns = [
        catalog.column(name, [r[i] for r in answer.rows if i < len(r)])
        for i, name in enumerate(answer.columns)
    ]
    numeric = {"money", "count", "percent", "number"}
    payload["rows"] = [
        [
            json_number(row[i], c.kind) if c.kind in numeric else value
            for i, (c, value) in enumerate(zip(columns, shown, strict=True))
        ]
        for row, shown in zip(answer.rows, payload["rows"], strict=True)
    ]
    payload["columns_meta"] = [c.to_json() for c in columns]
    return payload


def example_questions(
    raw: Mapping[str, Any], data_through: datetime.date | None = None, limit: int = 8
) -> list[str]:
    """Questions written from the saved queries of the semantic manifest
    ``raw``: up to two of each query's metrics (not the internal ones) by its
    group-bys, over a period that has data when ``data_through`` is known (the
    month of the last data for a daily query or none, its quarter for weekly,
    its year for monthly and coarser)."""
    catalog = Catalog.from_manifest(raw)
    questions: list[str] = []
    for query in saved_query_infos(raw):
        metrics = [
            m
            for m in query.metrics
            if m in catalog.metrics and not catalog.metrics[m].meta.get("internal")
        ][:2]
        if not metrics:
            continue
        named = " and ".join(catalog.metrics[m].label.lower() for m in metrics)
        grain = None
        by = []
        for item in query.group_by:
            column = catalog.column(item)
            if column.kind == "date":
                grain = column.grain
            by.append(column.label.lower())
        text = named[0].upper() + named[1:] + (f" by {' and '.join(by)}" if by else "")
        if data_through is not None:
            text += f" in {_period_with_data(grain, data_through)}"
        if text not in questions:
            questions.append(text)
    return questions[:limit]


def _period_with_data(grain: str | None, last: datetime.date) -> str:
    if grain == "week":
        return f"Q{(last.month - 1) // 3 + 1} {last.year}"
    if grain in ("month", "quarter", "year"):
        return str(last.year)
    return f"{last:%B %Y}"
