"""How fresh the data is, one definition for every question engine.

The data's first and last day are the min and max of the time dimension of
the semantic model behind the first suggested metric (revenue: the order
lines' ``order_date``), read through the engine's own runner. ``min``/``max``
of a date cast run the same on DuckDB and Snowflake, and on the facts' date
column they are cheap.

An answered question carries the last day (``Answer.data_through``) and says
"Data through <date>." at the end of its explanation
(:func:`say_data_through`): the local engine's answers
(:mod:`questions.local.freshness`, which also says what the range means for
the question's period) and Cortex Analyst's
(:mod:`questions.cortex_analyst.engine`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from questions.answers import Answer

#: Runs one statement: ``(sql) -> (columns, rows)``.
Runner = Callable[[str], tuple[list[str], list[list[Any]]]]


@dataclass(frozen=True)
class DataRange:
    """The first and last day the warehouse has data for (inclusive)."""

    first: datetime.date
    last: datetime.date


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def time_column(raw: Mapping[str, Any]) -> tuple[str, str] | None:
    """(semantic model, time column) behind the first suggested metric of the
    raw semantic manifest ``raw``."""
    metrics = [m for m in raw.get("metrics", []) if (m.get("type_params") or {}).get("measure")]
    if not metrics:
        return None

    def suggest(metric: Mapping[str, Any]) -> float:
        meta = {**((metric.get("config") or {}).get("meta") or {}), **(metric.get("meta") or {})}
        order = meta.get("suggest")
        return float(order) if isinstance(order, int | float) else float("inf")

    measure = min(metrics, key=suggest)["type_params"]["measure"]["name"]
    for model in raw.get("semantic_models", []):
        found = next((m for m in model.get("measures", []) if m["name"] == measure), None)
        if found is None:
            continue
        time_name = found.get("agg_time_dimension") or (model.get("defaults") or {}).get(
            "agg_time_dimension"
        )
        dimension = next((d for d in model.get("dimensions", []) if d["name"] == time_name), None)
        if dimension is None:
            return None
        return model["name"], dimension.get("expr") or dimension["name"]
    return None


def read_data_range(
    raw: Mapping[str, Any], relations: Mapping[str, str], runner: Runner
) -> DataRange | None:
    """The data's first and last day (None: no data, or no time column found),
    from the raw semantic manifest ``raw`` whose semantic models' relations
    are named ``relations`` for the warehouse ``runner`` runs on."""
    found = time_column(raw)
    if found is None or found[0] not in relations:
        return None
    model, column = found
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column):
        return None
    # Names from our own semantic manifest (checked above), no input.
    sql = (
        f"select min(cast({column} as date)), max(cast({column} as date))"  # noqa: S608
        f" from {relations[model]}"
    )
    _, rows = runner(sql)
    if not rows:
        return None
    first, last = _as_date(rows[0][0]), _as_date(rows[0][1])
    return DataRange(first, last) if first and last else None


def say_data_through(answer: Answer, last: datetime.date) -> Answer:
    """``answer`` carrying ``last`` as ``data_through``, its explanation ending
    "Data through <last>."."""
    answer.data_through = last
    answer.explanation = f"{answer.explanation.rstrip()} Data through {last}.".lstrip()
    return answer
