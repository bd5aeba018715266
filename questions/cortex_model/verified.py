"""A verified query per saved query: the same metrics and groups in SQL over
the model's logical tables (``FROM __order_items AS order_items``), with the
saved query's label as the question."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analytics_core.settings import PROJECT_ROOT
from questions.cortex_model.definition import (
    CALL,
    CortexModelError,
    Definition,
    Metric,
    Relationship,
    Table,
    flat_text,
    lower_first,
    ratio_sql,
)

#: Where the semantic YAML lives (its newest change dates the verified queries).
SEMANTIC_DIR = PROJECT_ROOT / "dbt_project" / "models" / "semantic"
#: Who verified the verified queries (unless given).
DEFAULT_VERIFIED_BY = "dbt semantic layer (questions/cortex_model/)"
#: Saved queries with this tag are onboarding questions; without any tagged,
#: the first :data:`ONBOARDING_DEFAULT` saved queries are.
ONBOARDING_TAG = "onboarding"
ONBOARDING_DEFAULT = 3


def _group_item(text: str) -> tuple[str, str, str | None]:
    """``TimeDimension('metric_time', 'month')`` -> ("TimeDimension", "metric_time", "month")."""
    call = CALL.match(text.strip())
    if call is None:
        raise CortexModelError(f"cannot read the saved query item {text!r}")
    return call.group(1), call.group(2), call.group(3) or None


@dataclass(frozen=True)
class Group:
    """A group-by of a saved query: its alias and its label in the question."""

    kind: str
    name: str
    grain: str | None
    alias: str
    label: str


class QueryBuilder:
    """The SQL of a saved query over the logical tables of the model."""

    def __init__(
        self,
        definition: Definition,
        metrics: Mapping[str, Metric],
        relationships: Sequence[Relationship],
    ) -> None:
        self.definition = definition
        self.metrics = metrics
        self.relationships = relationships

    def path(self, start: str, goal: str, what: str) -> list[Relationship]:
        """The relationships from ``start`` to ``goal`` (many-to-one, in order)."""
        todo: list[tuple[str, list[Relationship]]] = [(start, [])]
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

    def group(self, text: str) -> Group:
        kind, name, grain = _group_item(text)
        if kind == "TimeDimension":
            grain = grain or "day"
            if name == "metric_time":
                return Group(kind, name, grain, grain, grain)
            _, dimension = self.definition.dimension(name, f"group {text}")
            alias = f"{dimension['name']}_{grain}" if grain != "day" else dimension["name"]
            return Group(kind, name, grain, alias, f"{lower_first(dimension.get('label') or name)}")
        if kind == "Dimension":
            _, dimension = self.definition.dimension(name, f"group {text}")
            label = lower_first(dimension.get("label") or dimension["name"])
            return Group(kind, name, None, dimension["name"], label)
        label = name.replace("_", " ")
        for table in self.definition.tables.values():
            for entity in table.raw.get("entities") or []:
                if entity["name"] == name and entity.get("label"):
                    label = lower_first(entity["label"])
        return Group(kind, name, None, name, label)

    def column(self, group: Group, table: Table, joins: list[Relationship], what: str) -> str:
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
        self, table: Table, names: Sequence[str], groups: Sequence[Group], what: str
    ) -> str:
        """The aggregation of the metrics ``names`` (all of ``table``) by ``groups``."""
        joins: list[Relationship] = []
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

    def sql(self, saved_query: Mapping[str, Any]) -> tuple[str, list[Group]]:
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
        lines = self.joined_select(by_table, names, groups, what)
        if order:
            lines.append(f"ORDER BY {order}")
        return "\n".join(lines), groups

    def joined_select(
        self,
        by_table: Mapping[str, Sequence[str]],
        names: Sequence[str],
        groups: Sequence[Group],
        what: str,
    ) -> list[str]:
        """The lines of a query over several tables: each table's metrics by
        ``groups`` in a CTE, the CTEs joined on the groups."""
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
                expr = ratio_sql(
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
        return lines


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _question(
    saved_query: Mapping[str, Any], groups: Sequence[Group], definition: Definition
) -> str:
    """The saved query's label as a question ("Top products by revenue" -> "What
    are the top products by revenue?"); without a label, its metrics and groups."""
    label = flat_text(saved_query.get("label"))
    if label:
        subject = lower_first(label).split(" by ")[0]
        last = subject.split()[-1]
        plural = " and " in subject or (last.endswith("s") and not last.endswith("ss"))
        return f"What {'are' if plural else 'is'} the {lower_first(label)}?"
    metrics = list((saved_query.get("query_params") or {}).get("metrics") or [])
    labels = [
        lower_first(definition.raw_metrics[name].get("label") or name.replace("_", " "))
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


def verified_queries(
    definition: Definition,
    metrics: Mapping[str, Metric],
    relationships: Sequence[Relationship],
    *,
    verified_at: int | None,
    verified_by: str,
) -> list[dict[str, Any]]:
    """A verified query per saved query, in their order; the onboarding
    questions are the tagged saved queries (else the first few).
    ``verified_at`` None: the newest change of the semantic YAML."""
    builder = QueryBuilder(definition, metrics, relationships)
    saved_queries = list(definition.raw.get("saved_queries") or [])
    tagged = [q["name"] for q in saved_queries if ONBOARDING_TAG in (q.get("tags") or [])]
    onboarding = set(tagged or [q["name"] for q in saved_queries[:ONBOARDING_DEFAULT]])
    when = _default_verified_at() if verified_at is None else int(verified_at)
    queries = []
    for saved_query in saved_queries:
        sql, groups = builder.sql(saved_query)
        queries.append(
            {
                "name": saved_query["name"],
                "question": _question(saved_query, groups, definition),
                "sql": sql,
                "verified_at": when,
                "verified_by": verified_by,
                "use_as_onboarding_question": saved_query["name"] in onboarding,
            }
        )
    return queries
