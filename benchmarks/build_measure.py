"""bench_build.py's measurements: the machine, running ``analytics`` with its
peak memory, dbt.log's invocations and hooks, and a build measured from dbt's
artifacts."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from analytics_core.settings import Settings

ANALYTICS = Path(sys.executable).parent / "analytics"

#: Node types whose execution_time counts as "model time".
BUILD_TYPES = ("seed", "model", "snapshot")


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
