"""The ``analytics`` command line: the application, its commands in the order
``--help`` lists them, and the entry point.

The commands live in :mod:`orchestration.commands`, one module per group.
Failures the user can act on are :class:`~analytics_core.errors.AnalyticsError`;
:func:`main` prints them as one ``error: ...`` line on stderr and exits
non-zero, and so it does for a component that is not installed (its extra is
named).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from analytics_core.errors import AnalyticsError, first_line
from orchestration.commands import alerts, ask, ci, data, deliver, reports, serve, snowflake
from orchestration.commands.common import ExitCode, err, out

app = typer.Typer(
    name="analytics",
    help="Analytics platform: generate raw data, build the warehouse with dbt, serve it.",
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's plain help: it reflows paragraphs to the terminal and prints
    # flags without a type (rich's panels printed "<bool>" for every flag and
    # wrapped choices inside words).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("analytics-platform")
        except PackageNotFoundError:  # pragma: no cover - run from a bare checkout
            installed = "unknown (not installed)"
        out.print(f"analytics {installed}", markup=False)
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the installed version and exit.",
        ),
    ] = False,
) -> None:
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help(), markup=False)
        raise typer.Exit(0)


# (command, its function, the one line `analytics --help` lists it with)
app.command(short_help="Write raw data for the warehouse to build from.")(data.generate)
app.command(short_help="Build the warehouse with dbt, then publish it.")(data.build)
app.command(short_help="Generate the dbt docs site of the published warehouse.")(data.docs)
app.command(short_help="Run one component (report service, UI, scheduler, docs).")(serve.serve)
app.command(short_help="The schedule: every job, its next runs, its last run.")(serve.schedules)
app.command("snowflake-ddl", short_help="The Snowflake DDL: integration, functions, tasks.")(
    snowflake.snowflake_ddl
)
app.add_typer(ci.ci_app, name="ci")
app.command(
    short_help="Render one report now from the published warehouse.", cls=reports.ReportCommand
)(reports.report)
app.command(short_help="Subscriptions: what would be sent, send one now.")(deliver.deliver)
app.command(short_help="Evaluate the alerts and send what they find.")(alerts.alerts)
app.command(short_help="Answer a question in plain language.")(ask.ask)
app.command("semantic-model", short_help="Print the Cortex Analyst semantic model.")(
    ask.semantic_model
)
app.command(short_help="Everything at once: data, build, docs site, services.")(serve.up)


def _plain_metavars(command: Any) -> Any:
    """Click's own style for every value: ``--host HOST``, ``--format [yaml|sql]``,
    an argument by its name alone (Typer 0.29 printed ``<str>``, ``<int range>``,
    ``<list[str]>`` beside each)."""
    ctx = type(command).context_class(command)
    for param in command.params:
        display = getattr(param, "display_type", None)
        if display is None or getattr(param, "is_flag", False):
            continue
        shown = str(display(ctx) or "")
        if not shown.startswith("<"):
            continue  # a format of our own (YYYY-MM-DD)
        # Typer carries its own copy of click: duck typing, not isinstance.
        if "|" in shown:  # choices: Typer's <a|b>
            plain = "[" + shown[1:-1] + "]"
        elif param.param_type_name == "argument":
            plain = ""
        else:
            longest = max(getattr(param, "opts", None) or [f"--{param.name}"], key=len)
            plain = longest.lstrip("-").replace("-", "_").upper()
        param.display_type = lambda _ctx, text=plain: text
    if hasattr(command, "commands"):
        for sub in command.commands.values():
            _plain_metavars(sub)
    return command


def _fail(message: str, code: int = ExitCode.ERROR) -> NoReturn:
    err.print(f"error: {message}", markup=False, soft_wrap=True)
    sys.exit(code)


def _damaged_database(exc: BaseException) -> str | None:
    """What to do when a DuckDB file of this home is not a database (a disk
    that filled, a copy cut short, another program's file in its place)."""
    import re

    from analytics_core.warehouse.published import NOT_A_DATABASE

    text = str(exc)
    found = re.search(r'file "([^"]+)" exists, but it is ' + re.escape(NOT_A_DATABASE), text)
    if type(exc).__name__ != "IOException" or found is None:
        return None
    path = found.group(1)
    if Path(path).parent.name == "state":
        return (
            f"the state warehouse {path} is damaged (it is not a DuckDB database file). "
            "It holds the raw data and the incremental state of the builds: move it aside "
            f"(mv {path} {path}.damaged), then run analytics generate and analytics build "
            "(or analytics up) to start again; the published warehouse and the docs site "
            "stay as they are until the next build replaces them."
        )
    return (
        f"{path} is damaged (it is not a DuckDB database file): move it aside and run "
        "the command again (a build makes the files it needs anew)."
    )


def _unexpected(exc: BaseException) -> str:
    if os.environ.get("ANALYTICS_DEBUG"):
        traceback.print_exc()
    first = first_line(exc) if str(exc) else ""
    return f"unexpected {type(exc).__name__}: {first} (set ANALYTICS_DEBUG=1 for the traceback)"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``analytics`` script."""
    try:
        command = _plain_metavars(typer.main.get_command(app))
        code = command.main(args=argv, prog_name="analytics", standalone_mode=False)
    except typer.TyperException as exc:  # bad command line (click's UsageError and kin)
        _fail(exc.format_message().replace("Value error, ", ""), exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted", ExitCode.INTERRUPTED)
    except AnalyticsError as exc:
        _fail(str(exc), getattr(exc, "exit_code", ExitCode.ERROR))
    except ModuleNotFoundError as exc:
        # A component installed without another's extra (pyproject.toml).
        from orchestration.extras import missing_extra_message

        _fail(missing_extra_message(exc) or _unexpected(exc))
    except Exception as exc:
        _fail(_damaged_database(exc) or _unexpected(exc))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
