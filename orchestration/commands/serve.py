"""Running the components: ``analytics serve``, ``schedules`` and ``up``."""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import datetime
from enum import StrEnum
from types import FrameType
from typing import Annotated, Any, NoReturn

import typer

from analytics_core.settings import Settings
from orchestration.commands.common import (
    UsageError,
    checked_service_settings,
    err,
    load_settings,
    out,
    positive,
    print_table,
)
from orchestration.commands.data import (
    DEFAULT_SCALE,
    generator_config,
    generator_errors,
    print_build,
    print_generation,
    run_build,
)

# --------------------------------------------------------------------------- serve


class Component(StrEnum):
    report_service = "report-service"
    ui = "ui"
    scheduler = "scheduler"
    docs = "docs"


#: The dbt docs site's port when none is given (``serve docs`` and ``up``).
DOCS_PORT = 8080


def serve(
    component: Annotated[Component, typer.Argument(help="What to run.")],
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Port (report service 8000, UI 8501, docs 8080; the scheduler has none).",
        ),
    ] = None,
) -> None:
    """Run one component in the foreground until Ctrl-C or SIGTERM.

    docs serves the dbt docs site of the last build as it is (no build, no
    scheduler): analytics build --docs or analytics docs makes it.
    """
    if component is Component.docs:
        _serve_docs(host, port)
        return
    if component is Component.ui:
        _serve_ui(host, port)
    if component is Component.scheduler:
        _serve_scheduler()
        return
    from report_service.server import serve as serve_reports
    from report_service.server import service_settings
    from report_service.warehouse import snowflake_from_env

    service, settings, key_file = checked_service_settings(service_settings, host, port)
    if key_file:
        err.print(f"API key (x-api-key) in {key_file}", markup=False)
    err.print(f"report service on http://{service.host}:{service.port}/docs", markup=False)
    serve_reports(service, settings, snowflake_from_env(service))


def _serve_docs(host: str | None, port: int | None) -> None:
    from orchestration.services import StaticSite

    settings = load_settings()
    if not (settings.docs_dir / "index.html").is_file():
        raise UsageError(
            f"there is no dbt docs site in {settings.docs_dir} yet: "
            "run analytics build --docs (or analytics docs after a build)"
        )
    site = StaticSite(
        "dbt docs",
        settings.docs_dir,
        host=host or "127.0.0.1",
        port=DOCS_PORT if port is None else port,
    )
    site.start()
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    err.print(f"dbt docs site on {site.url} (Ctrl-C stops it)", markup=False)
    try:
        stop.wait()
    finally:
        site.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    err.print("stopped", markup=False)


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
        Scheduler,
        SchedulerState,
        local_api_key,
        state_path,
    )
    from orchestration.scheduler_runner import CommandRunner
    from report_service.reports import CATALOG

    config = SchedulerSettings()
    if report_service_url is not None:
        config = config.model_copy(update={"report_service_url": report_service_url})
    schedule = load_schedule(config.schedule_file)
    check_reports(schedule, CATALOG)
    runner = CommandRunner(settings, config, local_api_key(settings, config), schedule)
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

    from analytics_core.cron_words import describe_cron

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
    lines = []
    for row in rows:
        run = row["last_run"]
        lines.append(
            (
                row["name"],
                row["kind"],
                f"{describe_cron(row['cron'])}\n({row['cron']})",
                "\n".join(t[:16].replace("T", " ") for t in row["next"]),
                "-" if run is None else f"{run['due_at'][:16].replace('T', ' ')} {run['status']}",
            )
        )
    print_table(
        f"schedule ({schedule.path}), times in UTC",
        ("job", "kind", "when", "next runs", "last run"),
        lines,
    )


# --------------------------------------------------------------------------- up


def up(
    scale: Annotated[
        float,
        typer.Option(callback=positive, help="Scale of the first generated data set, if any."),
    ] = DEFAULT_SCALE,
    seed: Annotated[int | None, typer.Option(help="Seed of the first generated data set.")] = None,
    host: Annotated[str, typer.Option(help="Interface the services listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of the dbt docs site (0: any free port).")
    ] = DOCS_PORT,
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
    from report_service.warehouse import snowflake_from_env

    settings = load_settings()
    service, _, key_file = checked_service_settings(service_settings, host, report_port)
    if "REPORT_SERVICE_LOG_LEVEL" not in os.environ:
        # `up` talks to a person at a terminal: only the report service's
        # warnings and errors, not a JSON line per request.
        service = service.model_copy(update={"log_level": "WARNING"})
    if not files.raw_tables(settings.state_warehouse_path):
        out.print(f"no raw data yet: generating a data set at scale {scale}")
        config = generator_config(seed=seed, scale=scale, end_date=None, defect_rate=None)
        with generator_errors(), GeneratorBar(err) as bar:
            summary = generation.generate_local(settings, config, progress=bar, on_wait=bar.waiting)
        print_generation(summary, str(settings.state_warehouse_path), increment=False)
    # The docs site is generated when there is none yet; later builds keep it.
    has_docs = (settings.docs_dir / "index.html").is_file()
    print_build(run_build(settings, target="local", docs=not has_docs))

    reports = ReportServer(service, settings, snowflake_from_env(service))
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
