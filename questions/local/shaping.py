"""How the engine shapes an answer once it has read a question: the order and
limit of its rows (a top N, time ascending, the largest slices first), the
grain of a trend, what a target metric's question becomes, and what a
forecast refusal says (:class:`questions.local.engine.LocalQuestionEngine`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence

from questions.answers import Comparison, OrderBy, Period
from questions.local.cues import dedupe
from questions.local.reading import Reading
from questions.local.vocabulary import Vocabulary, normalize

#: The rows a top/bottom question shows when it names no number.
DEFAULT_TOP_N = 10


def _future_message(period: Period, as_of: datetime.date) -> str:
    return (
        f"“{period.label}” is in the future (as of {as_of}); forecasts are not something"
        " this engine does. Ask about a past period (targets, being plans, can be asked"
        " for any month the targets cover)."
    )


def _for_targets(
    vocabulary: Vocabulary,
    metrics: list[str],
    group_by: list[str],
    filters: dict[tuple[str, str], list[str]],
) -> tuple[list[str], list[str], dict[tuple[str, str], list[str]]]:
    """With a target metric: revenue and region as their region-keyed stand-ins
    (``meta.stands_for``). "Revenue vs target" (a stand-in and a target ratio)
    shows the targets themselves (the target metrics that are not ratios)
    between them."""
    swaps = vocabulary.stand_ins
    metrics = dedupe(swaps.get(m, m) for m in metrics)
    group_by = dedupe(swaps.get(g, g) for g in group_by)
    filters = {(swaps.get(d, d), op): vs for (d, op), vs in filters.items()}
    targets = set(vocabulary.target_metrics)
    ratios = [m for m in metrics if m in targets and m in vocabulary.ratio_metrics]
    if ratios and set(swaps.values()) & set(metrics):
        at = metrics.index(ratios[0])
        for target in vocabulary.target_metrics:
            if target not in metrics and target not in vocabulary.ratio_metrics:
                metrics.insert(at, target)
                at += 1
    return metrics, group_by, filters


def _ordering(
    question: str,
    reading: Reading,
    metrics: Sequence[str],
    group_by: Sequence[str],
    stand_ins: Mapping[str, str],
    compare: Comparison | None = None,
) -> tuple[list[OrderBy], int | None]:
    """Order and limit: a top/bottom N by its metric (by its change when the
    words rank how it moved and two periods are compared), else by time, else
    the first metric's largest slices first."""
    time_group = next((g for g in group_by if g.startswith("metric_time__")), None)
    if reading.top is not None:
        descending, n = reading.top
        rank = reading.rank_metric or metrics[0]
        rank = rank if rank in metrics else metrics[0]
        rank = stand_ins.get(rank, rank)
        if reading.rank_change and compare is not None and compare.kind == "period":
            rank = f"{rank}__{reading.rank_change}"
        elif compare is not None and compare.kind == "ratio" and rank == compare.numerator:
            # "the highest revenue per customer": the ratio ranks, not its numerator
            rank = f"{compare.numerator}__per__{compare.denominator}"
        categorical = [g for g in group_by if not g.startswith("metric_time")]
        ranked = categorical or ([time_group] if time_group else [])
        if ranked:
            return [OrderBy(rank, descending)], n or (
                1 if _singular_question(question, reading, ranked) else DEFAULT_TOP_N
            )
        return [], None
    if time_group:
        return [OrderBy(time_group, False)], None
    if group_by:
        descending = True if reading.sort is None else reading.sort
        return [OrderBy(metrics[0], descending)], None
    return [], None


def _trend_grain(period: Period | None, compared: bool = False) -> str:
    """The breakdown of a trend: days for a month, weeks for a quarter, else
    months. Set against another period, a quarter goes by months: its weeks
    would seldom be a whole number of weeks from the other period's."""
    if period is None or period.start is None or period.end is None:
        return "month"
    days = (period.end - period.start).days + 1
    return "day" if days <= 31 else "week" if days <= 92 and not compared else "month"


def _singular_question(question: str, reading: Reading, grouped: Sequence[str]) -> bool:
    """ "Which region had the highest revenue?", "the best performing region":
    one row; "top selling products": the default number. The noun of the slice
    says which, when the question names one."""
    named = [reading.plural[g] for g in grouped if g in reading.plural]
    if named:
        return not any(named)
    text = normalize(question)
    return bool(re.search(r"\b(which|what)\b", text)) and not re.search(
        r"\b(which|what) \w+s\b", text
    )
