"""Reading a question: what it names (metrics, slices, values, a period, a
grain, a top or bottom N), before the engine decides what query that is.

:func:`read_question` reads one normalized question with the engine's
:class:`~questions.local.vocabulary.Vocabulary`; :func:`is_follow_up` and
:func:`refine` carry a previous answer's interpretation into a follow-up.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from analytics_core.periods import NUMBER_WORDS
from analytics_core.periods.words import MODAL_MAY_FOLLOWERS
from questions.answers import Interpretation, Period
from questions.local.amounts import counted_values, money_and_counts
from questions.local.cues import (
    dedupe,
    ratio_of,
    read_cues,
    read_periods,
    read_ratio,
    set_ratio,
    share_of,
)
from questions.local.derived import read_average, read_frequency
from questions.local.english import (
    ADDING,
    BOTTOM_WORDS,
    COMPARE_CUES,
    FOLLOW_UP,
    GRAIN_NOUNS,
    GROUP_CUES,
    STOPWORDS,
    TOP_WORDS,
    TREND_WORDS,
)
from questions.local.plans import _actuals, _against_plans, distance_to_plan
from questions.local.ranking import read_rank_change, read_sort
from questions.local.roles import (
    _acquired,
    _averaged,
    _counted,
    _distribute,
    _much_or_many,
    _predicates,
    _said,
    _status_left_out,
    _without_qualifiers,
    _without_verbs,
)
from questions.local.spelling import filler_slip, word_close
from questions.local.values import (
    clashing_values,
    read_filters,
    read_flags,
    top_within,
    value_nouns,
    values_together,
    which_of,
)
from questions.local.vocabulary import Match, Token, Vocabulary, match_phrases, tokenize


@dataclass
class Reading:
    """What the engine read in a question, before it becomes an Interpretation."""

    metrics: list[str] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    filters: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    period: Period | None = None
    #: Every period the question names, in order (``period`` is the first).
    periods: list[Period] = field(default_factory=list)
    #: "year_ago" or "previous": the period is set against that one.
    relation: str | None = None
    #: The words of the relation ("the same month last year").
    relation_words: str = ""
    #: A word asking how the metrics moved ("growth", "drop").
    change: bool = False
    #: A word asking for a part of a total ("share of revenue from mobile").
    share: bool = False
    #: The dimensions of the values a share is of (``share_of``).
    share_of: list[str] = field(default_factory=list)
    #: "revenue per customer": (numerator, denominator) metric names.
    ratio: tuple[str, str] | None = None
    #: Two periods set side by side ("this month vs last month").
    compared: bool = False
    #: A comparison word right before a period ("cancelled orders vs last month").
    against_period: bool = False
    #: A named period after the as-of date (only targets may be asked for it).
    future: Period | None = None
    top: tuple[bool, int] | None = None  # (descending, n)
    #: Where the word asking for the top or bottom is (``top``).
    top_at: int | None = None
    rank_metric: str | None = None
    #: A sort order said without a ranking ("highest first"): True is largest first.
    sort: bool | None = None
    #: "Which region grew the most": rank by the change (``change``) or the
    #: change in % (``change_pct``), not by the metric.
    rank_change: str | None = None
    grain: str | None = None
    #: "average daily revenue": the grain the metrics are averaged per.
    average: str | None = None
    trend: bool = False
    unknown: list[str] = field(default_factory=list)
    fuzzy: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What the question asks that its metric cannot answer (the engine clarifies).
    conflicts: list[str] = field(default_factory=list)
    #: Token positions right after a status word read as a verb ("placed").
    verb_ends: set[int] = field(default_factory=set)
    #: Dimensions named as "whatever their status": all values, together.
    all_of: list[str] = field(default_factory=list)
    #: Whether each grouped dimension was named in the plural ("top products").
    plural: dict[str, bool] = field(default_factory=dict)

    def set_grain(self, grain: str) -> None:
        """The time breakdown asked for; a second, different one ("daily
        revenue by month") is a conflict, not a choice made silently."""
        if self.grain is not None and self.grain != grain:
            said = (
                f"the question asks for two time breakdowns, by {self.grain} and by {grain};"
                " ask for one"
            )
            if said not in self.conflicts:
                self.conflicts.append(said)
            return
        self.grain = grain


def read_question(text: str, as_of: datetime.date, vocab: Vocabulary) -> Reading:
    """The reading of ``text`` (normalized); raises :class:`Unsupported` for a
    future period and :class:`~analytics_core.periods.PeriodError` for a date that
    does not exist."""
    reading = Reading()
    blank = read_periods(text, as_of, reading, vocab.known_words(), vocab.ending_in_prepositions())
    # Underscores separate words, as in the vocabulary's phrases (phrase_key).
    tokens = tokenize(blank.replace("_", " "))
    used: set[int] = set()
    _read_grain(tokens, reading, used)
    _read_trend(tokens, reading)
    read_sort(tokens, reading, used)
    _read_top(tokens, reading, used, vocab)
    found = which_of(tokens, value_nouns(tokens, match_phrases(tokens, vocab, used), vocab), vocab)
    matches = _predicates(tokens, _distribute(tokens, found, vocab), vocab)
    matches = values_together(tokens, _counted(tokens, matches, vocab), vocab)
    for match in matches:
        used.update(range(match.start, match.end))
    # A misspelling is said even when what it named was read again ("how msny
    # orders were returned": returned orders): every corrected phrase kept.
    reading.fuzzy.extend(
        (match.words, _said(vocab, match.term))
        for match in found
        if match.fuzzy and any(i in used for i in range(match.start, match.end))
    )
    matches = _without_verbs(tokens, matches, vocab, reading)
    _against_plans(tokens, matches, vocab, used)
    matches = _actuals(tokens, matches, vocab)
    _much_or_many(tokens, matches, vocab)
    _acquired(tokens, matches, vocab)
    matches = money_and_counts(tokens, matches, vocab, blank, used, reading.conflicts)
    counted_values(tokens, matches, vocab, reading.conflicts, used)
    averaged = _averaged(tokens, matches, vocab) or ratio_of(tokens, matches)
    kept = _without_qualifiers(tokens, matches, keep=averaged, verb_ends=reading.verb_ends)
    _status_left_out(tokens, matches, kept, vocab, reading)
    matches = kept
    for match in matches:
        if match.term.kind == "metric" and match.term.name not in reading.metrics:
            reading.metrics.append(match.term.name)
        elif match.term.kind == "grain":
            reading.set_grain(match.term.name)
    if averaged:
        set_ratio(reading, vocab, (averaged[0].term.name, averaged[1].term.name))
    else:
        read_ratio(tokens, matches, vocab, reading, used)
    read_frequency(tokens, reading, vocab, used)
    read_cues(tokens, reading, used)
    distance_to_plan(tokens, reading, vocab)
    if reading.share:
        reading.share_of = share_of(tokens, matches)
    read_filters(tokens, matches, reading)
    read_flags(tokens, matches, reading, vocab, used)
    _read_group_by(tokens, matches, reading)
    _asked_where(tokens, reading, vocab, used)
    # "EMEA vs AMER": the compared values side by side. ("Japan and Germany"
    # is one total over both, as the words say.)
    compared = reading.compared or any(t.stem in COMPARE_CUES for t in tokens)
    between = _between_values(tokens, matches)
    for (dimension, operator), values in reading.filters.items():
        side_by_side = compared or dimension in between
        if side_by_side and operator == "in" and len(values) > 1:
            if dimension not in reading.group_by:
                reading.group_by.append(dimension)
            outdone = any(t.stem.startswith(("outperform", "outpac", "outdo")) for t in tokens)
            if (dimension in between or outdone) and len(reading.periods) <= 1:
                # "the difference in orders between web and mobile", "did the UK
                # outperform Germany": the values side by side, not a period
                # against the one before.
                reading.change = False
    if reading.change and len(reading.periods) <= 1 and _differs_across(tokens, matches):
        # "how do orders differ between channels": the slices side by side
        reading.change = False
    if reading.top is not None:
        reading.rank_metric = _rank_metric(tokens, matches)
        top_within(tokens, matches, reading, vocab)
        read_rank_change(tokens, reading, used)
    clashing_values(reading, vocab)
    read_average(tokens, reading, used)
    reading.unknown.extend(_unknown_words(tokens, used, reading))
    for index, token in enumerate(tokens[1:], 1):
        if (
            index not in used
            and token.stem in _NO_SLICE
            and tokens[index - 1].stem in {"by", "per"}
            # "by number of buyers": a metric's count, not a slice
            and not (index + 1 < len(tokens) and tokens[index + 1].stem == "of")
        ):
            reading.unknown.append(token.text)
    return reading


_DIFFER = frozenset({"differ", "difference", "differences", "diff", "vary", "varies", "variation"})
_ACROSS = frozenset({"between", "across", "among", "amongst"})
_BEFORE_SLICE = frozenset({"the", "our", "all", "each", "various", "different", "my", "its"})


def _differs_across(tokens: Sequence[Token], matches: Sequence[Match]) -> bool:
    """A difference said between the slices of a dimension ("how do orders
    differ between channels", "the revenue difference across regions")."""
    if not any(t.stem in _DIFFER or t.text in _DIFFER for t in tokens):
        return False
    for match in matches:
        if match.term.kind != "dimension":
            continue
        at = match.start - 1
        while at >= 0 and tokens[at].stem in _BEFORE_SLICE:
            at -= 1
        if at >= 0 and tokens[at].stem in _ACROSS:
            return True
    return False


def _between_values(tokens: Sequence[Token], matches: Sequence[Match]) -> set[str]:
    """Dimensions whose values are said as "between X and Y"."""
    values = [m for m in matches if m.term.kind == "value"]
    found = set()
    for first, second in itertools.pairwise(values):
        if (
            first.term.name == second.term.name
            and first.start > 0
            and tokens[first.start - 1].stem == "between"
            and second.start == first.end + 1
            and tokens[first.end].stem == "and"
        ):
            found.add(first.term.name)
    return found


def _read_grain(tokens: Sequence[Token], reading: Reading, used: set[int]) -> None:
    """Grains: "by month", "per week", "each day", "month by month". "Day of the
    week", "month of the year" are not grains the engine has: unknown words."""
    for index, token in enumerate(tokens):
        grain = GRAIN_NOUNS.get(token.stem)
        cycle = _cycle(tokens, index)
        if grain and cycle:
            reading.unknown.append(" ".join(t.text for t in tokens[index:cycle]))
            used.update(range(index, cycle))
            continue
        if index in used:
            continue
        previous = tokens[index - 1].stem if index else ""
        if grain is None and previous in {"by", "per", "each", "every"}:
            # "by monh", "per wek": a slip of a grain where a grain goes
            close = [g for g in GRAIN_NOUNS if g != "date" and word_close(token.stem, g)]
            if len(close) == 1:
                grain = GRAIN_NOUNS[close[0]]
                reading.fuzzy.append((token.text, close[0]))
        own = index - 1
        while own >= 0 and index - own <= 2 and tokens[own].stem in _OWN_TIME:
            own -= 1
        if grain and own < index - 1 and own >= 0 and tokens[own].stem in {"by", "per", "each"}:
            # "new customers by acquisition month", "orders by order month": the
            # metric's own time (metric_time is each metric's date).
            reading.set_grain(grain)
            used.update(range(own, index + 1))
        elif grain and (
            previous in {"by", "per", "each", "every"}
            or (previous in {"across", "into"} and token.plural)
            or (previous == "and" and _listed_after_by(tokens, index))
        ):
            reading.set_grain(grain)
            used.update({index - 1, index})
        elif (
            grain
            and previous == "the"
            and index > 1
            and (
                tokens[index - 2].stem in {"by", "per"}
                or (token.plural and tokens[index - 2].stem == "across")
            )
        ):
            reading.set_grain(grain)  # "new customers by the month they first bought"
            used.update({index - 2, index - 1, index})
        elif (
            grain
            and index + 2 < len(tokens)
            and tokens[index + 1].stem in {"by", "over"}
            and GRAIN_NOUNS.get(tokens[index + 2].stem) == grain
        ):
            reading.set_grain(grain)
            used.update({index, index + 1, index + 2})
        elif grain and (
            previous in _WHICH
            or previous in TOP_WORDS
            or previous in BOTTOM_WORDS
            # "the top 3 months by revenue"
            or (
                index > 1
                and number(tokens[index - 1]) is not None
                and tokens[index - 2].stem in TOP_WORDS | BOTTOM_WORDS
            )
        ):
            # "our best month for revenue", "which day had the most orders":
            # the time buckets are the slice that is ranked.
            reading.set_grain(grain)
            reading.plural[f"metric_time__{grain}"] = token.plural
            used.add(index)


#: Words that ask which of a slice ("which month", "what day").
_WHICH = frozenset({"which", "what"})


def _cycle(tokens: Sequence[Token], index: int) -> int | None:
    """The end of "day of (the) week" starting at ``index``, if it is one."""
    if not GRAIN_NOUNS.get(tokens[index].stem) or index + 2 >= len(tokens):
        return None
    if tokens[index + 1].stem != "of":
        return None
    at = index + 2
    if tokens[at].stem == "the" and at + 1 < len(tokens):
        at += 1
    return at + 1 if GRAIN_NOUNS.get(tokens[at].stem) else None


#: Words naming a metric's own date before a grain ("by acquisition month").
_OWN_TIME = frozenset(
    {"acquisition", "order", "purchase", "signup", "calendar", "sale", "sales", "first"}
)

#: Words a question may slice "by" that carry no meaning here: a slice the
#: engine does not have ("revenue by currency": all money is USD).
_NO_SLICE = frozenset(
    {"currency", "type", "kind", "company", "business", "firm", "people", "level"}
    | {"stat", "stats", "statistic", "statistics", "detail", "details", "info", "information"}
    | {"group", "metric", "kpi", "figure", "number", "performance", "basis", "folk", "data"}
)


def _read_trend(tokens: Sequence[Token], reading: Reading) -> None:
    for index, token in enumerate(tokens):
        if token.stem in TREND_WORDS:
            reading.trend = True
        if token.stem == "time" and index and tokens[index - 1].stem == "over":
            reading.trend = True


def _read_top(tokens: Sequence[Token], reading: Reading, used: set[int], vocab: Vocabulary) -> None:
    """Top / bottom N. "Top 3 worst" is the bottom 3 (the first three of the
    worst); the top and the bottom asked together is a conflict. A rank word
    inside a value's name ("Kaka Max Jeans") is the name's."""
    found: list[tuple[int, bool, int | None]] = []
    for index, token in enumerate(tokens):
        word = token.stem
        nxt = tokens[index + 1] if index + 1 < len(tokens) else None
        if index in used:
            continue  # a sort order's words ("highest first")
        if word in _FURTHEST and nxt is not None and nxt.stem in _SIDES:
            # "the region furthest behind plan": the bottom by how far ahead it is
            found.append((index, _SIDES[nxt.stem], None))
            used.add(index)
        elif (word in TOP_WORDS or word in BOTTOM_WORDS) and not _in_value(tokens, index, vocab):
            n = number(nxt)
            if n is not None:
                used.add(index + 1)
            elif index and index - 1 not in used and (n := number(tokens[index - 1])) is not None:
                used.add(index - 1)  # "the 5 lowest countries"
            found.append((index, word in TOP_WORDS, n))
            used.add(index)
    if not found:
        return
    first_index, descending, n = found[0]
    if any(d != descending for _, d, _ in found):
        after = first_index + (2 if n is not None else 1)
        second = found[1]
        if second[0] == after and second[2] is None and tokens[first_index].stem in _RANK_WORDS:
            descending = second[1]  # "top 3 worst": the worst three
        else:
            reading.conflicts.append("the question asks for the top and the bottom; ask for one")
    if n is None:
        # "which three products brought in the least revenue"
        n, at = _count_before_plural(tokens, used)
        if at is not None:
            used.add(at)
    reading.top = (descending, n if n is not None else 0)
    reading.top_at = first_index


def _in_value(tokens: Sequence[Token], index: int, vocab: Vocabulary) -> bool:
    """Whether the word at ``index`` is inside a name of two words or more (a
    value's, "Kaka Max Jeans"; a metric's, "top line")."""
    for size in range(min(vocab.max_words, len(tokens)), 1, -1):
        for start in range(max(0, index - size + 1), min(index, len(tokens) - size) + 1):
            terms = vocab.phrases.get(tuple(t.stem for t in tokens[start : start + size]))
            if terms and terms[0].kind in {"value", "metric", "dimension"}:
                return True
    return False


#: "Furthest behind/ahead": a ranking whose direction the next word gives.
_FURTHEST = frozenset({"furthest", "farthest", "most"})
_SIDES = {"behind": False, "below": False, "under": False, "ahead": True, "above": True}

#: Words that rank in either direction ("top 3 worst", "bottom 5 best").
_RANK_WORDS = frozenset({"top", "bottom", "first", "last"})


def _count_before_plural(tokens: Sequence[Token], used: set[int]) -> tuple[int | None, int | None]:
    """A small number right before a plural noun ("three products"), and where."""
    for index, token in enumerate(tokens[:-1]):
        n = number(token)
        if index not in used and n is not None and 0 < n <= 1000 and tokens[index + 1].plural:
            return n, index
    return None, None


def _read_group_by(tokens: Sequence[Token], matches: Sequence[Match], reading: Reading) -> None:
    """Dimensions: grouped when cued ("by region", "which channel", "top 5
    products", "regions")."""
    for match in matches:
        if match.term.kind != "dimension" or match.term.name in reading.all_of:
            continue  # "not just revenue-bearing ones": all of them, together
        previous = tokens[match.start - 1].stem if match.start else ""
        has_value = any(dim == match.term.name for dim, _ in reading.filters)
        if _group_cued(tokens, match) and not (has_value and previous not in GROUP_CUES):
            if match.term.name not in reading.group_by:
                reading.group_by.append(match.term.name)
                reading.plural[match.term.name] = tokens[match.end - 1].plural
        elif any(t.stem in _WHATEVER for t in tokens[max(0, match.start - 3) : match.start]):
            # "whatever their status": every value together, so the metric must
            # count them all (the engine swaps per ``meta.sliced_by``).
            reading.all_of.append(match.term.name)
        elif not has_value and match.term.name not in reading.group_by:
            reading.plural[match.term.name] = tokens[match.end - 1].plural
            # "revenue for the region", "lowest revenue country": a dimension named
            # with no value of it is a slice (never a word dropped unread);
            # "whatever their status" is all of them together.
            reading.group_by.append(match.term.name)


def _asked_where(
    tokens: Sequence[Token], reading: Reading, vocab: Vocabulary, used: set[int]
) -> None:
    """ "Where do our customers come from", "where are sales growing": a
    question word the layer gives a dimension (``meta.question_words``) at the
    start of a question asks for that breakdown, unless a breakdown or a value
    of that dimension is named ("where in Japan": no breakdown)."""
    if len(tokens) < 2 or tokens[1].stem not in _WHERE_VERBS:
        return
    dimension = vocab.asked_by.get(tokens[0].stem)
    named = [g for g in reading.group_by if not g.startswith("metric_time__")]
    if dimension is None or named or any(d == dimension for d, _ in reading.filters):
        return
    reading.group_by.append(dimension)
    used.add(0)


_WHERE_VERBS = frozenset({"do", "doe", "does", "did", "are", "is", "was", "were", "have", "has"})


_WHATEVER = frozenset({"whatever", "regardless", "irrespective", "any", "all", "including"})


def _group_cued(tokens: Sequence[Token], match: Match) -> bool:
    previous = tokens[match.start - 1].stem if match.start else ""
    before = tokens[match.start - 2].stem if match.start > 1 else ""
    return (
        previous in GROUP_CUES
        or (previous == "and" and _listed_after_by(tokens, match.start))
        or (before in {"by", "per", "for", "across"} and previous in {"each", "every", "the"})
        or number(tokens[match.start - 1] if match.start else None) is not None
        or previous in TOP_WORDS
        or previous in BOTTOM_WORDS
        or tokens[match.end - 1].plural
        or (match.end < len(tokens) and tokens[match.end].stem in {"breakdown", "split"})
    )


def _rank_metric(tokens: Sequence[Token], matches: Sequence[Match]) -> str | None:
    """Which metric ranks a top/bottom list: the one after "by" (or "in",
    "for"); none, and the engine takes the first."""
    for match in matches:
        if (
            match.term.kind == "metric"
            and match.start
            and tokens[match.start - 1].stem in {"by", "in", "for"}
        ):
            return match.term.name
    return None


def _unknown_words(
    tokens: Sequence[Token], used: set[int], reading: Reading | None = None
) -> list[str]:
    """Every word that neither meant something nor is a known filler: the engine
    answers nothing it did not read in full. A short filler with a letter
    missing or two letters swapped ("hw many", "mny") is that filler, said."""
    unknown = []
    for index, token in enumerate(tokens):
        if index in used or token.stem in STOPWORDS or token.text in STOPWORDS:
            continue
        filler = filler_slip(token.text)
        if filler is not None and reading is not None:
            reading.fuzzy.append((token.text, filler))
            continue
        following = tokens[index + 1].text if index + 1 < len(tokens) else ""
        if token.text == "may" and following in MODAL_MAY_FOLLOWERS:
            continue  # "may I see ...": the verb, not the month
        if token.text not in unknown:
            unknown.append(token.text)
    return unknown


def number(token: Token | None) -> int | None:
    """The number a token says ("5", "five"), if any."""
    if token is None:
        return None
    if token.text.isdigit():
        return int(token.text)
    return NUMBER_WORDS.get(token.text)


def _listed_after_by(tokens: Sequence[Token], index: int) -> bool:
    """Whether the word at ``index`` (after "and") continues a "by X and Y" list."""
    return any(
        t.stem in {"by", "per", "each", "every", "across"}
        for t in tokens[max(0, index - 5) : index - 1]
    )


# --- follow-ups ---------------------------------------------------------------------


def is_follow_up(text: str, reading: Reading) -> bool:
    """A question that refines the previous answer: it names no metric ("and
    by channel?", "only EMEA", "what about last year?") or starts like a
    follow-up ("and orders?", "what about AOV?")."""
    return not reading.metrics or bool(FOLLOW_UP.match(text))


def refine(reading: Reading, previous: Interpretation, text: str) -> None:
    """Fill ``reading`` from the previous interpretation: what the follow-up
    names replaces or adds to it, everything else carries over."""
    if not reading.metrics:
        reading.metrics = list(previous.metrics)
    elif ADDING.match(text):
        reading.metrics = dedupe([*previous.metrics, *reading.metrics])
    time_groups = [g for g in previous.group_by if g.startswith("metric_time__")]
    if reading.grain is None and not reading.trend and time_groups:
        reading.grain = time_groups[0].split("__", 1)[1]
    kept = [g for g in previous.group_by if not g.startswith("metric_time__")]
    reading.group_by = dedupe([*kept, *reading.group_by])
    named = {dimension for dimension, _ in reading.filters}
    carried: dict[tuple[str, str], list[str]] = {
        (f.dimension, f.operator): list(f.values)
        for f in previous.filters
        if f.dimension not in named
    }
    reading.filters = {**carried, **reading.filters}
    if reading.period is None and previous.period is not None:
        reading.period = previous.period
        reading.periods = [previous.period]
    if reading.top is None and previous.limit is not None and previous.order_by:
        first = previous.order_by[0]
        reading.top = (first.descending, previous.limit)
        reading.rank_metric = first.by
    reading.notes.append("following on from the previous question")
