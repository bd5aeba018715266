"""The semantic layer in-process: the dbt semantic models and metrics
(``dbt_project/models/semantic/``) loaded into MetricFlow, which compiles a
metric query to SQL for DuckDB or Snowflake without running anything.

Importing MetricFlow takes seconds, so build one :class:`SemanticLayer` per
process and reuse it; each :meth:`SemanticLayer.compile` takes milliseconds.

The semantic manifest comes from dbt (``target/semantic_manifest.json``, written
by every dbt command). The relation names in it are those of the warehouse dbt
parsed against; the layer rewrites them to the warehouse the SQL is for: the
published DuckDB file (catalog ``warehouse``) or a Snowflake database.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from analytics_core.errors import AnalyticsError
from analytics_core.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from metricflow.engine.metricflow_engine import MetricFlowEngine

Dialect = Literal["duckdb", "snowflake"]

#: Where dbt writes the semantic manifest, relative to the project (or target) dir.
SEMANTIC_MANIFEST = Path("target") / "semantic_manifest.json"
#: The sources of the semantic layer: a manifest older than any of them is stale.
SEMANTIC_SOURCES = (Path("dbt_project") / "models" / "semantic", Path("dbt_project.yml"))
#: The DuckDB catalog of the published warehouse (its file is ``warehouse.duckdb``).
DUCKDB_CATALOG = "warehouse"


class SemanticLayerError(AnalyticsError):
    """The semantic manifest cannot be loaded, or a query cannot be compiled."""


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    description: str
    synonyms: tuple[str, ...] = ()
    type: str = "simple"
    meta: Mapping[str, Any] = field(default_factory=dict)


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


# --- the manifest --------------------------------------------------------------


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for source in SEMANTIC_SOURCES:
        path = project_dir / source
        files = [path] if path.is_file() else list(path.rglob("*")) if path.is_dir() else []
        for file in files:
            if file.is_file():
                newest = max(newest, file.stat().st_mtime)
    return newest


def parse_semantic_manifest(project_dir: Path | None = None) -> dict[str, Any]:
    """Run ``dbt parse`` (no warehouse connection, about 15 s) into a temporary
    target dir and return the semantic manifest it wrote."""
    project_dir = PROJECT_ROOT if project_dir is None else Path(project_dir)
    dbt = Path(sys.executable).with_name("dbt")
    executable = str(dbt) if dbt.exists() else shutil.which("dbt")
    if executable is None:
        raise SemanticLayerError("dbt is not installed: cannot parse the semantic layer")
    with tempfile.TemporaryDirectory(prefix="semantic-parse-") as tmp:
        profiles = Path(tmp) / "profiles"
        profiles.mkdir()
        example = project_dir / "profiles.yml.example"
        shutil.copy(
            example if example.is_file() else PROJECT_ROOT / example.name, profiles / "profiles.yml"
        )
        env = {
            **os.environ,
            "DBT_TARGET": "local",
            "ANALYTICS_DUCKDB_PATH": str(Path(tmp) / f"{DUCKDB_CATALOG}.duckdb"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        target = Path(tmp) / "target"
        proc = subprocess.run(  # noqa: S603 - our own dbt, fixed arguments
            [
                executable,
                "parse",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(profiles),
                "--target-path",
                str(target),
                "--log-path",
                str(Path(tmp) / "logs"),
                "--no-partial-parse",
            ],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        manifest = target / "semantic_manifest.json"
        if proc.returncode != 0 or not manifest.is_file():
            raise SemanticLayerError(
                f"dbt parse failed:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}"
            )
        data: dict[str, Any] = json.loads(manifest.read_text())
        return data


def load_raw_semantic_manifest(
    project_dir: Path | None = None, manifest_path: Path | None = None
) -> dict[str, Any]:
    """The semantic manifest as dbt wrote it (JSON).

    ``manifest_path`` if given; else ``<project_dir>/target/semantic_manifest.json``
    if it is newer than the semantic YAML; else a fresh ``dbt parse`` (about 15 s).
    """
    if manifest_path is not None:
        data: dict[str, Any] = json.loads(Path(manifest_path).read_text())
        return data
    project_dir = PROJECT_ROOT if project_dir is None else Path(project_dir)
    cached = project_dir / SEMANTIC_MANIFEST
    if cached.is_file() and cached.stat().st_mtime >= _newest_source_mtime(project_dir):
        data = json.loads(cached.read_text())
        return data
    return parse_semantic_manifest(project_dir)


def _quote(dialect: Dialect, *parts: str) -> str:
    if dialect == "duckdb":
        return ".".join('"' + part.replace('"', '""') + '"' for part in parts)
    # Snowflake: unquoted, as dbt-snowflake names them (case-insensitive).
    return ".".join(parts)


def retarget_relations(
    raw: Mapping[str, Any],
    dialect: Dialect,
    database: str | None,
    schema_prefix: str = "",
) -> dict[str, Any]:
    """A copy of the raw manifest whose relations live in ``database`` (none: the
    session's current database) with ``schema_prefix`` before each schema
    (``dev_me_`` for a developer's Snowflake schemas; a schema that has it
    already keeps it once)."""
    data: dict[str, Any] = json.loads(json.dumps(raw))
    relations = [model["node_relation"] for model in data.get("semantic_models", [])]
    configuration = data.get("project_configuration", {})
    relations += [spine["node_relation"] for spine in configuration.get("time_spines", [])]
    relations += [
        table["node_relation"]
        for table in configuration.get("time_spine_table_configurations", [])
        if isinstance(table, dict) and "node_relation" in table
    ]
    for relation in relations:
        schema = relation["schema_name"]
        # A manifest from a build on a prefixed Snowflake target names its
        # schemas with the prefix already: prefix each schema once.
        if not schema.lower().startswith(schema_prefix.lower()):
            schema = schema_prefix + schema
        relation["schema_name"] = schema
        relation["database"] = database
        parts = ([database] if database else []) + [schema, relation["alias"]]
        relation["relation_name"] = _quote(dialect, *parts)
    return data


def validate_semantic_manifest(manifest: Any) -> list[str]:
    """Blocking issues of ``mf validate-configs``' semantic validations (no
    warehouse queries); empty when the manifest is valid."""
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )

    results = SemanticManifestValidator[Any]().validate_semantic_manifest(manifest)
    return [issue.as_readable_str() for issue in results.errors]


# --- the SQL clients MetricFlow needs to render ------------------------------------


def _refuse() -> SemanticLayerError:
    """By design, not a gap: MetricFlow only renders SQL here. What runs is the
    guarded statement, through the warehouse's read-only client."""
    return SemanticLayerError("the semantic layer compiles SQL; it never runs it")


class _RenderOnlySqlClient:
    """A MetricFlow ``SqlClient`` that only knows its engine and renderer:
    ``explain`` renders SQL, nothing here runs it."""

    def __init__(self, dialect: Dialect) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
        from metricflow.sql.render.snowflake import SnowflakeSqlPlanRenderer

        self._engine: Any
        self._renderer: Any
        if dialect == "duckdb":
            self._engine, self._renderer = SqlEngine.DUCKDB, DuckDbSqlPlanRenderer()
        elif dialect == "snowflake":
            self._engine, self._renderer = SqlEngine.SNOWFLAKE, SnowflakeSqlPlanRenderer()
        else:
            raise SemanticLayerError(f"unknown dialect {dialect!r}")

    @property
    def sql_engine_type(self) -> Any:
        return self._engine

    @property
    def sql_plan_renderer(self) -> Any:
        return self._renderer

    def query(self, *args: Any, **kwargs: Any) -> Any:
        raise _refuse()

    def execute(self, *args: Any, **kwargs: Any) -> None:
        raise _refuse()

    def dry_run(self, *args: Any, **kwargs: Any) -> None:
        raise _refuse()

    def close(self) -> None:
        return None

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f":{bind_parameter_key}"


# --- compiling faster ------------------------------------------------------------------

_TEMPLATE_MODULES = (
    "metricflow_semantics.specs.where_filter.where_filter_spec_factory",
    "metricflow_semantic_interfaces.parsing.text_input.ti_processor",
    "metricflow_semantic_interfaces.parsing.text_input.rendering_helper",
    "metricflow.converters.filter_utils",
)


def _share_filter_templates() -> None:
    """Compile each where-filter template once per process.

    MetricFlow renders every metric and query filter (``{{ Dimension(...) }} =
    true``) through a new Jinja ``SandboxedEnvironment`` several times per
    query, recompiling the same few templates: about a fifth of a compile.
    The modules that do so get one shared sandbox (still a
    ``SandboxedEnvironment``, same ``undefined``) whose ``from_string``
    remembers compiled templates; rendering a compiled template is reentrant.
    """
    import importlib
    from functools import lru_cache

    from jinja2.sandbox import SandboxedEnvironment

    environments: dict[type, SandboxedEnvironment] = {}

    class _SharedSandbox(SandboxedEnvironment):
        @lru_cache(maxsize=1024)  # noqa: B019 - the environments live as long as the process
        def _compiled(self, source: str) -> Any:
            return super().from_string(source)

        def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
            if globals is None and template_class is None and isinstance(source, str):
                return self._compiled(source)
            return super().from_string(source, globals, template_class)

    def shared(*args: Any, **kwargs: Any) -> SandboxedEnvironment:
        undefined = kwargs.get("undefined")
        if args or set(kwargs) - {"undefined"} or not isinstance(undefined, type):
            return SandboxedEnvironment(*args, **kwargs)
        if undefined not in environments:
            environments[undefined] = _SharedSandbox(undefined=undefined)
        return environments[undefined]

    shared.shared_sandbox = True  # type: ignore[attr-defined]
    for name in _TEMPLATE_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        current = getattr(module, "SandboxedEnvironment", None)
        if current is SandboxedEnvironment:
            module.SandboxedEnvironment = shared  # type: ignore[attr-defined]


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
        _share_filter_templates()
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
                sql_client=_RenderOnlySqlClient(dialect),
            )
        return self._engines[dialect]

    def relation_names(self, dialect: Dialect = "duckdb") -> dict[str, str]:
        """Each semantic model's relation, as the SQL for ``dialect`` names it."""
        database, prefix = self._targets[dialect]
        data = retarget_relations(self._raw, dialect, database, prefix)
        return {
            model["name"]: model["node_relation"]["relation_name"]
            for model in data.get("semantic_models", [])
        }

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
        return [
            MetricInfo(
                name=metric["name"],
                label=metric.get("label") or metric["name"],
                description=metric.get("description") or "",
                synonyms=_strings(_meta(metric).get("synonyms")),
                type=str(metric.get("type", "simple")),
                meta=_meta(metric),
            )
            for metric in self._raw.get("metrics", [])
        ]

    def dimensions(self) -> list[DimensionInfo]:
        """Every dimension (named with its entity path) and every entity one can
        group by; time dimensions include ``metric_time``."""
        found: dict[str, DimensionInfo] = {
            "metric_time": DimensionInfo(
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
        }
        for model in self._raw.get("semantic_models", []):
            entities = model.get("entities", [])
            primary = model.get("primary_entity") or next(
                (e["name"] for e in entities if e.get("type") in ("primary", "unique")), None
            )
            for dimension in model.get("dimensions", []):
                meta = _meta(dimension)
                name = f"{primary}__{dimension['name']}"
                is_time = dimension.get("type") == "time"
                found.setdefault(
                    name,
                    DimensionInfo(
                        name=name,
                        label=dimension.get("label") or dimension["name"],
                        description=dimension.get("description") or "",
                        synonyms=_strings(meta.get("synonyms")),
                        sample_values=_strings(meta.get("sample_values")),
                        is_time=is_time,
                        kind="time" if is_time else "categorical",
                        semantic_model=model["name"],
                        expr=dimension.get("expr") or dimension["name"],
                        meta=meta,
                    ),
                )
            for entity in entities:
                if entity.get("type") == "foreign" and entity["name"] not in found:
                    meta = _meta(entity)
                    found[entity["name"]] = DimensionInfo(
                        name=entity["name"],
                        label=entity.get("label") or entity["name"],
                        description=entity.get("description") or "",
                        synonyms=_strings(meta.get("synonyms")),
                        sample_values=_strings(meta.get("sample_values")),
                        kind="entity",
                        semantic_model=model["name"],
                        expr=entity.get("expr") or entity["name"],
                        meta=meta,
                    )
        return list(found.values())

    def saved_queries(self) -> list[SavedQueryInfo]:
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
            for query in self._raw.get("saved_queries", [])
        ]

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
