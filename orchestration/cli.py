"""The ``analytics`` command line.

Each command is a thin function: it parses options, calls the module that
does the work and prints the outcome. Failures the user can act on are
:class:`~analytics_core.errors.AnalyticsError`; :func:`main` prints them as
one ``error: ...`` line on stderr and exits non-zero.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from analytics_core.errors import AnalyticsError, ConfigurationError, first_line
from analytics_core.settings import Settings

if TYPE_CHECKING:
    from orchestration.build import BuildOutcome
    from orchestration.dbt_runner import DbtResult
    from orchestration.generator import GenerationSummary, GeneratorConfig

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

app = typer.Typer(
    name="analytics",
    help="Analytics platform: generate raw data, build the warehouse with dbt, serve it.",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class GenerateTarget(StrEnum):
    local = "local"
    snowflake = "snowflake"


class BuildTarget(StrEnum):
    local = "local"
    snowflake = "snowflake"
    emulator = "emulator"
    prod = "prod"


class UsageError(AnalyticsError):
    """Options that do not go together."""

    exit_code = 2


def load_settings() -> Settings:
    """Settings from the environment; a bad value is one clear line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "ANALYTICS_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"{name}: {first['msg']}") from exc


def _positive(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter("must be greater than 0")
    return value


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())
        raise typer.Exit(0)


# --------------------------------------------------------------------------- generate


@app.command()
def generate(
    scale: Annotated[
        float | None,
        typer.Option(
            help="Size: 1.0 is about 1,000,000 order items over two years.",
            callback=_positive,
            show_default="1.0",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Random seed; the same seed gives the same data.", show_default="42"),
    ] = None,
    end_date: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="Last day of generated history.",
            show_default="today, UTC",
        ),
    ] = None,
    defect_rate: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Rate of each injected defect (duplicates, nulls, orphans...).",
            show_default="0.005",
        ),
    ] = None,
    increment: Annotated[
        bool, typer.Option("--increment", help="Append the next days of changes instead.")
    ] = False,
    days: Annotated[
        int | None,
        typer.Option(min=1, help="With --increment: how many days to append.", show_default="1"),
    ] = None,
    target: Annotated[
        GenerateTarget | None,
        typer.Option(
            case_sensitive=False,
            help="Where raw data goes: the local state warehouse or Snowflake "
            "(SNOWFLAKE_* variables).",
            show_default="local; snowflake if ANALYTICS_TARGET is not local",
        ),
    ] = None,
) -> None:
    """Write raw data (the raw_data schema) for the warehouse to build from.

    Locally a full generate starts a new history (the next build rebuilds
    everything); --increment appends to the existing one.
    """
    from orchestration import generation
    from orchestration.progress import GeneratorBar

    if increment:
        given = [
            name
            for name, value in (
                ("--scale", scale),
                ("--seed", seed),
                ("--end-date", end_date),
                ("--defect-rate", defect_rate),
            )
            if value is not None
        ]
        if given:
            raise UsageError(
                f"{', '.join(given)} cannot be combined with --increment "
                "(an increment continues the existing data)"
            )
    elif days is not None:
        raise UsageError("--days needs --increment")

    settings = load_settings()
    chosen = target or (
        GenerateTarget.local if settings.target == "local" else GenerateTarget.snowflake
    )
    config = None
    if not increment:
        config = _generator_config(
            seed=seed,
            scale=scale,
            end_date=end_date.date() if end_date else None,
            defect_rate=defect_rate,
        )
    with _generator_errors(), GeneratorBar(err) as bar:
        if chosen is GenerateTarget.snowflake:
            summary = generation.generate_snowflake(config, days or 1, progress=bar)
        elif config is not None:
            summary = generation.generate_local(settings, config, progress=bar, on_wait=bar.waiting)
        else:
            summary = generation.increment_local(
                settings, days or 1, progress=bar, on_wait=bar.waiting
            )
    where = (
        str(settings.state_warehouse_path)
        if chosen is GenerateTarget.local
        else "Snowflake raw_data"
    )
    _print_generation(summary, where, increment=increment)
    if chosen is GenerateTarget.local:
        out.print("next: [bold]analytics build[/]")


@contextmanager
def _generator_errors() -> Iterator[None]:
    """Show the generator's own errors (bad settings, bad state) as one line."""
    from orchestration.generator import GeneratorError

    try:
        yield
    except GeneratorError as exc:
        raise AnalyticsError(str(exc)) from exc


def _generator_config(
    *, seed: int | None, scale: float | None, end_date: date | None, defect_rate: float | None
) -> GeneratorConfig:
    from orchestration.generator import GeneratorConfig

    kwargs: dict[str, Any] = {"end_date": end_date}
    if seed is not None:
        kwargs["seed"] = seed
    if scale is not None:
        kwargs["scale"] = scale
    if defect_rate is not None:
        kwargs["defect_rate"] = defect_rate
    with _generator_errors():
        config = GeneratorConfig(**kwargs)
        config.validate()
    return config


def _print_generation(summary: GenerationSummary, where: str, *, increment: bool) -> None:
    verb = "appended" if increment else "generated"
    out.print(f"{verb} {summary.start_date} .. {summary.end_date} into {where}", soft_wrap=True)
    table = Table()
    table.add_column("raw_data table")
    table.add_column("rows", justify="right")
    for name, rows in sorted(summary.rows.items()):
        table.add_row(name, f"{rows:,}")
    table.add_row("[bold]total[/]", f"[bold]{sum(summary.rows.values()):,}[/]")
    out.print(table)


# --------------------------------------------------------------------------- build


@app.command()
def build(
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh", help="Rebuild incremental models and snapshots from scratch."
        ),
    ] = False,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select", "-s", help="dbt node selection (repeatable), e.g. +rpt_daily_sales."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="dbt nodes to leave out (repeatable)."),
    ] = None,
    target: Annotated[
        BuildTarget | None,
        typer.Option(
            case_sensitive=False,
            help="dbt target. local builds a copy of the DuckDB warehouse and publishes it; "
            "the others run dbt build on Snowflake directly.",
            show_default="ANALYTICS_TARGET, else local",
        ),
    ] = None,
    freshness: Annotated[
        bool,
        typer.Option(
            "--freshness/--no-freshness",
            help="Check source freshness first (recorded in the monitoring schema).",
        ),
    ] = True,
    docs: Annotated[
        bool, typer.Option("--docs", help="Also generate the dbt docs site (dbt docs generate).")
    ] = False,
    unit_tests: Annotated[
        bool,
        typer.Option("--unit-tests", help="Also run the dbt unit tests (CI, development)."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Build even when nothing is new since the last build."),
    ] = False,
) -> None:
    """Run dbt build on the warehouse, then publish it for readers.

    Locally, a build with nothing new since the last one (raw data, events,
    dbt project) says so and runs nothing; --force builds anyway.
    """
    settings = load_settings()
    outcome = _build(
        settings,
        target=target.value if target else None,
        full_refresh=full_refresh,
        select=select,
        exclude=exclude,
        freshness=freshness,
        docs=docs,
        unit_tests=unit_tests,
        force=force,
    )
    _print_build(outcome)


def _build(
    settings: Settings,
    *,
    target: str | None = None,
    full_refresh: bool = False,
    select: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    freshness: bool = True,
    docs: bool = False,
    unit_tests: bool = False,
    force: bool = False,
) -> BuildOutcome:
    from orchestration.build import build as run_build
    from orchestration.progress import build_bar

    with build_bar(err) as bar:
        return run_build(
            settings,
            target=target,
            full_refresh=full_refresh,
            select=list(select or []),
            exclude=list(exclude or []),
            reporter=bar,
            freshness=freshness,
            docs=docs,
            unit_tests=unit_tests,
            force=force,
        )


@app.command()
def docs() -> None:
    """Generate the dbt docs site of the published warehouse and publish it."""
    from orchestration.build import generate_docs
    from orchestration.progress import build_bar

    settings = load_settings()
    if settings.target != "local":
        raise UsageError(
            "analytics docs documents the local published warehouse; on Snowflake targets"
            " use analytics build --docs"
        )
    with build_bar(err) as bar:
        path = generate_docs(settings, bar)
    out.print(f"docs in {path}", markup=False)


def _print_freshness(fresh: DbtResult) -> None:
    if fresh.nodes == 0 and not fresh.ok:
        err.print(f"warning: source freshness was not checked: {fresh.failure_message()}")
        return
    late = []
    if fresh.warnings:
        late.append(f"{fresh.warnings} past the warning threshold")
    if fresh.errors:
        late.append(f"{fresh.errors} past the error threshold or not checkable")
    if late:
        err.print(
            f"warning: source freshness: {fresh.nodes} sources checked, {'; '.join(late)} "
            "(see monitoring.source_freshness_status)"
        )
    else:
        out.print(f"source freshness: {fresh.nodes} sources checked, all fresh")


def _print_build(outcome: BuildOutcome) -> None:
    if outcome.current_since is not None:
        at = outcome.current_since.strftime("%Y-%m-%d %H:%M:%S UTC")
        out.print(
            f"nothing new in raw data since the build at {at}; the published warehouse is current",
            markup=False,
            soft_wrap=True,
        )
        if outcome.docs is not None:
            out.print(f"docs in {outcome.docs}", markup=False)
        return
    if outcome.freshness is not None:
        _print_freshness(outcome.freshness)
    result = outcome.result
    if result is None:  # pragma: no cover - only a build that found nothing new has none
        return
    parts = [f"{result.nodes} nodes"]
    if result.warnings:
        parts.append(f"{result.warnings} warnings")
    if result.skipped:
        parts.append(f"{result.skipped} skipped")
    out.print(f"dbt build on {outcome.target}: {', '.join(parts)} in {outcome.seconds:.1f} s")
    if outcome.views_kept:
        out.print("views kept as they were: only data changed since the last build")
    if outcome.warehouse is not None:
        out.print(f"published {outcome.warehouse}")
    if outcome.docs is not None:
        # Without --docs the folder has the build's artifacts and the site as last generated.
        what = "docs" if outcome.docs_generated else "dbt artifacts"
        out.print(f"{what} in {outcome.docs}")


# --------------------------------------------------------------------------- serve and report


class Component(StrEnum):
    report_service = "report-service"
    ui = "ui"
    scheduler = "scheduler"


@app.command()
def serve(
    component: Annotated[Component, typer.Argument(help="What to run.")],
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=0, max=65535, help="Port (report service 8000, UI 8501; the scheduler has none)."
        ),
    ] = None,
) -> None:
    """Run one component in the foreground until Ctrl-C or SIGTERM."""
    if component is Component.ui:
        _serve_ui(host, port)
    if component is Component.scheduler:
        _serve_scheduler()
        return
    from report_service.server import serve as serve_reports
    from report_service.server import service_settings

    service, settings, key_file = _service_settings(service_settings, host, port)
    if key_file:
        err.print(f"API key (x-api-key) in {key_file}", markup=False)
    err.print(f"report service on http://{service.host}:{service.port}/docs", markup=False)
    serve_reports(service, settings)


def _serve_ui(host: str | None, port: int | None) -> NoReturn:
    """Replace this process with Streamlit serving ``ui/app.py`` (signals then
    reach Streamlit directly, as a container's init expects)."""
    from analytics_core.settings import UISettings
    from orchestration.extras import require
    from orchestration.services import streamlit_argv

    require("streamlit")
    settings = UISettings()
    host = host or settings.host
    port = settings.port if port is None else port
    err.print(f"UI on http://{host}:{port}", markup=False)
    argv = streamlit_argv(host, port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 - our interpreter, fixed arguments


def _open_scheduler(settings: Settings, report_service_url: str | None = None) -> Any:
    """The scheduler of this home: the schedule checked against the report catalog
    (``report_service_url`` overrides ``REPORT_SERVICE_URL``, for ``up``)."""
    from analytics_core.events import event_sink
    from analytics_core.schedules import check_reports, load_schedule
    from analytics_core.settings import SchedulerSettings
    from orchestration.scheduler import (
        CommandRunner,
        Scheduler,
        SchedulerState,
        local_api_key,
        state_path,
    )
    from report_service.reports import CATALOG

    config = SchedulerSettings()
    if report_service_url is not None:
        config = config.model_copy(update={"report_service_url": report_service_url})
    schedule = load_schedule(config.schedule_file)
    check_reports(schedule, CATALOG)
    runner = CommandRunner(settings, config, local_api_key(settings, config))
    return Scheduler(
        schedule, SchedulerState(state_path(settings)), runner, config, events=event_sink(settings)
    )


def _serve_scheduler() -> None:
    import logging

    from orchestration.scheduler import scheduler_lock

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # Handlers first: a stop that arrives while the schedule loads is kept, not lost.
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        with scheduler_lock(settings):
            scheduler = _open_scheduler(settings)
            jobs = scheduler.schedule.jobs
            err.print(
                f"scheduler on {settings.home_dir}: {len(jobs)} jobs"
                f" from {scheduler.schedule.path}",
                markup=False,
            )
            scheduler.run_forever(stop)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    err.print("scheduler stopped", markup=False)


@app.command()
def schedules(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    count: Annotated[int, typer.Option(min=1, max=50, help="Next run times per job.")] = 3,
) -> None:
    """The schedule file: every job, its cron (UTC), its next runs and its last run here."""
    from analytics_core.schedules import check_reports, describe, load_schedule
    from analytics_core.settings import SchedulerSettings
    from orchestration.scheduler import SchedulerState, state_path
    from report_service.reports import CATALOG

    settings = load_settings()
    schedule = load_schedule(SchedulerSettings().schedule_file)
    check_reports(schedule, CATALOG)
    from datetime import UTC

    now = datetime.now(UTC)
    rows = describe(schedule.jobs, now, count)
    path = state_path(settings)
    last: dict[str, Any] = {}
    if path.is_file():
        for run in SchedulerState(path).runs():
            last[run.job] = run
    for row in rows:
        record = last.get(row["name"])
        row["last_run"] = (
            None
            if record is None
            else {
                "due_at": record.due_at.isoformat(),
                "status": record.status,
                "attempts": record.attempts,
                "detail": record.detail,
            }
        )
    if as_json:
        out.print_json(data={"schedule_file": str(schedule.path), "jobs": rows})
        return
    table = Table(title=f"schedule ({schedule.path}), times in UTC")
    for column in ("job", "kind", "cron", "next runs", "last run"):
        table.add_column(column)
    for row in rows:
        run = row["last_run"]
        table.add_row(
            row["name"],
            row["kind"],
            row["cron"],
            "\n".join(t[:16].replace("T", " ") for t in row["next"]),
            "-" if run is None else f"{run['due_at'][:16].replace('T', ' ')} {run['status']}",
        )
    out.print(table)


@app.command("snowflake-ddl")
def snowflake_ddl(
    terraform_outputs: Annotated[
        Path | None,
        typer.Option(
            help="`terraform output -json` of infra/terraform/aws (a file it wrote, or the"
            " module's directory): the gateway URL and role ARN."
        ),
    ] = None,
    gateway_url: Annotated[
        str | None, typer.Option(help="API Gateway stage URL in front of the report service.")
    ] = None,
    role_arn: Annotated[
        str | None, typer.Option(help="IAM role Snowflake assumes to call the gateway.")
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(help="Database of the reporting schema (default SNOWFLAKE_DATABASE)."),
    ] = None,
    schema: Annotated[str, typer.Option(help="Schema of the functions and tasks.")] = "reporting",
    operator_role: Annotated[
        str, typer.Option(help="Role that runs the tasks and may call the functions.")
    ] = "analytics_operator",
    api_key_env: Annotated[
        str,
        typer.Option(help="Environment variable holding the API key the gateway expects."),
    ] = "REPORT_SERVICE_API_KEY",
    checks: Annotated[
        bool, typer.Option("--checks", help="Print the post-deploy checks instead.")
    ] = False,
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file (default: stdout).")
    ] = None,
    apply_with_dbt: Annotated[
        str | None,
        typer.Option(
            metavar="TARGET",
            help="Apply it with `dbt run-operation apply_statements` on this dbt target.",
        ),
    ] = None,
) -> None:
    """The Snowflake DDL: API integration, external functions, report tasks, grants."""
    from analytics_core.schedules import check_reports, load_schedule
    from analytics_core.settings import SchedulerSettings, SnowflakeSettings
    from orchestration.snowflake_ddl import (
        inputs_from_terraform,
        render_checks,
        render_script,
        render_statements,
    )
    from report_service.reports import CATALOG

    schedule = load_schedule(SchedulerSettings().schedule_file)
    check_reports(schedule, CATALOG)
    api_key = os.environ.get(api_key_env) or None
    overrides = {
        "gateway_url": gateway_url,
        "role_arn": role_arn,
        "database": database or SnowflakeSettings().database,
        "schema": schema,
        "operator_role": operator_role,
        "api_key": api_key,
    }
    if terraform_outputs is not None:
        inputs = inputs_from_terraform(terraform_outputs, **overrides)
    else:
        from orchestration.snowflake_ddl import DeployInputs

        missing = [n for n in ("gateway_url", "role_arn", "database") if not overrides[n]]
        if missing:
            raise ConfigurationError(
                "give --terraform-outputs, or "
                + ", ".join("--" + m.replace("_", "-") for m in missing)
            )
        inputs = DeployInputs(
            gateway_url=str(gateway_url),
            role_arn=str(role_arn),
            database=str(overrides["database"]),
            schema=schema,
            operator_role=operator_role,
            api_key=api_key,
        ).checked()
    if not checks and api_key is None:
        err.print(
            f"warning: {api_key_env} is not set: the API integration gets no API_KEY,"
            " and the report service will refuse Snowflake's calls",
            markup=False,
        )
    statements = (render_checks if checks else render_statements)(schedule, inputs)
    if apply_with_dbt is not None:
        from orchestration.snowflake_ddl import apply_with_dbt as apply

        count = apply(statements, load_settings(), apply_with_dbt)
        err.print(f"applied {count} statements on dbt target {apply_with_dbt}", markup=False)
        return
    script = render_script(
        statements,
        {
            "schedule": str(schedule.path.name),
            "gateway": inputs.gateway_url,
            "kind": "post-deploy checks" if checks else "deployment",
        },
    )
    if out_path is None:
        sys.stdout.write(script)
        return
    if not out_path.parent.is_dir():
        raise UsageError(f"--out: the folder {out_path.parent} does not exist")
    from analytics_core.private_files import write_private

    # Created 0600 (it may hold the API key), atomically: never readable by others.
    write_private(out_path, script)
    err.print(f"wrote {len(statements)} statements to {out_path}", markup=False)


ci_app = typer.Typer(help="What the CI/CD pipelines run.", no_args_is_help=True)
app.add_typer(ci_app, name="ci")


@ci_app.command("plan")
def ci_plan(
    base: Annotated[str, typer.Option(help="The revision the change is compared with.")],
    head: Annotated[str, typer.Option(help="The changed revision.")] = "HEAD",
    main_branch: Annotated[
        bool, typer.Option("--main", help="The change is on main: deploy steps too.")
    ] = False,
    state_dir: Annotated[
        str, typer.Option(help="Folder of production's dbt manifest (for --state).")
    ] = "prod-artifacts",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which components changed since BASE (git diff) and what to run for each."""
    from orchestration.ci_plan import changed_files, make_plan

    files = changed_files(base, head)
    plan = make_plan(files, base=base, head=head, main=main_branch, state_dir=state_dir)
    if as_json:
        out.print_json(data=plan.to_json())
        return
    out.print(f"{len(files)} files changed between {base} and {head}", markup=False)
    if not plan.steps:
        out.print("nothing to run", markup=False)
    for step in plan.steps:
        out.print(f"[bold]{step['component']}[/]: {step['name']}")
        for command in step["commands"]:
            out.print(f"  {command}", markup=False)


@ci_app.command("execute")
def ci_execute(
    plan_file: Annotated[Path, typer.Argument(help="The JSON of `analytics ci plan --json`.")],
    dry_run: Annotated[bool, typer.Option(help="Print the commands, run nothing.")] = False,
) -> None:
    """Run the steps of a plan in order (DOCS_URL, STATE_URL, IMAGE_REGISTRY and
    GIT_COMMIT fill its placeholders); stop at the first that fails."""
    import json

    from orchestration.ci_plan import execute

    try:
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the plan {plan_file}: {exc}") from None
    if not isinstance(plan, dict):
        raise ConfigurationError(f"{plan_file} is not a plan")
    for argv in execute(plan, dict(os.environ), dry_run=dry_run):
        if dry_run:
            out.print(" ".join(argv), markup=False)


@ci_app.command("publish")
def ci_publish(
    what: Annotated[str, typer.Argument(help="state (dbt artifacts) or docs (the docs site).")],
    to: Annotated[str, typer.Option("--to", help="s3://bucket/prefix or a local folder.")],
    source: Annotated[
        Path | None,
        typer.Option("--from", help="Folder of the files (default: the home's docs folder)."),
    ] = None,
) -> None:
    """Publish production's dbt artifacts or the docs site (after a build on main)."""
    from orchestration.ci_artifacts import DOCS_FILES, STATE_FILES, publish

    if what not in ("state", "docs"):
        raise ConfigurationError(f"publish state or docs, not {what[:40]!r}")
    folder = source or load_settings().docs_dir
    names = STATE_FILES if what == "state" else DOCS_FILES
    required = STATE_FILES if what == "state" else ("index.html", "manifest.json")
    marker = publish(folder, to, names, required=required)
    out.print(f"published {len(marker['files'])} files of {folder} to {to}", markup=False)


@ci_app.command("fetch-state")
def ci_fetch_state(
    source: Annotated[str, typer.Option("--from", help="s3://bucket/prefix or a local folder.")],
    to: Annotated[Path, typer.Option("--to", help="Folder for dbt's --state.")] = Path(
        "prod-artifacts"
    ),
) -> None:
    """Fetch production's manifest for slim CI (``dbt build --state``)."""
    from orchestration.ci_artifacts import fetch

    names = fetch(source, to)
    out.print(f"fetched {', '.join(names)} into {to}", markup=False)


def _service_settings(factory: Any, host: str | None, port: int | None) -> Any:
    try:
        return factory(host, port)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "REPORT_SERVICE_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"{name}: {first['msg']}") from exc


@app.command()
def report(
    report_type: Annotated[str, typer.Argument(metavar="TYPE", help="A report type.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A report parameter as KEY=VALUE (repeatable)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html, pdf, csv, xlsx or json.")
    ] = "html",
    out_path: Annotated[
        str | None,
        typer.Option("--out", "-o", help="Where to write the file (default: TYPE.FORMAT here)."),
    ] = None,
) -> None:
    """Render one report now from the published warehouse (no service needed)."""
    import shutil
    import tempfile
    from pathlib import Path

    from analytics_core.settings import ReportServiceSettings
    from report_service.reports import render_report
    from report_service.warehouse import open_warehouse_client

    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param must be KEY=VALUE, not {item!r}")
        params[key.strip()] = value
    settings = load_settings()
    target = Path(out_path) if out_path else Path.cwd() / f"{report_type}.{fmt}"
    if target.is_dir():
        target = target / f"{report_type}.{fmt}"
    if not target.parent.is_dir():
        raise UsageError(f"--out: the folder {target.parent} does not exist")
    client = open_warehouse_client(ReportServiceSettings(), settings)
    try:
        with tempfile.TemporaryDirectory(prefix="analytics-report-") as tmp:
            files = render_report(report_type, params, [fmt], client, Path(tmp))
            shutil.move(str(files[fmt]), target)
    finally:
        client.close()
    out.print(f"wrote {target} ({target.stat().st_size:,} bytes)")


# --------------------------------------------------------------------------- ask


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(metavar="QUESTION", help="The question, in quotes; - reads stdin.")
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="YYYY-MM-DD", help="Resolve 'last month' etc. against this day."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (see interfaces.md).")
    ] = False,
    show_sql: Annotated[bool, typer.Option("--sql", help="Also print the SQL that ran.")] = False,
) -> None:
    """Answer a question in plain language from the warehouse."""
    import json

    from questions.engine import MAX_QUESTION_CHARS
    from questions.engines import open_question_engine

    if question == "-":
        question = sys.stdin.read(MAX_QUESTION_CHARS * 4 + 1)
    day = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of.strip())
        except ValueError:
            raise UsageError(f"--as-of must be a date like 2026-03-15, not {as_of!r}") from None
    settings = load_settings()
    engine = open_question_engine(settings)
    try:
        answer = engine.ask(question, as_of=day)
    finally:
        engine.close()
    if as_json:
        sys.stdout.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
        return
    _print_answer(answer, show_sql)


class SemanticFormat(StrEnum):
    yaml = "yaml"
    sql = "sql"


@app.command("semantic-model")
def semantic_model(
    fmt: Annotated[
        SemanticFormat,
        typer.Option(
            "--format", "-f", help="yaml: Cortex Analyst semantic model; sql: CREATE SEMANTIC VIEW."
        ),
    ] = SemanticFormat.yaml,
    database: Annotated[
        str | None,
        typer.Option(help="Snowflake database the tables live in (default: SNOWFLAKE_DATABASE)."),
    ] = None,
    schema_prefix: Annotated[
        str, typer.Option(help="Prefix of a developer's schemas, e.g. dev_alice_.")
    ] = "",
    view: Annotated[
        str | None, typer.Option(help="Name of the semantic view (sql; default DB.REPORTING.X).")
    ] = None,
    out_path: Annotated[
        str | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the Cortex Analyst semantic model generated from the dbt semantic layer."""
    import re
    from pathlib import Path

    from analytics_core.settings import SnowflakeSettings
    from questions.cortex_model import render

    database = database or SnowflakeSettings().database
    for name, value in (("--database", database), ("--schema-prefix", schema_prefix)):
        if value and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", value):
            raise UsageError(f"{name} must be a Snowflake identifier, not {value!r}")
    if view and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}", view):
        raise UsageError(f"--view must be a (qualified) Snowflake identifier, not {view!r}")
    text = render(fmt.value, database=database, schema_prefix=schema_prefix, view_name=view)
    if out_path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    target = Path(out_path)
    if not target.parent.is_dir():
        raise UsageError(f"--out: the folder {target.parent} does not exist")
    target.write_text(text)
    err.print(f"wrote {target} ({len(text):,} characters)", markup=False)


def _print_answer(answer: Any, show_sql: bool) -> None:
    out.print(f"{answer.status}: {answer.explanation}", markup=False, soft_wrap=True)
    if answer.status == "answered":
        table = Table(*answer.columns, show_lines=False)
        shown = answer.to_json()["rows"][:50]
        for row in shown:
            table.add_row(*("" if v is None else _cell(v) for v in row))
        out.print(table)
        if len(answer.rows) > len(shown):
            out.print(f"({len(answer.rows):,} rows; --json prints them all)", markup=False)
        for warning in answer.warnings:
            err.print(f"warning: {warning}", markup=False)
        if show_sql and answer.sql:
            out.print(answer.sql, markup=False, soft_wrap=True)
    for suggestion in answer.suggestions:
        out.print(f"  try: {suggestion}", markup=False)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    return str(value)


# --------------------------------------------------------------------------- up


@app.command()
def up(
    scale: Annotated[
        float,
        typer.Option(callback=_positive, help="Scale of the first generated data set, if any."),
    ] = 0.1,
    seed: Annotated[int | None, typer.Option(help="Seed of the first generated data set.")] = None,
    host: Annotated[str, typer.Option(help="Interface the services listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of the dbt docs site (0: any free port).")
    ] = 8080,
    report_port: Annotated[
        int,
        typer.Option(min=0, max=65535, help="Port of the report service (0: any free port)."),
    ] = 8000,
    ui_port: Annotated[
        int,
        typer.Option(min=0, max=65535, help="Port of the Streamlit UI (0: any free port)."),
    ] = 8501,
) -> None:
    """Everything at once: data if there is none, build, then the docs site, the
    report service, the UI and the scheduler; Ctrl-C stops them all."""
    from orchestration import generation
    from orchestration import warehouse_publish as files
    from orchestration.progress import GeneratorBar
    from orchestration.scheduler import SchedulerService
    from orchestration.services import ServiceGroup, StaticSite, StreamlitUI
    from report_service.server import ReportServer, service_settings

    settings = load_settings()
    service, _, key_file = _service_settings(service_settings, host, report_port)
    if "REPORT_SERVICE_LOG_LEVEL" not in os.environ:
        # `up` talks to a person at a terminal: only the report service's
        # warnings and errors, not a JSON line per request.
        service = service.model_copy(update={"log_level": "WARNING"})
    if not files.raw_tables(settings.state_warehouse_path):
        out.print(f"no raw data yet: generating a data set at scale {scale}")
        config = _generator_config(seed=seed, scale=scale, end_date=None, defect_rate=None)
        with _generator_errors(), GeneratorBar(err) as bar:
            summary = generation.generate_local(settings, config, progress=bar, on_wait=bar.waiting)
        _print_generation(summary, str(settings.state_warehouse_path), increment=False)
    # The docs site is generated when there is none yet; later builds keep it.
    has_docs = (settings.docs_dir / "index.html").is_file()
    _print_build(_build(settings, target="local", docs=not has_docs))

    reports = ReportServer(service, settings)
    group = ServiceGroup(
        [
            StaticSite("dbt docs", settings.docs_dir, host=host, port=port),
            reports,
            # Started after the report service: it needs that service's port.
            StreamlitUI(
                settings.home_dir / "ui" / "streamlit.log",
                host=host,
                port=ui_port,
                env=lambda: {"REPORT_SERVICE_URL": reports.url.removesuffix("/docs")},
            ),
            SchedulerService(
                settings,
                lambda: _open_scheduler(settings, reports.url.removesuffix("/docs")),
            ),
        ]
    )
    with group.running():
        for running in group.services:
            out.print(f"{running.name}: [bold]{running.url}[/]")
        if key_file:
            out.print(f"report service API key (x-api-key) in {key_file}")
        out.print("press Ctrl-C to stop")
        _wait_for_stop_signal()
        out.print("stopping")


def _wait_for_stop_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# --------------------------------------------------------------------------- entry point


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"error: {message}", markup=False, soft_wrap=True)
    sys.exit(code)


def _unexpected(exc: BaseException) -> str:
    if os.environ.get("ANALYTICS_DEBUG"):
        traceback.print_exc()
    first = first_line(exc) if str(exc) else ""
    return f"unexpected {type(exc).__name__}: {first} (set ANALYTICS_DEBUG=1 for the traceback)"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``analytics`` script."""
    try:
        code = app(args=argv, prog_name="analytics", standalone_mode=False)
    except typer.TyperException as exc:  # bad command line (click's UsageError and kin)
        _fail(exc.format_message().replace("Value error, ", ""), exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted", 130)
    except AnalyticsError as exc:
        _fail(str(exc), getattr(exc, "exit_code", 1))
    except ModuleNotFoundError as exc:
        # A component installed without another's extra (pyproject.toml).
        from orchestration.extras import missing_extra_message

        _fail(missing_extra_message(exc) or _unexpected(exc))
    except Exception as exc:
        _fail(_unexpected(exc))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
