"""Who and what in a question: which matched words name the metric asked
for, and which only say whose or which rows ("how many orders did customers
place", "revenue from orders placed in April"), verbs that are status words,
averages per a count, plans set against, "how much" against "how many".

Used by :func:`questions.local.reading.read_question`, in its order.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from analytics_core.periods import NUMBER_WORDS
from questions.local.amounts import is_how_many
from questions.local.cues import dedupe
from questions.local.english import (
    ACQUIRING,
    BEING,
    BOTTOM_WORDS,
    CHANGE_WORDS,
    METRIC_VERBS,
    SHARE_WORDS,
    SHARE_WORDS_WITH_OF,
    TOP_WORDS,
    VERB_FORMS,
)
from questions.local.spelling import base_forms, word_close
from questions.local.vocabulary import Match, Term, Token, Vocabulary, stem

if TYPE_CHECKING:
    from questions.local.reading import Reading


def _ranked(tokens: Sequence[Token], start: int) -> bool:
    """Whether a rank ("top 3", "the best", "bottom five") comes right before."""
    index = start - 1
    if index >= 0 and (tokens[index].text.isdigit() or tokens[index].stem in NUMBER_WORDS):
        index -= 1
    return index >= 0 and (tokens[index].stem in TOP_WORDS or tokens[index].stem in BOTTOM_WORDS)


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


def _predicates(tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary) -> list[Match]:
    """ "How many orders were valid", "customers that are new": a word said of
    a metric's noun after a form of "be", when the two make a metric of the
    layer ("valid orders", "new customers"), as that metric."""
    out = list(matches)
    for index, match in enumerate(matches):
        be = match.end
        if match.term.kind != "metric" or be + 1 >= len(tokens) or tokens[be].stem not in BEING:
            continue
        said = [t.stem for t in tokens[match.start : match.end]]
        found = None
        # "were valid", "were delivered or returned": the longest words said of it
        for length in range(min(3, len(tokens) - be - 1), 0, -1):
            words = [t.stem for t in tokens[be + 1 : be + 1 + length]]
            for size in range(len(said), 0, -1):  # "how many orders": the noun is "orders"
                terms = vocab.phrases.get((*words, *said[-size:]))
                if terms and terms[0].kind == "metric":
                    found = (terms, be + 1 + length, " ".join([*words, *said[-size:]]))
                    break
            if found:
                break
        if found and (found[1] >= len(tokens) or tokens[found[1]].stem not in {"or", "and"}):
            # (not "were returned or cancelled": two statuses, read as such)
            terms, end, text = found
            out[index] = Match(terms[0], terms[1:], match.start, end, words=text)
    spans = [(m.start, m.end) for m in out if m not in matches]
    return [m for m in out if m not in matches or not any(a < m.end <= b for a, b in spans)]


def _counted(tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary) -> list[Match]:
    """ "Items per order", "average products per customer": a plural noun that
    is a dimension elsewhere ("by item"), counted over a count, is the metric
    "how many <noun>" asks for (units sold)."""
    out = list(matches)
    for index, match in enumerate(matches):
        if match.term.kind not in {"dimension", "value"} or match.end - match.start != 1:
            continue
        noun = tokens[match.start]
        after = tokens[match.end].stem if match.end < len(tokens) else ""
        if not noun.plural or after != "per" or _ranked(tokens, match.start):
            continue  # not "top 3 products per region": the ranked slice
        terms = vocab.phrases.get(("how", "many", noun.stem))
        if terms and terms[0].kind == "metric":
            out[index] = Match(terms[0], terms[1:], match.start, match.end, words=noun.text)
    return out


def _status_left_out(
    tokens: Sequence[Token],
    matches: Sequence[Match],
    kept: Sequence[Match],
    vocab: Vocabulary,
    reading: Reading,
) -> None:
    """ "Revenue from returned orders": the status's orders only say which, but
    the metric named leaves them out: say so rather than answer the total."""
    status_metrics = set(vocab.value_metrics.values())
    named = [m.term.name for m in kept if m.term.kind == "metric"]
    for match in matches:
        if match in kept or match.term.kind != "metric" or match.term.name in named:
            continue
        if match.words.split(" ")[0].lower() in METRIC_VERBS:
            continue  # "how many orders did web bring in": a verb, not a second metric
        label = vocab.metric_labels.get(match.term.name, match.term.name).lower()
        if _sliced_by_metric(tokens, kept, match) and _plain_count(match, vocab):
            # "orders by revenue", "revenue by units": a metric where a breakdown goes
            reading.conflicts.append(
                f"“{match.words}” is a metric ({label}), not a breakdown; ask for"
                f" {_label_metrics(vocab, kept)} and {label} side by side, one per the"
                f" other, or {_label_metrics(vocab, kept)} by a dimension"
            )
            continue
        if match.term.name in status_metrics:
            reading.conflicts.append(
                f"{label} are not counted in {_label_metrics(vocab, kept)}; ask for {label} instead"
            )
        elif not _plain_count(match, vocab):
            # "revenue from new customers": a count that says which rows in more
            # than its noun narrows them, and the layer has no such slice.
            said = match.words if match.words.lower() == label else f"{match.words} ({label})"
            reading.conflicts.append(
                f"{_label_metrics(vocab, kept)} cannot be limited to {said};"
                f" ask for {_label_metrics(vocab, kept)} or for {label}"
            )


def _sliced_by_metric(tokens: Sequence[Token], kept: Sequence[Match], match: Match) -> bool:
    """Whether ``match`` comes right after "by" that comes right after a kept
    metric ("revenue by orders"): no verb between says who or which."""
    by = match.start - 1
    if by < 1 or tokens[by].stem != "by" or tokens[by - 1].stem in METRIC_VERBS:
        return False  # "total spent by customers": who spent it
    after = next((m for m in kept if m.term.kind == "dimension" and m.start == match.end), None)
    if after is not None and not after.term.name.startswith(("customer__", "product__")):
        return False  # "by purchase channel": the word says which channel
    return any(m.term.kind == "metric" and m.end == by for m in kept)


def _plain_count(match: Match, vocab: Vocabulary) -> bool:
    """Whether a metric said as who or which rows is all of its noun's rows:
    one of its words alone names the same metric ("orders placed", "active
    customers"), unlike "new customers" or "first-time buyers"."""
    if match.fuzzy and match.end - match.start == 1:
        return True  # one misspelt word read as one word that names the metric
    words = match.words.replace("-", " ").split()
    return any(
        any(
            t.kind == "metric" and t.name == match.term.name
            for t in vocab.phrases.get((stem(w),), ())
        )
        for w in words
    )


def _acquired(tokens: Sequence[Token], matches: Sequence[Match], vocab: Vocabulary) -> None:
    """ "How many customers did we acquire": customers won are new customers
    (the metric the layer's phrases call "customers acquired"); so are
    customers said with the new ones' own words ("customers who bought for
    the first time", "customers with their first order")."""
    new = {t.name for t in vocab.phrases.get(("customer", "acquired"), ()) if t.kind == "metric"}
    customers = {t.name for t in vocab.phrases.get(("customer",), ()) if t.kind == "metric"}
    if len(new) != 1 or len(customers) != 1:
        return
    [counted], [won] = customers, new
    said_new = any(m.term.name == won and "customer" not in m.words for m in matches)
    if not any(_winning(tokens, i) for i in range(len(tokens))) and not said_new:
        return
    for match in matches:
        if match.term.kind == "metric" and match.term.name == counted:
            match.term = Term("metric", won)


def _winning(tokens: Sequence[Token], index: int) -> bool:
    """A verb of winning customers; one that is also a change word ("gain")
    only with its subject before it ("did we gain", not "customers gained")."""
    stem = tokens[index].stem
    if stem not in ACQUIRING:
        return False
    return stem not in CHANGE_WORDS or (index > 0 and tokens[index - 1].stem in _SUBJECTS)


_SUBJECTS = frozenset({"we", "they", "you", "i"})


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
        # "are delivered vs shipped": statuses set side by side, not verbs
        versus = (
            after is not None
            and after.term.kind == "value"
            and after.term.name == term.name
            and after.start == match.end + 1
            and tokens[match.end].stem in {"vs", "versus"}
        )
        verb = not versus and (
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
#: Words before a metric that make it what is counted ("how many customers").
_COUNTED = frozenset({"many", "of", "number", "count", "total", "unique", "distinct"})
#: Verbs of buying and of what happens to an order, after their subject.
_BUYING_VERBS = """
    place placed buy bought purchase purchased order ordered return returned cancel
    cancelled canceled pay paid ship shipped receive received generate generated produce
    produced contribute contributed account accounted represent represented
"""
_BUYING = frozenset(_BUYING_VERBS.split())


def _verb_said(match: Match) -> bool:
    """Whether ``match`` is a metric's verb ("sold", "making"), or a slip of one
    ("makng")."""
    first = match.words.split(" ")[0].lower()
    return first in METRIC_VERBS or (
        match.fuzzy and any(word_close(first, verb) for verb in METRIC_VERBS if len(verb) > 4)
    )


def _per_after(tokens: Sequence[Token], end: int) -> bool:
    """Whether "per" comes after ``end``, past a rank ("spent the most per
    order": a metric per another, not a verb of it)."""
    while end < len(tokens) and tokens[end].stem in _RANKED_BY:
        end += 1
    return end < len(tokens) and tokens[end].stem == "per"


#: Words between a metric's verb and "per" ("spent the most per order").
_RANKED_BY = TOP_WORDS | BOTTOM_WORDS | {"the", "on", "average"}


def _past_values(tokens: Sequence[Token], matches: Sequence[Match], start: int) -> int:
    """Where the values right before ``start`` begin ("from delivered orders": the
    word before "delivered"; "for marketplace or web orders": before
    "marketplace")."""
    values = [m for m in matches if m.term.kind == "value"]
    moved = True
    while moved:
        moved = False
        for match in values:
            joined = (
                match.end + 1 == start
                and tokens[match.end].stem in {"or", "and", ","}
                and any(v.start == start for v in values)
            )
            if match.end == start or joined:
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
    spend on average", "how many items does the average order have": the
    amount a verb (or "how many") names over the count the averaging word
    qualifies, as (numerator, denominator)."""
    if any(t.stem == "per" for t in tokens):
        return None  # "per" says the ratio itself (read_ratio)
    on_average = any(a.stem == "on" and b.stem == "average" for a, b in itertools.pairwise(tokens))
    _split_subject(tokens, matches, vocab, on_average)
    verbs = [
        m
        for m in matches
        if m.term.kind == "metric" and (m.words.split(" ")[0] in METRIC_VERBS or is_how_many(m))
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
                (cue := _qualifying_word(tokens, _past_values(tokens, matches, m.start)))
                is not None
                # "margin as a percentage of revenue": the metric a ratio is over
                and not (
                    cue > 0 and tokens[cue].stem == "of" and tokens[cue - 1].text in _COUNT_NOUNS
                )
                and any(o.term.kind == "metric" and o.end <= m.start for o in matches)
            )
            # "how many customers placed orders": the verb's object only says which.
            or (
                m.start in verb_ends
                and any(o.term.kind == "metric" and o.end < m.start for o in matches)
            )
            # "orders customers returned", "revenue our shoppers generated": a
            # relative clause right after the metric, its subject says who.
            or (
                i
                and matches[i - 1].term.kind == "metric"
                and _word_before(tokens, m.start) == matches[i - 1].end - 1
                and m.end < len(tokens)
                and (tokens[m.end].stem in METRIC_VERBS or tokens[m.end].stem in _BUYING)
            )
            # "how many orders did customers place", "how much did customers spend",
            # "which region's customers spent the most per order": the subject
            # of the verb says who, the other metric says what.
            or (
                (cue := _word_before(tokens, _past_values(tokens, matches, m.start))) is not None
                and (
                    tokens[cue].stem in _ASKING
                    # not those counted: "how many customers bought"
                    or (m.term.name == "active_customers" and tokens[cue].stem not in _COUNTED)
                )
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
        and _verb_said(m)
        and not _per_after(tokens, m.end)
        and any(o.term.kind == "metric" and o is not m and o not in qualifiers for o in matches)
    ]
    if any(m.term.kind == "metric" and m not in qualifiers for m in matches):
        return [m for m in matches if m not in qualifiers]
    return matches
