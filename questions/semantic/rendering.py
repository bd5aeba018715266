"""What MetricFlow needs to render SQL in-process, and nothing more: a SQL
client that knows its engine and renderer but refuses to run anything, and
one shared sandboxed Jinja environment for the where-filter templates, so
each template compiles once per process.
"""

from __future__ import annotations

from typing import Any

from questions.semantic.manifest import Dialect, SemanticLayerError

# --- the SQL clients MetricFlow needs to render ------------------------------------


def _refuse() -> SemanticLayerError:
    """By design, not a gap: MetricFlow only renders SQL here. What runs is the
    guarded statement, through the warehouse's read-only client."""
    return SemanticLayerError("the semantic layer compiles SQL; it never runs it")


class RenderOnlySqlClient:
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


def share_filter_templates() -> None:
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
