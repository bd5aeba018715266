"""bench_build.py's baseline: the SQL of a full build (hooks, seeds, models,
snapshots, data tests) run straight in DuckDB, without dbt."""

from __future__ import annotations

import graphlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from build_measure import BUILD_TYPES, LoggedInvocation

#: Materialisations the baseline creates as tables.
TABLE_MATERIALIZATIONS = ("table", "incremental")


# --------------------------------------------------------------------------- baseline


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def strip_sql(code: str) -> str:
    return code.strip().rstrip(";").strip()


def snapshot_sql(relation: str, code: str, config: Mapping[str, Any]) -> str:
    """dbt's first snapshot run (timestamp strategy): the source rows plus meta columns."""
    if config.get("strategy") not in (None, "timestamp"):
        raise ValueError(f"baseline supports timestamp snapshots only, not {config['strategy']}")
    names = {
        "dbt_scd_id": "dbt_scd_id",
        "dbt_updated_at": "dbt_updated_at",
        "dbt_valid_from": "dbt_valid_from",
        "dbt_valid_to": "dbt_valid_to",
        "dbt_is_deleted": "dbt_is_deleted",
    }
    for key, value in (config.get("snapshot_meta_column_names") or {}).items():
        if value:
            names[key] = value
    updated_at = config["updated_at"]
    keys = config["unique_key"]
    keys = [keys] if isinstance(keys, str) else list(keys)
    hashed = "\n || '|' || ".join(
        f"coalesce(cast({part} as varchar), '')" for part in [*keys, updated_at]
    )
    valid_to = f"nullif({updated_at}, {updated_at})"
    if config.get("dbt_valid_to_current"):
        valid_to = f"coalesce({valid_to}, {config['dbt_valid_to_current']})"
    extra = ""
    if config.get("hard_deletes") == "new_record":
        extra = f",\n    'False' as {quote(names['dbt_is_deleted'])}"
    return (
        f"create table {relation} as\n"
        f"select *,\n"
        f"    md5({hashed}) as {quote(names['dbt_scd_id'])},\n"
        f"    {updated_at} as {quote(names['dbt_updated_at'])},\n"
        f"    {updated_at} as {quote(names['dbt_valid_from'])},\n"
        f"    {valid_to} as {quote(names['dbt_valid_to'])}{extra}\n"
        f"from (\n{strip_sql(code)}\n) as sbq"
    )


def seed_sql(relation: str, node: Mapping[str, Any]) -> str:
    csv = Path(node["root_path"]) / node["original_file_path"]
    config = node["config"]
    types = config.get("column_types") or {}
    options = ["header = true", f"delim = {sql_string(config.get('delimiter') or ',')}"]
    if types:
        struct = ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in types.items())
        options.append(f"types = {{{struct}}}")
    return (
        f"create table {relation} as\n"
        f"select * from read_csv({sql_string(str(csv))}, {', '.join(options)})"
    )


@dataclass
class BaselineStep:
    unique_id: str
    kind: str
    statements: list[str]


@dataclass
class BaselineResult:
    seconds: float
    by_type: dict[str, float]
    node_times: dict[str, float]
    failing_tests: list[str]
    skipped: dict[str, int] = field(default_factory=dict)
    catalog: str = ""
    database: Path = Path()
    steps: int = 0
    hook_statements: int = 0
    setup_statements: int = 0
    setup_commands: list[str] = field(default_factory=list)
    #: unique_id -> rows of each table the baseline built
    rows: dict[str, int] = field(default_factory=dict)


def baseline_steps(
    manifest: Mapping[str, Any], run_results: Mapping[str, Any], logged: LoggedInvocation
) -> tuple[list[BaselineStep], dict[str, int]]:
    """The full build as plain SQL: on-run-start hooks, nodes, on-run-end hook.

    Nodes come in topological order. Their compiled code comes from the full
    build's run_results.json: after the build, ``analytics build`` runs
    ``dbt docs generate``, whose manifest compiles incremental models with
    their incremental branch. The hooks' statements come from dbt.log
    (``logged``): they are what the hook macros executed, in order, in the
    build (the monitoring_raw schema and tables the monitoring models read,
    the raw contract check, the run results the on-run-end hook records).
    """
    nodes = manifest["nodes"]
    compiled = {r["unique_id"]: r.get("compiled_code") for r in run_results["results"]}
    built = [uid for uid in compiled if uid in nodes]
    skipped: dict[str, int] = {}
    for uid in compiled:
        if uid not in nodes:
            kind = uid.split(".", 1)[0]
            skipped[kind] = skipped.get(kind, 0) + 1
    in_build = set(built)
    graph: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for uid in sorted(built):
        deps = [d for d in nodes[uid]["depends_on"].get("nodes", []) if d in in_build]
        graph.add(uid, *deps)

    def hook_steps(hook: str) -> list[BaselineStep]:
        return [
            BaselineStep(uid, "operation", statements)
            for uid, statements in logged.hook_statements(hook).items()
            if uid in compiled and statements
        ]

    steps: list[BaselineStep] = hook_steps("on-run-start")
    schemas_made: set[tuple[str, str]] = set()
    for uid in graph.static_order():
        node = nodes[uid]
        kind = node["resource_type"]
        if kind == "operation":
            continue  # the hooks, before and after the nodes
        code = compiled.get(uid) or node.get("compiled_code") or ""
        relation = node.get("relation_name")
        statements: list[str] = []
        if kind in BUILD_TYPES:
            materialized = node["config"].get("materialized")
            if kind == "model" and materialized == "ephemeral":
                skipped["ephemeral model"] = skipped.get("ephemeral model", 0) + 1
                continue
            schema = (node["database"], node["schema"])
            if schema not in schemas_made:
                schemas_made.add(schema)
                statements.append(
                    f"create schema if not exists {quote(schema[0])}.{quote(schema[1])}"
                )
            if kind == "seed":
                statements.append(seed_sql(relation, node))
            elif kind == "snapshot":
                statements.append(snapshot_sql(relation, code, node["config"]))
            elif materialized == "view":
                statements.append(f"create view {relation} as (\n{strip_sql(code)}\n)")
            elif materialized in TABLE_MATERIALIZATIONS:
                statements.append(f"create table {relation} as (\n{strip_sql(code)}\n)")
            else:
                raise ValueError(f"{uid}: materialization {materialized!r} is not supported")
        elif kind == "test":
            statements.append(
                f"select count(*) from (\n{strip_sql(code)}\n) as dbt_internal_test"  # noqa: S608
            )
        else:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        steps.append(BaselineStep(uid, kind, statements))
    steps += hook_steps("on-run-end")
    return steps, skipped


def run_baseline(
    database: Path, steps: Sequence[BaselineStep], setup: Sequence[str] = ()
) -> BaselineResult:
    """Execute ``steps`` in one DuckDB connection; time it, connect to close.

    ``setup`` runs first, untimed, in a connection of its own: what the
    database held when ``dbt build`` started besides the raw data.
    """
    if setup:
        with duckdb.connect(str(database)) as con:
            for statement in setup:
                con.execute(statement)
    by_type: dict[str, float] = {}
    node_times: dict[str, float] = {}
    failing: list[str] = []
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    try:
        for step in steps:
            node_started = time.perf_counter()
            row = None
            for statement in step.statements:
                cursor = con.execute(statement)
                if step.kind == "test":
                    row = cursor.fetchone()
            seconds = time.perf_counter() - node_started
            node_times[step.unique_id] = seconds
            by_type[step.kind] = by_type.get(step.kind, 0.0) + seconds
            if step.kind == "test" and row is not None and row[0]:
                failing.append(step.unique_id)
    finally:
        con.close()
    return BaselineResult(
        seconds=time.perf_counter() - started,
        by_type=by_type,
        node_times=node_times,
        failing_tests=failing,
    )


def table_relations(manifest: Mapping[str, Any], unique_ids: Iterable[str]) -> dict[str, str]:
    """unique_id -> relation of every seed, snapshot and table-like model in ``unique_ids``."""
    out: dict[str, str] = {}
    for uid in unique_ids:
        node = manifest["nodes"].get(uid)
        if node is None or node["resource_type"] not in BUILD_TYPES:
            continue
        if node["resource_type"] == "model" and (
            node["config"].get("materialized") not in TABLE_MATERIALIZATIONS
        ):
            continue
        out[uid] = node["relation_name"]
    return out


def row_counts(database: Path, relations: Mapping[str, str]) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            uid: int(con.execute(f"select count(*) from {rel}").fetchone()[0])  # type: ignore[index]  # noqa: S608
            for uid, rel in relations.items()
        }
