"""From an interpretation to SQL: MetricFlow compiles each query *shape*
once (metrics, group by, the dimensions filtered and how many values, order,
limit); filter values and dates enter the cached SQL as placeholders and are
bound as escaped string literals in sqlglot's tree of the statement.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from analytics_core.errors import AnalyticsError
from questions.answers import Interpretation
from questions.semantic import Dialect, SemanticLayer


class QuestionError(AnalyticsError):
    """The engine cannot run at all (no warehouse, no semantic layer)."""


@dataclass(frozen=True)
class Shape:
    """What MetricFlow's SQL depends on, values and dates aside."""

    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    filters: tuple[tuple[str, str, int], ...]
    has_start: bool
    has_end: bool
    order_by: tuple[tuple[str, bool], ...]
    limit: int | None
    dialect: str
    #: The grain of the period filter: ``month`` for targets (monthly data).
    period_grain: str = "day"


class ShapeCompiler:
    """MetricFlow's SQL for interpretations, cached per :class:`Shape`
    (thread-safe: MetricFlow itself compiles one shape at a time)."""

    def __init__(self, layer: SemanticLayer, dialect: Dialect) -> None:
        self.layer = layer
        self.dialect = dialect
        self._cache: dict[Shape, str] = {}
        self._lock = threading.Lock()
        self._compile_lock = threading.Lock()

    def compile(self, interpretation: Interpretation, period_grain: str = "day") -> str:
        """The SQL of ``interpretation``; ``period_grain`` ``month`` compares
        whole months (the period's first days of the month)."""
        shape = Shape(
            metrics=interpretation.metrics,
            group_by=interpretation.group_by,
            filters=tuple((f.dimension, f.operator, len(f.values)) for f in interpretation.filters),
            has_start=bool(interpretation.period and interpretation.period.start),
            has_end=bool(interpretation.period and interpretation.period.end),
            order_by=tuple((o.by, o.descending) for o in interpretation.order_by),
            limit=interpretation.limit,
            dialect=self.dialect,
            period_grain=period_grain,
        )
        with self._lock:
            template = self._cache.get(shape)
        if template is None:
            with self._compile_lock:  # MetricFlow's engine is not made for threads
                template = self._compile_shape(shape)
            with self._lock:
                self._cache[shape] = template
        values: dict[str, str] = {}
        for i, flt in enumerate(interpretation.filters):
            for j, value in enumerate(flt.values):
                values[f"__qv{i}_{j}__"] = value
        period = interpretation.period
        if period and period.start:
            start = period.start.replace(day=1) if shape.period_grain == "month" else period.start
            values["__qstart__"] = start.isoformat()
        if period and period.end:
            end = period.end.replace(day=1) if shape.period_grain == "month" else period.end
            values["__qend__"] = end.isoformat()
        if not values:
            return template
        return bind_literals(template, values, self.dialect)

    def _compile_shape(self, shape: Shape) -> str:
        where = []
        for i, (dimension, operator, count) in enumerate(shape.filters):
            kind = "Entity" if "__" not in dimension else "Dimension"
            placeholders = ", ".join(f"'__qv{i}_{j}__'" for j in range(count))
            where.append(f"{{{{ {kind}('{dimension}') }}}} {operator.upper()} ({placeholders})")
        time_dimension = f"{{{{ TimeDimension('metric_time', '{shape.period_grain}') }}}}"
        if shape.has_start:
            where.append(f"{time_dimension} >= '__qstart__'")
        if shape.has_end:
            where.append(f"{time_dimension} <= '__qend__'")
        order = [("-" if desc else "") + by for by, desc in shape.order_by]
        return self.layer.compile(
            metrics=shape.metrics,
            group_by=shape.group_by,
            where=where,
            order_by=order,
            limit=shape.limit,
            dialect=self.dialect,
        )


def bind_literals(template: str, values: Mapping[str, str], dialect: str) -> str:
    """``template`` (MetricFlow's SQL) with each string literal ``'__qv0_0__'``
    (a key of ``values``) replaced by a string literal holding its value.

    The replacement is made in sqlglot's tree of the statement and rendered in
    ``dialect``, so quotes, backslashes (escapes in Snowflake, not in DuckDB),
    ``:name``, ``{x}``, ``%s``, comment markers or NULs in a value stay inside
    their literal; the text the guard then checks is the text that runs."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(template, read=dialect)
    found: set[str] = set()

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and node.is_string and node.this in values:
            found.add(node.this)
            return exp.Literal.string(values[node.this])
        return node

    tree = tree.transform(replace, copy=False)
    missing = set(values) - found
    if missing:
        raise QuestionError(
            f"the compiled SQL lost its placeholders {sorted(missing)}; this is a bug"
        )
    return tree.sql(dialect=dialect)
