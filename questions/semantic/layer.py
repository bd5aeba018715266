"""The semantic layer in-process: the project's metrics, dimensions and saved
queries, read from the semantic manifest, and MetricFlow's compiler of metric
queries to DuckDB or Snowflake SQL (nothing is run).

Importing MetricFlow takes seconds, so build one :class:`SemanticLayer` per
process and reuse it; each :meth:`SemanticLayer.compile` takes milliseconds.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from questions.semantic.manifest import (
    DUCKDB_CATALOG,
    Dialect,
    SemanticLayerError,
    load_raw_semantic_manifest,
    relation_names,
    retarget_relations,
    validate_semantic_manifest,
)
from questions.semantic.rendering import (
    RenderOnlySqlClient,
    compile_constant_templates_once,
    count_ids_in_place,
    share_filter_templates,
)

if TYPE_CHECKING:
    from metricflow.engine.metricflow_engine import MetricFlowEngine


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    description: str
    synonyms: tuple[str, ...] = ()
    type: str = "simple"
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: A ratio's numerator and denominator metrics (empty for other types).
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DimensionInfo:
    #: The group-by name, with its entity path: ``customer__region``,
    #: ``order__order_date``; an entity is its own name (``sales_region``).
    name: str
    label: str
    description: str
    synonyms: tuple[str, ...] = ()
    sample_values: tuple[str, ...] = ()
    is_time: bool = False
    #: ``categorical``, ``time`` or ``entity``.
    kind: str = "categorical"
    semantic_model: str = ""
    #: The column or SQL expression in the semantic model's relation.
    expr: str = ""
    #: The dimension's (or entity's) dbt ``meta``: ``synonyms``,
    #: ``sample_values``, and what the question engine reads
    #: (``question_order``, ``value_synonyms``, ``stands_for``).
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SavedQueryInfo:
    name: str
    label: str
    description: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    where: tuple[str, ...] = ()


# --- the layer ---------------------------------------------------------------------


def _meta(element: Mapping[str, Any]) -> dict[str, Any]:
    config = element.get("config") or {}
    meta = dict(config.get("meta") or {})
    meta.update(element.get("meta") or {})
    return meta


def _strings(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(value) for value in (values or ()))


def _saved_query_item(text: str) -> str:
    """``TimeDimension('metric_time', 'month')`` -> ``metric_time__month``;
    ``Dimension('customer__region')`` -> ``customer__region``."""
    text = text.strip()
    if "(" not in text:
        return text
    args = [
        arg.strip().strip("'\"") for arg in text[text.index("(") + 1 : text.rindex(")")].split(",")
    ]
    if text.startswith("TimeDimension") and len(args) > 1 and args[1]:
        return f"{args[0]}__{args[1]}"
    return args[0]


_METRIC_TIME = DimensionInfo(
    name="metric_time",
    label="Time",
    description=(
        "The metric's own date (order_date for order facts, first_order_date"
        " for new_customers, target_month for targets); use metric_time__day,"
        " __week (ISO, Monday), __month, __quarter or __year."
    ),
    synonyms=("date", "day", "week", "month", "quarter", "year", "period", "when"),
    is_time=True,
    kind="time",
)


def _dimension_info(
    semantic_model: str, primary: str | None, dimension: Mapping[str, Any]
) -> DimensionInfo:
    """A dimension of a semantic model, named with its primary entity."""
    meta = _meta(dimension)
    is_time = dimension.get("type") == "time"
    return DimensionInfo(
        name=f"{primary}__{dimension['name']}",
        label=dimension.get("label") or dimension["name"],
        description=dimension.get("description") or "",
        synonyms=_strings(meta.get("synonyms")),
        sample_values=_strings(meta.get("sample_values")),
        is_time=is_time,
        kind="time" if is_time else "categorical",
        semantic_model=semantic_model,
        expr=dimension.get("expr") or dimension["name"],
        meta=meta,
    )


def _entity_info(semantic_model: str, entity: Mapping[str, Any]) -> DimensionInfo:
    """A foreign entity one can group by (``sales_region``)."""
    meta = _meta(entity)
    return DimensionInfo(
        name=entity["name"],
        label=entity.get("label") or entity["name"],
        description=entity.get("description") or "",
        synonyms=_strings(meta.get("synonyms")),
        sample_values=_strings(meta.get("sample_values")),
        kind="entity",
        semantic_model=semantic_model,
        expr=entity.get("expr") or entity["name"],
        meta=meta,
    )


class SemanticLayer:
    """The project's metrics and dimensions, and a compiler of metric queries to SQL.

    ``duckdb_catalog``: the DuckDB catalog the SQL names (the published warehouse
    is ``warehouse``). ``snowflake_database``: the Snowflake database the SQL
    names (none: unqualified, the session's database); ``snowflake_schema_prefix``
    for a developer's prefixed schemas.
    """

    def __init__(
        self,
        raw_manifest: Mapping[str, Any],
        *,
        duckdb_catalog: str = DUCKDB_CATALOG,
        snowflake_database: str | None = None,
        snowflake_schema_prefix: str = "",
    ) -> None:
        self._raw = dict(raw_manifest)
        self._targets: dict[Dialect, tuple[str | None, str]] = {
            "duckdb": (duckdb_catalog, ""),
            "snowflake": (snowflake_database, snowflake_schema_prefix),
        }
        self._engines: dict[Dialect, MetricFlowEngine] = {}
        share_filter_templates()
        compile_constant_templates_once()
        count_ids_in_place()
        self._manifest = self._semantic_manifest("duckdb")
        self._engine("duckdb")

    @classmethod
    def load(
        cls,
        project_dir: Path | None = None,
        *,
        manifest_path: Path | None = None,
        duckdb_catalog: str = DUCKDB_CATALOG,
        snowflake_database: str | None = None,
        snowflake_schema_prefix: str = "",
    ) -> SemanticLayer:
        """Load the project's semantic layer (see :func:`load_raw_semantic_manifest`)."""
        return cls(
            load_raw_semantic_manifest(project_dir, manifest_path),
            duckdb_catalog=duckdb_catalog,
            snowflake_database=snowflake_database,
            snowflake_schema_prefix=snowflake_schema_prefix,
        )

    # -- MetricFlow ---------------------------------------------------------

    def _semantic_manifest(self, dialect: Dialect) -> Any:
        from metricflow_semantics.model.dbt_manifest_parser import (
            parse_manifest_from_dbt_generated_manifest,
        )

        database, prefix = self._targets[dialect]
        data = retarget_relations(self._raw, dialect, database, prefix)
        return parse_manifest_from_dbt_generated_manifest(json.dumps(data))

    def _engine(self, dialect: Dialect) -> MetricFlowEngine:
        if dialect not in self._engines:
            from metricflow.engine.metricflow_engine import MetricFlowEngine
            from metricflow_semantics.model.semantic_manifest_lookup import (
                SemanticManifestLookup,
            )

            manifest = self._manifest if dialect == "duckdb" else self._semantic_manifest(dialect)
            self._engines[dialect] = MetricFlowEngine(
                semantic_manifest_lookup=SemanticManifestLookup(manifest),
                sql_client=RenderOnlySqlClient(dialect),
            )
        return self._engines[dialect]

    def relation_names(self, dialect: Dialect = "duckdb") -> dict[str, str]:
        """Each semantic model's relation, as the SQL for ``dialect`` names it."""
        database, prefix = self._targets[dialect]
        return relation_names(self._raw, dialect, database, prefix)

    @property
    def semantic_manifest(self) -> Any:
        """The MetricFlow semantic manifest (relations named for DuckDB)."""
        return self._manifest

    @property
    def raw_manifest(self) -> Mapping[str, Any]:
        """The semantic manifest as dbt wrote it."""
        return self._raw

    # -- catalog --------------------------------------------------------------

    def validate(self) -> list[str]:
        """Errors of the semantic validations of ``mf validate-configs``."""
        return validate_semantic_manifest(self._manifest)

    def metrics(self) -> list[MetricInfo]:
        """Every metric the project defines, in definition order."""
        return metric_infos(self._raw)

    def dimensions(self) -> list[DimensionInfo]:
        """Every dimension (named with its entity path) and every entity one can
        group by; time dimensions include ``metric_time``."""
        return dimension_infos(self._raw)

    def saved_queries(self) -> list[SavedQueryInfo]:
        return saved_query_infos(self._raw)

    def group_bys_for(self, metrics: Sequence[str]) -> list[str]:
        """The group-by names (entities and dimensions, without time grains) every
        one of ``metrics`` supports, as MetricFlow resolves them."""
        from metricflow.engine.models import Dimension

        engine = self._engine("duckdb")
        return sorted(
            {
                item.dunder_name if isinstance(item, Dimension) else item.name
                for item in engine.list_group_bys(list(metrics))
            }
        )

    # -- compiling ------------------------------------------------------------

    def compile(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
        start: datetime.date | None = None,
        end: datetime.date | None = None,
        dialect: Dialect = "duckdb",
    ) -> str:
        """The SQL of a metric query (MetricFlow ``explain``); nothing is run.

        ``group_by``: names like ``metric_time__month``, ``customer__region``;
        ``where``: MetricFlow filters like ``{{ Dimension('customer__region') }} = 'EMEA'``;
        ``order_by``: metric or group-by names, ``-`` first for descending;
        ``start``/``end``: inclusive days of metric_time (whole months for
        metrics that have no days, such as targets).
        """
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        def request(
            filters: Sequence[str], first: datetime.date | None, last: datetime.date | None
        ) -> Any:
            return MetricFlowQueryRequest.create(
                metric_names=list(metrics),
                group_by_names=list(group_by),
                where_constraints=list(filters) or None,
                order_by_names=list(order_by) or None,
                limit=limit,
                time_constraint_start=_as_datetime(first),
                time_constraint_end=_as_datetime(last),
            )

        if start is None and end is None:
            return self._explain(request(where, None, None), dialect)
        # The period as day filters: exact dates (MetricFlow widens a time
        # constraint to whole weeks or months when grouping by them), and it
        # avoids a MetricFlow rendering of the `order` entity that DuckDB
        # cannot parse. Metrics without days (monthly targets) fall back to
        # MetricFlow's time constraint.
        day = "{{ TimeDimension('metric_time', 'day') }}"
        bounds = [f"{day} >= '{start.isoformat()}'"] if start else []
        bounds += [f"{day} <= '{end.isoformat()}'"] if end else []
        try:
            return self._explain(request([*where, *bounds], None, None), dialect)
        except SemanticLayerError:
            return self._explain(request(where, start, end), dialect)

    def compile_saved_query(self, name: str, dialect: Dialect = "duckdb") -> str:
        """The SQL of a saved query."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        return self._explain(MetricFlowQueryRequest.create(saved_query_name=name), dialect)

    def _explain(self, request: Any, dialect: Dialect) -> str:
        try:
            result = self._engine(dialect).explain(request)
        except Exception as error:  # MetricFlow raises many kinds; one for callers
            raise SemanticLayerError(str(error)) from error
        sql: str = result.sql_statement.sql
        return sql


def _as_datetime(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    if isinstance(day, datetime.datetime):
        return day
    return datetime.datetime(day.year, day.month, day.day)


def _ratio_inputs(metric: Mapping[str, Any]) -> tuple[str, ...]:
    """A ratio metric's numerator and denominator names."""
    if metric.get("type") != "ratio":
        return ()
    params = metric.get("type_params") or {}
    names = []
    for part in ("numerator", "denominator"):
        ref = params.get(part)
        name = ref.get("name") if isinstance(ref, Mapping) else ref
        if not isinstance(name, str):
            return ()
        names.append(name)
    return tuple(names)


# --- the catalog, from the manifest alone (no MetricFlow) ------------------------------


def metric_infos(raw: Mapping[str, Any]) -> list[MetricInfo]:
    """Every metric of the semantic manifest ``raw``, in definition order."""
    return [
        MetricInfo(
            name=metric["name"],
            label=metric.get("label") or metric["name"],
            description=metric.get("description") or "",
            synonyms=_strings(_meta(metric).get("synonyms")),
            type=str(metric.get("type", "simple")),
            meta=_meta(metric),
            inputs=_ratio_inputs(metric),
        )
        for metric in raw.get("metrics", [])
    ]


def dimension_infos(raw: Mapping[str, Any]) -> list[DimensionInfo]:
    """Every dimension (named with its entity path) and every entity one can
    group by in ``raw``; time dimensions include ``metric_time``."""
    found: dict[str, DimensionInfo] = {"metric_time": _METRIC_TIME}
    for model in raw.get("semantic_models", []):
        entities = model.get("entities", [])
        primary = model.get("primary_entity") or next(
            (e["name"] for e in entities if e.get("type") in ("primary", "unique")), None
        )
        for dimension in model.get("dimensions", []):
            info = _dimension_info(model["name"], primary, dimension)
            found.setdefault(info.name, info)
        for entity in entities:
            if entity.get("type") == "foreign" and entity["name"] not in found:
                found[entity["name"]] = _entity_info(model["name"], entity)
    return list(found.values())


def saved_query_infos(raw: Mapping[str, Any]) -> list[SavedQueryInfo]:
    """The saved queries of ``raw``, in definition order."""
    return [
        SavedQueryInfo(
            name=query["name"],
            label=query.get("label") or query["name"],
            description=query.get("description") or "",
            metrics=tuple(query["query_params"].get("metrics") or ()),
            group_by=tuple(
                _saved_query_item(item) for item in query["query_params"].get("group_by") or ()
            ),
            where=tuple(
                w["where_sql_template"]
                for w in ((query["query_params"].get("where") or {}).get("where_filters") or ())
            ),
        )
        for query in raw.get("saved_queries", [])
    ]
