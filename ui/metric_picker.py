"""The Metrics page's choices as a question for whichever engine answers:
the local engine takes the semantic query itself; Cortex Analyst takes the
same choices written as a plain question."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics_core.periods import find_period
from questions.answers import Answer, Filter, Interpretation, OrderBy, Period, QuestionEngine

#: Dimensions people pick (docs/metrics.md), with their labels.
DIMENSIONS: dict[str, str] = {
    "customer__region": "Region",
    "customer__country": "Country",
    "customer__segment": "Customer segment",
    "product__category": "Product category",
    "product__product_name": "Product",
    "order__channel": "Channel",
}
GRAINS: dict[str, str] = {
    "": "No time breakdown",
    "day": "By day",
    "week": "By week",
    "month": "By month",
    "quarter": "By quarter",
    "year": "By year",
}
#: Periods as docs/metrics.md names them, plus all time and a custom range.
PERIODS = (
    "yesterday",
    "last 7 days",
    "last 30 days",
    "last month",
    "this month",
    "last quarter",
    "this year",
    "last year",
    "all time",
    "between",
)


@dataclass(frozen=True)
class Pick:
    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    grain: str | None = None
    period: str = "all time"
    start: datetime.date | None = None
    end: datetime.date | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def resolve_period(pick: Pick, as_of: datetime.date) -> Period | None:
    if pick.period == "all time":
        return None
    if pick.period == "between":
        if pick.start is None or pick.end is None or pick.end < pick.start:
            raise ValueError("pick a start date on or before the end date")
        return Period(pick.start, pick.end, f"{pick.start} to {pick.end}")
    found = find_period(pick.period, as_of)
    if found is None:
        raise ValueError(f"unknown period {pick.period!r}")
    return found.period


def to_interpretation(pick: Pick, as_of: datetime.date) -> Interpretation:
    group_by = list(pick.group_by)
    order_by: list[OrderBy] = []
    if pick.grain:
        group_by.append(f"metric_time__{pick.grain}")
        order_by = [OrderBy(f"metric_time__{pick.grain}")]
    elif group_by:
        order_by = [OrderBy(pick.metrics[0], descending=True)]
    return Interpretation(
        metrics=pick.metrics,
        group_by=tuple(group_by),
        filters=tuple(Filter(d, tuple(v)) for d, v in pick.filters.items() if v),
        period=resolve_period(pick, as_of),
        order_by=tuple(order_by),
    )


def to_question(pick: Pick, labels: Mapping[str, str] | None = None) -> str:
    """The pick in words, for an engine that reads questions."""
    names = [(labels or {}).get(m, m.replace("_", " ")) for m in pick.metrics]
    parts = [" and ".join(names)]
    by = [DIMENSIONS[d].lower() for d in pick.group_by]
    if pick.grain:
        by.append(pick.grain)
    if by:
        parts.append("by " + " and ".join(by))
    for dimension, chosen in pick.filters.items():
        if chosen:
            parts.append(f"where {DIMENSIONS[dimension].lower()} is " + " or ".join(chosen))
    if pick.period == "between" and pick.start and pick.end:
        parts.append(f"between {pick.start} and {pick.end}")
    elif pick.period != "all time":
        parts.append(pick.period)
    return " ".join(parts)


def answer_pick(engine: QuestionEngine, pick: Pick, as_of: datetime.date) -> Answer:
    """The engine's answer to ``pick`` (structured when the engine takes it)."""
    run: Any = getattr(engine, "answer", None)
    if callable(run):
        result: Answer = run(to_interpretation(pick, as_of), to_question(pick))
        return result
    return engine.ask(to_question(pick), as_of=as_of)
