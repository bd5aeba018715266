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
from typing import NoReturn

import typer

from analytics_core.errors import AnalyticsError, first_line
from orchestration.commands import ask, ci, data, reports, serve, snowflake
from orchestration.commands.common import err, out

app = typer.Typer(
    name="analytics",
    help="Analytics platform: generate raw data, build the warehouse with dbt, serve it.",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())
        raise typer.Exit(0)


app.command()(data.generate)
app.command()(data.build)
app.command()(data.docs)
app.command()(serve.serve)
app.command()(serve.schedules)
app.command("snowflake-ddl")(snowflake.snowflake_ddl)
app.add_typer(ci.ci_app, name="ci")
app.command()(reports.report)
app.command()(ask.ask)
app.command("semantic-model")(ask.semantic_model)
app.command()(serve.up)


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
