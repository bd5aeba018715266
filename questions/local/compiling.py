"""From an interpretation to SQL: MetricFlow compiles each query *shape*
once (metrics, group by, the dimensions filtered and how many values, order,
limit); filter values and dates enter the cached SQL as placeholder literals
(``'__qv0_0__'``) and are bound as string literals rendered by sqlglot.

The cached template is MetricFlow's own text: the guard parses and renders
each statement shape anyway (and what runs is its rendering), so the template
is not parsed here too.
"""

from __future__ import annotations

import re
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

    @property
    def compiled(self) -> int:
        """How many shapes are cached (each one MetricFlow compile)."""
        with self._lock:
            return len(self._cache)

    def compile(self, interpretation: Interpretation, period_grain: str = "day") -> str:
        """The SQL of ``interpretation``; ``period_grain`` ``month`` compares
        whole months (the period's first days of the month)."""
        template, values = self.template(interpretation, period_grain)
        return bind_literals(template, values, self.dialect)

    def template(
        self, interpretation: Interpretation, period_grain: str = "day"
    ) -> tuple[str, dict[str, str]]:
        """MetricFlow's SQL for the shape of ``interpretation`` (cached), with
        placeholder literals, and the values that go into them."""
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
        return template, values

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


#: A placeholder literal, as the where filters give it to MetricFlow and as
#: MetricFlow and sqlglot render it.
PLACEHOLDER = re.compile(r"'(__[a-z]*q(?:v\d+_\d+|start|end)__)'")


def rename_placeholders(
    template: str, values: Mapping[str, str], prefix: str
) -> tuple[str, dict[str, str]]:
    """``template`` and ``values`` with every placeholder renamed ``__<prefix>q...``
    (two sides of a comparison in one statement)."""
    renamed = PLACEHOLDER.sub(lambda m: f"'__{prefix}{m.group(1)[2:]}'", template)
    return renamed, {f"__{prefix}{k[2:]}": v for k, v in values.items()}


def bind_literals(template: str, values: Mapping[str, str], dialect: str) -> str:
    """``template`` (MetricFlow's SQL, or the guard's rendering of it) with
    each placeholder literal ``'__qv0_0__'`` (a key of ``values``) replaced by
    a string literal holding its value, rendered by sqlglot for ``dialect``.

    The replacement is one pass over the template (a value that looks like a
    placeholder is never replaced again), and each literal is sqlglot's own
    rendering of the value, so quotes, backslashes (escapes in Snowflake, not in
    DuckDB), ``:name``, ``{x}``, ``%s``, comment markers or NULs in a value stay
    inside their literal; the text the guard then checks is the text that runs."""
    from sqlglot import exp

    found: set[str] = set()

    def literal(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        found.add(name)
        return exp.Literal.string(values[name]).sql(dialect=dialect)

    bound = PLACEHOLDER.sub(literal, template)
    missing = set(values) - found
    if missing:
        raise QuestionError(
            f"the compiled SQL lost its placeholders {sorted(missing)}; this is a bug"
        )
    return bound
