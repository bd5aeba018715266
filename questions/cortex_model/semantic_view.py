"""The semantic model as Snowflake's ``CREATE OR REPLACE SEMANTIC VIEW``
statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from questions.cortex_model.definition import flat_text
from questions.cortex_model.model import DEFAULT_MODEL_NAME


def _string(value: str) -> str:
    """A Snowflake single-quoted string literal."""
    return "'" + flat_text(value).replace("\\", "\\\\").replace("'", "''") + "'"


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


def default_view_name(
    database: str, schema_prefix: str = "", name: str = DEFAULT_MODEL_NAME
) -> str:
    """Where the semantic view goes by default: the public ``reporting`` schema."""
    return f"{database}.{schema_prefix}reporting.{name}"
