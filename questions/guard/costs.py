"""Obvious cost bombs: the shapes whose cost does not depend on the data read
(recursion, joins without a condition, values that grow with a literal).
What the text cannot tell is bounded where the statement runs (the statement
timeout and, on DuckDB, the memory limit)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Final

from sqlglot import exp

from questions.guard.errors import GuardError
from questions.guard.nodes import Nodes

MAX_PAD_LENGTH: Final = 1000
"""The longest ``lpad``/``rpad`` result a question may ask for (formatting
needs a few characters; ``lpad('x', 2000000000)`` is two gigabytes)."""

MAX_GENERATED_ROWS: Final = 100_000
"""The most elements a generated date array may have (a day per date for
over 270 years)."""


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


def check_recursion(nodes: Nodes) -> None:
    """No recursive CTE nor ``CONNECT BY``: their cost is whatever they say."""
    for with_ in nodes.find_all(exp.With):
        if with_.args.get("recursive"):
            raise GuardError("too_costly", "recursive CTEs are not allowed")
        for cte in with_.expressions:
            # Snowflake makes a CTE that reads itself recursive, keyword or not.
            name = str(cte.alias_or_name).lower()
            for table in cte.this.find_all(exp.Table):
                if not table.args.get("db") and str(table.name).lower() == name:
                    raise GuardError("too_costly", "recursive CTEs are not allowed")
    connect = getattr(exp, "Connect", None)
    if isinstance(connect, type) and next(iter(nodes.find_all(connect)), None) is not None:
        raise GuardError("too_costly", "hierarchical queries (CONNECT BY) are not allowed")


def _correlated(lateral: exp.Lateral) -> bool:
    """Whether a LATERAL subquery refers to the rows it is joined to (its
    condition is inside it)."""
    inner = {str(t.alias_or_name).lower() for t in lateral.this.find_all(exp.Table)}
    return any(
        column.table and str(column.table).lower() not in inner
        for column in lateral.this.find_all(exp.Column)
    )


def check_costs(nodes: Nodes) -> None:
    """Refuse the shapes whose cost does not depend on the data read."""
    _check_joins(nodes)
    _check_growth(nodes)


def _check_joins(nodes: Nodes) -> None:
    """No join without a join condition, unless one side is a single row."""
    for select in nodes.find_all(exp.Select):
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


def _check_growth(nodes: Nodes) -> None:
    """No value that grows with a literal argument rather than with the data."""
    for pad in nodes.find_all(exp.Pad):
        length = _int_literal(pad.args.get("expression"))
        if length is None or length > MAX_PAD_LENGTH:
            raise GuardError(
                "too_costly",
                f"lpad/rpad need a literal length of at most {MAX_PAD_LENGTH:,}",
            )
    for func in nodes.find_all(exp.Anonymous):
        if str(func.name).lower() in {"lpad", "rpad", "pad"}:
            raise GuardError(
                "too_costly", f"lpad/rpad need a literal length of at most {MAX_PAD_LENGTH:,}"
            )
    generators: tuple[type[exp.Expression], ...] = tuple(
        cls
        for cls in (getattr(exp, n, None) for n in ("GenerateDateArray", "GenerateSeries"))
        if isinstance(cls, type)
    )
    for generated in nodes.find_all(*generators):
        elements = _generated_elements(generated)
        if elements is None or elements > MAX_GENERATED_ROWS:
            raise GuardError(
                "too_costly",
                f"generated arrays need literal bounds and at most {MAX_GENERATED_ROWS:,} elements",
            )
    for replace_ in nodes.find_all(exp.Replace):
        if any(
            isinstance(inner, exp.Replace | exp.Pad) and inner is not replace_
            for inner in replace_.find_all(exp.Replace, exp.Pad)
        ):
            raise GuardError(
                "too_costly", "replace over replace (each level multiplies the text) is not allowed"
            )
