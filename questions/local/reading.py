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
from questions.answers import Interpretation, Period
from questions.local.cues import (
    dedupe,
    ratio_of,
    read_cues,
    read_periods,
    read_ratio,
    set_ratio,
    share_of,
)
from questions.local.english import (
    ACQUIRING,
    ADDING,
    AGAINST_PLAN_WORDS,
    BOTTOM_WORDS,
    COMPARE_CUES,
    FOLLOW_UP,
    GRAIN_NOUNS,
    GROUP_CUES,
    INCLUDING,
    METRIC_VERBS,
    NEGATION_CUES,
    SHARE_WORDS,
    SHARE_WORDS_WITH_OF,
    SKIPPED,
    STOPWORDS,
    TOP_WORDS,
    TREND_WORDS,
    VERB_FORMS,
)
from questions.local.vocabulary import (
    Match,
    Term,
    Token,
    Vocabulary,
    base_forms,
    match_phrases,
    tokenize,
)


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
    rank_metric: str | None = None
    grain: str | None = None
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


def read_question(text: str, as_of: datetime.date, vocab: Vocabulary) -> Reading:
    """The reading of ``text`` (normalized); raises :class:`Unsupported` for a
    future period and :class:`~analytics_core.periods.PeriodError` for a date that
    does not exist."""
    reading = Reading()
    blank = read_periods(text, as_of, reading)
    # Underscores separate words, as in the vocabulary's phrases (phrase_key).
    tokens = tokenize(blank.replace("_", " "))
    used: set[int] = set()
    _read_grain(tokens, reading, used)
    _read_trend(tokens, reading)
    _read_top(tokens, reading, used)
    matches = match_phrases(tokens, vocab, used)
    matches = _distribute(tokens, matches, vocab)
    for match in matches:
        used.update(range(match.start, match.end))
        if match.fuzzy:
            reading.fuzzy.append((match.words, _said(vocab, match.term)))
    matches = _without_verbs(tokens, matches, vocab, reading)
    _against_plans(tokens, matches, vocab)
    _much_or_many(tokens, matches, vocab)
    _acquired(tokens, matches, vocab)
    _average_value(tokens, matches, vocab)
    averaged = _averaged(tokens, matches, vocab) or ratio_of(tokens, matches)
    kept = _without_qualifiers(tokens, matches, keep=averaged, verb_ends=reading.verb_ends)
    _status_left_out(matches, kept, vocab, reading)
    matches = kept
    for match in matches:
        if match.term.kind == "metric" and match.term.name not in reading.metrics:
            reading.metrics.append(match.term.name)
        elif match.term.kind == "grain":
            reading.grain = match.term.name
    if averaged:
        set_ratio(reading, vocab, (averaged[0].term.name, averaged[1].term.name))
    else:
        read_ratio(tokens, matches, vocab, reading, used)
    read_cues(tokens, reading, used)
    if reading.share:
        reading.share_of = share_of(tokens, matches)
    _read_filters(tokens, matches, reading)
    _read_group_by(tokens, matches, reading)
    # "EMEA vs AMER": the compared values side by side. ("Japan and Germany"
    # is one total over both, as the words say.)
    compared = any(t.stem in COMPARE_CUES for t in tokens)
    for (dimension, operator), values in reading.filters.items():
        if compared and operator == "in" and len(values) > 1 and dimension not in reading.group_by:
            reading.group_by.append(dimension)
    if reading.top is not None:
        reading.rank_metric = _rank_metric(tokens, matches)
    reading.unknown.extend(_unknown_words(tokens, used))
    for index, token in enumerate(tokens[1:], 1):
        if (
            index not in used
            and token.stem in _NO_SLICE
            and tokens[index - 1].stem in {"by", "per"}
        ):
            reading.unknown.append(token.text)
    return reading


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
        own = index - 1
        while own >= 0 and index - own <= 2 and tokens[own].stem in _OWN_TIME:
            own -= 1
        if grain and own < index - 1 and own >= 0 and tokens[own].stem in {"by", "per", "each"}:
            # "new customers by acquisition month", "orders by order month": the
            # metric's own time (metric_time is each metric's date).
            reading.grain = grain
            used.update(range(own, index + 1))
        elif grain and (
            previous in {"by", "per", "each", "every"}
            or (previous == "and" and _listed_after_by(tokens, index))
        ):
            reading.grain = grain
            used.update({index - 1, index})
        elif (
            grain
            and index + 2 < len(tokens)
            and tokens[index + 1].stem in {"by", "over"}
            and GRAIN_NOUNS.get(tokens[index + 2].stem) == grain
        ):
            reading.grain = grain
            used.update({index, index + 1, index + 2})


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
)


def _read_trend(tokens: Sequence[Token], reading: Reading) -> None:
    for index, token in enumerate(tokens):
        if token.stem in TREND_WORDS:
            reading.trend = True
        if token.stem == "time" and index and tokens[index - 1].stem == "over":
            reading.trend = True


def _read_top(tokens: Sequence[Token], reading: Reading, used: set[int]) -> None:
    """Top / bottom N (the first one said counts)."""
    for index, token in enumerate(tokens):
        word = token.stem
        if word in TOP_WORDS or word in BOTTOM_WORDS:
            nxt = tokens[index + 1] if index + 1 < len(tokens) else None
            n = number(nxt)
            descending = word in TOP_WORDS
            if n is not None:
                used.add(index + 1)
            if n is None:
                # "which three products brought in the least revenue"
                n, at = _count_before_plural(tokens, used)
                if at is not None:
                    used.add(at)
            if reading.top is None:
                reading.top = (descending, n if n is not None else 0)
            used.add(index)


def _count_before_plural(tokens: Sequence[Token], used: set[int]) -> tuple[int | None, int | None]:
    """A small number right before a plural noun ("three products"), and where."""
    for index, token in enumerate(tokens[:-1]):
        n = number(token)
        if index not in used and n is not None and 0 < n <= 1000 and tokens[index + 1].plural:
            return n, index
    return None, None


def _distribute(tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary) -> list[Match]:
    """ "New vs active customers": a word before "vs"/"and"/"or" that only means
    something with the noun of the phrase after it."""
    out = list(matches)
    for match in matches:
        cue = match.start - 1
        word = match.start - 2
        if (
            match.term.kind != "metric"
            or cue < 0
            or word < 0
            or tokens[cue].stem not in {"vs", "versus", "and", "or"}
            or any(m.start <= word < m.end for m in out)
        ):
            continue
        tail = tuple(t.stem for t in tokens[match.start + 1 : match.end])
        for size in range(len(tail), 0, -1):
            terms = vocab.phrases.get((tokens[word].stem, *tail[-size:]))
            if terms and terms[0].kind == "metric":
                words = f"{tokens[word].text} {' '.join(tail[-size:])}"
                out.append(Match(terms[0], terms[1:], word, word + 1, words=words))
                break
    return sorted(out, key=lambda m: m.start)


def _status_left_out(
    matches: Sequence[Match], kept: Sequence[Match], vocab: Vocabulary, reading: Reading
) -> None:
    """ "Revenue from returned orders": the status's orders only say which, but
    the metric named leaves them out: say so rather than answer the total."""
    status_metrics = set(vocab.value_metrics.values())
    named = [m.term.name for m in kept if m.term.kind == "metric"]
    for match in matches:
        if match in kept or match.term.name not in status_metrics or match.term.name in named:
            continue
        label = vocab.metric_labels.get(match.term.name, match.term.name).lower()
        reading.conflicts.append(
            f"{label} are not counted in {_label_metrics(vocab, kept)}; ask for {label} instead"
        )


def _acquired(tokens: Sequence[Token], matches: Sequence[Match], vocab: Vocabulary) -> None:
    """ "How many customers did we acquire": customers won are new customers
    (the metric the layer's phrases call "customers acquired")."""
    if not any(t.stem in ACQUIRING for t in tokens):
        return
    new = {t.name for t in vocab.phrases.get(("customer", "acquired"), ()) if t.kind == "metric"}
    customers = {t.name for t in vocab.phrases.get(("customer",), ()) if t.kind == "metric"}
    if len(new) != 1 or len(customers) != 1:
        return
    [counted], [won] = customers, new
    for match in matches:
        if match.term.kind == "metric" and match.term.name == counted:
            match.term = Term("metric", won)


#: Words after an averaged count that ask for the money per count ("average
#: purchase value", "average order amount").
_VALUE_WORDS = frozenset({"value", "amount", "size", "spend", "worth"})


def _average_value(tokens: Sequence[Token], matches: Sequence[Match], vocab: Vocabulary) -> None:
    """ "Average purchase value": money per the count named, the layer's ratio
    of a money metric over that count when it defines one."""
    for match in matches:
        if match.term.kind != "metric" or match.end >= len(tokens):
            continue
        cue = _word_before(tokens, match.start)
        if cue is None or tokens[cue].stem not in {"average", "mean", "typical"}:
            continue
        if tokens[match.end].stem not in _VALUE_WORDS:
            continue
        over = [
            name
            for (numerator, denominator), name in vocab.ratios.items()
            if denominator == match.term.name and numerator in vocab.money_metrics
        ]
        if len(over) == 1:
            match.term = Term("metric", over[0])


def _much_or_many(tokens: Sequence[Token], matches: Sequence[Match], vocab: Vocabulary) -> None:
    """ "How much have we sold" is the money a selling verb names; "how many did
    we sell" the count: the verb's forms name both, the question says which."""
    stems = [t.stem for t in tokens]
    pairs = set(itertools.pairwise(stems))
    much, many = ("how", "much") in pairs, ("how", "many") in pairs
    if much == many:
        return
    for match in matches:
        if match.term.kind != "metric" or match.end - match.start != 1:
            continue
        forms = next((f for f in VERB_FORMS if tokens[match.start].stem in f), None)
        if forms is None:
            continue
        named = {
            term.name
            for form in forms
            for term in vocab.phrases.get((form,), ())
            if term.kind == "metric"
        }
        wanted = [n for n in named if (n in vocab.money_metrics) == much]
        if len(wanted) == 1:
            match.term = Term("metric", wanted[0])


#: Words setting a plan against actuals ("vs budget", "hitting our targets").
_AGAINST_PLAN = frozenset(AGAINST_PLAN_WORDS.split())
#: Words before "to"/"of" a plan that make it a fraction of it ("percent to goal").
_FRACTION_OF = frozenset({"percent", "%", "percentage", "pct", "progress", "share", "fraction"})


def _against_plans(tokens: Sequence[Token], matches: Sequence[Match], vocab: Vocabulary) -> None:
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
        )
        if tokens[cue].stem not in _AGAINST_PLAN and not fraction:
            continue
        over = [name for (_, den), name in vocab.ratios.items() if den == match.term.name]
        if len(over) == 1:
            match.term = Term("metric", over[0])


def _without_verbs(
    tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary, reading: Reading
) -> list[Match]:
    """Values that are verbs here ("orders placed last week", "how many orders were
    returned"): not filters. A value with a metric of its own (``meta.value_metrics``
    of its dimension: returned -> returned_orders) names that metric instead of the
    order count next to it."""
    kept: list[Match] = []
    verb_ends: set[int] = set()
    status_metrics = set(vocab.value_metrics.values())
    for index, match in enumerate(matches):
        term = match.term
        if (
            term.kind == "metric"
            and term.name in status_metrics
            and match.end - match.start == 1
            and not tokens[match.start].plural
            and match.start
            and tokens[match.start - 1].stem not in {"of", "the", "a", "by", "per", "and", "or"}
        ):
            # "how many orders did customers return": the status's verb (here the
            # metric's noun "return" said as a verb) makes the order count its metric.
            counted = [m for m in matches[:index] if m.term.name in vocab.status_counted]
            following = matches[index + 1] if index + 1 < len(matches) else None
            if not counted and following is not None and following.start == match.end:
                # "did any customers return orders": the object is the count.
                counted = [following] if following.term.name in vocab.status_counted else []
            if counted:
                counted[-1].term = Term("metric", term.name)
                continue
        if term.kind != "value" or not (term.value or "").endswith("ed"):
            kept.append(match)
            continue
        previous = tokens[match.start - 1].stem if match.start else ""
        before = matches[index - 1] if index else None
        after = matches[index + 1] if index + 1 < len(matches) else None
        verb = (
            previous in _AUXILIARIES
            or (before is not None and before.term.kind == "metric" and before.end == match.start)
            # "did each region place": a status's base form is only ever a verb.
            or match.words.lower() in base_forms(term.value or "")
            # "returned or cancelled": the second of two verbs.
            or (previous in {"or", "and"} and before is not None and before.end in verb_ends)
        )
        coordinated = previous in {"or", "and"} and before is not None and before.end in verb_ends
        attributive = after is not None and after.term.kind == "metric" and after.start == match.end
        metric = vocab.value_metrics.get((term.name, term.value or ""))
        counted = [m for m in matches[:index] if m.term.name in vocab.status_counted]
        neighbour = (counted[-1] if counted else None) if verb else after if attributive else None
        if verb:
            verb_ends.add(match.end)
            reading.verb_ends.add(match.end)
        if metric and neighbour is not None and neighbour.term.name in vocab.status_counted:
            neighbour.term = Term("metric", metric)
            continue
        if metric and coordinated:
            # "orders returned or cancelled": the second status's metric too.
            match.term = Term("metric", metric)
            kept.append(match)
            continue
        if metric and (verb or attributive):
            # "units returned", "customers who returned an order": the metric named
            # counts only orders that are not returned; say so, answer nothing else.
            reading.conflicts.append(
                f"“{match.words}” names orders that {_label_metrics(vocab, matches)} leave out;"
                f" ask for {vocab.metric_labels.get(metric, metric).lower()} instead"
            )
            continue
        if verb:
            reading.notes.append(f"“{match.words}” read as a verb, not an {_label(vocab, term)}")
            continue
        kept.append(match)
    return kept


#: Words before a participle that make it a verb ("orders that were returned").
_AUXILIARIES = frozenset(
    {"was", "were", "is", "are", "be", "been", "being", "get", "got", "that", "which", "we"}
    | {"they", "have", "had", "has"}
)


def _label_metrics(vocab: Vocabulary, matches: Sequence[Match]) -> str:
    names = dedupe(m.term.name for m in matches if m.term.kind == "metric")
    return " and ".join(vocab.metric_labels.get(n, n).lower() for n in names) or "the metrics"


def _said(vocab: Vocabulary, term: Term) -> str:
    """How a reader names ``term``: a value as spelled, else the label."""
    if term.value:
        return term.value
    labels = vocab.metric_labels if term.kind == "metric" else vocab.dimension_labels
    return labels.get(term.name, term.name).lower()


def _label(vocab: Vocabulary, term: Term) -> str:
    return vocab.dimension_labels.get(term.name, term.name).lower()


#: Nouns before "of" that make the metric after it the thing asked for
#: ("number of buyers", "margin as a percentage of revenue").
_COUNT_NOUNS = SHARE_WORDS | SHARE_WORDS_WITH_OF | {"percent", "percentage", "number", "count"}
#: Words before a metric's noun that make it say which rows, not what to count.
_QUALIFYING = frozenset(
    {"a", "an", "from", "with", "any", "on", "into", "to", "for", "of", "by", "that", "which"}
)


#: Words between a qualifying word and its noun ("of the customer").
_DETERMINERS = frozenset({"the", "our", "their", "a", "an", "its", "those", "these", "any"})
#: Auxiliaries that put the metric after them as the subject of a question's verb.
_ASKING = frozenset({"did", "do", "doe", "have", "had", "will", "would"})
#: Verbs of buying and of what happens to an order, after their subject.
_BUYING_VERBS = """
    place placed buy bought purchase purchased order ordered return returned cancel
    cancelled canceled pay paid ship shipped receive received generate generated produce
    produced contribute contributed account accounted represent represented
"""
_BUYING = frozenset(_BUYING_VERBS.split())


def _past_values(matches: Sequence[Match], start: int) -> int:
    """Where the values right before ``start`` begin ("from delivered orders": the
    word before "delivered")."""
    moved = True
    while moved:
        moved = False
        for match in matches:
            if match.term.kind == "value" and match.end == start:
                start, moved = match.start, True
    return start


def _qualifying_word(tokens: Sequence[Token], start: int) -> int | None:
    """The qualifying word right before ``start`` ("from orders", "a purchase"),
    or before its determiners ("of the customer"), if there is one."""
    if start and tokens[start - 1].stem in _QUALIFYING:
        return start - 1
    cue = _word_before(tokens, start)
    return cue if cue is not None and tokens[cue].stem in _QUALIFYING else None


def _word_before(tokens: Sequence[Token], start: int) -> int | None:
    """The index of the word before ``start``, past determiners ("of the")."""
    index = start - 1
    while index >= 0 and tokens[index].stem in _DETERMINERS and start - index <= 2:
        index -= 1
    return index if index >= 0 else None


#: Words before a count that make a verb's amount an average over it ("how much
#: did the average customer spend").
_AVERAGING = frozenset({"average", "typical", "each", "every"})


def _averaged(
    tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary
) -> tuple[Match, Match] | None:
    """ "How much did the average customer spend", "how much does each customer
    spend on average": the amount a verb names over the count the averaging
    word qualifies, as (numerator, denominator)."""
    if any(t.stem == "per" for t in tokens):
        return None  # "per" says the ratio itself (read_ratio)
    on_average = any(a.stem == "on" and b.stem == "average" for a, b in itertools.pairwise(tokens))
    _split_subject(tokens, matches, vocab, on_average)
    verbs = [
        m for m in matches if m.term.kind == "metric" and m.words.split(" ")[0] in METRIC_VERBS
    ]
    counts = [
        m
        for m in matches
        if m.term.kind == "metric"
        and m not in verbs
        and (
            on_average
            or (
                (cue := _word_before(tokens, m.start)) is not None
                and tokens[cue].stem in _AVERAGING
            )
        )
    ]
    if len(verbs) == 1 and len(counts) == 1 and verbs[0].term.name != counts[0].term.name:
        return verbs[0], counts[0]
    return None


def _split_subject(
    tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary, on_average: bool
) -> None:
    """ "The average customer spend", "a customer spend on average": a phrase of
    the vocabulary ("customer spend") that is a count and a verb, averaged, as
    two matches."""
    for index, match in enumerate(matches):
        cue = _word_before(tokens, match.start)
        averaging = on_average or (cue is not None and tokens[cue].stem in _AVERAGING)
        if not averaging or match.end - match.start != 2:
            continue
        subject = vocab.phrases.get((tokens[match.start].stem,))
        verb = tokens[match.start + 1]
        if not subject or subject[0].kind != "metric" or verb.stem not in METRIC_VERBS:
            continue
        head = Match(
            subject[0], subject[1:], match.start, match.start + 1, words=tokens[match.start].text
        )
        tail = Match(match.term, match.alternatives, match.start + 1, match.end, words=verb.text)
        matches[index : index + 1] = [head, tail]
        return


def _without_qualifiers(
    tokens: Sequence[Token],
    matches: list[Match],
    keep: Sequence[Match] | None = None,
    verb_ends: set[int] | None = None,
) -> list[Match]:
    """Metrics, in the order mentioned. "customers" right after a value ("small
    business customers", "customers in Canada" stays) only names who, when
    another metric says what."""
    verb_ends = verb_ends or set()
    qualifiers = [
        m
        for i, m in enumerate(matches)
        if m.term.kind == "metric"
        and m not in (keep or ())
        and (
            (
                m.term.name == "active_customers"
                and i
                and matches[i - 1].term.kind == "value"
                and matches[i - 1].end == m.start
            )
            # "revenue from orders placed in April", "customers who placed an order":
            # the count only says which, the metric named before it says what.
            or (
                (cue := _qualifying_word(tokens, _past_values(matches, m.start))) is not None
                # "margin as a percentage of revenue": the metric a ratio is over
                and not (cue > 0 and tokens[cue - 1].text in _COUNT_NOUNS)
                and any(o.term.kind == "metric" and o.end <= m.start for o in matches)
            )
            # "how many customers placed orders": the verb's object only says which.
            or (
                m.start in verb_ends
                and any(o.term.kind == "metric" and o.end < m.start for o in matches)
            )
            # "how many orders did customers place", "how much did customers spend":
            # the subject of the verb says who, the other metric says what.
            or (
                (cue := _word_before(tokens, _past_values(matches, m.start))) is not None
                and tokens[cue].stem in _ASKING
                and m.end < len(tokens)
                and (tokens[m.end].stem in METRIC_VERBS or tokens[m.end].stem in _BUYING)
                and any(o.term.kind == "metric" and o is not m for o in matches)
            )
        )
    ]
    # "how many items did we sell": the verb names no second metric (unless the
    # other metric only said who: "total spent by customers").
    qualifiers += [
        m
        for m in matches
        if m.term.kind == "metric"
        and m not in (keep or ())
        and m not in qualifiers
        and m.words.split(" ")[0] in METRIC_VERBS
        and not (m.end < len(tokens) and tokens[m.end].stem == "per")
        and any(o.term.kind == "metric" and o is not m and o not in qualifiers for o in matches)
    ]
    if any(m.term.kind == "metric" and m not in qualifiers for m in matches):
        return [m for m in matches if m not in qualifiers]
    return matches


def _read_filters(tokens: Sequence[Token], matches: Sequence[Match], reading: Reading) -> None:
    """Values: filters (or comparisons), negated after "excluding" and the like;
    not after "including" (all rows, those too) or a subject ("did we book":
    a verb, not the value "books")."""
    for match in matches:
        if match.term.kind != "value":
            continue
        cue = _word_before(tokens, match.start)
        if cue is not None and tokens[cue].stem in INCLUDING:
            reading.notes.append(f"“{match.words}” included, not a filter")
            continue
        if match.start and tokens[match.start - 1].stem in _SUBJECTS:
            reading.notes.append(f"“{match.words}” read as a verb")
            continue
        term = _disambiguate(match, matches)
        negated = _negated(tokens, match.start)
        key = (term.name, "not in" if negated else "in")
        values = reading.filters.setdefault(key, [])
        if term.value and term.value not in values:
            values.append(term.value)


#: Pronouns before a word that make it their verb ("did we book").
_SUBJECTS = frozenset({"we", "they", "you", "i"})


def _read_group_by(tokens: Sequence[Token], matches: Sequence[Match], reading: Reading) -> None:
    """Dimensions: grouped when cued ("by region", "which channel", "top 5
    products", "regions")."""
    for match in matches:
        if match.term.kind != "dimension":
            continue
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


def _unknown_words(tokens: Sequence[Token], used: set[int]) -> list[str]:
    """Every word that neither meant something nor is a known filler: the engine
    answers nothing it did not read in full."""
    unknown = []
    for index, token in enumerate(tokens):
        if index in used or token.stem in STOPWORDS or token.text in STOPWORDS:
            continue
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
    return any(t.stem in {"by", "per"} for t in tokens[max(0, index - 5) : index - 1])


def _negated(tokens: Sequence[Token], start: int) -> bool:
    """Whether the value starting at ``start`` is excluded ("excluding the
    partner channel", "except store", "other than web")."""
    index = start - 1
    while index >= 0 and tokens[index].stem in SKIPPED and start - index <= 3:
        index -= 1
    if index < 0:
        return False
    word = tokens[index].stem
    if word in NEGATION_CUES:
        return True
    return word == "than" and index > 0 and tokens[index - 1].stem == "other"


def _disambiguate(match: Match, matches: Sequence[Match]) -> Term:
    """A value spelled the same in several dimensions (``unknown``): the one
    whose dimension the question also names, else the first."""
    if not match.alternatives:
        return match.term
    named = {m.term.name for m in matches if m.term.kind == "dimension"}
    for term in (match.term, *match.alternatives):
        if term.name in named:
            return term
    return match.term


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
