"""Where the local engine runs: the published DuckDB warehouse, or Snowflake
(``QUESTIONS_WAREHOUSE=snowflake``), with the semantic manifest of the last
build, and the real values of the question dimensions read from there."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics_core.settings import QuestionSettings, Settings, SnowflakeSettings
from questions.data_range import Runner as Runner
from questions.guard import GuardPolicy, default_policy
from questions.local.compiling import QuestionError
from questions.semantic import Dialect, SemanticLayer

#: Snowflake's QUERY_TAG of the statements this engine runs there.
QUERY_TAG = "analytics_platform:questions:local"


@dataclass
class Connection:
    """What the engine needs of a warehouse: the layer with its relations
    named for it, a runner, the guard's policy and how to close it."""

    layer: SemanticLayer
    runner: Runner
    dialect: Dialect
    close: Callable[[], None]
    policy: GuardPolicy | None = None


def connect_duckdb(
    settings: Settings, questions: QuestionSettings, layer: SemanticLayer | None
) -> Connection:
    """The published warehouse of ``settings``, read-only."""
    from analytics_core.warehouse import DuckDBClient

    path = settings.warehouse_path
    if not path.is_file():
        raise QuestionError(
            f"no published warehouse at {path}; run `analytics build` (or `analytics up`) first"
        )
    if layer is None:
        layer = SemanticLayer.load(manifest_path=built_manifest(settings))
    client = DuckDBClient(
        path,
        statement_timeout_seconds=questions.statement_timeout_seconds,
        memory_limit=questions.memory_limit,
    )

    def run(sql: str) -> tuple[list[str], list[list[Any]]]:
        # Verbatim: the statement the guard returned is the one that runs.
        result = client.execute(sql)
        return result.columns, [list(row) for row in result.rows]

    return Connection(layer, run, "duckdb", client.close)


def connect_snowflake(
    settings: Settings,
    questions: QuestionSettings,
    layer: SemanticLayer | None,
    snowflake: SnowflakeSettings,
) -> Connection:
    """Snowflake for the local engine: MetricFlow's Snowflake SQL for the
    database of ``SNOWFLAKE_*`` (and a developer's ``<prefix>_`` schemas, from
    ``QUESTIONS_REPORTING_SCHEMA``), run like Cortex Analyst's SQL."""
    from analytics_core.snowflake import connection_parameters
    from questions.cortex_analyst.engine import snowflake_runner

    params = connection_parameters(snowflake)  # raises on missing credentials
    prefix = questions.schema_prefix
    layer = layer or SemanticLayer.load(
        manifest_path=built_manifest(settings),
        snowflake_database=snowflake.database,
        snowflake_schema_prefix=questions.schema_name_prefix,
    )

    def connect(session_parameters: Mapping[str, Any]) -> Any:
        import snowflake.connector

        return snowflake.connector.connect(**params, session_parameters=dict(session_parameters))

    runner = snowflake_runner(
        connect,
        statement_timeout=questions.statement_timeout_seconds,
        query_tag=QUERY_TAG,
        max_rows=questions.max_rows + 1,
    )
    return Connection(
        layer,
        runner,
        "snowflake",
        runner.close,
        policy=default_policy("snowflake", prefix, database=snowflake.database),
    )


def read_values(
    layer: SemanticLayer, runner: Runner, dialect: Dialect, dimensions: Sequence[str]
) -> dict[str, list[str]]:
    """The distinct values of each of ``dimensions``, from the warehouse (the
    semantic models' relations), at most 5,000 per dimension."""
    relations = layer.relation_names(dialect)
    known = {d.name: d for d in layer.dimensions()}
    values: dict[str, list[str]] = {}
    for name in dimensions:
        info = known.get(name)
        if info is None or info.semantic_model not in relations:
            continue
        table = relations[info.semantic_model]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", info.expr):
            continue
        # Names from our own semantic manifest (checked above), no input.
        sql = (
            f"select distinct cast({info.expr} as varchar) from {table}"  # noqa: S608
            f" where {info.expr} is not null order by 1 limit 5000"
        )
        _, rows = runner(sql)
        values[name] = [str(row[0]) for row in rows if row[0] not in (None, "")]
    return values


#: Most value pairs read for two dimensions of one relation.
MAX_VALUE_PAIRS = 20_000


def read_value_pairs(
    layer: SemanticLayer,
    runner: Runner,
    dialect: Dialect,
    values: Mapping[str, Sequence[str]],
) -> dict[tuple[str, str], frozenset[tuple[str, str]]]:
    """For two question dimensions of one relation whose values do not all go
    together (a country has one region; every channel has every status), the
    pairs that do: ``{(a, b): {(value of a, value of b), ...}}``. A question
    that filters on both to values that never meet asks about no rows."""
    relations = layer.relation_names(dialect)
    known = {d.name: d for d in layer.dimensions() if d.name in values}
    pairs: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}
    names = sorted(known)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            first, second = known[a], known[b]
            model = first.semantic_model
            if model != second.semantic_model or model not in relations:
                continue
            if not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", d.expr) for d in (first, second)):
                continue
            # Names from our own semantic manifest (checked above), no input.
            sql = (
                f"select distinct cast({first.expr} as varchar), cast({second.expr} as varchar)"  # noqa: S608
                f" from {relations[model]} where {first.expr} is not null"
                f" and {second.expr} is not null limit {MAX_VALUE_PAIRS + 1}"
            )
            _, rows = runner(sql)
            found = frozenset((str(x), str(y)) for x, y in rows)
            if len(found) <= MAX_VALUE_PAIRS and len(found) < len(values[a]) * len(values[b]):
                pairs[(a, b)] = found
    return pairs


def built_manifest(settings: Settings) -> Path | None:
    """The semantic manifest of the last build (Settings.built_artifact), else
    None (the project's, parsed if stale)."""
    return settings.built_artifact("semantic_manifest.json")
