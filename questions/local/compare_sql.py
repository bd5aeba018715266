"""SQL for interpretations that set metrics against something (``compare``).

Each side is a semantic query compiled by MetricFlow (:class:`ShapeCompiler`,
cached per shape like every other question); this module only joins the sides
and adds the derived columns, in SQL, so the warehouse does the arithmetic:

- ``period``: the query over the period and the same query over the base
  period, full outer joined on the group-by columns (a time bucket of the base
  moved forward by the offset between the periods), with ``m__base``,
  ``m__change`` and ``m__change_pct`` per metric;
- ``share``: the query and the same query without the ``of`` dimensions (and
  their filters), joined on what is left, with ``m__share``;
- ``ratio``: the query with ``numerator__per__denominator``.

:func:`compile_targets_to_date` joins two sides of another kind: actuals over
the exact dates asked and monthly targets over the whole months those dates
fall in (a period to date), with each target ratio the semantic layer defines
as the actual side's numerator over the target side's denominator.

Column names come from the semantic layer (metric and group-by names), never
from the question's text.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from questions.answers import Interpretation, OrderBy, Period
from questions.local.comparing import month_offset
from questions.local.compiling import QuestionError, ShapeCompiler, rename_placeholders

if TYPE_CHECKING:
    from questions.local.vocabulary import Vocabulary

_TIME = "metric_time__"
#: Whole months each time grain needs an offset to be made of.
_GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}


_NAME = re.compile(r"[a-z][a-z0-9_]{0,120}")


def compile_compared(
    compiler: ShapeCompiler, interpretation: Interpretation, grain: str
) -> tuple[str, dict[str, str]]:
    """The SQL template of ``interpretation`` (which has a ``compare``) and the
    values of its placeholders (each side's renamed apart)."""
    compare = interpretation.compare
    if compare is None:
        raise QuestionError("compile_compared needs an interpretation with compare; this is a bug")
    names = [*interpretation.metrics, *interpretation.group_by, *compare.of]
    names += [o.by for o in interpretation.order_by]
    names += [n for n in (compare.numerator, compare.denominator) if n is not None]
    for name in names:
        # Semantic-layer names only: the SQL below is built from them.
        if not _NAME.fullmatch(name):
            raise QuestionError(f"{name!r} is not a semantic-layer name; this is a bug")
    plain = replace(interpretation, compare=None, order_by=(), limit=None)
    if compare.kind == "ratio":
        numerator, denominator = compare.numerator, compare.denominator
        inner, values = compiler.template(plain, grain)
        ratio = f"q.{numerator} / nullif(q.{denominator}, 0) as {numerator}__per__{denominator}"
        body = f"select q.*, {ratio} from ({inner}) as q"  # noqa: S608 (names checked)
    elif compare.kind == "share":
        body, values = _share(compiler, plain, set(compare.of), grain)
    elif compare.kind == "average":
        per = compare.per or ""
        body, values = _average(compiler, plain, per, compare.units or 0.0, grain)
        # the same order as the totals': the divisor is one number
        order = [OrderBy(f"{o.by}__per_{per}", o.descending) for o in interpretation.order_by]
        interpretation = replace(interpretation, order_by=tuple(order))
    else:
        if compare.base is None:
            raise QuestionError("a period comparison needs a base period; this is a bug")
        body, values = _period(compiler, plain, compare.base, grain)
    return body + _ordering(interpretation), values


def compile_interpretation(
    compiler: ShapeCompiler, interpretation: Interpretation, vocabulary: Vocabulary
) -> tuple[str, dict[str, str]]:
    """The SQL template of any interpretation and its values: with a target
    metric, targets by whole months (and actuals by the dates asked, when the
    period cuts a month); with a ``compare``, the sides joined."""
    monthly = bool(set(vocabulary.target_metrics) & set(interpretation.metrics))
    grain = "month" if monthly else "day"
    if interpretation.compare is not None:
        return compile_compared(compiler, interpretation, grain)
    if monthly and partial_months(interpretation.period):
        split = compile_targets_to_date(compiler, interpretation, vocabulary)
        if split is not None:
            return split
    return compiler.template(interpretation, grain)


def target_months_note(period: Period, metrics: Sequence[str], vocabulary: Vocabulary) -> str:
    """What a target question's period means (the note of its answer)."""
    if not set(metrics) <= vocabulary.plan_metrics and partial_months(period):
        return (
            "targets are monthly: the actuals of the dates asked are set against the"
            " targets of the whole months they fall in"
        )
    return "targets are monthly, so whole months are compared"


def partial_months(period: Period | None) -> bool:
    """Whether ``period`` starts or ends inside a month (a period to date, a
    span of days): targets, being monthly, cover more than its dates."""
    if period is None or period.start is None or period.end is None:
        return False
    after_end = period.end + datetime.timedelta(days=1)
    return period.start.day != 1 or after_end.day != 1


def compile_targets_to_date(
    compiler: ShapeCompiler,
    interpretation: Interpretation,
    vocabulary: Vocabulary,
) -> tuple[str, dict[str, str]] | None:
    """Actuals cut at the period's own dates against the targets of its whole
    months: the vocabulary's plan metrics are targets themselves, and each
    target ratio is its (actual) numerator over its (plan) denominator. None
    when there is nothing to split (only plans, or only actuals)."""
    metrics = interpretation.metrics
    plans = vocabulary.plan_metrics
    ratios = {
        name: pair for pair, name in vocabulary.ratios.items() if name in vocabulary.target_metrics
    }
    actuals: list[str] = []
    targets: list[str] = []
    for metric in metrics:
        if metric in ratios:
            parts = [(ratios[metric][0], actuals), (ratios[metric][1], targets)]
        else:
            parts = [(metric, targets if metric in plans else actuals)]
        for name, side in parts:
            if name not in side:
                side.append(name)
    if not actuals or not targets:
        return None
    for name in [*actuals, *targets, *interpretation.group_by]:
        if not _NAME.fullmatch(name):
            raise QuestionError(f"{name!r} is not a semantic-layer name; this is a bug")
    plain = replace(interpretation, compare=None, order_by=(), limit=None)
    actual_sql, values = compiler.template(replace(plain, metrics=tuple(actuals)), "day")
    target_sql, target_values = rename_placeholders(
        *compiler.template(replace(plain, metrics=tuple(targets)), "month"), "p"
    )
    keys = interpretation.group_by
    columns = [f"coalesce(a.{k}, p.{k}) as {k}" for k in keys]
    for metric in metrics:
        if metric in ratios:
            numerator, denominator = ratios[metric]
            columns.append(f"a.{numerator} / nullif(p.{denominator}, 0) as {metric}")
        else:
            columns.append(f"{'p' if metric in targets else 'a'}.{metric} as {metric}")
    join = (
        "full outer join ("
        + target_sql
        + ") as p on "
        + " and ".join(f"a.{k} is not distinct from p.{k}" for k in keys)
        if keys
        else "cross join (" + target_sql + ") as p"
    )
    sql = f"select {', '.join(columns)} from ({actual_sql}) as a {join}"  # noqa: S608
    return sql + _ordering(interpretation), {**values, **target_values}


def _share(
    compiler: ShapeCompiler, plain: Interpretation, of: set[str], grain: str
) -> tuple[str, dict[str, str]]:
    total = replace(
        plain,
        group_by=tuple(g for g in plain.group_by if g not in of),
        filters=tuple(f for f in plain.filters if f.dimension not in of),
    )
    part_sql, values = compiler.template(plain, grain)
    total_sql, total_values = rename_placeholders(*compiler.template(total, grain), "t")
    shares = ", ".join(f"p.{m} / nullif(t.{m}, 0) as {m}__share" for m in plain.metrics)
    keys = total.group_by
    join = (
        "left join ("
        + total_sql
        + ") as t on "
        + " and ".join(f"p.{k} is not distinct from t.{k}" for k in keys)
        if keys
        else "cross join (" + total_sql + ") as t"
    )
    sql = f"select p.*, {shares} from ({part_sql}) as p {join}"  # noqa: S608 (names checked)
    return sql, {**values, **total_values}


def _period(
    compiler: ShapeCompiler, plain: Interpretation, base_period: Period, grain: str
) -> tuple[str, dict[str, str]]:
    base = replace(plain, period=base_period)
    current_sql, values = compiler.template(plain, grain)
    base_sql, base_values = rename_placeholders(*compiler.template(base, grain), "b")
    times = [g for g in plain.group_by if g.startswith(_TIME)]
    others = [g for g in plain.group_by if not g.startswith(_TIME)]
    moved = {t: _moved(compiler.dialect, f"b.{t}", t, plain, base) for t in times}
    conditions = [f"c.{g} is not distinct from b.{g}" for g in others]
    conditions += [f"c.{t} = {moved[t]}" for t in times]
    columns = [f"coalesce(c.{g}, b.{g}) as {g}" for g in others]
    columns += [f"coalesce(c.{t}, {moved[t]}) as {t}" for t in times]
    for m in plain.metrics:
        columns += [
            f"c.{m} as {m}",
            f"b.{m} as {m}__base",
            f"c.{m} - b.{m} as {m}__change",
            f"(c.{m} - b.{m}) / nullif(b.{m}, 0) as {m}__change_pct",
        ]
    on = " and ".join(conditions) if conditions else "1 = 1"
    sql = (
        f"select {', '.join(columns)} from ({current_sql}) as c"  # noqa: S608 (names checked)
        f" full outer join ({base_sql}) as b on {on}"
    )
    return sql, {**values, **base_values}


def _moved(
    dialect: str, column: str, time: str, plain: Interpretation, base: Interpretation
) -> str:
    """``column`` (a time bucket of the base period) moved to the bucket of the
    period it is compared with."""
    from sqlglot import exp

    if plain.period is None or base.period is None:
        raise QuestionError("a period comparison needs both periods; this is a bug")
    grain = time.removeprefix(_TIME)
    months = month_offset(plain.period, base.period)
    if grain in _GRAIN_MONTHS:
        if months is None or months % _GRAIN_MONTHS[grain]:
            raise QuestionError(
                f"the periods are not a whole number of {grain}s apart, so their {grain}s"
                " cannot be set side by side; compare them without the time breakdown"
            )
        amount, unit = months, "MONTH"
    else:
        start, base_start = plain.period.start, base.period.start
        if start is None or base_start is None:
            raise QuestionError("a period comparison needs both periods; this is a bug")
        amount, unit = (start - base_start).days, "DAY"
        if grain == "week" and amount % 7:
            raise QuestionError(
                "the periods are not a whole number of weeks apart, so their weeks cannot"
                " be set side by side; compare them by day or without the time breakdown"
            )
    if amount == 0:
        return column
    moved = exp.DateAdd(
        this=exp.column(*reversed(column.split("."))),
        expression=exp.Literal.number(amount),
        unit=exp.var(unit),
    )
    return moved.sql(dialect=dialect)


_PER = frozenset({"day", "week", "month", "quarter", "year"})


def _average(
    compiler: ShapeCompiler, plain: Interpretation, per: str, units: float, grain: str
) -> tuple[str, dict[str, str]]:
    """Each metric added up by ``per`` and divided by the ``units`` of it the
    period holds (``m__per_<per>``), by the other group-bys: the buckets the
    layer returns are summed, so a unit with no rows counts as nothing, not as
    a missing unit. Only the average: for a distinct count (customers) the
    sum of its buckets is no total."""
    if per not in _PER or not 0 < units < 1e7:
        raise QuestionError(f"an average per {per!r} over {units} units; this is a bug")
    keys = list(plain.group_by)
    inner, values = compiler.template(
        replace(plain, group_by=(*keys, f"metric_time__{per}")), grain
    )
    divisor = f"{float(units):.6f}"
    columns = [f"q.{k}" for k in keys]
    for metric in plain.metrics:
        # Only the average: the sum of daily distinct counts is no total.
        columns.append(f"sum(q.{metric}) / {divisor} as {metric}__per_{per}")
    grouped = f" group by {', '.join(f'q.{k}' for k in keys)}" if keys else ""
    return f"select {', '.join(columns)} from ({inner}) as q{grouped}", values  # noqa: S608


def _ordering(interpretation: Interpretation) -> str:
    """The interpretation's order and limit, on the joined rows."""
    parts = [
        f"{o.by} {'desc' if o.descending else 'asc'} nulls last" for o in interpretation.order_by
    ]
    sql = f" order by {', '.join(parts)}" if parts else ""
    if interpretation.limit is not None:
        sql += f" limit {int(interpretation.limit)}"
    return sql
