"""What the metrics are set against besides another period: a ratio of two
metrics ("revenue per customer"), a share of a total ("share of revenue from
mobile") and an average per a unit of time ("average daily revenue last
month", "mean orders per week this year", "typical monthly new customers").

A metric averaged per day is its total over the period divided by the days
the period holds (per week: its days over 7; per month, quarter or year: the
units it holds, one only partly held counted by the share of its days held,
:func:`analytics_core.periods.units_in`). The warehouse adds up the metric by
that unit and divides (``compare_sql``); days with no orders count as days,
so a quiet day lowers the average as it should. Rates and other ratios are
not averaged: a rate over a period is the ratio of its totals, never the mean
of daily rates (docs/metrics.md), so such a question is sent back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from analytics_core.periods import Period, units_in
from questions.answers import Comparison
from questions.local.comparing import CompareError
from questions.local.cues import dedupe, set_ratio
from questions.local.vocabulary import Token, Vocabulary

if TYPE_CHECKING:
    from questions.local.reading import Reading

#: The adjective of each grain ("daily revenue").
_ADJECTIVES = {"day": "daily", "week": "weekly", "month": "monthly"}
_ADJECTIVES |= {"quarter": "quarterly", "year": "yearly"}
#: Words that ask for an average ("average", "avg", "mean", "typical").
AVERAGE_WORDS = frozenset({"average", "avg", "mean", "typical", "averaged"})


#: Words asking how often ("purchase frequency", "how frequently").
_FREQUENCY = frozenset({"frequency", "frequently", "frequent"})


def read_frequency(
    tokens: Sequence[Token], reading: Reading, vocab: Vocabulary, used: set[int]
) -> None:
    """ "How often do customers buy", "purchase frequency by segment", "how
    frequently do shoppers order": a count per one of the things a metric
    counts (``meta.how_often``: orders per active customer). With another
    count named ("how often do customers return orders") that count is the
    one per customer. "How often were orders cancelled" names no one who
    does it: a part of the orders (a rate), read by :func:`read_cues`."""
    cues = [
        i
        for i, t in enumerate(tokens)
        if i not in used
        and ((t.stem == "often" and i and tokens[i - 1].stem == "how") or t.stem in _FREQUENCY)
    ]
    if not cues or reading.ratio is not None:
        return
    people = [m for m in reading.metrics if m in vocab.how_often]
    if people:
        who = people[0]
        others = [m for m in reading.metrics if m != who and m not in vocab.ratio_metrics]
        counted = others[0] if others and others[0] not in vocab.money_metrics else None
        what = counted or vocab.how_often[who]
    elif any(tokens[i].stem in _FREQUENCY for i in cues):
        # "order frequency": the things counted, per whoever does them
        doers = [
            w for w, m in vocab.how_often.items() if m in reading.metrics or not reading.metrics
        ]
        if len(doers) != 1:
            return
        who, what = doers[0], vocab.how_often[doers[0]]
    else:
        return
    reading.metrics = dedupe([what, who, *(m for m in reading.metrics if m not in (what, who))])
    set_ratio(reading, vocab, (what, who))
    used.update(cues)


def read_average(tokens: Sequence[Token], reading: Reading, used: set[int]) -> None:
    """An averaging word no other rule read, with a time grain and nothing else
    set against the metrics: the metrics averaged per that grain (the grain is
    no longer a breakdown)."""
    if reading.grain is None or reading.ratio is not None or reading.share or reading.change:
        return
    cues = [i for i, t in enumerate(tokens) if t.stem in AVERAGE_WORDS and i not in used]
    if cues:
        reading.average, reading.grain = reading.grain, None
        used.update(cues)


def average_comparison(
    per: str, period: Period | None, metrics: Sequence[str], ratios: frozenset[str], labels: str
) -> Comparison:
    """The ``average`` comparison of ``metrics`` per ``per`` over ``period``;
    raises :class:`CompareError` when there is nothing to divide (all time) or
    a metric is a ratio (``labels`` names the metrics)."""
    if any(m in ratios for m in metrics):
        raise CompareError(
            f"{labels} is a ratio over the whole period, never an average of"
            f" {_ADJECTIVES[per]} ratios; ask for it over the period, or by {per}"
        )
    if period is None or period.start is None or period.end is None:
        raise CompareError(
            f"an average per {per} needs a period to divide over; name one"
            f" (“average {_ADJECTIVES[per]} {labels.lower()} last month”)"
        )
    return Comparison("average", per=per, units=round(units_in(period, per), 6))


def derived_comparison(
    reading: Reading,
    metrics: Sequence[str],
    filters: dict[tuple[str, str], list[Any]],
    group_by: list[str],
    period: Period | None,
    ratios: frozenset[str],
    labels: str,
    against: Comparison | None = None,
) -> tuple[Comparison | None, list[str]]:
    """The ratio, share or average ``reading`` asks for (None if none) and the
    group-by it needs; raises :class:`CompareError` when it cannot be read, or
    when the question sets two periods against each other (``against``) too:
    one answer cannot be both."""
    found, group_by = _derived(reading, metrics, filters, group_by, period, ratios, labels)
    if found is not None and against is not None:
        said = {"share": "a share of a total", "ratio": "a ratio of two metrics"}
        raise CompareError(
            f"the question asks for {said.get(found.kind, 'an average')} and for a"
            " comparison of two periods at once; ask for one of them"
        )
    return found, group_by


def _derived(
    reading: Reading,
    metrics: Sequence[str],
    filters: dict[tuple[str, str], list[Any]],
    group_by: list[str],
    period: Period | None,
    ratios: frozenset[str],
    labels: str,
) -> tuple[Comparison | None, list[str]]:
    if reading.ratio is not None:
        numerator, denominator = reading.ratio
        return Comparison("ratio", numerator=numerator, denominator=denominator), group_by
    if reading.share:
        of = [d for d in reading.share_of if (d, "in") in filters] or [
            g for g in group_by if not g.startswith("metric_time__")
        ]
        if not of:
            raise CompareError(
                "a share of what? Name the slice (“share of revenue from mobile”) or"
                " the breakdown (“share of revenue by channel”)"
            )
        return Comparison("share", of=tuple(dedupe(of))), dedupe([*of, *group_by])
    if reading.average is not None:
        return average_comparison(reading.average, period, metrics, ratios, labels), group_by
    return None, group_by
