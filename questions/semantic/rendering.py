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


def count_ids_in_place() -> None:
    """Give MetricFlow's sequential ids (node ids, ``subq_N`` aliases) an O(1) counter.

    MetricFlow keeps the next number of each id prefix in an immutable state
    and, for every id it hands out (a few hundred per query: one per plan node
    and SQL expression), copies all the prefixes' counters into a new state: a
    third of a compile. Here the first id drawn from a state makes a fresh
    state owned by the current context (the same numbers), whose counters are
    then updated in place. The ids are the same numbers in the same order, so
    the SQL is the same; ``reset`` and ``id_number_space`` still start from the
    values they are given (they push or put new states). A context copied while
    it holds such a state draws from the same counters, so its ids stay unique.
    """
    from metricflow_semantics.dag import sequential_id as ids

    generator = ids.SequentialIdGenerator
    if getattr(generator.create_next_id, "counts_in_place", False):
        return
    stack, state_type = ids._IdGenerationStateStack, ids._IdGenerationState

    def create_next_id(cls: type, id_prefix: Any) -> Any:
        state = stack.get_current_state()
        counters = state.__dict__.get("_counters_in_place")
        if counters is None:
            counters = dict(state.prefix_to_next_value)
            state = state_type.create(default_start_value=state.default_start_value)
            state.__dict__["_counters_in_place"] = counters
            # What MetricFlow reads the counters through (a cached property).
            state.__dict__["prefix_to_next_value"] = counters
            stack.replace_current_state(state)
        next_index = counters.get(id_prefix) or state.default_start_value
        counters[id_prefix] = next_index + 1
        return ids.SequentialId(id_prefix=id_prefix, index=next_index)

    create_next_id.counts_in_place = True  # type: ignore[attr-defined]
    create_next_id.metricflows = generator.__dict__["create_next_id"]  # type: ignore[attr-defined]
    generator.create_next_id = classmethod(create_next_id)  # type: ignore[assignment,method-assign]


class _ConstantTemplates:
    """``jinja2`` as a module sees it, except that ``Template(source)`` of a
    source seen before is the template compiled then (rendering is reentrant)."""

    def __init__(self, jinja2: Any) -> None:
        from functools import lru_cache

        self._jinja2 = jinja2
        self._compiled = lru_cache(maxsize=256)(jinja2.Template)

    def Template(self, source: Any, *args: Any, **kwargs: Any) -> Any:  # jinja2's name
        if args or kwargs or not isinstance(source, str):
            return self._jinja2.Template(source, *args, **kwargs)
        return self._compiled(source)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jinja2, name)


def compile_constant_templates_once() -> None:
    """MetricFlow's SQL expression renderer builds a ``jinja2.Template`` from
    the same constant text for every long ``AND``/``OR`` argument it renders
    (a few per query, each compiled from scratch: a Jinja parse and a Python
    ``compile``); the renderer's module gets a ``jinja2`` whose ``Template``
    remembers what it compiled."""
    import importlib

    import jinja2

    try:
        module = importlib.import_module("metricflow.sql.render.expr_renderer")
    except ImportError:
        return
    if getattr(module, "jinja2", None) is jinja2:
        module.jinja2 = _ConstantTemplates(jinja2)  # type: ignore[attr-defined]
