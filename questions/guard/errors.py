"""What the guard says when it refuses a statement: a short reason code and
one line that quotes at most a short snippet of the input."""

from __future__ import annotations

from typing import Literal

from analytics_core.errors import AnalyticsError

GuardReason = Literal[
    "too_long",  # longer than max_sql_chars
    "too_complex",  # nested deeper than MAX_DEPTH (sqlglot recurses over the tree)
    "empty",  # nothing but whitespace and comments
    "parse_error",  # sqlglot cannot parse it in the dialect
    "not_one_statement",  # more than one statement
    "not_a_query",  # the statement is not a SELECT/UNION/... (e.g. VALUES, a bare word)
    "not_read_only",  # DML, DDL, INTO, COPY, ATTACH, PRAGMA, SET, a command, a lock
    "relation_not_allowed",  # a relation that is not a CTE in scope nor allow-listed
    "function_not_allowed",  # a function (or table function) outside the allow-list
    "syntax_not_allowed",  # session variables, bind parameters, non-ASCII identifiers
    "personal_data",  # a personal-data column, or `*` over a relation with listed columns
    "column_not_allowed",  # a column a relation's allow-list does not name
    "row_reference",  # a whole-row reference (a table name or alias used as a column)
    "time_travel",  # AT / BEFORE / CHANGES / FOR ... AS OF: data as it was, not as published
    "too_costly",  # recursive CTEs, joins without a condition, huge generated values
]

_MESSAGE_SNIPPET = 60


class GuardError(AnalyticsError):
    """A statement from a question the guard refuses to run.

    ``reason`` is a short code (see :data:`GuardReason`); ``str(error)`` is one
    line that quotes at most a short snippet of the input.
    """

    def __init__(self, reason: GuardReason, message: str) -> None:
        super().__init__(message)
        self.reason: GuardReason = reason


def snippet(text: str) -> str:
    """``text`` on one line, cut to a short length, quoted."""
    flat = " ".join(text.split())
    if len(flat) > _MESSAGE_SNIPPET:
        flat = flat[: _MESSAGE_SNIPPET - 3] + "..."
    return repr(flat)
