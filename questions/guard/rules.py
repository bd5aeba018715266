"""The rules on the statement itself: nesting depth, read-only queries only,
plain identifiers, no variables or bind parameters, allow-listed functions,
no time travel."""

from __future__ import annotations

from typing import Final

from sqlglot import exp

from questions.guard.errors import GuardError, snippet
from questions.guard.nodes import Nodes
from questions.guard.policy import GuardPolicy

MAX_DEPTH: Final = 200
"""How deeply a statement's syntax tree may nest (sqlglot renders recursively)."""

# Nodes that make a statement other than a read-only query, wherever they sit.
_FORBIDDEN_NODES: Final[tuple[type[exp.Expression], ...]] = tuple(
    cls
    for cls in (
        getattr(exp, name, None)
        for name in (
            "Insert",
            "Update",
            "Delete",
            "Merge",
            "Create",
            "Drop",
            "Alter",
            "Copy",
            "Command",
            "Pragma",
            "Set",
            "Use",
            "Attach",
            "Detach",
            "Into",
            "Install",
            "Describe",
            "Show",
            "Summarize",
            "Transaction",
            "Commit",
            "Rollback",
            "LoadData",
            "Export",
            "Lock",
            "Returning",
            "Refresh",
            "Grant",
            "Revoke",
            "Analyze",
            "Kill",
            "TruncateTable",
            "Cache",
            "Uncache",
            "Comment",
            "Declare",
            "Put",
            "Get",
        )
    )
    if isinstance(cls, type)
)

# Func subclasses in sqlglot that are SQL syntax, not function calls.
_SYNTAX_FUNCS: Final[tuple[type[exp.Expression], ...]] = tuple(
    cls
    for cls in (getattr(exp, name, None) for name in ("Connector", "Exists", "Any", "All"))
    if isinstance(cls, type)
)

_VARIABLE_NODES: Final[tuple[type[exp.Expression], ...]] = (
    exp.Parameter,
    exp.Placeholder,
    exp.SessionParameter,
)


def check_depth(root: exp.Expression) -> None:
    stack: list[tuple[exp.Expression, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise GuardError("too_complex", f"the SQL nests deeper than {MAX_DEPTH} levels")
        for child in node.iter_expressions():
            stack.append((child, depth + 1))


def check_read_only_query(nodes: Nodes) -> None:
    """One read-only query (no DML, DDL, command or lock anywhere in it), with
    plain ASCII identifiers and no session variables or bind parameters."""
    root = nodes.root
    forbidden = next(iter(nodes.find_all(*_FORBIDDEN_NODES)), None)
    if forbidden is not None:
        what = "SELECT ... INTO" if isinstance(forbidden, exp.Into) else forbidden.key.upper()
        raise GuardError("not_read_only", f"only read-only queries may run, not {what}")
    if not isinstance(root, exp.Select | exp.SetOperation | exp.Subquery):
        raise GuardError(
            "not_a_query", f"only SELECT queries may run, not {snippet(root.key.upper())}"
        )
    for identifier in nodes.find_all(exp.Identifier):
        if not str(identifier.this).isascii():
            raise GuardError(
                "syntax_not_allowed", f"identifier {snippet(identifier.name)} is not plain ASCII"
            )
    variable = next(iter(nodes.find_all(*_VARIABLE_NODES)), None)
    if variable is not None:
        raise GuardError(
            "syntax_not_allowed", "session variables and bind parameters are not allowed"
        )


def function_names(node: exp.Func) -> set[str]:
    """The lower-case names a function call is matched by (see
    :data:`~questions.guard.policy.DEFAULT_ALLOWED_FUNCTIONS`)."""
    if isinstance(node, exp.Anonymous):
        return {str(node.name).lower()}
    return {type(node).key.lower(), *(n.lower() for n in type(node).sql_names())}


def check_functions(nodes: Nodes, policy: GuardPolicy) -> None:
    for func in nodes.find_all(exp.Func):
        if isinstance(func, _SYNTAX_FUNCS):
            continue
        names = function_names(func)
        if not names & policy.allowed_functions:
            shown = func.name if isinstance(func, exp.Anonymous) else type(func).sql_names()[0]
            raise GuardError(
                "function_not_allowed", f"function {snippet(str(shown).lower())} is not allowed"
            )


def check_time_travel(nodes: Nodes) -> None:
    """No ``AT``/``BEFORE``/``CHANGES`` clause, nor a table version."""
    kinds = tuple(
        cls
        for cls in (getattr(exp, n, None) for n in ("HistoricalData", "Changes", "Version"))
        if isinstance(cls, type)
    )
    found = next(iter(nodes.find_all(*kinds)), None) if kinds else None
    if found is None:
        found = next(
            (
                t
                for t in nodes.find_all(exp.Table)
                if any(t.args.get(k) is not None for k in ("when", "changes", "version"))
            ),
            None,
        )
    if found is not None:
        raise GuardError(
            "time_travel",
            "time travel (AT, BEFORE, CHANGES, AS OF) is not allowed: questions read the"
            " published data as it is",
        )
