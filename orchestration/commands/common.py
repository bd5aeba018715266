"""What every command shares: the consoles, the settings from the environment
and the errors a command line can make."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from analytics_core.errors import AnalyticsError, ConfigurationError
from analytics_core.settings import Settings

# soft_wrap: a line is never broken by rich (a log or a pipe has no width:
# rich would cut sentences at 80 columns); tables still fit their width.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Rows for people on a terminal (a table that fits its width), else for
    programs: the title as a ``#`` line, then the column names and each row
    on one line, tab-separated (a pipe or a log has no width: a table there
    would fold every cell into a column of 80 characters). Line breaks and
    tabs inside a cell become spaces."""
    if out.is_terminal:
        from rich.table import Table

        table = Table(title=title)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    # Written as they are: rich would expand the tabs to spaces.
    lines = [f"# {title}"] + [
        "\t".join(" ".join(cell.split()) for cell in line) for line in (columns, *rows)
    ]
    out.file.write("\n".join(lines) + "\n")
    out.file.flush()


class ExitCode(IntEnum):
    """What ``analytics`` exits with (one definition: docs/interfaces.md is
    written from it)."""

    #: Done; for ``ask``, the question was answered.
    OK = 0
    #: Something went wrong; stderr has one ``error:`` line saying what.
    ERROR = 1
    #: The command line was wrong (an unknown option, a bad value).
    USAGE = 2
    #: ``ask``: the question needs a clarification (the answer names the words).
    CLARIFY = 3
    #: ``ask``: the question is understood but cannot be answered from this data.
    UNSUPPORTED = 4
    #: Interrupted (Ctrl-C).
    INTERRUPTED = 130


class UsageError(AnalyticsError):
    """Options that do not go together."""

    exit_code = ExitCode.USAGE


def load_settings() -> Settings:
    """Settings from the environment; a bad value is one clear line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "ANALYTICS_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"{name}: {first['msg']}") from exc


def positive(value: float | None) -> float | None:
    """An option callback: the value, if it is greater than 0."""
    if value is not None and not value > 0:
        raise typer.BadParameter("must be greater than 0")
    return value


def checked_service_settings(factory: Any, host: str | None, port: int | None) -> Any:
    """The report service's settings from ``factory`` (its ``service_settings``);
    a bad ``REPORT_SERVICE_*`` value is one clear line."""
    try:
        return factory(host, port)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "REPORT_SERVICE_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"{name}: {first['msg']}") from exc
