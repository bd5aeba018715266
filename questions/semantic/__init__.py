"""The semantic layer in-process: the dbt semantic models and metrics
(``dbt_project/models/semantic/``) loaded into MetricFlow, which compiles a
metric query to SQL for DuckDB or Snowflake without running anything.

- :mod:`~questions.semantic.manifest`: the semantic manifest dbt writes
  (``target/semantic_manifest.json``, or a fresh ``dbt parse``), its relations
  renamed for the warehouse the SQL is for (the published DuckDB file, catalog
  ``warehouse``, or a Snowflake database), and its validations;
- :mod:`~questions.semantic.layer`: :class:`SemanticLayer`, the catalog of
  metrics, dimensions and saved queries, and the compiler (the catalog alone,
  without MetricFlow: :func:`metric_infos`, :func:`dimension_infos`,
  :func:`saved_query_infos` of a raw manifest);
- :mod:`~questions.semantic.rendering`: what MetricFlow needs to render SQL
  here (a SQL client that runs nothing, one shared filter-template sandbox).

The names below are the layer's public interface; import them from here.
"""

from questions.semantic.layer import (
    DimensionInfo,
    MetricInfo,
    SavedQueryInfo,
    SemanticLayer,
    dimension_infos,
    metric_infos,
    saved_query_infos,
)
from questions.semantic.manifest import (
    DUCKDB_CATALOG,
    Dialect,
    SemanticLayerError,
    load_raw_semantic_manifest,
    parse_semantic_manifest,
    relation_names,
    retarget_relations,
    validate_semantic_manifest,
)

__all__ = [
    "DUCKDB_CATALOG",
    "Dialect",
    "DimensionInfo",
    "MetricInfo",
    "SavedQueryInfo",
    "SemanticLayer",
    "SemanticLayerError",
    "dimension_infos",
    "load_raw_semantic_manifest",
    "metric_infos",
    "parse_semantic_manifest",
    "relation_names",
    "retarget_relations",
    "saved_query_infos",
    "validate_semantic_manifest",
]
