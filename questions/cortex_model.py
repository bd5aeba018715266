"""The Snowflake Cortex Analyst semantic model, and the equivalent ``CREATE
SEMANTIC VIEW`` statement, generated from the dbt semantic layer
(``dbt_project/models/semantic/``): one definition of every metric and
dimension, nothing written twice.

- :func:`build_semantic_model` turns dbt's semantic manifest into the semantic
  model (a dict in the YAML shape of Snowflake's semantic view / Cortex Analyst
  specification, see ``tests/questions/cortex_spec.py``);
- :func:`to_yaml` writes it as YAML (stage it for Cortex Analyst, or create a
  semantic view from it with ``SYSTEM$CREATE_SEMANTIC_VIEW_FROM_YAML``, which
  keeps the verified queries and sample values);
- :func:`create_semantic_view_sql` writes the same model as a ``CREATE OR
  REPLACE SEMANTIC VIEW`` statement (the DDL has no place for sample values or
  verified queries; everything else is there);
- :func:`render` does either for a CLI.

How the dbt definition maps:

- a logical table per semantic model, named like it, on the model's relation
  (``node_relation``: database given by the caller, schema with the caller's
  prefix, table = the dbt alias); its primary entity's column is its primary
  key;
- categorical and time dimensions as they are in dbt (``expr``, label,
  description, ``meta.synonyms``, ``meta.sample_values``); a foreign entity
  that dbt documents (label or description, e.g. ``sales_region``) is a
  dimension too; the key columns relationships and metrics need are
  dimensions named like the column;
- facts: the columns the measures aggregate (``line_net_amount_usd``, ...);
- table metrics: a simple metric is its measure's aggregation with the metric
  ``filter`` folded in (``SUM(CASE WHEN order_items.is_revenue_bearing = TRUE
  THEN order_items.line_net_amount_usd END)``); a ratio of two metrics of the
  same table is ``numerator / NULLIF(denominator, 0)`` (null, as in
  MetricFlow, when the denominator is zero). Metric expressions name columns
  with their table (``order_items.x``), as the specification asks; every such
  column is also a logical column of that name;
- a ratio of metrics of two tables (``gross_margin_pct``, ``target_attainment``)
  is a *derived* metric at model level (``metrics`` beside ``tables``; the
  semantic view specification has them, a table metric can only aggregate its
  own table). The tables of ``target_attainment`` share no key: revenue and
  targets meet on region and month, which no relationship can say, so its
  description, the custom instructions and its verified query show how to
  compute it (each side per region and month, then joined);
- relationships from each foreign entity to the table where it is primary
  (many_to_one, left_outer: facts keep their rows, as in MetricFlow), without
  the shortcuts: ``order_items -> customers`` is left out because
  ``order_items -> orders -> customers`` reaches the same customer, and two
  paths between two tables are ambiguous to Cortex;
- a verified query per saved query: the same metrics and groups, in SQL over
  the logical tables (``FROM __order_items AS order_items``), as the Verified
  Query Repository documents.

Personal data (emails, customers' names, ...) never gets in: the marts carry
none, and :func:`build_semantic_model` refuses any name or expression that
looks like it (:data:`PERSONAL_DATA`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml  # type: ignore[import-untyped]  # PyYAML (a dbt dependency) has no stubs here

from analytics_core.errors import AnalyticsError
from analytics_core.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from questions.semantic import SemanticLayer

__all__ = [
    "DEFAULT_MODEL_NAME",
    "PERSONAL_DATA",
    "CortexModelError",
    "build_semantic_model",
    "create_semantic_view_sql",
    "default_view_name",
    "render",
    "to_yaml",
]

#: The name of the semantic model (and of the semantic view by default).
DEFAULT_MODEL_NAME = "analytics_platform"
#: Names that look like personal data: none may appear in the model.
PERSONAL_DATA = re.compile(
    r"(?<![a-z])(e_?mail|full_name|first_name|last_name|given_name|family_name|"
    r"customer_name|phone|mobile_number|street|address|postcode|zip_code|"
    r"birth|ssn|passport|ip_address)(?![a-z])",
    re.IGNORECASE,
)
#: Where the semantic YAML lives (its newest change dates the verified queries).
SEMANTIC_DIR = PROJECT_ROOT / "dbt_project" / "models" / "semantic"
#: Who verified the verified queries (unless given).
DEFAULT_VERIFIED_BY = "dbt semantic layer (questions/cortex_model.py)"
#: Saved queries with this tag are onboarding questions; without any tagged,
#: the first :data:`ONBOARDING_DEFAULT` saved queries are.
ONBOARDING_TAG = "onboarding"
ONBOARDING_DEFAULT = 3

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_CALL = re.compile(
    r"^(TimeDimension|Dimension|Entity)\(\s*'([^']+)'\s*(?:,\s*'([^']*)'\s*)?\)$",
)
_GRAINS = ("day", "week", "month", "quarter", "year")
_NUMERIC_AGGS = {"sum": "SUM", "average": "AVG", "min": "MIN", "max": "MAX", "median": "MEDIAN"}
_COUNT_AGGS = ("count", "count_distinct")


class CortexModelError(AnalyticsError):
    """The dbt semantic definition has something the Cortex model cannot express."""


# --- SQL helpers ------------------------------------------------------------------


def _qualify(sql: str, table: str) -> str:
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


def _columns(sql: str) -> list[str]:
    """The column names an expression reads, in order of appearance."""
    import sqlglot
    from sqlglot import exp

    names: list[str] = []
    for column in sqlglot.parse_one(sql, read="snowflake").find_all(exp.Column):
        if column.name not in names:
            names.append(column.name)
    return names


def _aggregate(agg: str, expr: str, condition: str | None, what: str) -> str:
    """The SQL aggregation of a measure, counting only rows where ``condition``."""
    if agg == "sum_boolean":
        test = expr if condition is None else f"({condition}) AND ({expr})"
        return f"SUM(CASE WHEN {test} THEN 1 ELSE 0 END)"
    value = expr if condition is None else f"CASE WHEN {condition} THEN {expr} END"
    if agg in _NUMERIC_AGGS:
        return f"{_NUMERIC_AGGS[agg]}({value})"
    if agg == "count":
        return f"COUNT({value})"
    if agg == "count_distinct":
        return f"COUNT(DISTINCT {value})"
    raise CortexModelError(f"{what}: aggregation {agg!r} has no Cortex form")


def _ratio(numerator: str, denominator: str) -> str:
    """A ratio that is null (as in MetricFlow), not an error, when the
    denominator is zero."""
    return f"{numerator} / NULLIF({denominator}, 0)"


# --- the dbt definition, indexed ------------------------------------------------------


def _meta(element: Mapping[str, Any]) -> dict[str, Any]:
    config = element.get("config") or {}
    meta = dict(config.get("meta") or {})
    meta.update(element.get("meta") or {})
    return meta


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _lower_first(label: str) -> str:
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _synonyms(*groups: Iterable[Any], exclude: Iterable[str] = ()) -> list[str]:
    """Distinct synonyms (case-insensitive), without the element's own name."""
    seen = {name.lower().replace("_", " ") for name in exclude}
    found: list[str] = []
    for group in groups:
        for value in group:
            text = _text(value)
            key = text.lower().replace("_", " ")
            if text and key not in seen:
                seen.add(key)
                found.append(text)
    return found


def _time_data_type(granularity: str | None) -> str:
    return "DATE" if (granularity or "day") in _GRAINS else "TIMESTAMP_NTZ"


def _categorical_data_type(name: str, sample_values: Sequence[str]) -> str:
    if (
        sample_values and {v.lower() for v in sample_values} <= {"true", "false"}
    ) or name.startswith(("is_", "has_")):
        return "BOOLEAN"
    return "VARCHAR"


def _key_data_type(column: str) -> str:
    return "NUMBER" if column.endswith(("_id", "_key")) or column == "id" else "VARCHAR"


@dataclass
class _Table:
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
class _Metric:
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
class _Relationship:
    name: str
    left: str
    right: str
    left_column: str
    right_column: str


class _Definition:
    """The raw semantic manifest, indexed for building the model."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.tables: dict[str, _Table] = {}
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
                primary_column = column if _IDENTIFIER.match(column) else None
            foreign = {}
            for entity in entities:
                column = entity.get("expr") or entity["name"]
                if entity.get("type") == "foreign" and _IDENTIFIER.match(column):
                    foreign[entity["name"]] = column
            table = _Table(
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


def _raw_manifest(source: SemanticLayer | Mapping[str, Any]) -> Mapping[str, Any]:
    raw = getattr(source, "raw_manifest", source)
    if not isinstance(raw, Mapping) or "semantic_models" not in raw:
        raise CortexModelError("expected a SemanticLayer or dbt's semantic manifest (a mapping)")
    return raw


# --- tables -------------------------------------------------------------------------


def _dimension_entry(dimension: Mapping[str, Any]) -> dict[str, Any]:
    meta = _meta(dimension)
    name = dimension["name"]
    sample_values = [str(v) for v in meta.get("sample_values") or []]
    label = dimension.get("label") or ""
    entry: dict[str, Any] = {"name": name}
    synonyms = _synonyms(
        meta.get("synonyms") or [], [_lower_first(label)] if label else [], exclude=[name]
    )
    if synonyms:
        entry["synonyms"] = synonyms
    entry["description"] = _text(dimension.get("description") or label or name)
    entry["expr"] = dimension.get("expr") or name
    if dimension.get("type") == "time":
        granularity = (dimension.get("type_params") or {}).get("time_granularity")
        entry["data_type"] = _time_data_type(granularity)
    else:
        entry["data_type"] = _categorical_data_type(name, sample_values)
    if sample_values:
        entry["sample_values"] = sample_values
    return entry


def _key_entry(table: _Table, column: str, definition: _Definition) -> dict[str, Any]:
    """A key column as a dimension (relationships and count metrics need it)."""
    entry: dict[str, Any] = {"name": column}
    if column == table.primary_key:
        description = (
            f"Identifies a row of {table.name} (primary key; entity {table.primary_entity})."
        )
    else:
        entity = next((e for e, c in table.foreign_keys.items() if c == column), None)
        if entity is None:
            description = f"The {column.replace('_', ' ')} of the row."
        else:
            home = definition.entity_home.get(entity, (None, None))[0]
            joins = f"; joins to {home}" if home else ""
            description = f"Key of the row's {entity.replace('_', ' ')} (entity {entity}{joins})."
    entry["description"] = description
    entry["expr"] = column
    entry["data_type"] = _key_data_type(column)
    if column == table.primary_key:
        entry["unique"] = True
    return entry


def _build_columns(table: _Table, definition: _Definition) -> None:
    raw = table.raw
    for dimension in raw.get("dimensions") or []:
        entry = _dimension_entry(dimension)
        (table.time_dimensions if dimension.get("type") == "time" else table.dimensions).append(
            entry
        )
    # A foreign entity dbt documents for people (label or description) is a
    # dimension: `sales_region` is how revenue meets the targets.
    for entity in raw.get("entities") or []:
        documented = entity.get("label") or entity.get("description")
        if (
            entity.get("type") == "foreign"
            and documented
            and entity["name"] not in table.logical_names()
        ):
            table.dimensions.append(_dimension_entry({**entity, "type": "categorical"}))
    if table.primary_key:
        _ensure_column(table, table.primary_key, definition)
    keys = {table.primary_key, *table.foreign_keys.values()}
    for measure in raw.get("measures") or []:
        expr = measure.get("expr") or measure["name"]
        label = measure.get("label") or measure["name"]
        for column in _columns(expr):
            if column in table.logical_names():
                continue
            if (
                measure["agg"] in _COUNT_AGGS
                or column in keys
                or _key_data_type(column) == "NUMBER"
            ):
                # an identifier (counted, or a key in an expression): a key
                # dimension, added when a metric or relationship needs it
                continue
            # No synonyms: a question about "revenue" must find the metric (which
            # keeps only revenue-bearing lines), not this row-level column.
            table.facts.append(
                {
                    "name": column,
                    "description": (
                        f"Row-level value behind the measure {label!r}: "
                        f"{_text(measure.get('description'))} Use the metrics for totals."
                    ),
                    "expr": column,
                    "data_type": "NUMBER",
                }
            )


def _ensure_column(table: _Table, column: str, definition: _Definition) -> None:
    if column not in table.column_names():
        table.dimensions.append(_key_entry(table, column, definition))


# --- relationships ---------------------------------------------------------------


def _relationships(definition: _Definition) -> list[_Relationship]:
    """Foreign entity -> the table where it is primary, without shortcuts (an
    edge is left out when another path joins the same two tables)."""
    candidates: list[_Relationship] = []
    for table in definition.tables.values():
        for entity, column in table.foreign_keys.items():
            home, home_column = definition.entity_home.get(entity, (None, None))
            if home is None or home_column is None or home == table.name:
                continue
            candidates.append(_Relationship("", table.name, home, column, home_column))

    def reachable(start: str, goal: str, skip: _Relationship) -> bool:
        todo, seen = [start], {start}
        while todo:
            node = todo.pop()
            for edge in candidates:
                if edge is skip or edge.left != node or edge.right in seen:
                    continue
                if edge.right == goal:
                    return True
                seen.add(edge.right)
                todo.append(edge.right)
        return False

    kept = [edge for edge in candidates if not reachable(edge.left, edge.right, edge)]
    named: list[_Relationship] = []
    names: set[str] = set()
    for edge in kept:
        name = f"{edge.left}_to_{edge.right}"
        if name in names:
            name = f"{name}_by_{edge.left_column}"
        names.add(name)
        named.append(
            _Relationship(name, edge.left, edge.right, edge.left_column, edge.right_column)
        )
    return named


# --- metrics -----------------------------------------------------------------------


def _filter_sql(template: str, table: _Table, definition: _Definition, what: str) -> str:
    """A metric ``filter`` (MetricFlow template) as SQL over ``table``'s columns."""

    def replace(match: re.Match[str]) -> str:
        call = _CALL.match(match.group(1))
        if call is None or call.group(1) == "Entity":
            raise CortexModelError(f"{what}: cannot translate the filter {match.group(0)!r}")
        home, dimension = definition.dimension(call.group(2), what)
        if home != table.name:
            raise CortexModelError(
                f"{what}: its filter reads {call.group(2)!r} of {home}, not of its own table "
                f"{table.name}; a Cortex table metric aggregates one table"
            )
        expr = dimension.get("expr") or dimension["name"]
        grain = call.group(3)
        if call.group(1) == "TimeDimension" and grain and grain != "day":
            return f"DATE_TRUNC('{grain.upper()}', {expr})"
        return expr if _IDENTIFIER.match(expr) else f"({expr})"

    return _qualify(_TEMPLATE.sub(replace, template), table.name)


def _where_templates(element: Mapping[str, Any]) -> list[str]:
    where = element.get("filter") or element.get("where") or {}
    return [w["where_sql_template"] for w in where.get("where_filters") or []]


def _resolve_metrics(definition: _Definition) -> dict[str, _Metric]:
    resolved: dict[str, _Metric] = {}

    def resolve(name: str, stack: tuple[str, ...] = ()) -> _Metric:
        if name in resolved:
            return resolved[name]
        if name in stack or name not in definition.raw_metrics:
            raise CortexModelError(f"metric {name!r} is unknown or defined in a cycle")
        metric = definition.raw_metrics[name]
        what = f"metric {name}"
        kind = metric.get("type", "simple")
        params = metric.get("type_params") or {}
        templates = _where_templates(metric)
        if kind == "simple":
            measure_ref = params.get("measure") or {}
            if measure_ref.get("filter") or measure_ref.get("fill_nulls_with") is not None:
                raise CortexModelError(f"{what}: measure filters and fills have no Cortex form")
            table_name, measure = definition.measures[measure_ref["name"]]
            table = definition.tables[table_name]
            conditions = [_filter_sql(t, table, definition, what) for t in templates]
            condition = " AND ".join(f"({c})" for c in conditions) if len(conditions) > 1 else None
            condition = condition or (conditions[0] if conditions else None)
            expr = _qualify(measure.get("expr") or measure["name"], table_name)
            result = _Metric(
                name=name,
                table=table_name,
                expr=_aggregate(measure["agg"], expr, condition, what),
                condition=condition,
                bare_expr=_aggregate(measure["agg"], expr, None, what),
            )
        elif kind == "ratio":
            if templates:
                raise CortexModelError(f"{what}: a filter on a ratio metric has no Cortex form")
            refs = [params.get("numerator") or {}, params.get("denominator") or {}]
            if any(ref.get("filter") or ref.get("offset_window") for ref in refs):
                raise CortexModelError(f"{what}: filtered or offset inputs have no Cortex form")
            numerator, denominator = (resolve(ref["name"], (*stack, name)) for ref in refs)
            if numerator.table is None or denominator.table is None:
                raise CortexModelError(f"{what}: a ratio of derived metrics has no Cortex form")
            if numerator.table == denominator.table:
                same = numerator.condition == denominator.condition
                result = _Metric(
                    name=name,
                    table=numerator.table,
                    expr=_ratio(numerator.expr, denominator.expr),
                    condition=numerator.condition if same else None,
                    bare_expr=_ratio(numerator.bare_expr, denominator.bare_expr)
                    if same
                    else _ratio(numerator.expr, denominator.expr),
                )
            else:
                # Two tables: a derived metric of the model (see the module
                # docstring); a table metric can only aggregate its own table.
                result = _Metric(
                    name=name,
                    table=None,
                    expr=_ratio(
                        f"{numerator.table}.{numerator.name}",
                        f"{denominator.table}.{denominator.name}",
                    ),
                    inputs=(numerator.name, denominator.name),
                )
        else:
            raise CortexModelError(f"{what}: {kind} metrics have no Cortex form here yet")
        resolved[name] = result
        return result

    for name in definition.raw_metrics:
        resolve(name)
    return {name: resolved[name] for name in definition.raw_metrics}


def _metric_entry(metric: _Metric, raw: Mapping[str, Any]) -> dict[str, Any]:
    meta = _meta(raw)
    label = raw.get("label") or metric.name
    description = _text(raw.get("description") or label)
    if meta.get("unit"):
        description += f" Unit: {meta['unit']}."
    if metric.inputs:
        numerator, denominator = metric.inputs
        description += (
            f" A ratio of metrics of two tables: {numerator} / {denominator}; compute each"
            " on its own table for the same groups, then divide."
        )
    if meta.get("note"):
        description += f" {_text(meta['note'])}"
    entry: dict[str, Any] = {"name": metric.name}
    synonyms = _synonyms(meta.get("synonyms") or [], [_lower_first(label)], exclude=[metric.name])
    if synonyms:
        entry["synonyms"] = synonyms
    entry["description"] = description
    entry["expr"] = metric.expr
    return entry


# --- verified queries ------------------------------------------------------------


def _group_item(text: str) -> tuple[str, str, str | None]:
    """``TimeDimension('metric_time', 'month')`` -> ("TimeDimension", "metric_time", "month")."""
    call = _CALL.match(text.strip())
    if call is None:
        raise CortexModelError(f"cannot read the saved query item {text!r}")
    return call.group(1), call.group(2), call.group(3) or None


@dataclass(frozen=True)
class _Group:
    """A group-by of a saved query: its alias and its label in the question."""

    kind: str
    name: str
    grain: str | None
    alias: str
    label: str


class _QueryBuilder:
    """The SQL of a saved query over the logical tables of the model."""

    def __init__(
        self,
        definition: _Definition,
        metrics: Mapping[str, _Metric],
        relationships: Sequence[_Relationship],
    ) -> None:
        self.definition = definition
        self.metrics = metrics
        self.relationships = relationships

    def path(self, start: str, goal: str, what: str) -> list[_Relationship]:
        """The relationships from ``start`` to ``goal`` (many-to-one, in order)."""
        todo: list[tuple[str, list[_Relationship]]] = [(start, [])]
        seen = {start}
        while todo:
            node, path = todo.pop(0)
            if node == goal:
                return path
            for edge in self.relationships:
                if edge.left == node and edge.right not in seen:
                    seen.add(edge.right)
                    todo.append((edge.right, [*path, edge]))
        raise CortexModelError(f"{what}: no relationship path from {start} to {goal}")

    def group(self, text: str) -> _Group:
        kind, name, grain = _group_item(text)
        if kind == "TimeDimension":
            grain = grain or "day"
            if name == "metric_time":
                return _Group(kind, name, grain, grain, grain)
            _, dimension = self.definition.dimension(name, f"group {text}")
            alias = f"{dimension['name']}_{grain}" if grain != "day" else dimension["name"]
            return _Group(
                kind, name, grain, alias, f"{_lower_first(dimension.get('label') or name)}"
            )
        if kind == "Dimension":
            _, dimension = self.definition.dimension(name, f"group {text}")
            label = _lower_first(dimension.get("label") or dimension["name"])
            return _Group(kind, name, None, dimension["name"], label)
        label = name.replace("_", " ")
        for table in self.definition.tables.values():
            for entity in table.raw.get("entities") or []:
                if entity["name"] == name and entity.get("label"):
                    label = _lower_first(entity["label"])
        return _Group(kind, name, None, name, label)

    def column(self, group: _Group, table: _Table, joins: list[_Relationship], what: str) -> str:
        """The SQL of ``group`` for the metrics of ``table`` (adding the joins it needs)."""
        if group.kind == "Entity":
            if group.name == table.primary_entity and table.primary_key:
                return f"{table.name}.{table.primary_key}"
            if group.name not in table.foreign_keys:
                raise CortexModelError(f"{what}: {table.name} has no entity {group.name}")
            names = {d["name"] for d in table.dimensions}
            column = group.name if group.name in names else table.foreign_keys[group.name]
            return f"{table.name}.{column}"
        if group.kind == "TimeDimension" and group.name == "metric_time":
            if table.agg_time_dimension is None:
                raise CortexModelError(f"{what}: {table.name} has no time dimension")
            source, column = table.name, table.agg_time_dimension
        else:
            source, dimension = self.definition.dimension(group.name, what)
            column = dimension["name"]
            if source != table.name:
                for edge in self.path(table.name, source, what):
                    if edge not in joins:
                        joins.append(edge)
        if group.kind == "TimeDimension" and group.grain and group.grain != "day":
            return f"DATE_TRUNC('{group.grain.upper()}', {source}.{column})"
        return f"{source}.{column}"

    def table_select(
        self, table: _Table, names: Sequence[str], groups: Sequence[_Group], what: str
    ) -> str:
        """The aggregation of the metrics ``names`` (all of ``table``) by ``groups``."""
        joins: list[_Relationship] = []
        columns = [(self.column(g, table, joins, what), g.alias) for g in groups]
        metrics = [self.metrics[n] for n in names]
        conditions = {m.condition for m in metrics}
        shared = conditions.pop() if len(conditions) == 1 else None
        for metric in metrics:
            expr = metric.bare_expr if shared is not None else metric.expr
            columns.append((expr, metric.name))
        lines = ["SELECT"]
        lines += [f"    {sql} AS {alias}," for sql, alias in columns]
        lines[-1] = lines[-1].rstrip(",")
        lines.append(f"FROM __{table.name} AS {table.name}")
        for edge in joins:
            lines.append(
                f"LEFT OUTER JOIN __{edge.right} AS {edge.right}"
                f" ON {edge.left}.{edge.left_column} = {edge.right}.{edge.right_column}"
            )
        if shared is not None:
            lines.append(f"WHERE {shared}")
        if groups:
            lines.append("GROUP BY " + ", ".join(sql for sql, _ in columns[: len(groups)]))
        return "\n".join(lines)

    def sql(self, saved_query: Mapping[str, Any]) -> tuple[str, list[_Group]]:
        what = f"saved query {saved_query['name']}"
        params = saved_query.get("query_params") or {}
        if (params.get("where") or {}).get("where_filters"):
            raise CortexModelError(f"{what}: saved-query filters have no verified-query form yet")
        groups = [self.group(item) for item in params.get("group_by") or []]
        names: list[str] = list(params.get("metrics") or [])
        by_table: dict[str, list[str]] = {}
        for name in names:
            metric = self.metrics[name]
            needed = [self.metrics[i] for i in metric.inputs] if metric.table is None else [metric]
            for item in needed:
                assert item.table is not None  # noqa: S101 - derived inputs are table metrics
                listed = by_table.setdefault(item.table, [])
                if item.name not in listed:
                    listed.append(item.name)
        # ORDER BY ordinals: an alias like `region` may also be a column name.
        order = ", ".join(str(i) for i in range(1, len(groups) + 1))
        if len(by_table) == 1:
            (table_name, table_metrics), *_ = by_table.items()
            sql = self.table_select(self.definition.tables[table_name], table_metrics, groups, what)
            return (sql + (f"\nORDER BY {order}" if order else "")), groups
        # Metrics of several tables: each aggregated on its own table by the same
        # groups, then the results joined on the groups (as MetricFlow does).
        ctes = []
        alias_of: dict[str, str] = {}
        for table_name, table_metrics in by_table.items():
            cte = f"{table_name}_totals"
            body = self.table_select(
                self.definition.tables[table_name], table_metrics, groups, what
            )
            ctes.append(f"{cte} AS (\n" + _indent(body) + "\n)")
            for name in table_metrics:
                alias_of[name] = cte
        cte_names = [f"{t}_totals" for t in by_table]
        select = []
        for group in groups:
            parts = ", ".join(f"{c}.{group.alias}" for c in cte_names)
            select.append(f"COALESCE({parts}) AS {group.alias}")
        for name in names:
            metric = self.metrics[name]
            if metric.table is None:
                numerator, denominator = metric.inputs
                expr = _ratio(
                    f"{alias_of[numerator]}.{numerator}", f"{alias_of[denominator]}.{denominator}"
                )
            else:
                expr = f"{alias_of[name]}.{name}"
            select.append(f"{expr} AS {name}")
        lines = ["WITH " + ",\n".join(ctes), "SELECT"]
        lines += [f"    {item}," for item in select]
        lines[-1] = lines[-1].rstrip(",")
        lines.append(f"FROM {cte_names[0]}")
        for index, cte in enumerate(cte_names[1:], start=1):
            if not groups:
                lines.append(f"CROSS JOIN {cte}")
                continue
            conditions = []
            for group in groups:
                previous = [f"{c}.{group.alias}" for c in cte_names[:index]]
                left = previous[0] if len(previous) == 1 else f"COALESCE({', '.join(previous)})"
                conditions.append(f"{left} = {cte}.{group.alias}")
            lines.append(f"FULL OUTER JOIN {cte}\n    ON " + "\n    AND ".join(conditions))
        if order:
            lines.append(f"ORDER BY {order}")
        return "\n".join(lines), groups


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _question(
    saved_query: Mapping[str, Any], groups: Sequence[_Group], definition: _Definition
) -> str:
    """The saved query's label as a question ("Top products by revenue" -> "What
    are the top products by revenue?"); without a label, its metrics and groups."""
    label = _text(saved_query.get("label"))
    if label:
        subject = _lower_first(label).split(" by ")[0]
        last = subject.split()[-1]
        plural = " and " in subject or (last.endswith("s") and not last.endswith("ss"))
        return f"What {'are' if plural else 'is'} the {_lower_first(label)}?"
    metrics = list((saved_query.get("query_params") or {}).get("metrics") or [])
    labels = [
        _lower_first(definition.raw_metrics[name].get("label") or name.replace("_", " "))
        for name in metrics
    ]
    question = "What are the " + _listing(labels)
    if groups:
        question += " by " + _listing([g.label for g in groups])
    return question + "?"


def _listing(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _default_verified_at() -> int:
    files = [p for p in SEMANTIC_DIR.glob("*.yml") if p.is_file()] if SEMANTIC_DIR.is_dir() else []
    return int(max((p.stat().st_mtime for p in files), default=time.time()))


# --- the model ------------------------------------------------------------------------


def _custom_instructions(metrics: Mapping[str, _Metric], definition: _Definition) -> str:
    ratios = [
        name
        for name, metric in metrics.items()
        if definition.raw_metrics[name].get("type") == "ratio"
    ]
    derived = [m for m in metrics.values() if m.table is None]
    lines = [
        "Relative periods are calendar periods, resolved against today's date in UTC, or"
        " against the date the question states (for example '(Today is 2026-03-15.)'):"
        " 'yesterday'; 'last week' is the previous ISO week, Monday to Sunday; 'this"
        " month'; 'last month' is the previous calendar month (on 2026-03-15:"
        " 2026-02-01 to 2026-02-28, not the trailing 30 days); 'last quarter'; 'this"
        " year'; 'year to date'; 'last 7/30/90 days' are the 7/30/90 days ending"
        " yesterday. Weeks start on Monday (DATE_TRUNC('WEEK', ...) with Snowflake's default"
        " WEEK_START).",
        "All money is USD. Use the metrics as defined: their expressions already keep"
        " only the rows they count (for example revenue-bearing order lines); do not sum"
        " the facts instead.",
    ]
    if ratios:
        lines.append(
            "Ratios (" + ", ".join(ratios) + ") are ratios of totals: aggregate the"
            " numerator and the denominator over the whole group, then divide; never"
            " average row-level ratios. They are fractions (0.25 is 25%)."
        )
    for metric in derived:
        numerator, denominator = metric.inputs
        numerator_table = metrics[numerator].table
        denominator_table = metrics[denominator].table
        lines.append(
            f"{metric.name} = {numerator} / {denominator}: aggregate {numerator} on"
            f" {numerator_table} and {denominator} on {denominator_table} separately, by"
            " the same groups, then join the two results on those groups; never join the"
            " two tables row by row."
        )
    return "\n".join(lines)


def build_semantic_model(
    layer_or_raw_manifest: SemanticLayer | Mapping[str, Any],
    *,
    database: str,
    schema_prefix: str = "",
    name: str = DEFAULT_MODEL_NAME,
    verified_at: int | None = None,
    verified_by: str = DEFAULT_VERIFIED_BY,
    derived_metrics: bool = True,
) -> dict[str, Any]:
    """The Cortex Analyst semantic model of the dbt semantic layer (see the
    module docstring), its tables in ``database`` and their schemas prefixed
    with ``schema_prefix`` (``dev_me_`` for a developer's Snowflake schemas).

    ``verified_at`` (seconds since the epoch) dates the verified queries;
    default: the newest change of the semantic YAML. ``derived_metrics=False``
    leaves out the model-level metrics (a semantic view feature) for a legacy
    semantic model file; the custom instructions still say how to compute them.
    """
    if not _IDENTIFIER.match(name):
        raise CortexModelError(f"the model name {name!r} is not an identifier")
    raw = _raw_manifest(layer_or_raw_manifest)
    definition = _Definition(raw)
    for table in definition.tables.values():
        _build_columns(table, definition)
    relationships = _relationships(definition)
    for edge in relationships:
        _ensure_column(definition.tables[edge.left], edge.left_column, definition)
        _ensure_column(definition.tables[edge.right], edge.right_column, definition)
    metrics = _resolve_metrics(definition)
    derived: list[dict[str, Any]] = []
    for metric in metrics.values():
        entry = _metric_entry(metric, definition.raw_metrics[metric.name])
        if metric.table is None:
            derived.append(entry)
            continue
        table = definition.tables[metric.table]
        # Every column a metric names is a logical column of its table (the
        # verified queries may only use those).
        for column in _columns(metric.expr):
            _ensure_column(table, column, definition)
        table.metrics.append(entry)

    tables = []
    for table in definition.tables.values():
        raw_model = table.raw
        relation = raw_model["node_relation"]
        label = raw_model.get("label") or ""
        entry = {"name": table.name}
        entry["description"] = _text(raw_model.get("description") or label or table.name)
        synonyms = _synonyms([_lower_first(label)] if label else [], exclude=[table.name])
        if synonyms:
            entry["synonyms"] = synonyms
        entry["base_table"] = {
            "database": database,
            "schema": schema_prefix + relation["schema_name"],
            "table": relation["alias"],
        }
        if table.primary_key:
            entry["primary_key"] = {"columns": [table.primary_key]}
        for key in ("dimensions", "time_dimensions", "facts", "metrics"):
            items = getattr(table, key)
            if items:
                entry[key] = items
        tables.append(entry)

    builder = _QueryBuilder(definition, metrics, relationships)
    saved_queries = list(raw.get("saved_queries") or [])
    tagged = [q["name"] for q in saved_queries if ONBOARDING_TAG in (q.get("tags") or [])]
    onboarding = set(tagged or [q["name"] for q in saved_queries[:ONBOARDING_DEFAULT]])
    when = _default_verified_at() if verified_at is None else int(verified_at)
    verified_queries = []
    for saved_query in saved_queries:
        sql, groups = builder.sql(saved_query)
        verified_queries.append(
            {
                "name": saved_query["name"],
                "question": _question(saved_query, groups, definition),
                "sql": sql,
                "verified_at": when,
                "verified_by": verified_by,
                "use_as_onboarding_question": saved_query["name"] in onboarding,
            }
        )

    labels = [_lower_first(t.raw.get("label") or t.name) for t in definition.tables.values()]
    model: dict[str, Any] = {
        "name": name,
        "description": (
            "Sales analytics from the dbt semantic layer (dbt_project/models/semantic), "
            "generated: " + ", ".join(labels) + ". Money in USD, dates in UTC."
        ),
        "tables": tables,
        "relationships": [
            {
                "name": edge.name,
                "left_table": edge.left,
                "right_table": edge.right,
                "relationship_columns": [
                    {"left_column": edge.left_column, "right_column": edge.right_column}
                ],
                "join_type": "left_outer",
                "relationship_type": "many_to_one",
            }
            for edge in relationships
        ],
    }
    if derived and derived_metrics:
        model["metrics"] = derived
    model["verified_queries"] = verified_queries
    model["custom_instructions"] = _custom_instructions(metrics, definition)
    _rename_in_descriptions(model, definition)
    _refuse_personal_data(model)
    return model


#: The keys whose values name columns or hold SQL (descriptions may say "no email").
_CODE_KEYS = ("name", "expr", "sql", "table", "columns", "left_column", "right_column")


_DUNDER = re.compile(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)*?)__([a-z][a-z0-9_]*)\b")
_METRIC_TIME = re.compile(r"\bmetric_time\b")


def _rename_in_descriptions(value: Any, definition: _Definition) -> None:
    """dbt descriptions name things as MetricFlow does; in the model they are
    ``customers.region`` (for ``customer__region``) and "the month of the date"
    (for ``metric_time__month``)."""

    def replace(match: re.Match[str]) -> str:
        entity, rest = match.group(1), match.group(2)
        if entity == "metric_time":
            return f"the {rest} of the date" if rest in _GRAINS else match.group(0)
        if entity in definition.entity_home:
            return f"{definition.entity_home[entity][0]}.{rest}"
        return match.group(0)

    if isinstance(value, dict):
        for key, item in value.items():
            if key == "description" and isinstance(item, str):
                renamed = _DUNDER.sub(replace, item)
                value[key] = _METRIC_TIME.sub("the metric's date", renamed)
            else:
                _rename_in_descriptions(item, definition)
    elif isinstance(value, list):
        for item in value:
            _rename_in_descriptions(item, definition)


def _refuse_personal_data(model: Mapping[str, Any]) -> None:
    found: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, Mapping):
            here = f"{where}/{value['name']}" if isinstance(value.get("name"), str) else where
            for key, item in value.items():
                if key in _CODE_KEYS:
                    found.extend(
                        f"{here}.{key}: {m.group(0)}" for m in PERSONAL_DATA.finditer(str(item))
                    )
                walk(item, here)
        elif isinstance(value, list):
            for item in value:
                walk(item, where)

    walk(model, "")
    if found:
        raise CortexModelError("personal data in the semantic model: " + "; ".join(found))


# --- YAML -----------------------------------------------------------------------------


def _represent_str(dumper: Any, value: str) -> Any:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


#: Block style; multi-line strings (the verified SQL) as literal blocks.
_Dumper: Any = type("_Dumper", (yaml.SafeDumper,), {})
_Dumper.add_representer(str, _represent_str)


def to_yaml(model: Mapping[str, Any]) -> str:
    """The semantic model as YAML (keys in the specification's order)."""
    header = (
        "# Generated from the dbt semantic layer (dbt_project/models/semantic) by\n"
        "# questions/cortex_model.py: edit the dbt YAML, not this file.\n"
    )
    body: str = yaml.dump(
        dict(model), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
    return header + body


# --- CREATE SEMANTIC VIEW ----------------------------------------------------------------


def _string(value: str) -> str:
    """A Snowflake single-quoted string literal."""
    return "'" + _text(value).replace("\\", "\\\\").replace("'", "''") + "'"


def _annotations(item: Mapping[str, Any]) -> str:
    parts = []
    if item.get("synonyms"):
        parts.append("WITH SYNONYMS = (" + ", ".join(_string(s) for s in item["synonyms"]) + ")")
    if item.get("description"):
        parts.append(f"COMMENT = {_string(item['description'])}")
    return "".join(" " + part for part in parts)


def _clause(keyword: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    return [f"{keyword} (", ",\n".join("    " + item for item in items), ")"]


def create_semantic_view_sql(model: Mapping[str, Any], view_name: str) -> str:
    """The model as Snowflake's ``CREATE OR REPLACE SEMANTIC VIEW`` (clauses in the
    documented order: TABLES, RELATIONSHIPS, FACTS, DIMENSIONS, METRICS,
    COMMENT, AI_SQL_GENERATION). Time dimensions are dimensions; derived
    metrics have no table alias. Sample values and verified queries have no
    DDL form: create the view from the YAML to keep them."""
    tables, facts, dimensions, metrics = [], [], [], []
    for table in model["tables"]:
        base = table["base_table"]
        line = f"{table['name']} AS {base['database']}.{base['schema']}.{base['table']}"
        if table.get("primary_key"):
            line += " PRIMARY KEY (" + ", ".join(table["primary_key"]["columns"]) + ")"
        tables.append(line + _annotations(table))
        for fact in table.get("facts") or []:
            facts.append(f"{table['name']}.{fact['name']} AS {fact['expr']}" + _annotations(fact))
        for dimension in [*(table.get("dimensions") or []), *(table.get("time_dimensions") or [])]:
            dimensions.append(
                f"{table['name']}.{dimension['name']} AS {dimension['expr']}"
                + _annotations(dimension)
            )
        for metric in table.get("metrics") or []:
            metrics.append(
                f"{table['name']}.{metric['name']} AS {metric['expr']}" + _annotations(metric)
            )
    for metric in model.get("metrics") or []:
        metrics.append(f"{metric['name']} AS {metric['expr']}" + _annotations(metric))
    relationships = []
    for relationship in model.get("relationships") or []:
        pairs = relationship["relationship_columns"]
        relationships.append(
            f"{relationship['name']} AS {relationship['left_table']}"
            f" ({', '.join(p['left_column'] for p in pairs)})"
            f" REFERENCES {relationship['right_table']}"
            f" ({', '.join(p['right_column'] for p in pairs)})"
        )
    lines = [f"CREATE OR REPLACE SEMANTIC VIEW {view_name}"]
    lines += _clause("TABLES", tables)
    lines += _clause("RELATIONSHIPS", relationships)
    lines += _clause("FACTS", facts)
    lines += _clause("DIMENSIONS", dimensions)
    lines += _clause("METRICS", metrics)
    if model.get("description"):
        lines.append(f"COMMENT = {_string(model['description'])}")
    if model.get("custom_instructions"):
        lines.append(f"AI_SQL_GENERATION {_string(model['custom_instructions'])}")
    return "\n".join(lines) + ";\n"


# --- for a CLI ----------------------------------------------------------------------------


def default_view_name(
    database: str, schema_prefix: str = "", name: str = DEFAULT_MODEL_NAME
) -> str:
    """Where the semantic view goes by default: the public ``reporting`` schema."""
    return f"{database}.{schema_prefix}reporting.{name}"


def render(
    fmt: Literal["yaml", "sql"],
    *,
    database: str,
    schema_prefix: str = "",
    view_name: str | None = None,
    layer_or_raw_manifest: SemanticLayer | Mapping[str, Any] | None = None,
    project_dir: Path | None = None,
) -> str:
    """The semantic model as YAML (``fmt="yaml"``) or as ``CREATE SEMANTIC VIEW``
    (``fmt="sql"``, named ``view_name``, default :func:`default_view_name`).
    Without a layer or manifest, reads the project's semantic manifest (no
    MetricFlow import; a ``dbt parse`` if it is stale)."""
    if layer_or_raw_manifest is None:
        from questions.semantic import load_raw_semantic_manifest

        layer_or_raw_manifest = load_raw_semantic_manifest(project_dir)
    model = build_semantic_model(
        layer_or_raw_manifest, database=database, schema_prefix=schema_prefix
    )
    if fmt == "yaml":
        return to_yaml(model)
    if fmt == "sql":
        return create_semantic_view_sql(
            model, view_name or default_view_name(database, schema_prefix, model["name"])
        )
    raise CortexModelError(f"unknown format {fmt!r}: yaml or sql")
