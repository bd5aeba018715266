"""``analytics build`` and ``analytics docs``: run dbt and publish the result.

Locally (DuckDB) a build works on a copy of the state warehouse under the
warehouse lock, and only a fully successful ``dbt build`` (and ``dbt docs
generate`` when docs are asked for) replaces the state and is published; see
:mod:`orchestration.warehouse_publish`. On Snowflake targets dbt runs
directly against the target.

All dbt commands of a build run in one process (:mod:`orchestration.dbt_session`):
the project is parsed once. Before that, a default local build compares the
fingerprint of its inputs with the last build's
(:mod:`orchestration.build_inputs`) and, when nothing is new, stops there.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from analytics_core.errors import AnalyticsError
from analytics_core.settings import PROJECT_ROOT, Settings, SnowflakeSettings
from analytics_core.snowflake import connection_parameters
from orchestration import build_inputs, local_events
from orchestration import warehouse_publish as files
from orchestration.dbt_runner import (
    DbtCommand,
    DbtError,
    DbtInvocation,
    DbtResult,
    check_project,
    profiles_dir,
    run_dbt_session,
)
from orchestration.locking import warehouse_lock

LOCAL_TARGET = "local"
#: The selector (``selectors.yml``) of a local build where only data changed:
#: every node but the views, whose queries come from the unchanged project.
DATA_CHANGES = "data_changes"
#: Targets that reach a real Snowflake account (``emulator`` has defaults for everything).
SNOWFLAKE_TARGETS = frozenset({"snowflake", "prod"})


class NoRawDataError(AnalyticsError):
    """The state warehouse has no raw data to build from."""


class NothingPublishedError(AnalyticsError):
    """``analytics docs`` before any build published a warehouse."""


class BuildReporter(Protocol):
    """Where a build reports what it is doing (the CLI draws it)."""

    def waiting(self, message: str) -> None: ...

    def phase(self, description: str) -> None: ...

    def dbt_progress(self, done: int, total: int, description: str) -> None: ...


class SilentReporter:
    def waiting(self, message: str) -> None:
        pass

    def phase(self, description: str) -> None:
        pass

    def dbt_progress(self, done: int, total: int, description: str) -> None:
        pass


#: The Snowflake emulator target (fakesnow) of profiles.yml.example.
EMULATOR_TARGET = "emulator"


@dataclass(frozen=True)
class BuildOutcome:
    target: str
    #: ``dbt build`` (None when the build found nothing new and did not run dbt).
    result: DbtResult | None
    seconds: float
    #: The published warehouse and docs (local target only).
    warehouse: Path | None = None
    docs: Path | None = None
    #: ``dbt source freshness`` before the build (None when it was not run).
    freshness: DbtResult | None = None
    #: Nothing was new: when the build that is still current ran.
    current_since: dt.datetime | None = None
    #: ``dbt docs generate`` ran (the docs site was regenerated).
    docs_generated: bool = False
    #: Only data changed, so the views were left as they were (see ``DATA_CHANGES``).
    views_kept: bool = False

    @property
    def nothing_new(self) -> bool:
        return self.current_since is not None


def git_commit() -> str:
    """The commit of the project being built, or "" when it is not known.

    ``ANALYTICS_GIT_COMMIT`` wins (CI and container images set it: an image
    has no ``.git``); otherwise ``git rev-parse HEAD`` in the project.
    """
    explicit = os.environ.get("ANALYTICS_GIT_COMMIT", "").strip()
    if explicit:
        return explicit
    git = shutil.which("git")
    if git is None or not (PROJECT_ROOT / ".git").exists():
        return ""
    try:
        proc = subprocess.run(  # noqa: S603 - fixed arguments, no user input
            [git, "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    commit = proc.stdout.strip()
    return commit if proc.returncode == 0 and len(commit) == 40 else ""


def dbt_env(settings: Settings) -> dict[str, str]:
    """What every dbt command of a build reads besides the profile: the commit
    that the run-results hook records and the local profile's threads. (The
    events reach dbt as rows: :mod:`orchestration.local_events` loads them
    into the build copy before dbt starts.)"""
    return {
        "ANALYTICS_GIT_COMMIT": git_commit(),
        "ANALYTICS_DBT_THREADS": str(settings.dbt_thread_count),
    }


def build_args(
    full_refresh: bool,
    select: Sequence[str],
    exclude: Sequence[str] = (),
    *,
    unit_tests: bool = False,
) -> list[str]:
    """``dbt build`` and its options. dbt unit tests (they test SQL logic with
    fixed inputs, not the data) run only when asked for: in CI and while
    developing, not in every scheduled build."""
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    for selector in select:
        args += ["--select", selector]
    for selector in exclude:
        args += ["--exclude", selector]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    return args


def build(
    settings: Settings,
    *,
    target: str | None = None,
    full_refresh: bool = False,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    reporter: BuildReporter | None = None,
    freshness: bool = True,
    docs: bool = False,
    unit_tests: bool = False,
    force: bool = False,
    snowflake: SnowflakeSettings | None = None,
) -> BuildOutcome:
    """Build ``target`` (default: ``settings.target``); raise on failure.

    ``snowflake``: the account a Snowflake target (``snowflake``, ``prod``)
    builds on, checked before dbt starts; the other targets need none.

    With ``freshness`` (the default), ``dbt source freshness`` runs first: its
    results land in the monitoring schema through the run-results hook. A late
    source is reported, never a reason not to build. ``docs`` adds ``dbt docs
    generate``; ``unit_tests`` includes dbt unit tests. A local build without
    ``full_refresh``, ``select``, ``exclude`` or ``force`` first checks whether
    anything is new (see :mod:`orchestration.build_inputs`).
    """
    target = target or settings.target
    reporter = reporter or SilentReporter()
    check_project()
    if target == EMULATOR_TARGET and unit_tests:
        # fakesnow cannot create the temporary tables dbt unit tests use. They
        # test SQL logic, not the adapter: they run on DuckDB.
        raise AnalyticsError(
            "dbt unit tests cannot run on the emulator (fakesnow cannot create the temporary"
            " tables they use); run them on the local target: analytics build --unit-tests"
        )
    args = build_args(full_refresh, select, exclude, unit_tests=unit_tests)
    if target == LOCAL_TARGET:
        return build_local(
            settings,
            args,
            reporter=reporter,
            freshness=freshness,
            docs=docs,
            skip_if_current=not (full_refresh or select or exclude or force),
            complete=not (select or exclude),
        )
    return build_remote(
        settings,
        args,
        target=target,
        reporter=reporter,
        freshness=freshness,
        docs=docs,
        snowflake=snowflake,
    )


#: What the progress line says while the driver is at each step.
_PHASES = {
    "parse": "dbt: parsing the project",
    "source freshness": "dbt source freshness",
    "build": "dbt build",
    "docs generate": "dbt docs generate",
}


def _on_start(reporter: BuildReporter, suffix: str = "") -> Callable[[str], None]:
    def start(name: str) -> None:
        reporter.phase(_PHASES.get(name, f"dbt {name}") + suffix)

    return start


def session_commands(
    args: Sequence[str],
    *,
    freshness: bool,
    docs: bool,
    run_results: Path | None = None,
) -> list[DbtCommand]:
    """The dbt commands of one build, in order.

    ``dbt source freshness`` may fail (a late source, or one that cannot be
    checked): that is data for the monitoring schema and a line for the
    person, never a reason not to build. ``run_results`` keeps the build's
    ``run_results.json`` before ``dbt docs generate`` overwrites it.
    """
    commands = []
    if freshness:
        commands.append(DbtCommand(("source", "freshness"), required=False))
    save = {"run_results.json": run_results} if run_results is not None else {}
    commands.append(DbtCommand(tuple(args), save=save))
    if docs:
        commands.append(DbtCommand(("docs", "generate")))
    return commands


def build_remote(
    settings: Settings,
    args: Sequence[str],
    *,
    target: str,
    reporter: BuildReporter,
    freshness: bool = True,
    docs: bool = False,
    snowflake: SnowflakeSettings | None = None,
) -> BuildOutcome:
    """``dbt build --target <target>`` straight against Snowflake (no copy, no publish)."""
    if target in SNOWFLAKE_TARGETS:
        if snowflake is None:
            raise AnalyticsError(f"target {target} builds on Snowflake: give its settings")
        # The same variables the profile reads: name a missing one before dbt starts.
        connection_parameters(snowflake)
    started = time.monotonic()
    invocation = DbtInvocation(
        target=target,
        profiles_dir=profiles_dir(settings),
        target_path=settings.dbt_dir / f"target-{target}",
        log_path=settings.dbt_log_path,
        env=dbt_env(settings),
    )
    commands = session_commands(args, freshness=freshness, docs=docs)
    results = run_dbt_session(
        invocation, commands, reporter.dbt_progress, _on_start(reporter, f" on {target}")
    )
    fresh = results[0] if freshness else None
    result = results[1 if freshness else 0]
    if not result.ok:
        raise DbtError(result.failure_message())
    if docs and not results[-1].ok:
        raise DbtError(results[-1].failure_message())
    return BuildOutcome(
        target=target,
        result=result,
        seconds=time.monotonic() - started,
        freshness=fresh,
        docs_generated=docs,
    )


def local_invocation(settings: Settings, warehouse: Path) -> DbtInvocation:
    """dbt on the local target, on ``warehouse`` (always the build copy's path).

    dbt reuses its parse of the project only while the connection settings
    are the same, the DuckDB path included. dbt runs in ``ANALYTICS_HOME``
    and gets the path relative to it, so the parse carries over from build
    to build and also to a copy of the whole home (a backup restored
    elsewhere, the test suite's shared warehouses), where an absolute path
    would make every first build parse the whole project again.
    """
    home = settings.home_dir
    try:
        path = str(warehouse.relative_to(home))
    except ValueError:
        path = str(warehouse)
    return DbtInvocation(
        target=LOCAL_TARGET,
        profiles_dir=profiles_dir(settings),
        target_path=settings.dbt_target_path,
        log_path=settings.dbt_log_path,
        env={**dbt_env(settings), "ANALYTICS_DUCKDB_PATH": path},
        cwd=home,
    )


def _published_is_there(settings: Settings) -> bool:
    return settings.warehouse_path.is_file() and (settings.docs_dir / "manifest.json").is_file()


def build_local(
    settings: Settings,
    args: Sequence[str] = ("build",),
    *,
    reporter: BuildReporter | None = None,
    freshness: bool = True,
    docs: bool = False,
    skip_if_current: bool = False,
    complete: bool = True,
) -> BuildOutcome:
    """Build the local DuckDB warehouse and publish it atomically.

    A failed build publishes no model: the state stays as it was, except that
    the run log rows the failed run recorded about itself are carried into it
    and into the published warehouse (if an earlier build published one), so
    the monitoring schema shows the failure.

    With ``skip_if_current``, nothing runs when the inputs are those of the
    last build (docs are generated if asked for and not yet made for it). A
    successful ``complete`` build (every node) records its inputs; any other
    successful build forgets the record. With ``skip_if_current``, a build
    where only data changed since that record (raw data, events) and whose
    views are all still there leaves the views as they are (selector
    ``data_changes``): it is still complete, since a view holds no rows.
    """
    reporter = reporter or SilentReporter()
    check_project()
    started = time.monotonic()
    profiles = profiles_dir(settings)
    with warehouse_lock(
        settings.lock_path,
        purpose="build",
        timeout=settings.lock_timeout,
        on_wait=reporter.waiting,
    ):
        state = settings.state_warehouse_path
        files.checkpoint(state)
        if not files.raw_tables(state):
            raise NoRawDataError(f"no raw data in {state}; run `analytics generate` first")
        reporter.phase("looking for new data")
        inputs = build_inputs.fingerprint(
            settings, target=LOCAL_TARGET, profiles_file=profiles / "profiles.yml"
        )
        last = build_inputs.load(settings) if skip_if_current else None
        if (
            last is not None
            and not build_inputs.changed_parts(last.inputs, inputs)
            and _published_is_there(settings)
        ):
            docs_path = None
            if docs and not last.docs:
                docs_path = _generate_docs(settings, reporter)
                build_inputs.mark_docs(settings)
            return BuildOutcome(
                target=LOCAL_TARGET,
                result=None,
                seconds=time.monotonic() - started,
                warehouse=settings.warehouse_path,
                docs=docs_path,
                current_since=last.built_at,
                docs_generated=docs_path is not None,
            )
        views_kept = last is not None and build_inputs.views_are_current(last.inputs, inputs)
        if views_kept:
            args = [*args, "--selector", DATA_CHANGES]
        reporter.phase("copying the state warehouse")
        build_copy = files.prepare_build_copy(settings)
        reporter.phase("loading new events")
        try:
            local_events.load_new_events(build_copy, settings.events_dir)
        except BaseException:
            files.discard_build_copy(settings)
            raise
        invocation = local_invocation(settings, build_copy)
        staging = files.new_docs_staging(settings)
        fresh: DbtResult | None = None
        dbt_ran = False
        try:
            commands = session_commands(
                args, freshness=freshness, docs=docs, run_results=staging / "run_results.json"
            )
            dbt_ran = True
            results = run_dbt_session(
                invocation, commands, reporter.dbt_progress, _on_start(reporter)
            )
            fresh = results[0] if freshness else None
            result = results[1 if freshness else 0]
            if not result.ok:
                raise DbtError(result.failure_message())
            if docs and not results[-1].ok:
                raise DbtError(results[-1].failure_message())
            files.stage_artifacts(settings.dbt_target_path, staging, files.BUILD_FILES)
            if docs:
                files.stage_artifacts(settings.dbt_target_path, staging, files.DOCS_SITE_FILES)
            else:
                # The site keeps the catalog it was last generated with.
                files.stage_artifacts(settings.docs_dir, staging, files.DOCS_SITE_FILES)
            reporter.phase("publishing")
            # From here the published warehouse changes: no record until it is done.
            build_inputs.clear(settings)
            files.promote_build_copy(settings)
        except DbtError:
            if dbt_ran and files.carry_over_run_log(build_copy, state):
                # Readers get the last good data plus the news of the failure
                # (nothing before the first good build: "not built yet" is the
                # clearer answer then).
                reporter.phase("publishing the run log of the failed build")
                files.publish_run_log(settings, build_copy)
            files.discard_build_copy(settings)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        except BaseException:
            files.discard_build_copy(settings)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        published = files.publish_state(settings)
        docs_path = files.publish_docs(settings, staging)
        if complete:
            # Raw data cannot have changed under the lock, but the state now has
            # the build's tables: the record describes the state as published.
            # Events and project files stay as they were before dbt started, so
            # anything that changed during the build counts as new next time.
            inputs = {**inputs, "raw": build_inputs.raw_fingerprint(settings.state_warehouse_path)}
            built_at = dt.datetime.now(dt.UTC)
            build_inputs.record(settings, inputs, docs=docs, built_at=built_at)
    return BuildOutcome(
        target=LOCAL_TARGET,
        result=result,
        seconds=time.monotonic() - started,
        warehouse=published,
        docs=docs_path,
        freshness=fresh,
        docs_generated=docs,
        views_kept=views_kept,
    )


def generate_docs(settings: Settings, reporter: BuildReporter | None = None) -> Path:
    """``analytics docs``: generate the docs site of the published warehouse and publish it."""
    reporter = reporter or SilentReporter()
    check_project()
    with warehouse_lock(
        settings.lock_path,
        purpose="docs",
        timeout=settings.lock_timeout,
        on_wait=reporter.waiting,
    ):
        docs = _generate_docs(settings, reporter)
        build_inputs.mark_docs(settings)
    return docs


def _generate_docs(settings: Settings, reporter: BuildReporter) -> Path:
    """Docs of the published warehouse (call under the warehouse lock).

    ``dbt docs generate`` runs on a copy of the published warehouse at the
    build copy's path (the same profile as a build, so partial parsing
    holds; the same database name in the catalog). The site's
    ``index.html`` and ``catalog.json`` replace the published ones; the
    manifest and run results stay those of the build that made the warehouse.
    """
    published = settings.warehouse_path
    if not published.is_file() or not (settings.docs_dir / "manifest.json").is_file():
        raise NothingPublishedError(
            f"no published warehouse at {published}; run `analytics build` first"
        )
    reporter.phase("copying the published warehouse")
    work = settings.build_warehouse_path
    files.remove_database(work)
    work.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(published, work)
    staging = files.new_docs_staging(settings)
    try:
        commands = [DbtCommand(("docs", "generate"))]
        [result] = run_dbt_session(
            local_invocation(settings, work), commands, reporter.dbt_progress, _on_start(reporter)
        )
        if not result.ok:
            raise DbtError(result.failure_message())
        files.stage_artifacts(settings.docs_dir, staging, [*files.BUILD_FILES, "run_results.json"])
        files.stage_artifacts(settings.dbt_target_path, staging, files.DOCS_SITE_FILES)
        reporter.phase("publishing the docs")
        return files.publish_docs(settings, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        files.remove_work_copy(work)
