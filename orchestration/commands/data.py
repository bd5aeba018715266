"""Data and the warehouse: ``analytics generate``, ``build`` and ``docs``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from analytics_core.errors import AnalyticsError
from analytics_core.settings import Settings, SnowflakeSettings
from orchestration.commands.common import (
    UsageError,
    err,
    load_settings,
    out,
    positive,
)

if TYPE_CHECKING:
    from orchestration.build import BuildOutcome
    from orchestration.dbt_runner import DbtResult
    from orchestration.generator import GenerationSummary, GeneratorConfig


class GenerateTarget(StrEnum):
    local = "local"
    snowflake = "snowflake"


class BuildTarget(StrEnum):
    local = "local"
    snowflake = "snowflake"
    emulator = "emulator"
    prod = "prod"


# --------------------------------------------------------------------------- generate


#: The size of a generated data set when none is asked for, for ``generate``
#: and ``up`` alike: about 100,000 order lines over two years, built in under
#: a minute on a laptop (scale 1 is ten times that).
DEFAULT_SCALE = 0.1


def generate(
    scale: Annotated[
        float | None,
        typer.Option(
            help="Size: 1.0 is about 1,000,000 order lines over two years.",
            callback=positive,
            show_default=str(DEFAULT_SCALE),
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
        config = generator_config(
            seed=seed,
            scale=DEFAULT_SCALE if scale is None else scale,
            end_date=end_date.date() if end_date else None,
            defect_rate=defect_rate,
        )
    with generator_errors(), GeneratorBar(err) as bar:
        if chosen is GenerateTarget.snowflake:
            summary = generation.generate_snowflake(
                config, days or 1, SnowflakeSettings(), progress=bar
            )
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
    print_generation(summary, where, increment=increment)
    if chosen is GenerateTarget.local:
        out.print("next: [bold]analytics build[/]")


@contextmanager
def generator_errors() -> Iterator[None]:
    """Show the generator's own errors (bad settings, bad state) as one line."""
    from orchestration.generator import GeneratorError

    try:
        yield
    except GeneratorError as exc:
        raise AnalyticsError(str(exc)) from exc


def generator_config(
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
    with generator_errors():
        config = GeneratorConfig(**kwargs)
        config.validate()
    return config


def print_generation(summary: GenerationSummary, where: str, *, increment: bool) -> None:
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
    alerts_after: Annotated[
        str | None,
        typer.Option(
            "--alerts-after",
            metavar="JOB",
            help="Then evaluate the alerts that follow this build job of the schedule file.",
        ),
    ] = None,
) -> None:
    """Run dbt build on the warehouse, then publish it for readers.

    Locally, a build with nothing new since the last one (raw data, events,
    dbt project) says so and runs nothing; --force builds anyway.
    --alerts-after is how AWS's scheduled builds run their alerts (the local
    scheduler runs them itself); an alert that cannot be evaluated or sent
    fails the command after the build has been published.
    """
    settings = load_settings()
    if alerts_after is not None:
        from orchestration.commands.alerts import check_build_job

        check_build_job(alerts_after)  # a typo fails now, not after the build
    outcome = run_build(
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
    print_build(outcome)
    if alerts_after is not None and outcome.current_since is None:
        from orchestration.commands.alerts import alerts_after_build

        alerts_after_build(settings, alerts_after)


def run_build(
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
    from orchestration.build import SNOWFLAKE_TARGETS
    from orchestration.build import build as build_warehouse
    from orchestration.progress import build_bar

    # The account, read here (the entry point) and only for a Snowflake target:
    # a local build does not depend on SNOWFLAKE_* values.
    on_snowflake = (target or settings.target) in SNOWFLAKE_TARGETS
    with build_bar(err) as bar:
        return build_warehouse(
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
            snowflake=SnowflakeSettings() if on_snowflake else None,
        )


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


def print_build(outcome: BuildOutcome) -> None:
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
