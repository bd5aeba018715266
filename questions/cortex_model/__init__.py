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

Its parts: :mod:`~questions.cortex_model.definition` (the dbt definition
indexed, shared helpers), :mod:`~questions.cortex_model.tables` (columns and
relationships), :mod:`~questions.cortex_model.metrics`,
:mod:`~questions.cortex_model.verified` (verified queries),
:mod:`~questions.cortex_model.model` (:func:`build_semantic_model`),
:mod:`~questions.cortex_model.semantic_view` (the DDL writer) and
:mod:`~questions.cortex_model.output` (YAML, :func:`render`). The names below
are its public interface; import them from here.

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

from questions.cortex_model.definition import CortexModelError
from questions.cortex_model.model import DEFAULT_MODEL_NAME, PERSONAL_DATA, build_semantic_model
from questions.cortex_model.output import render, to_yaml
from questions.cortex_model.semantic_view import create_semantic_view_sql, default_view_name

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
