"""Questions: ``analytics ask`` and ``analytics semantic-model``."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from orchestration.commands.common import (
    ExitCode,
    UsageError,
    err,
    load_settings,
    out,
)


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
        bool, typer.Option("--json", help="Print one JSON object (see docs/interfaces.md).")
    ] = False,
    show_sql: Annotated[bool, typer.Option("--sql", help="Also print the SQL that ran.")] = False,
) -> None:
    """Answer a question in plain language from the warehouse.

    Exits 0 when it answered, 3 when the question needs a clarification and
    4 when it cannot be answered from this data (the answer says why, on
    stdout, as for an answer).
    """
    import json

    from questions.answers import MAX_QUESTION_CHARS
    from questions.choose import open_question_engine
    from questions.presenting import Catalog, answer_json, present

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
        catalog = Catalog.for_engine(engine)
    finally:
        engine.close()
    if as_json:
        # allow_nan=False: a NaN that slipped through is an error, not invalid JSON.
        payload = answer_json(answer, catalog)
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        _print_answer(answer, present(answer, catalog), show_sql)
    raise typer.Exit(ANSWER_EXIT_CODES[answer.status])


#: The exit code of each answer status (``questions.answers.Status``).
ANSWER_EXIT_CODES = {
    "answered": ExitCode.OK,
    "clarify": ExitCode.CLARIFY,
    "unsupported": ExitCode.UNSUPPORTED,
}


class SemanticFormat(StrEnum):
    yaml = "yaml"
    sql = "sql"


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


def _print_answer(answer: Any, shown: Any, show_sql: bool) -> None:
    """The answer as people read it: ``shown`` is its
    :class:`questions.presenting.Presented` (labels, formatted cells)."""
    out.print(f"{answer.status}: {answer.explanation}", markup=False, soft_wrap=True)
    if answer.status == "answered" and not shown.rows:
        out.print("(no rows)", markup=False)
    elif answer.status == "answered":
        table = Table(show_lines=False)
        for column in shown.columns:
            right = column.kind in {"money", "count", "percent", "number"}
            table.add_column(column.label, justify="right" if right else "left")
        for row in shown.rows[:50]:
            table.add_row(*row)
        out.print(table)
        if len(shown.rows) > 50:
            out.print(f"({len(shown.rows):,} rows; --json prints them all)", markup=False)
        for note in shown.notes:
            out.print(note, markup=False, soft_wrap=True)
    if answer.status == "answered":
        for warning in answer.warnings:
            err.print(f"warning: {warning}", markup=False)
        if show_sql and answer.sql:
            out.print(answer.sql, markup=False, soft_wrap=True)
    for suggestion in answer.suggestions:
        out.print(f"  try: {suggestion}", markup=False)
