"""``analytics ci``: what the CI/CD pipelines run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from analytics_core.errors import ConfigurationError
from orchestration.commands.common import (
    load_settings,
    out,
)

ci_app = typer.Typer(
    help="What the CI/CD pipelines run.", no_args_is_help=True, rich_markup_mode=None
)


@ci_app.command("plan", short_help="Which components changed and what to run for each.")
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


@ci_app.command("execute", short_help="Run the steps of a plan in order.")
def ci_execute(
    plan_file: Annotated[
        Path, typer.Argument(help="The JSON that analytics ci plan --json printed.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the commands, run nothing.")
    ] = False,
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


@ci_app.command("publish", short_help="Publish production's dbt artifacts or the docs site.")
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


@ci_app.command("fetch-state", short_help="Fetch production's manifest for slim CI.")
def ci_fetch_state(
    source: Annotated[str, typer.Option("--from", help="s3://bucket/prefix or a local folder.")],
    to: Annotated[Path, typer.Option("--to", help="Folder for dbt's --state.")] = Path(
        "prod-artifacts"
    ),
) -> None:
    """Fetch production's manifest for slim CI (dbt build --state)."""
    from orchestration.ci_artifacts import fetch

    names = fetch(source, to)
    out.print(f"fetched {', '.join(names)} into {to}", markup=False)
