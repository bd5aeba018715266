"""Benchmark: generate, full build, 1% incremental build, and dbt against plain DuckDB.

Run from the repository root::

    uv run python benchmarks/bench_build.py [--scale 1.0] [--keep DIR]

Everything happens in a fresh ANALYTICS_HOME (a temporary directory, or DIR
with ``--keep``), in one run:

1. ``generate`` (the generator API, DuckDB sink) at ``--scale``: wall seconds
   and order items per second.
2. ``analytics build`` on that data (a full build): wall seconds of the
   command, of the ``dbt build`` invocation, and dbt's model time (the sum of
   ``execution_time`` of seeds, models and snapshots in ``run_results.json``)
   and test time.
3. ``analytics generate --increment --days 7`` (about 1% of the 730-day
   history), then ``analytics build`` again (incremental): the ratio of its
   model time to the full build's.
4. A baseline: the SQL of the full build executed straight in DuckDB (no
   dbt), in one connection, on a copy of the raw data taken before the full
   build: the statements the on-run-start hooks ran (read from dbt.log, see
   parse_dbt_log), the compiled code of every seed, model, snapshot and data
   test, and the statements of the on-run-end hook. dbt's ``dbt build`` wall
   time divided by the baseline's is the overhead of dbt.

Results go to stdout (progress to stderr); the last block is a markdown table
for ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import graphlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from analytics_core.settings import Settings  # noqa: E402
from orchestration import warehouse_publish as files  # noqa: E402

ANALYTICS = Path(sys.executable).parent / "analytics"

#: Days of history ``generate`` writes (see orchestration.generator.timeline).
HISTORY_DAYS = 730
INCREMENT_DAYS = 7

GENERATE_TARGET_SECONDS = 60.0
#: Issue 16's targets: a full build's wall at most 1.5x the baseline; with
#: nothing new, under 5 s or at most 10% of a full build; after a 1%
#: increment, wall at most 25% and model time at most 10% of the full
#: build's, bytes copied and written in proportion to the change.
BASELINE_TARGET_RATIO = 1.5
NOTHING_NEW_SECONDS = 5.0
NOTHING_NEW_RATIO = 0.10
INCREMENT_WALL_RATIO = 0.25
INCREMENTAL_TARGET_RATIO = 0.10
INCREMENT_BYTES_RATIO = 0.10

#: Node types whose execution_time counts as "model time".
BUILD_TYPES = ("seed", "model", "snapshot")
#: Materialisations the baseline creates as tables.
TABLE_MATERIALIZATIONS = ("table", "incremental")
#: How the report names a resource type (default: the type plus "s").
KIND_LABELS = {"operation": "hooks (on-run-start, on-run-end)", "test": "data tests"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- machine


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    nproc = subprocess.run(
        ["nproc"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip() or str(len(os.sched_getaffinity(0)))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": nproc,
        "memory": memory,
        "cpu": cpu,
        "load average (1/5/15 min) at start": load,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt-core": _version("dbt-core"),
        "dbt-duckdb": _version("dbt-duckdb"),
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


# --------------------------------------------------------------------------- running things


def cli_env(home: Path) -> dict[str, str]:
    """This environment with a private home and the local target (as the tests do)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANALYTICS_", "SNOWFLAKE_"))}
    env.pop("DBT_PROFILES_DIR", None)
    env["ANALYTICS_HOME"] = str(home)
    env["ANALYTICS_TARGET"] = "local"
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    # The baseline replays the SQL the hooks ran, read from dbt.log: the log
    # file must have the queries (debug, dbt's default) and must not rotate
    # in the middle of a build.
    env["DBT_LOG_LEVEL_FILE"] = "debug"
    env["DBT_LOG_FILE_MAX_BYTES"] = "0"
    return env


@dataclass
class CommandRun:
    """One ``analytics`` command: wall time, output and what the kernel counted."""

    wall: float
    stdout: str
    #: Largest resident set of the command or any process it waited for
    #: (dbt's session process), bytes: ``ru_maxrss`` from ``wait4``.
    peak_rss: int
    #: Bytes the command and its children caused to be written to storage
    #: (``ru_oublock``, 512-byte units): file copies, DuckDB pages, logs.
    written: int


def run_analytics(home: Path, *args: str) -> CommandRun:
    """Run ``analytics ARGS`` (exit on failure)."""
    log(f"analytics {' '.join(args)}")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            [str(ANALYTICS), *args], env=cli_env(home), stdout=out, stderr=err
        )
        # wait4, not wait: its rusage covers the command and the children it
        # waited for (the dbt process), which Popen.wait does not return.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", errors="replace")
        stderr = err.read().decode("utf-8", errors="replace")
    if proc.returncode != 0:
        sys.stderr.write(stdout[-4000:] + stderr[-4000:])
        sys.exit(f"analytics {' '.join(args)} failed (exit {proc.returncode})")
    run = CommandRun(
        wall=seconds,
        stdout=stdout,
        peak_rss=usage.ru_maxrss * 1024,
        written=usage.ru_oublock * 512,
    )
    log(f"  done in {seconds:.1f} s (peak RSS {gib(run.peak_rss)}, wrote {gib(run.written)})")
    return run


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def raw_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [
            str(row[0])
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_data'"
            ).fetchall()
        ]
        return {
            name: int(con.execute(f'select count(*) from raw_data."{name}"').fetchone()[0])  # type: ignore[index]  # noqa: S608
            for name in tables
        }


# --------------------------------------------------------------------------- dbt.log

#: A line of dbt's text log file starts with the time: ``14:18:18  message``;
#: the lines that follow without one (the rest of a query) belong to it.
LOG_LINE = re.compile(r"^\d{2}:\d{2}:\d{2}(?:\.\d+)?\s{1,2}(?P<message>.*)$")
#: A query dbt ran on the ``master`` connection, where the project hooks run
#: (nodes run on connections named after them). dbt prefixes it with its
#: query comment; BEGIN, COMMIT and ROLLBACK have none.
HOOK_QUERY = re.compile(r"^On master: /\* \{.*?\} \*/\s*(?P<sql>.*?)\s*$", re.DOTALL)
#: dbt renders a hook (running the statements its macros execute) just
#: before it writes the hook's compiled SQL, then runs that SQL and logs
#: the result: every master query belongs to the next of these two lines.
HOOK_COMPILED = re.compile(r'^Writing injected SQL for node "(?P<uid>operation\.[^"]+)"')
HOOK_DONE = re.compile(
    r"^\d+ of \d+ \S+ hook: (?P<package>[^.\s]+)\.(?P<hook>on-run-(?:start|end))\.(?P<index>\d+) "
)
#: dbt names a command ``dbt build`` when it is its own process and ``cli
#: build`` when it runs through dbt's programmatic runner, as the build's
#: session driver (orchestration/dbt_session.py) runs it.
COMMAND_END = re.compile(
    r"^Command `(?:dbt|cli) (?P<command>[^`]+)` (?P<outcome>succeeded|failed) at \S+ "
    r"after (?P<seconds>[\d.]+) seconds"
)


#: dbt's last line about a command: its process's resource usage (JSON).
RESOURCE_REPORT = "Resource report: "


@dataclass
class LoggedInvocation:
    """One dbt invocation as its debug log file tells it."""

    #: ``build``, ``source freshness``, ``docs generate``, ...
    command: str = ""
    #: dbt's own "after N seconds" (None if the invocation did not finish).
    seconds: float | None = None
    succeeded: bool | None = None
    #: operation unique_id -> the statements its hook ran, in order.
    hooks: dict[str, list[str]] = field(default_factory=dict)
    #: The dbt process's peak resident memory as dbt's resource report gives
    #: it at the end of the command (bytes; 0 if not logged).
    peak_rss: int = 0

    def hook_statements(self, hook: str) -> dict[str, list[str]]:
        """The hooks whose unique_id contains ``hook`` (on-run-start or on-run-end)."""
        return {uid: sql for uid, sql in self.hooks.items() if f"-{hook}-" in uid}


def log_messages(text: str) -> Iterable[str]:
    """The messages of a dbt text log, each with its continuation lines."""
    message: list[str] | None = None
    for line in text.splitlines():
        match = LOG_LINE.match(line)
        if match:
            if message is not None:
                yield "\n".join(message)
            message = [match["message"]]
        elif message is not None:
            message.append(line)
    if message is not None:
        yield "\n".join(message)


def parse_dbt_log(text: str) -> list[LoggedInvocation]:
    """The invocations in ``text`` (part of dbt.log), with the SQL of their hooks.

    The project's hooks execute their statements through ``adapter.execute``
    while dbt renders them, so their compiled code (in run_results.json and
    target/run/) is empty or a placeholder: the queries they ran are only in
    dbt's debug log.
    """
    invocations: list[LoggedInvocation] = []
    pending: list[str] = []
    for message in log_messages(text):
        if message.startswith("Running with dbt="):
            invocations.append(LoggedInvocation())
            pending = []
            continue
        if not invocations:
            continue
        current = invocations[-1]
        if query := HOOK_QUERY.match(message):
            pending.append(query["sql"])
            continue
        uid = None
        if compiled := HOOK_COMPILED.match(message):
            uid = compiled["uid"]
        elif done := HOOK_DONE.match(message):
            package = done["package"]
            uid = f"operation.{package}.{package}-{done['hook']}-{done['index']}"
        elif message.startswith(RESOURCE_REPORT):
            with contextlib.suppress(ValueError, TypeError):
                report = json.loads(message[len(RESOURCE_REPORT) :])
                current.peak_rss = int(report.get("process_mem_max_rss", 0)) * 1024
        elif end := COMMAND_END.match(message):
            current.command = end["command"]
            current.seconds = float(end["seconds"])
            current.succeeded = end["outcome"] == "succeeded"
        if uid is not None:
            current.hooks.setdefault(uid, []).extend(pending)
            pending = []
    return invocations


def log_size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def read_log(path: Path, offset: int) -> str:
    """dbt.log from byte ``offset`` (what the last command appended)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- dbt artifacts


def _timestamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@dataclass
class BuildMeasurement:
    """One ``analytics build``: the command's wall time and dbt's own numbers."""

    wall: float
    #: ``dbt build``: invocation start to run_results written (parse, hooks, nodes).
    dbt_invocation: float
    #: ``dbt build``: run_results ``elapsed_time`` (hooks and nodes, no parse).
    dbt_elapsed: float
    #: ``dbt docs generate`` invocation (the build runs it after ``dbt build``).
    docs_invocation: float | None
    #: execution_time summed per resource type.
    by_type: dict[str, float]
    #: unique_id -> execution_time
    node_times: dict[str, float]
    statuses: dict[str, str]
    nodes: int
    #: The ``dbt build`` invocation in dbt.log (its hooks' SQL).
    logged: LoggedInvocation
    #: The invocations of this ``analytics build`` before ``dbt build``
    #: (the parse, ``dbt source freshness``).
    logged_before: list[LoggedInvocation]
    #: Peak resident memory of the command and its dbt process, bytes.
    peak_rss: int = 0
    #: Bytes written to storage by the command and its children.
    written: int = 0
    #: Bytes of warehouse file copied: the state into the build copy, and the
    #: state into the published file (unless it is published by a link).
    copied: int = 0

    def _seconds(self, command: str) -> float | None:
        seconds = [i.seconds or 0.0 for i in self.logged_before if i.command == command]
        return sum(seconds) if seconds else None

    @property
    def parse_invocation(self) -> float | None:
        return self._seconds("parse")

    @property
    def freshness_invocation(self) -> float | None:
        return self._seconds("source freshness")

    @property
    def model_time(self) -> float:
        return sum(self.by_type.get(kind, 0.0) for kind in BUILD_TYPES)

    @property
    def test_time(self) -> float:
        return self.by_type.get("test", 0.0)

    @property
    def unit_test_time(self) -> float:
        return self.by_type.get("unit_test", 0.0)


def invocation_seconds(run_results: Mapping[str, Any]) -> float:
    meta = run_results["metadata"]
    started = _timestamp(meta["invocation_started_at"])
    finished = _timestamp(meta["generated_at"])
    return (finished - started).total_seconds()


def file_size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def measure_build(home: Path, settings: Settings, save_to: Path) -> BuildMeasurement:
    """Run ``analytics build``; keep the build's run_results and manifest in ``save_to``."""
    log_path = settings.dbt_log_path / "dbt.log"
    log_offset = log_size(log_path)
    state = settings.state_warehouse_path
    # The build copies the state (as it is now) into its build copy.
    copied = file_size(state)
    run = run_analytics(home, "build")
    if "nothing new" in run.stdout:
        sys.exit("analytics build found nothing new where the benchmark expected a build")
    published = settings.warehouse_path
    if not (state.is_file() and published.is_file() and published.samefile(state)):
        copied += file_size(published)
    wall = run.wall
    logged = parse_dbt_log(read_log(log_path, log_offset))
    builds = [i for i, invocation in enumerate(logged) if invocation.command == "build"]
    if len(builds) != 1:
        sys.exit(f"{log_path}: expected one dbt build in this analytics build, found {len(builds)}")
    # The build stages dbt build's run_results.json into the published docs;
    # the target directory's run_results.json is then dbt docs generate's.
    build_results_path = settings.docs_dir / "run_results.json"
    run_results = json.loads(build_results_path.read_text())
    if run_results["args"].get("which") != "build":
        sys.exit(f"{build_results_path} is not the run_results of dbt build")
    docs_results_path = settings.dbt_target_path / "run_results.json"
    docs_invocation = None
    if docs_results_path.is_file():
        docs_results = json.loads(docs_results_path.read_text())
        if docs_results["args"].get("which") == "generate":
            docs_invocation = invocation_seconds(docs_results)
    save_to.mkdir(parents=True, exist_ok=True)
    shutil.copy2(build_results_path, save_to / "run_results.json")
    shutil.copy2(settings.docs_dir / "manifest.json", save_to / "manifest.json")

    by_type: dict[str, float] = {}
    node_times: dict[str, float] = {}
    statuses: dict[str, str] = {}
    for result in run_results["results"]:
        uid = result["unique_id"]
        kind = uid.split(".", 1)[0]
        seconds = float(result.get("execution_time") or 0.0)
        by_type[kind] = by_type.get(kind, 0.0) + seconds
        node_times[uid] = seconds
        statuses[uid] = str(result.get("status"))
    return BuildMeasurement(
        wall=wall,
        dbt_invocation=invocation_seconds(run_results),
        dbt_elapsed=float(run_results["elapsed_time"]),
        docs_invocation=docs_invocation,
        by_type=by_type,
        node_times=node_times,
        statuses=statuses,
        nodes=len(run_results["results"]),
        logged=logged[builds[0]],
        logged_before=logged[: builds[0]],
        peak_rss=max(run.peak_rss, *(i.peak_rss for i in logged)),
        written=run.written,
        copied=copied,
    )


@dataclass
class NothingNew:
    """``analytics build`` again with nothing new in raw."""

    wall: float
    #: The command said so ("nothing new ...").
    said_so: bool
    #: The published warehouse file is the same file, unmodified.
    published_unchanged: bool
    written: int


def measure_nothing_new(home: Path, settings: Settings) -> NothingNew:
    published = settings.warehouse_path
    before = published.stat()
    run = run_analytics(home, "build")
    after = published.stat()
    unchanged = (before.st_ino, before.st_mtime_ns, before.st_size) == (
        after.st_ino,
        after.st_mtime_ns,
        after.st_size,
    )
    return NothingNew(
        wall=run.wall,
        said_so="nothing new" in run.stdout,
        published_unchanged=unchanged,
        written=run.written,
    )


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


# --------------------------------------------------------------------------- output


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> str:
    right_cols = set(right)
    rows = [[*r, *[""] * (len(headers) - len(r))] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right_cols else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def short(uid: str) -> str:
    kind, _, rest = uid.partition(".")
    return f"{rest.split('.', 1)[-1]} ({kind})"


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=float, default=1.0, help="generator scale (default 1.0)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 6, 30),
        help="last day of generated history (default 2026-06-30, fixed for repeatability)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="work in DIR (must not exist or be empty) and keep it: home, artifacts, baseline",
    )
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="do not run the plain-DuckDB baseline (large scales: it needs another copy of raw)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.keep is not None:
        workdir = args.keep.resolve()
        if workdir.exists() and any(workdir.iterdir()):
            sys.exit(f"--keep {workdir}: the directory is not empty")
        workdir.mkdir(parents=True, exist_ok=True)
        benchmark(workdir, args)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
            benchmark(Path(tmp), args)


def benchmark(workdir: Path, args: argparse.Namespace) -> None:
    machine = machine_info()
    home = workdir / "home"
    home.mkdir()
    settings = Settings(home=home, target="local")
    artifacts = workdir / "artifacts"

    # 1. generate --------------------------------------------------------------
    # Through the CLI, as a person runs it, and in its own process: this
    # process stays small, so the peak memory the kernel reports for each
    # command's process (which starts as a copy of this one) is the command's.
    generated = run_analytics(
        home,
        "generate",
        "--scale",
        f"{args.scale:g}",
        "--seed",
        str(args.seed),
        "--end-date",
        args.end_date.isoformat(),
    )
    generate_seconds = generated.wall
    counts = raw_counts(settings.state_warehouse_path)
    order_items = counts.get("shop_order_items", 0)
    total_rows = sum(counts.values())
    log(f"  {order_items:,} order items")

    # Raw data only, as the full build will see it. Renamed once the catalog
    # name dbt uses is known (DuckDB names the catalog after the file stem).
    state = settings.state_warehouse_path
    files.checkpoint(state)
    raw_copy = workdir / "baseline" / "raw.duckdb"
    if not args.skip_baseline:
        raw_copy.parent.mkdir()
        shutil.copyfile(state, raw_copy)

    # 2. full build ------------------------------------------------------------
    full = measure_build(home, settings, artifacts / "full")
    manifest = json.loads((artifacts / "full" / "manifest.json").read_text())
    full_results = json.loads((artifacts / "full" / "run_results.json").read_text())
    dbt_table_relations = table_relations(manifest, full.node_times)
    dbt_rows = row_counts(settings.warehouse_path, dbt_table_relations)
    warehouse_bytes = file_size(settings.warehouse_path)

    # 3. nothing new -------------------------------------------------------------
    nothing = measure_nothing_new(home, settings)

    # 4. increment + incremental build ---------------------------------------
    before = raw_counts(state)
    state_before_increment = file_size(state)
    increment_run = run_analytics(home, "generate", "--increment", "--days", str(INCREMENT_DAYS))
    after = raw_counts(state)
    raw_growth = file_size(state) - state_before_increment
    appended_items = after.get("shop_order_items", 0) - before.get("shop_order_items", 0)
    incremental = measure_build(home, settings, artifacts / "incremental")

    # 5. baseline, last: it runs in this process (DuckDB in-process), which
    # would otherwise grow before the builds' memory is measured. It needs
    # only what the full build left: its manifest, run results and hooks' SQL.
    baseline: BaselineResult | None = None
    if not args.skip_baseline:
        baseline = run_full_baseline(settings, manifest, full, full_results, raw_copy)
    load_at_end = ", ".join(f"{x:.2f}" for x in os.getloadavg())

    report(
        args=args,
        workdir=workdir,
        machine=machine,
        load_at_end=load_at_end,
        generate_seconds=generate_seconds,
        generate_peak=generated.peak_rss,
        order_items=order_items,
        total_rows=total_rows,
        full=full,
        nothing=nothing,
        increment_run=increment_run,
        appended_items=appended_items,
        raw_growth=raw_growth,
        incremental=incremental,
        baseline=baseline,
        dbt_rows=dbt_rows,
        warehouse_bytes=warehouse_bytes,
        manifest=manifest,
    )


def run_full_baseline(
    settings: Settings,
    manifest: Mapping[str, Any],
    full: BuildMeasurement,
    full_results: Mapping[str, Any],
    raw_copy: Path,
) -> BaselineResult:
    """The full build's SQL in plain DuckDB on ``raw_copy`` (see the module docstring)."""
    catalogs = {
        n["database"]
        for uid, n in manifest["nodes"].items()
        if uid in full.node_times and n["resource_type"] in BUILD_TYPES
    }
    if len(catalogs) != 1:
        sys.exit(f"expected one catalog in the manifest, found {sorted(catalogs)}")
    catalog = catalogs.pop()
    baseline_db = raw_copy.with_name(f"{catalog}.duckdb")
    raw_copy.rename(baseline_db)
    steps, skipped = baseline_steps(manifest, full_results, full.logged)
    hook_statements = sum(len(step.statements) for step in steps if step.kind == "operation")
    if not hook_statements:
        sys.exit(
            f"no hook statements for dbt build in {settings.dbt_log_path / 'dbt.log'}: "
            "the baseline needs the queries the hooks ran (dbt's debug file log)"
        )
    # What dbt build started from besides the raw data: the run log rows that
    # the hooks of `dbt source freshness` wrote (replayed, untimed).
    setup = [
        statement
        for invocation in full.logged_before
        for statements in invocation.hooks.values()
        for statement in statements
    ]
    setup_commands = sorted({f"dbt {i.command}" for i in full.logged_before if i.hooks})
    log(
        f"baseline: {len(steps)} nodes and hooks in plain DuckDB on {baseline_db} "
        f"(first, untimed: {len(setup)} hook statements of {', '.join(setup_commands) or '-'})"
    )
    result = run_baseline(baseline_db, steps, setup)
    log(f"  done in {result.seconds:.1f} s")
    result.skipped = skipped
    result.catalog = catalog
    result.database = baseline_db
    result.steps = len(steps)
    result.hook_statements = hook_statements
    result.setup_statements = len(setup)
    result.setup_commands = setup_commands
    dbt_relations = table_relations(manifest, full.node_times)
    result.rows = row_counts(baseline_db, dbt_relations)
    return result


def ratio(part: float, whole: float) -> float:
    return part / whole if whole else float("inf")


def report(
    *,
    args: argparse.Namespace,
    workdir: Path,
    machine: Mapping[str, str],
    load_at_end: str,
    generate_seconds: float,
    generate_peak: int,
    order_items: int,
    total_rows: int,
    full: BuildMeasurement,
    nothing: NothingNew,
    increment_run: CommandRun,
    appended_items: int,
    raw_growth: int,
    incremental: BuildMeasurement,
    baseline: BaselineResult | None,
    dbt_rows: Mapping[str, int],
    warehouse_bytes: int,
    manifest: Mapping[str, Any],
) -> None:
    out: list[str] = []
    out.append("# analytics build benchmark")
    out.append("")
    out.append(table(["machine", ""], [[k, v] for k, v in machine.items()]))
    out.append(
        f"\nscale {args.scale}, seed {args.seed}, end date {args.end_date}; "
        f"work directory {workdir}{'' if args.keep else ' (removed at exit)'}; "
        f"load average at the end {load_at_end}"
    )

    out.append("\n## 1. generate")
    out.append(
        table(
            ["measure", "value", ""],
            [
                [
                    "wall",
                    f"{generate_seconds:.1f} s",
                    f"target < {GENERATE_TARGET_SECONDS:.0f} s at scale 1"
                    + (
                        f": {verdict(generate_seconds < GENERATE_TARGET_SECONDS)}"
                        if args.scale >= 1
                        else ""
                    ),
                ],
                ["order items", f"{order_items:,}"],
                ["order items / s", f"{order_items / generate_seconds:,.0f}"],
                ["raw rows, all tables", f"{total_rows:,}"],
                ["peak memory", gib(generate_peak)],
            ],
            right=[1],
        )
    )

    def build_rows(m: BuildMeasurement) -> list[list[str]]:
        parse = m.parse_invocation
        fresh = m.freshness_invocation
        docs = m.docs_invocation
        other = m.wall - m.dbt_invocation - (docs or 0.0) - (fresh or 0.0) - (parse or 0.0)
        return [
            ["analytics build, wall", f"{m.wall:.1f} s"],
            ["  dbt parse (once per build)", f"{parse:.1f} s" if parse is not None else "n/a"],
            ["  dbt source freshness invocation", f"{fresh:.1f} s" if fresh is not None else "n/a"],
            ["  dbt build invocation (hooks + nodes)", f"{m.dbt_invocation:.1f} s"],
            ["  dbt docs generate invocation", f"{docs:.1f} s" if docs is not None else "n/a"],
            ["  other (process start-up, copy, publish)", f"{other:.1f} s"],
            ["peak memory (command and dbt)", gib(m.peak_rss)],
            ["warehouse file copied", gib(m.copied)],
            ["written to storage (all)", gib(m.written)],
            ["nodes in run_results", f"{m.nodes}"],
            ["model time: seeds + models + snapshots", f"{m.model_time:.1f} s"],
            *[
                [f"  {kind}s", f"{m.by_type.get(kind, 0.0):.1f} s"]
                for kind in BUILD_TYPES
                if kind in m.by_type
            ],
            ["data test time", f"{m.test_time:.1f} s"],
            ["unit test time", f"{m.unit_test_time:.1f} s"],
            ["hooks (on-run-start, on-run-end)", f"{m.by_type.get('operation', 0.0):.1f} s"],
        ]

    out.append("\n## 2. full build (analytics build)")
    out.append("(execution_time is per node; dbt runs a thread per core, so sums can exceed wall)")
    out.append(table(["measure", "value"], build_rows(full), right=[1]))

    nothing_ok = nothing.said_so and nothing.published_unchanged
    nothing_fast = (
        nothing.wall < NOTHING_NEW_SECONDS or nothing.wall <= NOTHING_NEW_RATIO * full.wall
    )
    out.append("\n## 3. again, nothing new in raw (analytics build)")
    out.append(
        table(
            ["measure", "value", ""],
            [
                [
                    "wall",
                    f"{nothing.wall:.1f} s",
                    f"target < {NOTHING_NEW_SECONDS:.0f} s or <= {NOTHING_NEW_RATIO:.0%} of the "
                    f"full build ({ratio(nothing.wall, full.wall):.1%}): {verdict(nothing_fast)}",
                ],
                ["said 'nothing new'", "yes" if nothing.said_so else "NO"],
                ["published warehouse untouched", "yes" if nothing.published_unchanged else "NO"],
                ["written to storage", gib(nothing.written)],
            ],
            right=[1],
        )
    )

    incremental_models = [
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    ]
    model_ratio = ratio(incremental.model_time, full.model_time)
    wall_ratio = ratio(incremental.wall, full.wall)
    bytes_ratio = ratio(incremental.copied + incremental.written, full.copied + full.written)
    out.append(f"\n## 4. 1% increment (generate --increment --days {INCREMENT_DAYS}, build)")
    out.append(
        table(
            ["measure", "value", ""],
            [
                ["generate --increment, wall", f"{increment_run.wall:.1f} s"],
                ["generate --increment, peak memory", gib(increment_run.peak_rss)],
                ["order item rows appended", f"{appended_items:,}"],
                ["state file growth", gib(max(raw_growth, 0))],
                *build_rows(incremental),
                [
                    "incremental / full wall",
                    f"{wall_ratio:.1%}",
                    f"target <= {INCREMENT_WALL_RATIO:.0%}: "
                    f"{verdict(wall_ratio <= INCREMENT_WALL_RATIO)}",
                ],
                [
                    "incremental / full model time",
                    f"{model_ratio:.1%}",
                    f"target <= {INCREMENTAL_TARGET_RATIO:.0%}: "
                    f"{verdict(model_ratio <= INCREMENTAL_TARGET_RATIO)}",
                ],
                [
                    "incremental / full bytes copied and written",
                    f"{bytes_ratio:.1%}",
                    f"target: in proportion to the change (<= {INCREMENT_BYTES_RATIO:.0%}): "
                    f"{verdict(bytes_ratio <= INCREMENT_BYTES_RATIO)}",
                ],
                ["incremental-materialised models", f"{len(incremental_models)}"],
            ],
            right=[1],
        )
    )

    baseline_ratio = ratio(full.wall, baseline.seconds) if baseline else 0.0
    if baseline is not None:
        baseline_model_time = sum(baseline.by_type.get(kind, 0.0) for kind in BUILD_TYPES)
        row_mismatches = [uid for uid in dbt_rows if dbt_rows[uid] != baseline.rows.get(uid)]
        dbt_failing = sorted(
            uid for uid, status in full.statuses.items() if status in ("fail", "warn", "error")
        )
        out.append("\n## 5. baseline: the full build's compiled SQL in plain DuckDB")
        out.append(
            f"catalog {baseline.catalog!r} (copy of the raw data named "
            f"{baseline.database.name}); {baseline.steps} steps, one connection, timed from "
            "connect to close: the on-run-start hooks, the nodes in topological order, the "
            f"on-run-end hook ({baseline.hook_statements} hook statements, as dbt.log shows "
            "the hooks ran them)"
        )
        out.append(
            f"before the timing: {baseline.setup_statements} statements the hooks of "
            f"{', '.join(baseline.setup_commands) or 'nothing'} ran (the run log rows dbt "
            "build starts from)"
        )
        skipped_text = ", ".join(f"{n} {kind}" for kind, n in sorted(baseline.skipped.items()))
        out.append(
            f"not in the baseline: {skipped_text or 'nothing'} (unit tests; saved queries and "
            "exposures run no SQL), persist_docs comments, dbt's parse"
        )
        out.append(
            table(
                ["measure", "value", ""],
                [
                    ["baseline, wall", f"{baseline.seconds:.1f} s"],
                    *[
                        [f"  {KIND_LABELS.get(kind, kind + 's')}", f"{seconds:.1f} s"]
                        for kind, seconds in sorted(baseline.by_type.items())
                    ],
                    [
                        "analytics build wall / baseline",
                        f"{baseline_ratio:.2f}x",
                        f"(baseline model time {baseline_model_time:.1f} s) "
                        f"target <= {BASELINE_TARGET_RATIO}x: "
                        f"{verdict(baseline_ratio <= BASELINE_TARGET_RATIO)}",
                    ],
                    [
                        "dbt build invocation / baseline",
                        f"{ratio(full.dbt_invocation, baseline.seconds):.2f}x",
                    ],
                    [
                        "table row counts equal to dbt's",
                        f"{len(dbt_rows) - len(row_mismatches)} of {len(dbt_rows)}",
                    ],
                    [
                        "failing tests (baseline / dbt)",
                        f"{len(baseline.failing_tests)} / {len(dbt_failing)}",
                    ],
                ],
                right=[1],
            )
        )
        for uid in row_mismatches:
            out.append(
                f"  rows differ: {short(uid)}: dbt {dbt_rows[uid]}, "
                f"baseline {baseline.rows.get(uid)}"
            )
        for uid in sorted(set(baseline.failing_tests) ^ set(dbt_failing)):
            out.append(f"  test result differs: {short(uid)}")

    def node_rows(uids: Sequence[str]) -> list[list[str]]:
        return [
            [
                short(uid),
                f"{full.node_times[uid]:.2f} s",
                f"{incremental.node_times[uid]:.2f} s" if uid in incremental.node_times else "-",
                f"{baseline.node_times[uid]:.2f} s"
                if baseline and uid in baseline.node_times
                else "-",
            ]
            for uid in uids
        ]

    def slowest(m: BuildMeasurement, kinds: Sequence[str], n: int) -> list[str]:
        chosen = [uid for uid in m.node_times if uid.split(".", 1)[0] in kinds]
        return sorted(chosen, key=lambda uid: -m.node_times[uid])[:n]

    headers = ["node", "dbt full", "dbt incr.", "baseline"]
    out.append("\n## slowest seeds, models and snapshots of the full build (execution_time)")
    slow_models = slowest(full, BUILD_TYPES, 10)
    out.append(table(headers, node_rows(slow_models), right=[1, 2, 3]))
    out.append("\n## slowest seeds, models and snapshots of the incremental build")
    out.append(table(headers, node_rows(slowest(incremental, BUILD_TYPES, 10)), right=[1, 2, 3]))
    out.append("\n## slowest tests (data and unit tests) of the full build")
    out.append(table(headers, node_rows(slowest(full, ("test", "unit_test"), 5)), right=[1, 2, 3]))

    out.append("\n## summary (markdown)\n")
    out.append(
        f"{machine['date']}; {machine['cpu']}, nproc {machine['nproc']}, {machine['memory']}; "
        f"Python {machine['python']}, duckdb {machine['duckdb']}, dbt-core {machine['dbt-core']}, "
        f"dbt-duckdb {machine['dbt-duckdb']}; scale {args.scale:g} ({order_items:,} order "
        f"items), seed {args.seed}; load average {machine['load average (1/5/15 min) at start']} "
        f"at the start, {load_at_end} at the end; published warehouse {gib(warehouse_bytes)}.\n"
    )
    rows = [
        [
            f"generate, scale {args.scale:g}",
            f"{generate_seconds:.1f} s ({order_items / generate_seconds:,.0f} order items/s)",
            f"< {GENERATE_TARGET_SECONDS:.0f} s at scale 1",
            verdict(generate_seconds < GENERATE_TARGET_SECONDS)
            if args.scale >= 1
            else "n/a (scale < 1)",
        ],
    ]
    if baseline is not None:
        rows.append(
            [
                "full build, wall / plain-DuckDB baseline",
                f"{full.wall:.1f} s / {baseline.seconds:.1f} s = {baseline_ratio:.2f}x "
                f"(dbt parse {full.parse_invocation or 0:.1f} s, model time "
                f"{full.model_time:.1f} s, tests {full.test_time:.1f} s; peak "
                f"{gib(full.peak_rss)})",
                f"<= {BASELINE_TARGET_RATIO}x",
                verdict(baseline_ratio <= BASELINE_TARGET_RATIO),
            ]
        )
    else:
        rows.append(
            [
                "full build, wall",
                f"{full.wall:.1f} s (model time {full.model_time:.1f} s; peak "
                f"{gib(full.peak_rss)}); baseline skipped",
                f"<= {BASELINE_TARGET_RATIO}x baseline",
                "not measured",
            ]
        )
    rows += [
        [
            "again, nothing new",
            f"{nothing.wall:.1f} s = {ratio(nothing.wall, full.wall):.1%} of full; "
            f"said so: {'yes' if nothing.said_so else 'no'}; published untouched: "
            f"{'yes' if nothing.published_unchanged else 'no'}",
            f"< {NOTHING_NEW_SECONDS:.0f} s or <= {NOTHING_NEW_RATIO:.0%}, publishing nothing",
            verdict(nothing_fast and nothing_ok),
        ],
        [
            f"after a {INCREMENT_DAYS}-day increment (~1%), wall",
            f"{incremental.wall:.1f} s = {wall_ratio:.1%} of full",
            f"<= {INCREMENT_WALL_RATIO:.0%}",
            verdict(wall_ratio <= INCREMENT_WALL_RATIO),
        ],
        [
            "after the increment, model time",
            f"{incremental.model_time:.1f} s = {model_ratio:.1%} of full",
            f"<= {INCREMENTAL_TARGET_RATIO:.0%}",
            verdict(model_ratio <= INCREMENTAL_TARGET_RATIO),
        ],
        [
            "after the increment, bytes copied + written",
            f"{gib(incremental.copied)} + {gib(incremental.written)} = {bytes_ratio:.1%} of "
            f"full ({gib(full.copied)} + {gib(full.written)})",
            f"in proportion to the change (<= {INCREMENT_BYTES_RATIO:.0%})",
            verdict(bytes_ratio <= INCREMENT_BYTES_RATIO),
        ],
        [
            "peak memory, full / increment",
            f"{gib(full.peak_rss)} / {gib(incremental.peak_rss)}",
            "within 24 GiB",
            verdict(max(full.peak_rss, incremental.peak_rss) < 24 * 2**30),
        ],
    ]
    out.append(markdown(["benchmark", "measured", "target", "result"], rows))
    print("\n".join(out), flush=True)


if __name__ == "__main__":
    main()
