"""Which rows a question keeps: the values it names, each a filter on its
dimension, negated after "excluding", "except", "other than", "non-" or "all
... but", the negation covering the values listed after it ("excluding web
and mobile"); kept whole after "including"; never the verb a value is also
spelt as ("did we book": not the category "books").

Used by :func:`questions.local.reading.read_question`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from questions.local.english import GRAIN_NOUNS, INCLUDING, NEGATION_CUES, SKIPPED, join
from questions.local.roles import _word_before
from questions.local.vocabulary import Match, Term, Token, Vocabulary

if TYPE_CHECKING:
    from questions.local.reading import Reading


def read_filters(tokens: Sequence[Token], matches: Sequence[Match], reading: Reading) -> None:
    """Values: filters (or comparisons), negated after "excluding" and the like;
    not after "including" (all rows, those too) or a subject ("did we book":
    a verb, not the value "books"). A negation covers the values listed after
    it ("excluding web and mobile", "other than books or toys")."""
    negated_ends: dict[str, int] = {}
    included_ends: dict[str, int] = {}
    value_at = {i for m in matches if m.term.kind == "value" for i in range(m.start, m.end)}
    for match in matches:
        if match.term.kind != "value":
            continue
        cue = _word_before(tokens, match.start)
        if (
            (cue is not None and tokens[cue].stem in INCLUDING)
            or _listed_after(tokens, match.start, included_ends.get(match.term.name))
            or _included_after(tokens, match.end, value_at)
        ):
            # "orders including cancelled (and returned) ones", "cancelled
            # included": every value of the dimension, so a metric that leaves
            # some out is swapped for the one that counts them all
            reading.notes.append(f"“{match.words}” included, not a filter")
            included_ends[match.term.name] = match.end
            if match.term.name not in reading.all_of:
                reading.all_of.append(match.term.name)
            continue
        if match.start and tokens[match.start - 1].stem in _SUBJECTS:
            reading.notes.append(f"“{match.words}” read as a verb")
            continue
        term = _disambiguate(match, matches)
        negated = _negated(tokens, match.start) or _listed_after(
            tokens, match.start, negated_ends.get(term.name)
        )
        if negated:
            negated_ends[term.name] = match.end
        key = (term.name, "not in" if negated else "in")
        values = reading.filters.setdefault(key, [])
        for value in (term.value, *term.also):
            if value and value not in values:
                values.append(value)


def value_nouns(
    tokens: Sequence[Token], matches: Sequence[Match], vocab: Vocabulary
) -> list[Match]:
    """A value named with the people it counts ("enterprise customers", "retail
    customers"): the value, and the last word the metric it is alone ("how many
    enterprise customers": active customers of that segment; "revenue from
    enterprise customers": a qualifier, dropped when another metric says what)."""
    split: list[Match] = []
    people = vocab.phrases.get(("customer",))
    for match in matches:
        last = match.end - 1
        if (
            match.term.kind == "value"
            and match.term.name.startswith("customer__")
            and tokens[last].plural
            and match.start >= 2
            and (tokens[match.start - 2].stem, tokens[match.start - 1].stem) == ("how", "many")
            and people
            and not any(m.term.kind == "metric" for m in matches)
        ):
            # "how many consumers", "how many small businesses": the customers
            # of that value, counted
            many = match.start - 1
            split.append(Match(people[0], [], many, many + 1, words=tokens[many].text))
        terms = vocab.phrases.get((tokens[last].stem,)) if last > match.start else None
        if match.term.kind != "value" or not terms or terms[0].kind != "metric":
            split.append(match)
            continue
        words = " ".join(t.text for t in tokens[match.start : last])
        split.append(Match(match.term, match.alternatives, match.start, last, match.fuzzy, words))
        split.append(Match(terms[0], list(terms[1:]), last, match.end, words=tokens[last].text))
    return split


def _included_after(tokens: Sequence[Token], end: int, values: set[int]) -> bool:
    """Whether "included" follows the value ending at ``end``, past the values
    listed with it ("cancelled and returned included")."""
    for index in range(end, min(end + 6, len(tokens))):
        if tokens[index].stem in {"included", "inclusive", "incl"}:
            return True
        if index not in values and tokens[index].stem not in {"and", "or", "one", "ones"}:
            return False
    return False


#: Pronouns before a word that make it their verb ("did we book").
_SUBJECTS = frozenset({"we", "they", "you", "i"})


#: Words denying the quality after them ("not revenue-bearing", "orders that
#: don't count toward revenue").
_DENIALS = NEGATION_CUES | {"non", "never", "no", "don't", "doesn't", "didn't", "isn't", "aren't"}
_DENIALS |= {"wasn't", "weren't", "won't", "dont", "doesnt", "didnt", "isnt", "arent"}
#: Words before a yes/no dimension that ask for both answers ("split by
#: whether they count toward revenue").
_BOTH_WAYS = frozenset({"by", "per", "whether", "if", "split", "across", "each"})


def read_flags(
    tokens: Sequence[Token],
    matches: Sequence[Match],
    reading: Reading,
    vocab: Vocabulary,
    used: set[int],
) -> None:
    """A yes/no dimension named as a quality ("revenue-bearing orders", "orders
    that count toward revenue") keeps the rows that have it, or, denied ("not
    revenue-bearing", "don't count toward revenue"), those that do not. After
    "by" or "whether" it is a breakdown, both answers side by side."""
    for match in matches:
        if match.term.kind != "dimension" or match.term.name not in vocab.flags:
            continue
        window = range(max(0, match.start - 3), match.start)
        if any(tokens[i].stem in _BOTH_WAYS for i in window):
            continue
        other = _other_way(tokens, match.end)
        if other:
            # "how many counted toward revenue and how many didn't": both answers
            used.update(other)
            if match.term.name not in reading.group_by:
                reading.group_by.append(match.term.name)
            continue
        denied = [i for i in window if tokens[i].stem in _DENIALS or tokens[i].text in _DENIALS]
        if denied and tokens[denied[-1] + 1].stem in {"just", "only", "merely", "simply"}:
            # "orders, not just revenue-bearing ones": every value, together
            used.update((denied[-1], denied[-1] + 1))
            reading.all_of.append(match.term.name)
            continue
        used.update(denied)
        value = "false" if denied else "true"
        values = reading.filters.setdefault((match.term.name, "in"), [])
        if value not in values:
            values.append(value)


def _other_way(tokens: Sequence[Token], end: int) -> list[int]:
    """The words after a yes/no quality asking for the rest too ("... and how
    many didn't", "and which did not", "or not"), if there are."""
    at = end
    while at < len(tokens) and at - end < 4 and tokens[at].stem not in {"and", "or"}:
        at += 1
    words = []
    for index in range(at, min(at + 5, len(tokens))):
        words.append(index)
        if tokens[index].stem in _DENIALS or tokens[index].text in _DENIALS:
            rest = {t.stem for t in tokens[at + 1 : index]}
            return words if rest <= _ASKING_AGAIN else []
    return []


#: Words between "and" and the denial asking for the rest ("and how many didn't").
_ASKING_AGAIN = frozenset({"how", "many", "much", "which", "those", "that", "did", "do"})


#: Words joining values said together ("delivered or returned", "delivered
#: and returned", "delivered plus returned"; "+" and "&" are read as "and").
_TOGETHER = frozenset({"or", "and", "plus", "either", "both"})


def values_together(
    tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary
) -> list[Match]:
    """ "Orders that were delivered or returned", "delivered and returned
    orders": values of one dimension said together, when a metric counts
    exactly their rows (``meta.counts_values``), are that metric; the order
    count they say which of goes (``meta.value_metrics_replace``). A value
    with a metric of its own counts as that value ("returned orders")."""
    own = {metric: key for key, metric in vocab.value_metrics.items()}

    def value_of(match: Match) -> tuple[str, str] | None:
        if match.term.kind == "value" and match.term.value is not None:
            return match.term.name, match.term.value
        return own.get(match.term.name) if match.term.kind == "metric" else None

    for i in range(len(matches) - 1):
        chain = [i]
        while chain[-1] + 1 < len(matches):
            a, b = matches[chain[-1]], matches[chain[-1] + 1]
            between = {t.stem for t in tokens[a.end : b.start]}
            if (
                not between
                or not between <= _TOGETHER
                or value_of(a) is None
                or value_of(b) is None
            ):
                break
            chain.append(chain[-1] + 1)
        said = [value_of(matches[j]) for j in chain]
        dimensions = {d for d, _ in filter(None, said)}
        if len(chain) < 2 or len(dimensions) != 1:
            continue
        key = (dimensions.pop(), frozenset(v for _, v in filter(None, said)))
        metric = vocab.value_set_metrics.get(key)
        if metric is None:
            continue
        first, last = matches[chain[0]], matches[chain[-1]]
        words = " ".join(t.text for t in tokens[first.start : last.end])
        joined = Match(Term("metric", metric), [], first.start, last.end, words=words)
        rest = [m for j, m in enumerate(matches) if j not in chain]
        rest = [
            m for m in rest if not (m.term.kind == "metric" and m.term.name in vocab.status_counted)
        ]
        return sorted([*rest, joined], key=lambda m: m.start)
    return matches


def _negated(tokens: Sequence[Token], start: int) -> bool:
    """Whether the value starting at ``start`` is excluded ("excluding the
    partner channel", "except store", "other than web", "non-EMEA",
    "everything but electronics")."""
    index = start - 1
    while index >= 0 and tokens[index].stem in SKIPPED and start - index <= 3:
        index -= 1
    if index < 0:
        return False
    word = tokens[index].stem
    if word in NEGATION_CUES or (word == "non" and index == start - 1):
        return True
    if word == "but":
        return any(t.stem in _ALL_OF for t in tokens[max(0, index - 3) : index])
    return word == "than" and index > 0 and tokens[index - 1].stem == "other"


#: Words before "but" that make it "except" ("all segments but consumer").
_ALL_OF = frozenset({"all", "everything", "everywhere", "every", "anything", "any", "each"})


def _listed_after(tokens: Sequence[Token], start: int, negated_end: int | None) -> bool:
    """Whether the value at ``start`` is listed right after a negated value of
    its dimension ("excluding web and mobile": mobile too)."""
    if negated_end is None:
        return False
    between = {t.stem for t in tokens[negated_end:start]}
    return (
        0 < start - negated_end <= 3
        and bool(between & {"and", "or", "nor"})
        and between <= ({"and", "or", "nor"} | SKIPPED)
    )


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


def which_of(tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary) -> list[Match]:
    """ "Which products sold the least": a metric's phrase whose first word is a
    dimension's noun, right after "which" or "what", asks which values of the
    dimension, by the metric the phrase names ("products sold" is units sold):
    the noun is the slice, the rest still the metric."""
    out = list(matches)
    for index, match in enumerate(matches):
        start = match.start
        if match.term.kind != "metric" or match.end - start < 2 or start == 0:
            continue
        if tokens[start - 1].stem not in {"which", "what"}:
            continue
        noun = [t for t in vocab.phrases.get((tokens[start].stem,), []) if t.kind == "dimension"]
        if not noun:
            continue
        words = match.words.split(" ", 1)
        out[index] = Match(noun[0], [], start, start + 1, words=words[0])
        out.insert(index + 1, Match(match.term, [], start + 1, match.end, words=words[-1]))
        return out
    return out


def top_within(
    tokens: Sequence[Token], matches: Sequence[Match], reading: Reading, vocab: Vocabulary
) -> None:
    """ "The top product in each category": a top N within every value of
    another dimension is one ranking per value, which one semantic query does
    not give; said, not answered as one ranking over both."""
    if reading.top is None:
        return
    sliced = [g for g in reading.group_by if not g.startswith("metric_time__")]
    for index, token in enumerate(tokens[1:], 1):
        grain = GRAIN_NOUNS.get(token.stem)
        if grain and sliced and tokens[index - 1].stem in {"each", "every", "per"}:
            # "the best region each month": one ranking per month
            reading.conflicts.append(
                f"the top or bottom within each {grain} is one ranking per {grain}, which one"
                f" question here does not give; ask for one {grain} or rank over the period"
            )
            return
    for match in matches:
        if match.term.kind != "dimension" or match.start == 0:
            continue
        if tokens[match.start - 1].stem in {"each", "every", "per"} and len(reading.group_by) > 1:
            label = vocab.dimension_labels.get(match.term.name, match.term.name).lower()
            reading.conflicts.append(
                f"the top or bottom within each {label} is one ranking per {label}, which one"
                f" question here does not give; ask for one {label} (“top products in"
                f" electronics”) or rank them all together"
            )
            return


def clashing_values(reading: Reading, vocab: Vocabulary) -> None:
    """Filters that no row meets: values of two dimensions that never go
    together ("Japan" with "EMEA": Japan's region is APAC), or a status's own
    metric limited to another status ("shipped orders that were cancelled")."""
    chosen = {d: values for (d, op), values in reading.filters.items() if op == "in" and values}
    labels = vocab.dimension_labels
    for (dimension, op), values in reading.filters.items():
        kept = chosen.get(dimension)
        if op == "not in" and kept and set(kept) <= set(values):
            # "orders for web only excluding web"
            reading.conflicts.append(
                f"the question both keeps and leaves out {labels.get(dimension, dimension).lower()}"
                f" {join(kept, 'and')}; ask for one"
            )
    for (a, b), pairs in vocab.value_pairs.items():
        if a not in chosen or b not in chosen:
            continue
        if any((x, y) in pairs for x in chosen[a] for y in chosen[b]):
            continue
        partners = sorted({y for x, y in pairs if x in chosen[a]})
        reading.conflicts.append(
            f"no rows have {labels.get(a, a).lower()} {join(chosen[a], 'or')} with"
            f" {labels.get(b, b).lower()} {join(chosen[b], 'or')}"
            + (f" ({join(chosen[a])} goes with {join(partners, 'or')})" if partners else "")
            + "; ask about one of them"
        )
    for (dimension, value), metric in vocab.value_metrics.items():
        if metric in reading.metrics and value not in chosen.get(dimension, [value]):
            rates = [r for (n, _d), r in vocab.ratios.items() if n == metric]
            if reading.share and len(rates) == 1:
                # "what percentage of delivered orders were returned": the rate
                # the layer defines for the status, over its own orders.
                _as_rate(reading, vocab, metric, rates[0], dimension)
                continue
            label = vocab.metric_labels.get(metric, metric).lower()
            reading.conflicts.append(
                f"{label} are the orders that are {value}, not"
                f" {join(chosen[dimension], 'or')}; ask for one of them"
            )


def _as_rate(reading: Reading, vocab: Vocabulary, metric: str, rate: str, dimension: str) -> None:
    """``metric`` asked as a part of orders of other statuses: the layer's rate
    of it, which says over which orders."""
    said = join(reading.filters.pop((dimension, "in")), "or")
    reading.metrics = [rate if m == metric else m for m in reading.metrics]
    reading.share = False
    denominator = next(d for (n, d) in vocab.ratios if n == metric)
    labels = vocab.metric_labels
    reading.notes.append(
        f"read as the {labels.get(rate, rate).lower()}: {labels.get(metric, metric).lower()}"
        f" over {labels.get(denominator, denominator).lower()}, not over {said} orders only"
    )
