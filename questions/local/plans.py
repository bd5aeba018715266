"""Plans set against actuals: "revenue vs budget", "tracking against
target", "percent to goal", "above or below target", "short of plan",
"budget and actuals by region". A plan said this way is the layer's ratio
over it (target attainment); with "actual", the actual metric and the ratio.

Used by :func:`questions.local.reading.read_question`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from questions.local.english import AGAINST_PLAN_WORDS, CHANGE_WORDS
from questions.local.roles import _word_before
from questions.local.vocabulary import Match, Term, Token, Vocabulary

if TYPE_CHECKING:
    from questions.local.reading import Reading

#: Words setting a plan against actuals ("vs budget", "hitting our targets").
_AGAINST_PLAN = frozenset(AGAINST_PLAN_WORDS.split())
#: Words before "to"/"of" a plan that make it a fraction of it ("percent to goal").
_FRACTION_OF = frozenset({"percent", "%", "percentage", "pct", "progress", "share", "fraction"})


#: Words saying on which side of a plan the actuals are, right before it
#: ("above target", "over or under budget", "short of plan"): fillers only
#: there ("orders over 100" is no plan).
_PLAN_SIDES = frozenset({"above", "below", "over", "under", "beyond", "short", "exceeding"})


def _sides_said(tokens: Sequence[Token], cue: int) -> list[int]:
    """The side words before a plan, back over "or" ("over or under")."""
    said = [cue]
    if tokens[cue].stem == "of":
        said.append(cue - 1)
    at = min(said)
    while at >= 2 and tokens[at - 1].stem == "or" and tokens[at - 2].stem in _PLAN_SIDES:
        said += [at - 1, at - 2]
        at -= 2
    return said


def _against_plans(
    tokens: Sequence[Token], matches: Sequence[Match], vocab: Vocabulary, used: set[int]
) -> None:
    """ "Tracking against their sales targets", "revenue vs budget", "percent to
    goal": a plan set against is the layer's ratio over that plan (target
    attainment)."""
    for match in matches:
        if match.term.kind != "metric" or match.term.name not in vocab.plan_metrics:
            continue
        cue = _word_before(tokens, match.start)
        if cue is None:
            continue
        fraction = (
            tokens[cue].stem in {"to", "of"} and cue > 0 and (tokens[cue - 1].text in _FRACTION_OF)
        ) or (  # "how close are we to target", "how far from plan", "ahead of budget"
            tokens[cue].stem in {"to", "from", "of"}
            and any(t.stem in {"close", "closer", "near", "far", "ahead"} for t in tokens)
        )
        side = tokens[cue].stem in _PLAN_SIDES or (
            tokens[cue].stem == "of" and cue > 0 and tokens[cue - 1].stem == "short"
        )
        # "are we on target", "on plan", "on budget": where actuals stand too
        on = tokens[cue].stem == "on" and cue == match.start - 1
        if tokens[cue].stem not in _AGAINST_PLAN and not fraction and not side and not on:
            continue
        over = [name for (_, den), name in vocab.ratios.items() if den == match.term.name]
        if len(over) == 1:
            match.term = Term("metric", over[0])
            if fraction:  # "% of plan" is the ratio, not a share of something
                used.update((cue - 1, cue))
            if side:  # "above or below target", "short of plan": where actuals stand
                used.update(_sides_said(tokens, cue))


def _actuals(tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary) -> list[Match]:
    """ "Revenue target vs actual", "budget and actuals by region": a plan with
    the word "actual" is the plan set against what it plans (as "revenue vs
    target"): the metric the ratio's numerator stands for, then the ratio."""
    said = [i for i, t in enumerate(tokens) if t.stem in {"actual", "actuals"}]
    if not said:
        return matches
    stands_for = {instead: name for name, instead in vocab.stand_ins.items()}
    out = list(matches)
    for index, match in enumerate(matches):
        if match.term.kind != "metric" or match.term.name not in vocab.plan_metrics:
            continue
        over = [(num, name) for (num, den), name in vocab.ratios.items() if den == match.term.name]
        actual = stands_for.get(over[0][0], over[0][0]) if len(over) == 1 else None
        if actual is None or actual not in vocab.askable_metrics:
            continue
        at = said[0]
        first = Match(Term("metric", actual), [], at, at + 1, words=tokens[at].text)
        ratio = Term("metric", over[0][1])
        out[index] = Match(ratio, [], match.start, match.end, words=match.words)
        out.insert(index, first)
        return out
    return matches


#: Change words that also say how far actuals are from a plan ("the gap
#: between revenue and target", "variance to budget").
_DISTANCE_WORDS = frozenset({"gap", "difference", "differ", "delta", "diff", "variance"})


def distance_to_plan(tokens: Sequence[Token], reading: Reading, vocab: Vocabulary) -> None:
    """ "The gap between actual revenue and target this year", "variance to
    target by region": with a plan asked about and one period, the distance
    is to the plan (actual, plan and attainment side by side), not a change
    from the period before."""
    planned = set(vocab.plan_metrics)
    planned |= {name for (_, den), name in vocab.ratios.items() if den in vocab.plan_metrics}
    said = {t.stem for t in tokens}
    if (
        reading.change
        and reading.relation is None
        and len(reading.periods) <= 1
        and not reading.against_period
        and planned & set(reading.metrics)
        and said & _DISTANCE_WORDS
        and not said & (CHANGE_WORDS - _DISTANCE_WORDS)
    ):
        reading.change = False
