"""``analytics build``: run dbt and publish the result.

Locally (DuckDB) a build works on a copy of the state warehouse under the
warehouse lock, and only a fully successful ``dbt build`` + ``dbt docs
generate`` replaces the state and is published; see
:mod:`orchestration.warehouse_publish`. On Snowflake targets dbt runs
directly against the target.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from analytics_core.errors import AnalyticsError
from analytics_core.settings import PROJECT_ROOT, Settings, SnowflakeSettings
from analytics_core.snowflake import connection_parameters
from orchestration import warehouse_publish as files
from orchestration.dbt_runner import (
    DbtError,
    DbtInvocation,
    DbtResult,
    check_project,
    profiles_dir,
    run_dbt,
)
from orchestration.locking import warehouse_lock

LOCAL_TARGET = "local"
#: Targets that reach a real Snowflake account (``emulator`` has defaults for everything).
SNOWFLAKE_TARGETS = frozenset({"snowflake", "prod"})


class NoRawDataError(AnalyticsError):
    """The state warehouse has no raw data to build from."""


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
    result: DbtResult
    seconds: float
    #: The published warehouse and docs (local target only).
    warehouse: Path | None = None
    docs: Path | None = None
    #: ``dbt source freshness`` before the build (None when it was not run).
    freshness: DbtResult | None = None


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
    """What every dbt command of a build reads besides the profile: where the
    report job events are (``monitoring`` reads them) and the commit that the
    run-results hook records."""
    return {
        "ANALYTICS_EVENTS_DIR": str(settings.events_dir),
        "ANALYTICS_GIT_COMMIT": git_commit(),
    }


def build_args(full_refresh: bool, select: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    for selector in select:
        args += ["--select", selector]
    for selector in exclude:
        args += ["--exclude", selector]
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
) -> BuildOutcome:
    """Build ``target`` (default: ``settings.target``); raise on failure.

    With ``freshness`` (the default), ``dbt source freshness`` runs first: its
    results land in the monitoring schema through the run-results hook. A late
    source is reported, never a reason not to build.
    """
    target = target or settings.target
    reporter = reporter or SilentReporter()
    check_project()
    args = build_args(full_refresh, select, exclude)
    if target == LOCAL_TARGET:
        return build_local(settings, args, reporter=reporter, freshness=freshness)
    return build_remote(settings, args, target=target, reporter=reporter, freshness=freshness)


def check_freshness(invocation: DbtInvocation, reporter: BuildReporter) -> DbtResult:
    """``dbt source freshness``; the caller goes on whatever it finds.

    dbt exits non-zero when a source is past its error threshold (or cannot be
    checked); that is data for the monitoring schema and a line for the
    person, not a failed build. A broken project fails the build itself.
    """
    reporter.phase("dbt source freshness")
    return run_dbt(invocation, ["source", "freshness"], reporter.dbt_progress)


def build_remote(
    settings: Settings,
    args: Sequence[str],
    *,
    target: str,
    reporter: BuildReporter,
    freshness: bool = True,
) -> BuildOutcome:
    """``dbt build --target <target>`` straight against Snowflake (no copy, no publish)."""
    if target in SNOWFLAKE_TARGETS:
        # The same variables the profile reads: name a missing one before dbt starts.
        connection_parameters(SnowflakeSettings())
    started = time.monotonic()
    invocation = DbtInvocation(
        target=target,
        profiles_dir=profiles_dir(settings),
        target_path=settings.dbt_dir / f"target-{target}",
        log_path=settings.dbt_log_path,
        env=dbt_env(settings),
    )
    if target == EMULATOR_TARGET:
        # fakesnow cannot create the temporary tables dbt unit tests use. They
        # test SQL logic, not the adapter, and run on DuckDB in every local build.
        args = [*args, "--exclude-resource-type", "unit_test"]
    fresh = check_freshness(invocation, reporter) if freshness else None
    reporter.phase(f"dbt build on {target}")
    result = run_dbt(invocation, args, reporter.dbt_progress)
    if not result.ok:
        raise DbtError(result.failure_message())
    return BuildOutcome(
        target=target, result=result, seconds=time.monotonic() - started, freshness=fresh
    )


def build_local(
    settings: Settings,
    args: Sequence[str] = ("build",),
    *,
    reporter: BuildReporter | None = None,
    freshness: bool = True,
) -> BuildOutcome:
    """Build the local DuckDB warehouse and publish it atomically.

    A failed build publishes no model: the state stays as it was, except that
    the run log rows the failed run recorded about itself are carried into it
    and into the published warehouse (if an earlier build published one), so
    the monitoring schema shows the failure.
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
        reporter.phase("copying the state warehouse")
        build_copy = files.prepare_build_copy(settings)
        invocation = DbtInvocation(
            target=LOCAL_TARGET,
            profiles_dir=profiles,
            target_path=settings.dbt_target_path,
            log_path=settings.dbt_log_path,
            env={**dbt_env(settings), "ANALYTICS_DUCKDB_PATH": str(build_copy)},
        )
        staging: Path | None = None
        fresh: DbtResult | None = None
        dbt_ran = False
        try:
            if freshness:
                dbt_ran = True
                fresh = check_freshness(invocation, reporter)
            reporter.phase("dbt build")
            dbt_ran = True
            result = run_dbt(invocation, args, reporter.dbt_progress)
            if not result.ok:
                raise DbtError(result.failure_message())
            staging = files.new_docs_staging(settings)
            files.stage_artifacts(settings.dbt_target_path, staging, ["run_results.json"])
            reporter.phase("dbt docs generate")
            docs_result = run_dbt(invocation, ["docs", "generate"])
            if not docs_result.ok:
                raise DbtError(docs_result.failure_message())
            files.stage_artifacts(settings.dbt_target_path, staging, files.DOCS_FILES)
            reporter.phase("publishing")
            files.promote_build_copy(settings)
        except DbtError:
            if dbt_ran and files.carry_over_run_log(build_copy, state):
                # Readers get the last good data plus the news of the failure
                # (nothing before the first good build: "not built yet" is the
                # clearer answer then).
                reporter.phase("publishing the run log of the failed build")
                files.publish_run_log(settings, build_copy)
            files.discard_build_copy(settings)
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        except BaseException:
            files.discard_build_copy(settings)
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        published = files.publish_state(settings)
        docs = files.publish_docs(settings, staging)
    return BuildOutcome(
        target=LOCAL_TARGET,
        result=result,
        seconds=time.monotonic() - started,
        warehouse=published,
        docs=docs,
        freshness=fresh,
    )
