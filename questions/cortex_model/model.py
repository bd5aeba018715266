"""The Cortex Analyst semantic model built from the dbt semantic layer (a
dict in the YAML shape of the specification; see the package docstring for
how the dbt definition maps)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from questions.cortex_model.definition import (
    GRAINS,
    IDENTIFIER,
    CortexModelError,
    Definition,
    Metric,
    Relationship,
    Table,
    expr_columns,
    flat_text,
    lower_first,
    manifest_of,
    synonym_list,
)
from questions.cortex_model.metrics import custom_instructions, metric_entry, resolve_metrics
from questions.cortex_model.tables import build_columns, ensure_column, relationships_of
from questions.cortex_model.verified import DEFAULT_VERIFIED_BY, verified_queries

if TYPE_CHECKING:
    from questions.semantic import SemanticLayer

#: The name of the semantic model (and of the semantic view by default).
DEFAULT_MODEL_NAME = "analytics_platform"
#: Names that look like personal data: none may appear in the model.
PERSONAL_DATA = re.compile(
    r"(?<![a-z])(e_?mail|full_name|first_name|last_name|given_name|family_name|"
    r"customer_name|phone|mobile_number|street|address|postcode|zip_code|"
    r"birth|ssn|passport|ip_address)(?![a-z])",
    re.IGNORECASE,
)


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
    package docstring), its tables in ``database`` and their schemas prefixed
    with ``schema_prefix`` (``dev_me_`` for a developer's Snowflake schemas).

    ``verified_at`` (seconds since the epoch) dates the verified queries;
    default: the newest change of the semantic YAML. ``derived_metrics=False``
    leaves out the model-level metrics (a semantic view feature) for a legacy
    semantic model file; the custom instructions still say how to compute them.
    """
    if not IDENTIFIER.match(name):
        raise CortexModelError(f"the model name {name!r} is not an identifier")
    raw = manifest_of(layer_or_raw_manifest)
    definition = Definition(raw)
    for table in definition.tables.values():
        build_columns(table, definition)
    relationships = relationships_of(definition)
    for edge in relationships:
        ensure_column(definition.tables[edge.left], edge.left_column, definition)
        ensure_column(definition.tables[edge.right], edge.right_column, definition)
    metrics = resolve_metrics(definition)
    derived = _add_metrics(definition, metrics)
    tables = [_table_entry(table, database, schema_prefix) for table in definition.tables.values()]
    queries = verified_queries(
        definition, metrics, relationships, verified_at=verified_at, verified_by=verified_by
    )
    labels = [lower_first(t.raw.get("label") or t.name) for t in definition.tables.values()]
    model: dict[str, Any] = {
        "name": name,
        "description": (
            "Sales analytics from the dbt semantic layer (dbt_project/models/semantic), "
            "generated: " + ", ".join(labels) + ". Money in USD, dates in UTC."
        ),
        "tables": tables,
        "relationships": [_relationship_entry(edge) for edge in relationships],
    }
    if derived and derived_metrics:
        model["metrics"] = derived
    model["verified_queries"] = queries
    model["custom_instructions"] = custom_instructions(metrics, definition)
    _rename_in_descriptions(model, definition)
    _refuse_personal_data(model)
    return model


def _add_metrics(definition: Definition, metrics: Mapping[str, Metric]) -> list[dict[str, Any]]:
    """Each table metric's entry added to its table; the derived (model-level)
    metrics' entries returned."""
    derived: list[dict[str, Any]] = []
    for metric in metrics.values():
        entry = metric_entry(metric, definition.raw_metrics[metric.name])
        if metric.table is None:
            derived.append(entry)
            continue
        table = definition.tables[metric.table]
        # Every column a metric names is a logical column of its table (the
        # verified queries may only use those).
        for column in expr_columns(metric.expr):
            ensure_column(table, column, definition)
        table.metrics.append(entry)
    return derived


def _table_entry(table: Table, database: str, schema_prefix: str) -> dict[str, Any]:
    """A logical table of the model, on its semantic model's relation."""
    raw_model = table.raw
    relation = raw_model["node_relation"]
    label = raw_model.get("label") or ""
    entry: dict[str, Any] = {"name": table.name}
    entry["description"] = flat_text(raw_model.get("description") or label or table.name)
    synonyms = synonym_list([lower_first(label)] if label else [], exclude=[table.name])
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
    return entry


def _relationship_entry(edge: Relationship) -> dict[str, Any]:
    return {
        "name": edge.name,
        "left_table": edge.left,
        "right_table": edge.right,
        "relationship_columns": [
            {"left_column": edge.left_column, "right_column": edge.right_column}
        ],
        "join_type": "left_outer",
        "relationship_type": "many_to_one",
    }


#: The keys whose values name columns or hold SQL (descriptions may say "no email").
_CODE_KEYS = ("name", "expr", "sql", "table", "columns", "left_column", "right_column")


_DUNDER = re.compile(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)*?)__([a-z][a-z0-9_]*)\b")
_METRIC_TIME = re.compile(r"\bmetric_time\b")


def _rename_in_descriptions(value: Any, definition: Definition) -> None:
    """dbt descriptions name things as MetricFlow does; in the model they are
    ``customers.region`` (for ``customer__region``) and "the month of the date"
    (for ``metric_time__month``)."""

    def replace(match: re.Match[str]) -> str:
        entity, rest = match.group(1), match.group(2)
        if entity == "metric_time":
            return f"the {rest} of the date" if rest in GRAINS else match.group(0)
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
