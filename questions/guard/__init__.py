"""The SQL guard every statement coming from a question passes before it runs.

Both engines that answer questions (our semantic query engine and Snowflake
Cortex Analyst) produce SQL text. Before any of it reaches the warehouse,
:func:`guard_sql` parses it with sqlglot in the target dialect and refuses it
(:class:`GuardError`, with a short ``reason`` code) unless all of this holds:

- it is at most ``max_sql_chars`` long and is exactly one statement (a
  trailing ``;`` and comments are fine; comments are dropped);
- the statement is a query: ``SELECT``, ``UNION``/``INTERSECT``/``EXCEPT``,
  optionally under ``WITH``; nowhere in the tree is there DML, DDL,
  ``SELECT ... INTO``, ``COPY``, ``ATTACH``, ``PRAGMA``, ``SET``, ``USE``,
  ``INSTALL``/``LOAD`` or any other command, nor a row lock;
- every relation read is a CTE in scope (unqualified names only) or an
  allow-listed ``schema.name``. Relations written without a schema that are
  not CTE names are refused: they would resolve through the session's search
  path. A qualified name is never taken for a CTE, whatever CTE names exist.
  Table functions, file paths, stages (``@stage``) and ``TABLE(...)`` are
  refused;
- every function call is in the function allow-list (see
  :data:`~questions.guard.policy.DEFAULT_ALLOWED_FUNCTIONS`); session variables and bind parameters
  (``$x``, ``?``, ``getvariable``) are refused;
- no column reference anywhere (projection, ``WHERE``, ``JOIN``, ``ORDER BY``,
  function arguments, ``* EXCLUDE`` lists) carries a personal-data name; no
  whole-row reference (``SELECT c FROM t AS c``) is made; for relations whose
  allowed columns the policy lists, only those columns are referenced and
  ``*`` over them is refused;
- identifiers are plain ASCII (no homoglyph look-alikes of allowed names);
- no time travel: Snowflake's ``AT(...)``, ``BEFORE(...)``, ``CHANGES(...)``
  and ``FOR ... AS OF`` versions read data as it was, not as it is published;
- no obvious cost bomb (``too_costly``): recursive CTEs and ``CONNECT BY``;
  joins without a join condition (``CROSS JOIN``, comma joins, ``NATURAL`` and
  ``POSITIONAL`` joins, ``ON TRUE``) unless one side is a single row (an
  aggregate subquery without ``GROUP BY``, as MetricFlow writes for several
  metrics); functions whose output grows with a literal argument rather than
  with the data (``lpad``/``rpad`` beyond :data:`~questions.guard.costs.MAX_PAD_LENGTH`, date arrays
  beyond :data:`~questions.guard.costs.MAX_GENERATED_ROWS` elements or with bounds that are not
  literals, ``replace`` over ``replace``). What cannot be known from the text
  (a legitimate-looking query over much data) is bounded where it runs: the
  statement timeout and, on DuckDB, the memory limit.

The statement that may run is :attr:`GuardedQuery.sql`: the parsed tree
re-rendered by sqlglot in the dialect with a row limit of at most
``max_rows`` applied to the outermost query. That text is parsed and checked
once more before it is returned, so what runs is what was checked. Always run
the returned SQL, never the input.

The guard's public interface is what this package exports; its parts:
:mod:`~questions.guard.check` (:func:`guard_sql`: parse, check, limit,
render, check again), :mod:`~questions.guard.policy` (what may be read and
called), :mod:`~questions.guard.rules` (the statement itself: read-only,
identifiers, variables, functions, time travel),
:mod:`~questions.guard.relations` (relations, CTEs, columns),
:mod:`~questions.guard.costs` (cost bombs), :mod:`~questions.guard.nodes` (a
parsed statement's nodes, walked once for all the checks),
:mod:`~questions.guard.errors` (:class:`GuardError` and its reasons).
"""

from questions.guard.check import guard_sql
from questions.guard.errors import GuardError, GuardReason
from questions.guard.policy import (
    DEFAULT_ALLOWED_FUNCTIONS,
    DEFAULT_PERSONAL_COLUMNS,
    GuardedQuery,
    GuardPolicy,
    default_policy,
)

__all__ = [
    "DEFAULT_ALLOWED_FUNCTIONS",
    "DEFAULT_PERSONAL_COLUMNS",
    "GuardError",
    "GuardPolicy",
    "GuardReason",
    "GuardedQuery",
    "default_policy",
    "guard_sql",
]
