"""Expected answers with a ``compare`` (issue 18), computed from ``raw_data``.

The base numbers come from :func:`oracle_sql.answer_from_raw` (SQL written from
the contracts); the comparison is assembled here in Python, by the rules of
the lead's spec for issue 18, not by any SQL of the engine:

- ``period``: the base query over ``period`` and again over ``base``, joined
  on the group-by values (a full outer join: a group of either side is a row,
  the missing side NULL). With a time grain in ``group_by`` a base bucket is
  moved forward by the offset between the two periods' starts: whole months
  for month, quarter and year grains, whole weeks (the day offset divided by
  seven, rounded to the nearest week) for week, days for day; the row shows
  the ``period`` bucket. Columns per metric ``m``: ``m``, ``m__base``,
  ``m__change`` (``m - m__base``) and ``m__change_pct`` (the change over
  ``m__base`` as a fraction; NULL when ``m__base`` is 0 or NULL; any NULL side
  makes the change NULL, as in SQL).
- ``share``: the base query with every filter, and again without the filters
  on the ``of`` dimensions; the denominator of a row is the sum of the second
  one's values over the ``of`` dimensions within the row's other group-by
  values. Columns per metric: ``m``, ``m__share`` (NULL over a 0 or NULL sum).
- ``ratio``: the base query of both metrics and a last column
  ``<numerator>__per__<denominator>`` (NULL when the denominator is 0 or NULL).
- ``average``: the base query by the ``per`` grain too; per row of the other
  group-by values, the sum of its buckets over the units of ``per`` in the
  period, counted here by walking its days (a day is 1/7 of a week and
  1/(days of its month) of a month): ``m__per_<per>``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from tests.questions.oracle_sql import answer_differences, answer_from_raw

Rows = list[list[Any]]


def value_columns(interpretation: Mapping[str, Any]) -> list[str]:
    """The columns after the group-by columns of an answer to ``interpretation``."""
    metrics = list(interpretation["metrics"])
    compare = interpretation.get("compare")
    if not compare:
        return metrics
    kind = compare["kind"]
    if kind == "period":
        return [c for m in metrics for c in (m, f"{m}__base", f"{m}__change", f"{m}__change_pct")]
    if kind == "share":
        return [c for m in metrics for c in (m, f"{m}__share")]
    if kind == "ratio":
        return [*metrics, f"{compare['numerator']}__per__{compare['denominator']}"]
    if kind == "average":
        return [f"{m}__per_{compare['per']}" for m in metrics]
    raise ValueError(f"unknown compare kind {kind!r}")


def units_of(per: str, start: datetime.date, end: datetime.date) -> float:
    """The units of ``per`` from ``start`` to ``end``, day by day."""
    total, day = 0.0, start
    while day <= end:
        if per == "day":
            total += 1
        elif per == "week":
            total += 1 / 7
        else:
            months = {"month": 1, "quarter": 3, "year": 12}[per]
            first_month = (day.month - 1) // months * months + 1
            first = datetime.date(day.year, first_month, 1)
            after = datetime.date(
                day.year + (first_month - 1 + months) // 12, (first_month - 1 + months) % 12 + 1, 1
            )
            total += 1 / (after - first).days
        day += datetime.timedelta(days=1)
    return total


def add_averages(group_by: Sequence[str], metrics: Sequence[str], units: float, rows: Rows) -> Rows:
    """Rows by ``group_by`` and one time bucket (last of the group-by columns)
    summed per ``group_by`` values and divided by ``units``."""
    width = len(group_by)
    sums: dict[tuple[Any, ...], list[float]] = {}
    for row in rows:
        key = tuple(row[:width])
        totals = sums.setdefault(key, [0.0] * len(metrics))
        for i, value in enumerate(row[width + 1 :]):
            totals[i] += float(value or 0)
    return [[*key, *(t / units for t in totals)] for key, totals in sums.items()]


# --- the pure parts (tested without a warehouse) ------------------------------------


def _months(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months (the day of month kept, at most the month's last)."""
    total = _months(day) + months
    year, month = divmod(total, 12)
    month += 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


def bucket_shift(
    grain: str, period_start: datetime.date, base_start: datetime.date
) -> tuple[int, int]:
    """``(months, days)`` that move a base bucket of ``grain`` onto the period's."""
    if grain in ("month", "quarter", "year"):
        return _months(period_start) - _months(base_start), 0
    days = (period_start - base_start).days
    if grain == "week":
        return 0, 7 * round(days / 7)
    if grain == "day":
        return 0, days
    raise ValueError(f"unknown grain {grain!r}")


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _minus(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a - b


def _over(a: Any, b: Any) -> Any:
    return None if a is None or b is None or b == 0 else a / b


def join_periods(
    group_by: Sequence[str],
    metrics: Sequence[str],
    period_rows: Sequence[Sequence[Any]],
    base_rows: Sequence[Sequence[Any]],
    *,
    months: int = 0,
    days: int = 0,
) -> Rows:
    """Rows of a period compare from the rows (group-by values, then metrics)
    of each side; the time group-by of a base row moves by ``months``/``days``."""
    width = len(group_by)
    time_index = [i for i, g in enumerate(group_by) if g.startswith("metric_time__")]

    def moved(key: Sequence[Any]) -> tuple[Any, ...]:
        out = list(key)
        for i in time_index:
            if out[i] is not None:
                out[i] = add_months(_as_date(out[i]), months) + datetime.timedelta(days=days)
        return tuple(out)

    def plain(key: Sequence[Any]) -> tuple[Any, ...]:
        out = list(key)
        for i in time_index:
            if out[i] is not None:
                out[i] = _as_date(out[i])
        return tuple(out)

    period = {plain(r[:width]): list(r[width:]) for r in period_rows}
    base = {moved(r[:width]): list(r[width:]) for r in base_rows}
    if len(period) != len(period_rows) or len(base) != len(base_rows):
        raise ValueError("duplicate groups in a side of the compare")
    empty = [None] * len(metrics)
    rows: Rows = []
    for key in [*period, *(k for k in base if k not in period)]:
        now, then = period.get(key, empty), base.get(key, empty)
        values: list[Any] = []
        for a, b in zip(now, then, strict=True):
            values += [a, b, _minus(a, b), _over(_minus(a, b), b)]
        rows.append([*key, *values])
    return rows


def add_shares(
    group_by: Sequence[str],
    metrics: Sequence[str],
    of: Sequence[str],
    rows: Sequence[Sequence[Any]],
    all_rows: Sequence[Sequence[Any]],
) -> Rows:
    """``rows`` with ``m__share`` after each metric: ``m`` over the sum of
    ``all_rows`` (the same query without the ``of`` filters) over the ``of``
    dimensions within the row's other group-by values."""
    width = len(group_by)
    others = [i for i, g in enumerate(group_by) if g not in of]
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for row in all_rows:
        key = tuple(row[i] for i in others)
        sums = totals.setdefault(key, [None] * len(metrics))
        for j, value in enumerate(row[width:]):
            if value is not None:
                sums[j] = value if sums[j] is None else sums[j] + value
    out: Rows = []
    for row in rows:
        sums = totals.get(tuple(row[i] for i in others), [None] * len(metrics))
        values: list[Any] = []
        for j, value in enumerate(row[width:]):
            values += [value, _over(value, sums[j])]
        out.append([*row[:width], *values])
    return out


def add_ratio(
    group_by: Sequence[str],
    metrics: Sequence[str],
    numerator: str,
    denominator: str,
    rows: Sequence[Sequence[Any]],
) -> Rows:
    width = len(group_by)
    n, d = width + list(metrics).index(numerator), width + list(metrics).index(denominator)
    return [[*row, _over(row[n], row[d])] for row in rows]


# --- from raw data --------------------------------------------------------------------


def answer_with_compare(
    con: duckdb.DuckDBPyConnection, interpretation: Mapping[str, Any]
) -> tuple[list[str], Rows]:
    """``(columns, rows)`` of an interpretation with or without ``compare``."""
    compare = interpretation.get("compare")
    if not compare:
        return answer_from_raw(con, interpretation)
    if interpretation.get("limit") is not None:
        raise ValueError("the compare oracle has no top/bottom N")
    group_by = list(interpretation.get("group_by") or [])
    metrics = list(interpretation["metrics"])
    plain = {**interpretation, "compare": None, "order_by": [], "limit": None}
    columns = [*group_by, *value_columns(interpretation)]
    _, rows = answer_from_raw(con, plain)
    kind = compare["kind"]
    if kind == "ratio":
        return columns, add_ratio(
            group_by, metrics, compare["numerator"], compare["denominator"], rows
        )
    if kind == "share":
        of = list(compare["of"])
        unfiltered = [f for f in plain.get("filters") or [] if f["dimension"] not in of]
        _, all_rows = answer_from_raw(con, {**plain, "filters": unfiltered})
        return columns, add_shares(group_by, metrics, of, rows, all_rows)
    if kind == "average":
        per, period = compare["per"], interpretation["period"]
        _, bucketed = answer_from_raw(
            con, {**plain, "group_by": [*group_by, f"metric_time__{per}"]}
        )
        start, end = (datetime.date.fromisoformat(period[k]) for k in ("start", "end"))
        return columns, add_averages(group_by, metrics, units_of(per, start, end), bucketed)
    if kind != "period":
        raise ValueError(f"unknown compare kind {kind!r}")
    period, base = interpretation["period"], compare["base"]
    _, base_rows = answer_from_raw(con, {**plain, "period": base})
    grains = [g.removeprefix("metric_time__") for g in group_by if g.startswith("metric_time__")]
    months = days = 0
    if grains:
        months, days = bucket_shift(
            grains[0],
            datetime.date.fromisoformat(period["start"]),
            datetime.date.fromisoformat(base["start"]),
        )
    return columns, join_periods(group_by, metrics, rows, base_rows, months=months, days=days)


def compare_differences(
    con: duckdb.DuckDBPyConnection,
    interpretation: Mapping[str, Any],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> list[str]:
    """How ``columns``/``rows`` differ from the oracle's answer (empty: the same);
    top/bottom N against the oracle's whole sorted list, as
    :func:`oracle_sql.oracle_differences`."""
    expected_columns, expected_rows = answer_with_compare(con, {**interpretation, "limit": None})
    if interpretation.get("limit") is not None:
        # the whole list in the ranking's order, empty values last either way
        # ("the region that grew fastest": by revenue__change_pct)
        for order in reversed(interpretation.get("order_by") or []):
            at = expected_columns.index(order["by"])
            present = [r for r in expected_rows if r[at] is not None]
            present.sort(key=lambda r, i=at: r[i], reverse=bool(order["descending"]))
            expected_rows = [*present, *(r for r in expected_rows if r[at] is None)]
    return answer_differences(
        columns,
        rows,
        expected_columns,
        expected_rows,
        group_by=list(interpretation.get("group_by") or []),
        metrics=value_columns(interpretation),
        order_by=interpretation.get("order_by") or [],
        limit=interpretation.get("limit"),
    )
