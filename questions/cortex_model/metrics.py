"""The dbt metrics in Cortex terms: table metrics (a measure's aggregation
with the metric filter folded in, ratios of one table) and derived metrics
(ratios of two tables), their model entries, and the custom instructions that
say how to use them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from questions.cortex_model.definition import (
    CALL,
    IDENTIFIER,
    TEMPLATE,
    CortexModelError,
    Definition,
    Metric,
    Table,
    flat_text,
    lower_first,
    meta_of,
    qualify,
    ratio_sql,
    synonym_list,
)

_NUMERIC_AGGS = {"sum": "SUM", "average": "AVG", "min": "MIN", "max": "MAX", "median": "MEDIAN"}


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


def _filter_sql(template: str, table: Table, definition: Definition, what: str) -> str:
    """A metric ``filter`` (MetricFlow template) as SQL over ``table``'s columns."""

    def replace(match: re.Match[str]) -> str:
        call = CALL.match(match.group(1))
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
        return expr if IDENTIFIER.match(expr) else f"({expr})"

    return qualify(TEMPLATE.sub(replace, template), table.name)


def _where_templates(element: Mapping[str, Any]) -> list[str]:
    where = element.get("filter") or element.get("where") or {}
    return [w["where_sql_template"] for w in where.get("where_filters") or []]


def resolve_metrics(definition: Definition) -> dict[str, Metric]:
    """Every dbt metric in Cortex terms, in definition order (a ratio's inputs
    resolved first)."""
    resolved: dict[str, Metric] = {}

    def resolve(name: str, stack: tuple[str, ...] = ()) -> Metric:
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
            result = _simple_metric(name, params, templates, definition)
        elif kind == "ratio":
            if templates:
                raise CortexModelError(f"{what}: a filter on a ratio metric has no Cortex form")
            refs = [params.get("numerator") or {}, params.get("denominator") or {}]
            if any(ref.get("filter") or ref.get("offset_window") for ref in refs):
                raise CortexModelError(f"{what}: filtered or offset inputs have no Cortex form")
            numerator, denominator = (resolve(ref["name"], (*stack, name)) for ref in refs)
            result = _ratio_metric(name, numerator, denominator)
        else:
            raise CortexModelError(f"{what}: {kind} metrics have no Cortex form here yet")
        resolved[name] = result
        return result

    for name in definition.raw_metrics:
        resolve(name)
    return {name: resolved[name] for name in definition.raw_metrics}


def _simple_metric(
    name: str, params: Mapping[str, Any], templates: list[str], definition: Definition
) -> Metric:
    """A measure's aggregation on its table, the metric's filters folded in."""
    what = f"metric {name}"
    measure_ref = params.get("measure") or {}
    if measure_ref.get("filter") or measure_ref.get("fill_nulls_with") is not None:
        raise CortexModelError(f"{what}: measure filters and fills have no Cortex form")
    table_name, measure = definition.measures[measure_ref["name"]]
    table = definition.tables[table_name]
    conditions = [_filter_sql(t, table, definition, what) for t in templates]
    condition = " AND ".join(f"({c})" for c in conditions) if len(conditions) > 1 else None
    condition = condition or (conditions[0] if conditions else None)
    expr = qualify(measure.get("expr") or measure["name"], table_name)
    return Metric(
        name=name,
        table=table_name,
        expr=_aggregate(measure["agg"], expr, condition, what),
        condition=condition,
        bare_expr=_aggregate(measure["agg"], expr, None, what),
    )


def _ratio_metric(name: str, numerator: Metric, denominator: Metric) -> Metric:
    """A ratio of two table metrics: a table metric when both are of one table,
    else a derived metric of the model."""
    if numerator.table is None or denominator.table is None:
        raise CortexModelError(f"metric {name}: a ratio of derived metrics has no Cortex form")
    if numerator.table == denominator.table:
        same = numerator.condition == denominator.condition
        return Metric(
            name=name,
            table=numerator.table,
            expr=ratio_sql(numerator.expr, denominator.expr),
            condition=numerator.condition if same else None,
            bare_expr=ratio_sql(numerator.bare_expr, denominator.bare_expr)
            if same
            else ratio_sql(numerator.expr, denominator.expr),
        )
    # Two tables: a derived metric of the model (see the package docstring); a
    # table metric can only aggregate its own table.
    return Metric(
        name=name,
        table=None,
        expr=ratio_sql(
            f"{numerator.table}.{numerator.name}",
            f"{denominator.table}.{denominator.name}",
        ),
        inputs=(numerator.name, denominator.name),
    )


def metric_entry(metric: Metric, raw: Mapping[str, Any]) -> dict[str, Any]:
    meta = meta_of(raw)
    label = raw.get("label") or metric.name
    description = flat_text(raw.get("description") or label)
    if meta.get("unit"):
        description += f" Unit: {meta['unit']}."
    if metric.inputs:
        numerator, denominator = metric.inputs
        description += (
            f" A ratio of metrics of two tables: {numerator} / {denominator}; compute each"
            " on its own table for the same groups, then divide."
        )
    if meta.get("note"):
        description += f" {flat_text(meta['note'])}"
    entry: dict[str, Any] = {"name": metric.name}
    synonyms = synonym_list(meta.get("synonyms") or [], [lower_first(label)], exclude=[metric.name])
    if synonyms:
        entry["synonyms"] = synonyms
    entry["description"] = description
    entry["expr"] = metric.expr
    return entry


def custom_instructions(metrics: Mapping[str, Metric], definition: Definition) -> str:
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
