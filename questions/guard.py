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
  :data:`DEFAULT_ALLOWED_FUNCTIONS`); session variables and bind parameters
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
  with the data (``lpad``/``rpad`` beyond :data:`MAX_PAD_LENGTH`, date arrays
  beyond :data:`MAX_GENERATED_ROWS` elements or with bounds that are not
  literals, ``replace`` over ``replace``). What cannot be known from the text
  (a legitimate-looking query over much data) is bounded where it runs: the
  statement timeout and, on DuckDB, the memory limit.

The statement that may run is :attr:`GuardedQuery.sql`: the parsed tree
re-rendered by sqlglot in the dialect with a row limit of at most
``max_rows`` applied to the outermost query. That text is parsed and checked
once more before it is returned, so what runs is what was checked. Always run
the returned SQL, never the input.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from analytics_core.errors import AnalyticsError, first_line

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

MAX_PAD_LENGTH: Final = 1000
"""The longest ``lpad``/``rpad`` result a question may ask for (formatting
needs a few characters; ``lpad('x', 2000000000)`` is two gigabytes)."""

MAX_GENERATED_ROWS: Final = 100_000
"""The most elements a generated date array may have (a day per date for
over 270 years)."""

DEFAULT_PERSONAL_COLUMNS: Final[frozenset[str]] = frozenset(
    {"email", "full_name", "first_name", "last_name", "phone", "address"}
)

# Function names are matched in lower case against, for functions sqlglot
# knows, its expression class key (``type(node).key``, e.g. ``timestamptrunc``
# for DuckDB's and Snowflake's DATE_TRUNC) and every SQL name of that class
# (``type(node).sql_names()``, e.g. ``coalesce``, ``ifnull``, ``nvl``); for
# functions sqlglot does not know (``exp.Anonymous``), against the name as
# written. Both spellings are listed where they differ. Nothing here reads
# files, the network, the catalog, settings or variables, or has side effects.
DEFAULT_ALLOWED_FUNCTIONS: Final[frozenset[str]] = frozenset(
    {
        # aggregates
        *("count", "sum", "avg", "min", "max", "median", "any_value", "anyvalue"),
        *("count_if", "countif", "approx_distinct", "approxdistinct"),
        *("approx_count_distinct", "stddev", "stddev_samp", "stddevsamp", "stddev_pop"),
        *("stddevpop", "variance", "var_samp", "varsamp", "variance_pop", "var_pop"),
        *("variancepop", "corr", "covar_samp", "covarsamp", "covar_pop", "covarpop"),
        *("percentile_cont", "percentilecont", "percentile_disc", "percentiledisc"),
        *("quantile_cont", "quantilecont", "quantile_disc", "quantiledisc", "quantile"),
        *("listagg", "string_agg", "group_concat", "groupconcat", "arg_max", "argmax"),
        *("arg_min", "argmin", "max_by", "min_by", "bool_and", "bool_or"),
        *("logicaland", "logicalor"),
        # window functions
        *("row_number", "rownumber", "rank", "dense_rank", "denserank", "ntile"),
        *("percent_rank", "percentrank", "cume_dist", "cumedist", "lag", "lead"),
        *("first_value", "firstvalue", "last_value", "lastvalue", "nth_value", "nthvalue"),
        "ratio_to_report",
        # conditional and null handling
        *("case", "if", "iff", "iif", "coalesce", "ifnull", "nvl", "nvl2", "nullif"),
        *("greatest", "least", "zeroifnull", "nullifzero", "div0", "safedivide"),
        *("safe_divide", "equal_null"),
        # conversion
        *("cast", "try_cast", "trycast", "to_number", "to_decimal", "to_double"),
        *("to_varchar", "to_char", "tochar", "tonumber", "todouble"),
        # math
        *("abs", "round", "floor", "ceil", "ceiling", "sign", "sqrt", "power", "pow"),
        *("ln", "log", "log10", "exp", "mod", "trunc", "truncate"),
        # strings
        *("lower", "upper", "initcap", "trim", "ltrim", "rtrim", "length", "len"),
        *("concat", "concat_ws", "concatws", "dpipe", "substring", "substr", "replace"),
        *("left", "right", "lpad", "rpad", "pad", "split_part", "splitpart"),
        *("position", "strpos", "strposition", "starts_with", "startswith", "contains"),
        # dates and times
        *("date_trunc", "datetrunc", "timestamp_trunc", "timestamptrunc", "time_trunc"),
        *("extract", "date_part", "datepart", "year", "month", "day", "quarter"),
        *("week", "weekofyear", "yearofweek", "yearofweekiso", "dayofweek"),
        *("dayofweekiso", "dayofmonth", "dayofyear", "isodow", "isoyear", "weekiso"),
        *("date_add", "dateadd", "date_sub", "datesub", "date_diff", "datediff"),
        *("timestamp_add", "timestampadd", "timestamp_diff", "timestampdiff"),
        *("current_date", "currentdate", "current_timestamp", "currenttimestamp"),
        *("to_date", "todate", "tsordstodate", "ts_or_ds_to_date", "date", "to_timestamp"),
        *("totimestamp", "strtotime", "str_to_time", "strtodate", "str_to_date"),
        *("last_day", "lastday", "make_date", "date_from_parts", "datefromparts"),
        *("strftime", "timetostr", "time_to_str", "datestrtodate", "date_str_to_date"),
        *("monthname", "dayname", "timestrtotime", "time_str_to_time"),
        *("ts_or_ds_add", "tsordsadd", "ts_or_ds_diff", "tsordsdiff"),
        *("generate_date_array", "add_months", "addmonths", "months_between"),
        *("monthsbetween",),
    }
)

MAX_DEPTH: Final = 200
"""How deeply a statement's syntax tree may nest (sqlglot renders recursively)."""

_DIALECTS: Final = frozenset({"duckdb", "snowflake"})
_MESSAGE_SNIPPET = 60

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


class GuardError(AnalyticsError):
    """A statement from a question the guard refuses to run.

    ``reason`` is a short code (see :data:`GuardReason`); ``str(error)`` is one
    line that quotes at most a short snippet of the input.
    """

    def __init__(self, reason: GuardReason, message: str) -> None:
        super().__init__(message)
        self.reason: GuardReason = reason


@dataclass(frozen=True)
class GuardPolicy:
    """What a guarded statement may read and call, for one target warehouse.

    ``allowed_relations`` is keyed by lower-case ``schema.name`` with the
    schema written without ``schema_prefix``. A value of ``None`` allows every
    column of the relation except personal ones; a set allows only those
    columns (and refuses ``*`` over the relation, as ``*`` would reach the
    others). ``database``, when set, is the only catalog a relation may name
    (``DB.REPORTING.RPT_X``); when unset, a relation naming any catalog is
    refused. ``schema_prefix`` (non-production targets build into
    ``<prefix>_reporting`` and so on) makes only the prefixed schemas match.
    Names match case-insensitively, quoted or not.
    """

    dialect: str
    allowed_relations: Mapping[str, frozenset[str] | None]
    personal_columns: frozenset[str] = DEFAULT_PERSONAL_COLUMNS
    allowed_functions: frozenset[str] = DEFAULT_ALLOWED_FUNCTIONS
    max_rows: int = 10_000
    max_sql_chars: int = 20_000
    database: str | None = None
    schema_prefix: str | None = None

    def __post_init__(self) -> None:
        if self.dialect not in _DIALECTS:
            raise ValueError(f"dialect must be one of {sorted(_DIALECTS)}, not {self.dialect!r}")
        if self.max_rows < 1 or self.max_sql_chars < 1:
            raise ValueError("max_rows and max_sql_chars must be positive")
        relations = {
            key.lower(): (None if cols is None else frozenset(c.lower() for c in cols))
            for key, cols in self.allowed_relations.items()
        }
        for key in relations:
            if key.count(".") != 1:
                raise ValueError(f"allowed relation {key!r} is not schema.name")
        object.__setattr__(self, "allowed_relations", MappingProxyType(relations))
        object.__setattr__(
            self, "personal_columns", frozenset(c.lower() for c in self.personal_columns)
        )
        object.__setattr__(
            self, "allowed_functions", frozenset(f.lower() for f in self.allowed_functions)
        )


@dataclass(frozen=True)
class GuardedQuery:
    """A statement that passed the guard: run ``sql``, nothing else."""

    sql: str
    relations: frozenset[str]
    columns: tuple[str, ...] = field(default=())


REPORTING_RELATIONS: Final[tuple[str, ...]] = (
    "rpt_daily_sales",
    "rpt_product_performance",
    "rpt_weekly_kpis",
    "rpt_monthly_region_targets",
    "rpt_customer_counts",
)
PROCESSED_RELATIONS: Final[tuple[str, ...]] = (
    "dim_customers",
    "dim_products",
    "dim_dates",
    "fct_orders",
    "fct_order_items",
    "fct_order_item_margins",
    "sales_targets",
    "countries",
    # The semantic layer's own relations (MetricFlow's SQL reads them).
    "sem_regional_order_items",
    "metricflow_time_spine",
)
# dim_customers has no personal data today; listing its columns keeps it so
# if someone adds one (``*`` over it is refused, columns must be named).
DIM_CUSTOMERS_COLUMNS: Final[frozenset[str]] = frozenset(
    {
        "customer_key",
        "country_code",
        "country_name",
        "region",
        "segment",
        "signed_up_at",
        "first_order_date",
        "updated_at",
    }
)


def default_policy(
    dialect: str, schema_prefix: str | None = None, *, database: str | None = None
) -> GuardPolicy:
    """The policy for questions: the public reporting tables and the processed
    facts, dimensions and seeds; nothing from ``raw_data``, ``monitoring``,
    ``monitoring_raw``, ``information_schema`` or staging/intermediate/snapshot
    models. ``schema_prefix`` is the target schema of a non-production target
    (its schemas are ``<prefix>_reporting`` ...); ``database`` the catalog
    fully qualified names may carry (Snowflake's ``DB.REPORTING.RPT_X``)."""
    relations: dict[str, frozenset[str] | None] = {
        f"reporting.{name}": None for name in REPORTING_RELATIONS
    }
    relations.update({f"processed_data.{name}": None for name in PROCESSED_RELATIONS})
    relations["processed_data.dim_customers"] = DIM_CUSTOMERS_COLUMNS
    return GuardPolicy(
        dialect=dialect,
        allowed_relations=relations,
        database=database,
        schema_prefix=schema_prefix,
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
        limited = _apply_limit(root, policy.max_rows)
        rendered = limited.sql(dialect=policy.dialect, comments=False)
        # What runs is the rendering, so check the rendering too.
        _check(_parse_one(rendered, policy), policy)
    except RecursionError:
        raise GuardError("too_complex", "the SQL nests too deeply") from None
    columns = tuple(limited.named_selects) if isinstance(limited, exp.Query) else ()
    return GuardedQuery(sql=rendered, relations=frozenset(relations), columns=columns)


# --- parsing -------------------------------------------------------------


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > _MESSAGE_SNIPPET:
        flat = flat[: _MESSAGE_SNIPPET - 3] + "..."
    return repr(flat)


def _parse_one(sql: str, policy: GuardPolicy) -> exp.Expression:
    if not sql.strip():
        raise GuardError("empty", "the SQL is empty")
    sqlglot_logger = logging.getLogger("sqlglot")
    previous = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)  # no "falling back to Command" warnings
    try:
        statements = sqlglot.parse(sql, read=policy.dialect)
    except SqlglotError as error:
        raise GuardError(
            "parse_error", f"the SQL does not parse: {_snippet(first_line(error))}"
        ) from None
    except RecursionError:
        raise GuardError("too_complex", "the SQL nests too deeply") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise GuardError("parse_error", "the SQL does not parse") from None
    finally:
        sqlglot_logger.setLevel(previous)
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
    _check_depth(root)
    forbidden = next(iter(root.find_all(*_FORBIDDEN_NODES)), None)
    if forbidden is not None:
        what = "SELECT ... INTO" if isinstance(forbidden, exp.Into) else forbidden.key.upper()
        raise GuardError("not_read_only", f"only read-only queries may run, not {what}")
    if not isinstance(root, exp.Select | exp.SetOperation | exp.Subquery):
        raise GuardError(
            "not_a_query", f"only SELECT queries may run, not {_snippet(root.key.upper())}"
        )
    for identifier in root.find_all(exp.Identifier):
        if not str(identifier.this).isascii():
            raise GuardError(
                "syntax_not_allowed", f"identifier {_snippet(identifier.name)} is not plain ASCII"
            )
    variable = next(iter(root.find_all(*_VARIABLE_NODES)), None)
    if variable is not None:
        raise GuardError(
            "syntax_not_allowed", "session variables and bind parameters are not allowed"
        )
    _check_functions(root, policy)
    _check_time_travel(root)
    _check_recursion(root)
    sources: dict[int, str] = {}
    _check_relations(root, frozenset(), policy, sources)
    _check_sources(root)
    _check_columns(root, policy, sources)
    _check_costs(root)
    return set(sources.values())


def _check_depth(root: exp.Expression) -> None:
    stack: list[tuple[exp.Expression, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise GuardError("too_complex", f"the SQL nests deeper than {MAX_DEPTH} levels")
        for child in node.iter_expressions():
            stack.append((child, depth + 1))


def _function_names(node: exp.Func) -> set[str]:
    if isinstance(node, exp.Anonymous):
        return {str(node.name).lower()}
    return {type(node).key.lower(), *(n.lower() for n in type(node).sql_names())}


def _check_functions(root: exp.Expression, policy: GuardPolicy) -> None:
    for func in root.find_all(exp.Func):
        if isinstance(func, _SYNTAX_FUNCS):
            continue
        names = _function_names(func)
        if not names & policy.allowed_functions:
            shown = func.name if isinstance(func, exp.Anonymous) else type(func).sql_names()[0]
            raise GuardError(
                "function_not_allowed", f"function {_snippet(str(shown).lower())} is not allowed"
            )


def _check_time_travel(root: exp.Expression) -> None:
    """No ``AT``/``BEFORE``/``CHANGES`` clause, nor a table version."""
    kinds = tuple(
        cls
        for cls in (getattr(exp, n, None) for n in ("HistoricalData", "Changes", "Version"))
        if isinstance(cls, type)
    )
    found = next(iter(root.find_all(*kinds)), None) if kinds else None
    if found is None:
        found = next(
            (
                t
                for t in root.find_all(exp.Table)
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


def _int_literal(node: exp.Expression | None) -> int | None:
    """The value of an integer literal (``-`` allowed), else None."""
    negative = False
    if isinstance(node, exp.Neg):
        negative, node = True, node.this
    if isinstance(node, exp.Paren):
        return _int_literal(node.this)
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit():
        return -int(node.this) if negative else int(node.this)
    return None


def _date_literal(node: exp.Expression | None) -> datetime.date | None:
    while isinstance(node, exp.Cast | exp.TryCast | exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        try:
            return datetime.date.fromisoformat(str(node.this)[:10])
        except ValueError:
            return None
    return None


_STEP_DAYS: Final = {"day": 1, "week": 7, "month": 28, "quarter": 90, "year": 365}


def _generated_elements(node: exp.Expression) -> int | None:
    """How many elements a date array has, when its bounds and step are literals."""
    start = _date_literal(node.args.get("start"))
    end = _date_literal(node.args.get("end"))
    step = node.args.get("step")
    if start is None or end is None:
        return None
    days_per_step = 1
    if isinstance(step, exp.Interval):
        count = step.this
        amount = (
            int(count.this)
            if isinstance(count, exp.Literal) and str(count.this).strip().isdigit()
            else None
        )
        unit = str(step.unit.name if step.unit is not None else "day").lower().rstrip("s")
        if amount is None or amount < 1 or unit not in _STEP_DAYS:
            return None
        days_per_step = amount * _STEP_DAYS[unit]
    elif step is not None:
        return None
    return abs((end - start).days) // days_per_step + 1


def _single_row(node: exp.Expression) -> bool:
    """Whether a FROM/JOIN source yields at most one row: a subquery whose
    SELECT aggregates without GROUP BY, or has LIMIT 0/1."""
    if not isinstance(node, exp.Subquery):
        return False
    inner = node.this
    if not isinstance(inner, exp.Select):
        return False
    limit = inner.args.get("limit")
    if isinstance(limit, exp.Limit):
        value = _int_literal(limit.expression)
        if value is not None and 0 <= value <= 1:
            return True
    if inner.args.get("group") is not None:
        return False

    def aggregated(projection: exp.Expression) -> bool:
        return isinstance(projection.unalias(), exp.Literal) or any(
            not any(isinstance(a, exp.Window) for a in _ancestors(agg, projection))
            for agg in projection.find_all(exp.AggFunc)
        )

    return bool(inner.expressions) and all(aggregated(e) for e in inner.expressions)


def _ancestors(node: exp.Expr, stop: exp.Expr) -> Iterator[exp.Expr]:
    parent = node.parent
    while parent is not None and parent is not stop.parent:
        yield parent
        parent = parent.parent


def _join_condition(join: exp.Join) -> bool:
    """Whether the join has a condition that relates columns (not ``ON TRUE``)."""
    if join.args.get("using"):
        return True
    on = join.args.get("on")
    return isinstance(on, exp.Expression) and next(iter(on.find_all(exp.Column)), None) is not None


def _check_recursion(root: exp.Expression) -> None:
    """No recursive CTE nor ``CONNECT BY``: their cost is whatever they say."""
    for with_ in root.find_all(exp.With):
        if with_.args.get("recursive"):
            raise GuardError("too_costly", "recursive CTEs are not allowed")
        for cte in with_.expressions:
            # Snowflake makes a CTE that reads itself recursive, keyword or not.
            name = str(cte.alias_or_name).lower()
            for table in cte.this.find_all(exp.Table):
                if not table.args.get("db") and str(table.name).lower() == name:
                    raise GuardError("too_costly", "recursive CTEs are not allowed")
    connect = getattr(exp, "Connect", None)
    if isinstance(connect, type) and next(iter(root.find_all(connect)), None) is not None:
        raise GuardError("too_costly", "hierarchical queries (CONNECT BY) are not allowed")


def _correlated(lateral: exp.Lateral) -> bool:
    """Whether a LATERAL subquery refers to the rows it is joined to (its
    condition is inside it)."""
    inner = {str(t.alias_or_name).lower() for t in lateral.this.find_all(exp.Table)}
    return any(
        column.table and str(column.table).lower() not in inner
        for column in lateral.this.find_all(exp.Column)
    )


def _check_costs(root: exp.Expression) -> None:
    """Refuse the shapes whose cost does not depend on the data read."""
    for select in root.find_all(exp.Select):
        from_ = select.args.get("from_")
        left_single = isinstance(from_, exp.From) and _single_row(from_.this)
        for join in select.args.get("joins") or []:
            right_single = _single_row(join.this)
            method = str(join.args.get("method") or "").upper()
            kind = str(join.args.get("kind") or "").upper()
            if isinstance(join.this, exp.Lateral):
                right_single = _single_row(join.this.this)
                conditioned = _correlated(join.this) or _join_condition(join)
            else:
                conditioned = _join_condition(join)
            unconditioned = (
                kind == "CROSS" or method in {"NATURAL", "POSITIONAL"} or not conditioned
            )
            if unconditioned and not (left_single or right_single):
                raise GuardError(
                    "too_costly",
                    "a join without a join condition (cross join, comma join, NATURAL,"
                    " POSITIONAL, ON TRUE) is not allowed",
                )
            left_single = left_single and right_single
    for pad in root.find_all(exp.Pad):
        length = _int_literal(pad.args.get("expression"))
        if length is None or length > MAX_PAD_LENGTH:
            raise GuardError(
                "too_costly",
                f"lpad/rpad need a literal length of at most {MAX_PAD_LENGTH:,}",
            )
    for func in root.find_all(exp.Anonymous):
        if str(func.name).lower() in {"lpad", "rpad", "pad"}:
            raise GuardError(
                "too_costly", f"lpad/rpad need a literal length of at most {MAX_PAD_LENGTH:,}"
            )
    generators: tuple[type[exp.Expression], ...] = tuple(
        cls
        for cls in (getattr(exp, n, None) for n in ("GenerateDateArray", "GenerateSeries"))
        if isinstance(cls, type)
    )
    for generated in root.find_all(*generators):
        elements = _generated_elements(generated)
        if elements is None or elements > MAX_GENERATED_ROWS:
            raise GuardError(
                "too_costly",
                f"generated arrays need literal bounds and at most {MAX_GENERATED_ROWS:,} elements",
            )
    for replace_ in root.find_all(exp.Replace):
        if any(
            isinstance(inner, exp.Replace | exp.Pad) and inner is not replace_
            for inner in replace_.find_all(exp.Replace, exp.Pad)
        ):
            raise GuardError(
                "too_costly", "replace over replace (each level multiplies the text) is not allowed"
            )


def _check_sources(root: exp.Expression) -> None:
    """FROM and JOIN read only tables, subqueries, LATERAL subqueries or VALUES."""
    for node in root.find_all(exp.From, exp.Join):
        source = node.this
        if isinstance(source, exp.Lateral):
            source = source.this
        if not isinstance(source, exp.Table | exp.Subquery | exp.Values):
            raise GuardError(
                "relation_not_allowed",
                f"only tables and subqueries may be read, not {source.key.upper()}",
            )


def _table_parts(table: exp.Table) -> tuple[str, str, str]:
    return (
        str(table.catalog).lower(),
        str(table.db).lower(),
        str(table.name).lower(),
    )


def _relation_key(table: exp.Table, policy: GuardPolicy) -> str:
    """The allow-list key of a schema-qualified table, or GuardError."""
    catalog, schema, name = _table_parts(table)
    shown = _snippet(".".join(p for p in (catalog, schema, name) if p))
    if table.args.get("this") is None or not isinstance(table.this, exp.Identifier):
        raise GuardError("relation_not_allowed", f"relation {shown} is not allowed")
    if catalog and (policy.database is None or catalog != policy.database.lower()):
        raise GuardError("relation_not_allowed", f"relation {shown} is in another database")
    if policy.schema_prefix is not None:
        prefix = policy.schema_prefix.lower() + "_"
        if not schema.startswith(prefix):
            raise GuardError("relation_not_allowed", f"relation {shown} is not allowed")
        schema = schema[len(prefix) :]
    key = f"{schema}.{name}"
    if key not in policy.allowed_relations:
        raise GuardError("relation_not_allowed", f"relation {shown} is not allowed")
    return key


def _check_relations(
    node: exp.Expression,
    ctes: frozenset[str],
    policy: GuardPolicy,
    sources: dict[int, str],
) -> None:
    """Resolve every table in the tree against the CTEs in scope and the
    allow-list, recording ``id(table) -> key`` for real relations."""
    with_ = node.args.get("with_")
    if isinstance(with_, exp.With):
        visible = ctes
        recursive = bool(with_.args.get("recursive"))
        for cte in with_.expressions:
            name = str(cte.alias_or_name).lower()
            body_scope = visible | {name} if recursive else visible
            _check_relations(cte.this, body_scope, policy, sources)
            visible = visible | {name}
        ctes = visible
    if isinstance(node, exp.Table):
        if isinstance(node.this, exp.Func):
            names = _function_names(node.this)
            raise GuardError(
                "function_not_allowed",
                f"table function {_snippet(sorted(names)[0])} is not allowed",
            )
        _, schema, name = _table_parts(node)
        if not schema and not node.args.get("catalog"):
            if name not in ctes or not isinstance(node.this, exp.Identifier):
                raise GuardError(
                    "relation_not_allowed",
                    f"relation {_snippet(name)} has no schema and is not a CTE",
                )
        else:
            sources[id(node)] = _relation_key(node, policy)
    for key, child in node.args.items():
        if key == "with_":
            continue
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, exp.Expression):
                _check_relations(item, ctes, policy, sources)


def _select_sources(select: exp.Select, sources: dict[int, str]) -> dict[str, str | None]:
    """Names (aliases, else table names) of what a SELECT reads directly,
    mapped to the relation key, or None for CTEs and subqueries."""
    found: dict[str, str | None] = {}
    from_ = select.args.get("from_")
    items: list[exp.Expression] = []
    if isinstance(from_, exp.From):
        items.append(from_.this)
    for join in select.args.get("joins") or []:
        items.append(join.this)
    for item in items:
        found[str(item.alias_or_name).lower()] = (
            sources.get(id(item)) if isinstance(item, exp.Table) else None
        )
    return found


def _enclosing_selects(node: exp.Expression) -> Iterator[exp.Select]:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Select):
            yield parent
        parent = parent.parent


def _check_columns(root: exp.Expression, policy: GuardPolicy, sources: dict[int, str]) -> None:
    row_names: set[str] = set()
    for table in root.find_all(exp.Table):
        row_names.add(str(table.name).lower())
        if table.alias:
            row_names.add(str(table.alias).lower())
    for sub in root.find_all(exp.Subquery, exp.CTE, exp.Lateral):
        if sub.alias:
            row_names.add(str(sub.alias).lower())

    listed = any(policy.allowed_relations.get(key) is not None for key in sources.values())
    cache: dict[int, tuple[dict[str, str | None], frozenset[str]]] = {}
    for column in root.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            _check_star(column, str(column.table).lower(), policy, sources)
            continue
        name = str(column.name).lower()
        if name in policy.personal_columns:
            raise GuardError("personal_data", f"column {_snippet(name)} holds personal data")
        if name in row_names:
            raise GuardError("row_reference", f"{_snippet(name)} names a whole row, not a column")
        if listed:
            _check_listed_column(column, name, policy, sources, cache)
    for star in root.find_all(exp.Star):
        if isinstance(star.parent, exp.Column):
            continue
        if isinstance(star.parent, exp.Select) and star in star.parent.expressions:
            _check_star(star, "", policy, sources)


def _check_star(
    node: exp.Expression, qualifier: str, policy: GuardPolicy, sources: dict[int, str]
) -> None:
    select = next(_enclosing_selects(node), None)
    if select is None:
        return
    for name, key in _select_sources(select, sources).items():
        if qualifier and name != qualifier:
            continue
        if key is not None and policy.allowed_relations.get(key) is not None:
            raise GuardError(
                "personal_data",
                f"* over {key} would reach columns that may not be selected; name them",
            )


def _check_listed_column(
    column: exp.Column,
    name: str,
    policy: GuardPolicy,
    sources: dict[int, str],
    cache: dict[int, tuple[dict[str, str | None], frozenset[str]]],
) -> None:
    """A column of a relation whose allowed columns are listed must be one of them."""
    qualifier = str(column.table).lower()
    for select in _enclosing_selects(column):
        if id(select) not in cache:
            cache[id(select)] = (
                _select_sources(select, sources),
                frozenset(str(e.alias).lower() for e in select.expressions if e.alias),
            )
        selected, aliases = cache[id(select)]
        if qualifier:
            if qualifier not in selected:
                continue  # a correlated reference to an outer query
            key = selected[qualifier]
        else:
            if name in aliases or len(selected) != 1:
                return  # a projection alias, or not attributable without a schema
            key = next(iter(selected.values()))
        allowed = policy.allowed_relations.get(key) if key is not None else None
        if allowed is not None and name not in allowed:
            raise GuardError(
                "column_not_allowed", f"column {_snippet(name)} of {key} is not allowed"
            )
        return


# --- the row limit -------------------------------------------------------


def _apply_limit(root: exp.Expression, max_rows: int) -> exp.Expression:
    """The statement with at most ``max_rows`` rows from its outermost query."""
    if isinstance(root, exp.Subquery):
        return _apply_limit(exp.select("*").from_(root.copy().as_("guarded")), max_rows)
    tree = root.copy()
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
