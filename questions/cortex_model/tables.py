"""The logical tables' columns (dimensions, time dimensions, facts, the key
columns relationships and metrics need) and the relationships between the
tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from questions.cortex_model.definition import (
    COUNT_AGGS,
    GRAINS,
    Definition,
    Relationship,
    Table,
    expr_columns,
    flat_text,
    lower_first,
    meta_of,
    synonym_list,
)


def _time_data_type(granularity: str | None) -> str:
    return "DATE" if (granularity or "day") in GRAINS else "TIMESTAMP_NTZ"


def _categorical_data_type(name: str, sample_values: Sequence[str]) -> str:
    if (
        sample_values and {v.lower() for v in sample_values} <= {"true", "false"}
    ) or name.startswith(("is_", "has_")):
        return "BOOLEAN"
    return "VARCHAR"


def _key_data_type(column: str) -> str:
    return "NUMBER" if column.endswith(("_id", "_key")) or column == "id" else "VARCHAR"


def _dimension_entry(dimension: Mapping[str, Any]) -> dict[str, Any]:
    meta = meta_of(dimension)
    name = dimension["name"]
    sample_values = [str(v) for v in meta.get("sample_values") or []]
    label = dimension.get("label") or ""
    entry: dict[str, Any] = {"name": name}
    synonyms = synonym_list(
        meta.get("synonyms") or [], [lower_first(label)] if label else [], exclude=[name]
    )
    if synonyms:
        entry["synonyms"] = synonyms
    entry["description"] = flat_text(dimension.get("description") or label or name)
    entry["expr"] = dimension.get("expr") or name
    if dimension.get("type") == "time":
        granularity = (dimension.get("type_params") or {}).get("time_granularity")
        entry["data_type"] = _time_data_type(granularity)
    else:
        entry["data_type"] = _categorical_data_type(name, sample_values)
    if sample_values:
        entry["sample_values"] = sample_values
    return entry


def _key_entry(table: Table, column: str, definition: Definition) -> dict[str, Any]:
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


def build_columns(table: Table, definition: Definition) -> None:
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
        ensure_column(table, table.primary_key, definition)
    keys = {table.primary_key, *table.foreign_keys.values()}
    for measure in raw.get("measures") or []:
        expr = measure.get("expr") or measure["name"]
        label = measure.get("label") or measure["name"]
        for column in expr_columns(expr):
            if column in table.logical_names():
                continue
            if measure["agg"] in COUNT_AGGS or column in keys or _key_data_type(column) == "NUMBER":
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
                        f"{flat_text(measure.get('description'))} Use the metrics for totals."
                    ),
                    "expr": column,
                    "data_type": "NUMBER",
                }
            )


def ensure_column(table: Table, column: str, definition: Definition) -> None:
    if column not in table.column_names():
        table.dimensions.append(_key_entry(table, column, definition))


# --- relationships ---------------------------------------------------------------


def relationships_of(definition: Definition) -> list[Relationship]:
    """Foreign entity -> the table where it is primary, without shortcuts (an
    edge is left out when another path joins the same two tables)."""
    candidates: list[Relationship] = []
    for table in definition.tables.values():
        for entity, column in table.foreign_keys.items():
            home, home_column = definition.entity_home.get(entity, (None, None))
            if home is None or home_column is None or home == table.name:
                continue
            candidates.append(Relationship("", table.name, home, column, home_column))

    def reachable(start: str, goal: str, skip: Relationship) -> bool:
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
    named: list[Relationship] = []
    names: set[str] = set()
    for edge in kept:
        name = f"{edge.left}_to_{edge.right}"
        if name in names:
            name = f"{name}_by_{edge.left_column}"
        names.add(name)
        named.append(Relationship(name, edge.left, edge.right, edge.left_column, edge.right_column))
    return named
