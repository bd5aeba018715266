"""The guard's entry point, :func:`guard_sql`: parse, check, limit, render,
and check the rendering again."""

from __future__ import annotations

import logging
import threading

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from analytics_core.errors import first_line
from questions.guard.costs import check_costs, check_recursion
from questions.guard.errors import GuardError, snippet
from questions.guard.nodes import Nodes
from questions.guard.policy import GuardedQuery, GuardPolicy
from questions.guard.relations import check_columns, check_relations, check_sources
from questions.guard.rules import (
    check_depth,
    check_functions,
    check_read_only_query,
    check_time_travel,
)


def guard_sql(sql: str, policy: GuardPolicy) -> GuardedQuery:
    """Check ``sql`` against ``policy``; return the statement that may run.

    Raises :class:`GuardError` when the statement is refused.
    """
    if len(sql) > policy.max_sql_chars:
        raise GuardError(
            "too_long", f"the SQL is {len(sql)} characters, over {policy.max_sql_chars}"
        )
    try:
        root = _parse_one(sql, policy)
        relations = _check(root, policy)
        # The tree is the guard's own from here on: limited and rendered in
        # place, without copies.
        limited = _apply_limit(root, policy.max_rows)
        columns = tuple(limited.named_selects) if isinstance(limited, exp.Query) else ()
        rendered = limited.sql(dialect=policy.dialect, comments=False, copy=False)
        # What runs is the rendering, so check the rendering too.
        _check(_parse_one(rendered, policy), policy)
    except RecursionError:
        raise GuardError("too_complex", "the SQL nests too deeply") from None
    return GuardedQuery(sql=rendered, relations=frozenset(relations), columns=columns)


# --- parsing -------------------------------------------------------------


class _QuietWhileParsing(logging.Filter):
    """Drops sqlglot's warnings ("falling back to Command") logged by a thread
    while it parses for the guard; set once, not a logger level per parse
    (changing a level clears every logger's cache)."""

    def __init__(self) -> None:
        super().__init__()
        self.parsing = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or not getattr(self.parsing, "on", False)


_QUIET = _QuietWhileParsing()
logging.getLogger("sqlglot").addFilter(_QUIET)


def _parse_one(sql: str, policy: GuardPolicy) -> exp.Expression:
    if not sql.strip():
        raise GuardError("empty", "the SQL is empty")
    _QUIET.parsing.on = True  # no "falling back to Command" warnings
    try:
        statements = sqlglot.parse(sql, read=policy.dialect)
    except SqlglotError as error:
        raise GuardError(
            "parse_error", f"the SQL does not parse: {snippet(first_line(error))}"
        ) from None
    except RecursionError:
        raise GuardError("too_complex", "the SQL nests too deeply") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise GuardError("parse_error", "the SQL does not parse") from None
    finally:
        _QUIET.parsing.on = False
    real = [
        s
        for s in statements
        if s is not None and not (isinstance(s, exp.Semicolon) and not _has_children(s))
    ]
    if not real:
        raise GuardError("empty", "the SQL has no statement, only comments")
    if len(real) > 1:
        raise GuardError("not_one_statement", f"the SQL holds {len(real)} statements, not one")
    root = real[0]
    if not isinstance(root, exp.Expression):
        raise GuardError("parse_error", "the SQL does not parse to a statement")
    return root


def _has_children(node: exp.Expression) -> bool:
    return any(v is not None and v != [] for v in node.args.values())


# --- checks --------------------------------------------------------------


def _check(root: exp.Expression, policy: GuardPolicy) -> set[str]:
    """Every check on one parsed statement; returns the relations it reads."""
    check_depth(root)  # first: the walk below must not meet a tree nested too deeply
    nodes = Nodes(root)
    check_read_only_query(nodes)
    check_functions(nodes, policy)
    check_time_travel(nodes)
    check_recursion(nodes)
    sources: dict[int, str] = {}
    check_relations(root, frozenset(), policy, sources)
    check_sources(nodes)
    check_columns(nodes, policy, sources)
    check_costs(nodes)
    return set(sources.values())


# --- the row limit -------------------------------------------------------


def _apply_limit(root: exp.Expression, max_rows: int) -> exp.Expression:
    """The statement with at most ``max_rows`` rows from its outermost query
    (``root`` itself, changed, or a query around it)."""
    if isinstance(root, exp.Subquery):
        return _apply_limit(exp.select("*").from_(root.as_("guarded")), max_rows)
    tree = root
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Literal):
        value = limit.expression
        if (
            not value.is_string
            and str(value.this).isdigit()
            and int(value.this) <= max_rows
            and not limit.args.get("limit_options")
            and not limit.args.get("percent")
        ):
            return tree
    elif isinstance(limit, exp.Fetch):
        count = limit.args.get("count")
        options = limit.args.get("limit_options")
        percent = bool(options and options.args.get("percent"))
        if (
            isinstance(count, exp.Literal)
            and not count.is_string
            and str(count.this).isdigit()
            and int(count.this) <= max_rows
            and not percent
        ):
            return tree
    tree.set("limit", exp.Limit(expression=exp.Literal.number(max_rows)))
    return tree
