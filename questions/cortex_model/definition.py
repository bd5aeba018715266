"""The dbt semantic manifest indexed for building the Cortex model: its
semantic models as logical tables, the entities' home tables, the measures
and metrics; and the SQL and text helpers every part of the build uses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analytics_core.errors import AnalyticsError

if TYPE_CHECKING:
    from questions.semantic import SemanticLayer

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
CALL = re.compile(
    r"^(TimeDimension|Dimension|Entity)\(\s*'([^']+)'\s*(?:,\s*'([^']*)'\s*)?\)$",
)
GRAINS = ("day", "week", "month", "quarter", "year")
COUNT_AGGS = ("count", "count_distinct")


class CortexModelError(AnalyticsError):
    """The dbt semantic definition has something the Cortex model cannot express."""


# --- SQL helpers ------------------------------------------------------------------


def qualify(sql: str, table: str) -> str:
    """``sql`` (a dbt expression or filter) with every column named with ``table``,
    as Snowflake SQL."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="snowflake")
    except sqlglot.errors.ParseError as error:
        raise CortexModelError(f"cannot parse the expression {sql!r}: {error}") from error
    for column in tree.find_all(exp.Column):
        if not column.table:
            column.set("table", exp.to_identifier(table))
    rendered: str = tree.sql(dialect="snowflake")
    return rendered


def expr_columns(sql: str) -> list[str]:
    """The column names an expression reads, in order of appearance."""
    import sqlglot
    from sqlglot import exp

    names: list[str] = []
    for column in sqlglot.parse_one(sql, read="snowflake").find_all(exp.Column):
        if column.name not in names:
            names.append(column.name)
    return names


def ratio_sql(numerator: str, denominator: str) -> str:
    """A ratio that is null (as in MetricFlow), not an error, when the
    denominator is zero."""
    return f"{numerator} / NULLIF({denominator}, 0)"


# --- text ---------------------------------------------------------------------------


def meta_of(element: Mapping[str, Any]) -> dict[str, Any]:
    config = element.get("config") or {}
    meta = dict(config.get("meta") or {})
    meta.update(element.get("meta") or {})
    return meta


def flat_text(value: Any) -> str:
    return " ".join(str(value or "").split())


def lower_first(label: str) -> str:
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def synonym_list(*groups: Iterable[Any], exclude: Iterable[str] = ()) -> list[str]:
    """Distinct synonyms (case-insensitive), without the element's own name."""
    seen = {name.lower().replace("_", " ") for name in exclude}
    found: list[str] = []
    for group in groups:
        for value in group:
            text = flat_text(value)
            key = text.lower().replace("_", " ")
            if text and key not in seen:
                seen.add(key)
                found.append(text)
    return found


# --- the dbt definition, indexed ------------------------------------------------------


@dataclass
class Table:
    """One semantic model as a logical table, while it is being built."""

    name: str
    raw: Mapping[str, Any]
    primary_entity: str | None
    #: The primary entity's column (None: no primary key column).
    primary_key: str | None
    #: entity name -> its column, for the foreign entities with a bare column.
    foreign_keys: dict[str, str]
    agg_time_dimension: str | None
    dimensions: list[dict[str, Any]] = field(default_factory=list)
    time_dimensions: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)

    def logical_names(self) -> set[str]:
        return {
            item["name"]
            for group in (self.dimensions, self.time_dimensions, self.facts, self.metrics)
            for item in group
        }

    def column_names(self) -> set[str]:
        return {
            item["name"]
            for group in (self.dimensions, self.time_dimensions, self.facts)
            for item in group
        }


@dataclass(frozen=True)
class Metric:
    """A dbt metric in Cortex terms."""

    name: str
    #: The logical table of a table metric; None for a derived (model) metric.
    table: str | None
    #: The metric's expression in the model.
    expr: str
    #: The row filter every input of the metric shares (qualified), if any ...
    condition: str | None = None
    #: ... and the expression without it (for a WHERE clause).
    bare_expr: str = ""
    #: Derived metrics: (numerator, denominator) metric names.
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Relationship:
    name: str
    left: str
    right: str
    left_column: str
    right_column: str


class Definition:
    """The raw semantic manifest, indexed for building the model."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.tables: dict[str, Table] = {}
        #: entity -> (table, column) where it is primary (column None: no column).
        self.entity_home: dict[str, tuple[str, str | None]] = {}
        #: measure -> (table, raw measure)
        self.measures: dict[str, tuple[str, Mapping[str, Any]]] = {}
        self.raw_metrics: dict[str, Mapping[str, Any]] = {
            metric["name"]: metric for metric in raw.get("metrics", [])
        }
        for model in raw.get("semantic_models", []):
            entities = model.get("entities") or []
            primary = next((e for e in entities if e.get("type") in ("primary", "unique")), None)
            primary_name = model.get("primary_entity") or (primary["name"] if primary else None)
            primary_column = None
            if primary is not None:
                column = primary.get("expr") or primary["name"]
                primary_column = column if IDENTIFIER.match(column) else None
            foreign = {}
            for entity in entities:
                column = entity.get("expr") or entity["name"]
                if entity.get("type") == "foreign" and IDENTIFIER.match(column):
                    foreign[entity["name"]] = column
            table = Table(
                name=model["name"],
                raw=model,
                primary_entity=primary_name,
                primary_key=primary_column,
                foreign_keys=foreign,
                agg_time_dimension=(model.get("defaults") or {}).get("agg_time_dimension"),
            )
            self.tables[table.name] = table
            if primary_name:
                self.entity_home[primary_name] = (table.name, primary_column)
            for measure in model.get("measures") or []:
                self.measures[measure["name"]] = (table.name, measure)

    # -- resolving dbt names ------------------------------------------------------

    def dimension(self, dunder: str, what: str) -> tuple[str, Mapping[str, Any]]:
        """``customer__region`` -> (its table, its raw dimension)."""
        *path, name = dunder.split("__")
        if not path:
            raise CortexModelError(f"{what}: dimension {dunder!r} has no entity")
        entity = path[-1]
        if entity not in self.entity_home:
            raise CortexModelError(f"{what}: no semantic model has the primary entity {entity!r}")
        table = self.entity_home[entity][0]
        for dimension in self.tables[table].raw.get("dimensions") or []:
            if dimension["name"] == name:
                return table, dimension
        raise CortexModelError(f"{what}: {table} has no dimension {name!r}")


def manifest_of(source: SemanticLayer | Mapping[str, Any]) -> Mapping[str, Any]:
    raw = getattr(source, "raw_manifest", source)
    if not isinstance(raw, Mapping) or "semantic_models" not in raw:
        raise CortexModelError("expected a SemanticLayer or dbt's semantic manifest (a mapping)")
    return raw
