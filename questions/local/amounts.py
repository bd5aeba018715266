"""Money of a count and the count of money: words around a metric's noun
that ask for the other one of a ratio the semantic layer defines.

The layer defines average order value as revenue over orders; that pair is
what these rules use, never a list of nouns:

- "average order value", "avg order", "the typical order", "average purchase
  amount": the money per one of the count (the ratio);
- "order value", "total order value", "the value of orders": the money of
  the count (the ratio's numerator), not the count;
- "number of sales", "sales count", "how many sales": the count of the money
  (the ratio's denominator), not the money;
- "sales volume", "sales orders": a money word before a count's word only
  says whose count it is, when they are the only metrics named;
- "gross margin as a percentage", "margin in %": money as a fraction is the
  layer's ratio of it over other money (gross margin %), when there is one;
- "how many different products", "the number of countries": a count of a
  dimension's values is no metric of the layer, and is said so.

Used by :func:`questions.local.reading.read_question`, after the roles.
"""

from __future__ import annotations

from collections.abc import Sequence

from questions.local.vocabulary import Match, Term, Token, Vocabulary

#: Words before a count that ask for an average of something per one of it.
_AVERAGE = frozenset({"average", "avg", "mean", "typical"})
#: Words after (or "... of" before) a count that ask for its money.
_VALUE_WORDS = frozenset({"value", "amount", "size", "spend", "worth"})
#: Of those, the ones that name a total as well as an average ("order value",
#: "the amount of our orders"; "order size" is said of one order).
_TOTAL_WORDS = frozenset({"value", "amount", "worth"})
#: Words that ask for a count of what follows ("number of sales") or precedes
#: ("sales count").
_COUNTING = frozenset({"number", "count", "tally"})
#: Words between two metrics' nouns that make them a list, not one phrase.
_LISTING = frozenset({"and", "or", "plus", "with", "vs", "versus", "against"})


def money_and_counts(
    tokens: Sequence[Token],
    matches: list[Match],
    vocab: Vocabulary,
    text: str,
    used: set[int],
    conflicts: list[str],
) -> list[Match]:
    """``matches`` with each metric read by the words around it (see the module);
    the words read are added to ``used``, and the value of a count with no
    money of its own ("the value of returns") to ``conflicts``."""
    _as_fraction(tokens, matches, vocab, used)
    money_of = _money_of(vocab)
    count_of = _count_of(vocab)
    for match in matches:
        if match.term.kind != "metric":
            continue
        name = _noun(tokens, match, vocab)
        cue = _before(tokens, match.start)
        before = tokens[cue].stem if cue is not None else ""
        after = tokens[match.end].stem if match.end < len(tokens) else ""
        if name in money_of:
            money, ratio = money_of[name]
            if before in _AVERAGE and _how_many_before(matches, match):
                pass  # "how many items does the average order have": items per order
            elif before in _AVERAGE and (after in _VALUE_WORDS or _single(tokens, match, after)):
                match.term = Term("metric", ratio)
                used.update([cue] if cue is not None else [])
            elif _value_of(tokens, match) and _averaged_value(tokens, match):
                # "the average value of an order", "the value of an order"
                match.term = Term("metric", ratio)
            elif before not in _AVERAGE and (after in _TOTAL_WORDS or _value_of(tokens, match)):
                match.term = Term("metric", money)
        elif match.term.name in count_of and _counted(tokens, match, after):
            match.term = Term("metric", count_of[match.term.name])
        elif (after in _TOTAL_WORDS or _value_of(tokens, match)) and not (
            {name, match.term.name} & (vocab.money_metrics | vocab.ratio_metrics)
        ):
            label = vocab.metric_labels.get(name, name)
            conflicts.append(
                f"{label.lower()} are counted, and the semantic layer has no amount of money"
                f" for them; ask for {label.lower()}, or for revenue"
            )
    return _compounds(tokens, matches, vocab, text)


def _how_many_before(matches: Sequence[Match], match: Match) -> bool:
    """Whether a count asked for with "how many" or "number of" comes before
    ``match`` (whose averaging word then makes it the denominator)."""
    return any(m.term.kind == "metric" and m.end <= match.start and is_how_many(m) for m in matches)


def is_how_many(match: Match) -> bool:
    """Whether ``match`` is a count said as "how many ..." or "number of ..."."""
    return match.words.lower().startswith(("how many ", "number of "))


#: Words for a fraction after "as a" or "in" ("as a percentage", "in %").
_FRACTION = frozenset({"percentage", "percent", "%", "pct", "fraction", "proportion", "ratio"})


def _as_fraction(
    tokens: Sequence[Token], matches: Sequence[Match], vocab: Vocabulary, used: set[int]
) -> None:
    """ "Gross margin as a percentage": the ratio of that money over other money
    (not "... as a percentage of revenue", read as a ratio of the two named)."""
    over: dict[str, list[str]] = {}
    for (numerator, denominator), ratio in vocab.ratios.items():
        if numerator in vocab.money_metrics and denominator in vocab.money_metrics:
            over.setdefault(numerator, []).append(ratio)
    for match in matches:
        ratios = over.get(match.term.name, []) if match.term.kind == "metric" else []
        if len(ratios) != 1:
            continue
        index = match.end
        words = [t.stem for t in tokens[index : index + 4]]
        size = 3 if words[:2] in (["as", "a"], ["as", "an"]) else 2 if words[:1] == ["in"] else 0
        if not size or len(words) < size or words[size - 1] not in _FRACTION:
            continue
        if len(words) > size and words[size] == "of":
            continue
        match.term = Term("metric", ratios[0])
        used.update(range(index, index + size))


def _money_of(vocab: Vocabulary) -> dict[str, tuple[str, str]]:
    """Count -> (money, ratio) for each money-over-count ratio of the layer,
    where the count is in only one."""
    found: dict[str, list[tuple[str, str]]] = {}
    for (numerator, denominator), ratio in vocab.ratios.items():
        if numerator in vocab.money_metrics and denominator not in vocab.money_metrics:
            found.setdefault(denominator, []).append((numerator, ratio))
    return {count: pairs[0] for count, pairs in found.items() if len(pairs) == 1}


def _count_of(vocab: Vocabulary) -> dict[str, str]:
    """Money -> count, the other way round."""
    found: dict[str, list[str]] = {}
    for count, (money, _ratio) in _money_of(vocab).items():
        found.setdefault(money, []).append(count)
    return {money: counts[0] for money, counts in found.items() if len(counts) == 1}


def _noun(tokens: Sequence[Token], match: Match, vocab: Vocabulary) -> str:
    """The metric the match's last word names alone ("total order" is valid
    orders; its noun "order" is orders), else the match's own."""
    if match.end - match.start > 1 and match.end < len(tokens):
        alone = vocab.phrases.get((tokens[match.end - 1].stem,), [])
        if alone and alone[0].kind == "metric" and tokens[match.end].stem in _TOTAL_WORDS:
            return alone[0].name
    return match.term.name


def _before(tokens: Sequence[Token], start: int) -> int | None:
    """Where the word before ``start`` is, past "the"/"our"/"an"."""
    index = start - 1
    while index >= 0 and tokens[index].stem in {"the", "our", "a", "an", "your"}:
        index -= 1
    return index if index >= 0 else None


def _single(tokens: Sequence[Token], match: Match, after: str) -> bool:
    """One singular word ("average order"), not "average orders per day"."""
    return (
        match.end - match.start == 1
        and not tokens[match.start].plural
        and after not in {"per", "a", "each", "every", "by"}
    )


def _value_of(tokens: Sequence[Token], match: Match) -> bool:
    """ "the value of orders", "the worth of an order"."""
    index = match.start - 1
    while index >= 0 and tokens[index].stem in {"the", "our", "all", "those", "these", "a", "an"}:
        index -= 1
    # not "amount": "the amount of orders" is said of a number as well
    return index > 0 and tokens[index].stem == "of" and tokens[index - 1].stem in {"value", "worth"}


def _averaged_value(tokens: Sequence[Token], match: Match) -> bool:
    """Whether "value of" before the count asks for one of it: averaged ("the
    average value of our orders") or said of one ("the value of an order",
    "of each order")."""
    index = next(i for i in range(match.start - 1, -1, -1) if tokens[i].stem == "of")
    one = {t.stem for t in tokens[index + 1 : match.start]} & {"a", "an", "each", "every", "one"}
    return bool(one) or (index >= 2 and tokens[index - 2].stem in _AVERAGE)


def _counted(tokens: Sequence[Token], match: Match, after: str) -> bool:
    """ "sales count", "number of sales", "count of sales", "how many sales"."""
    if match.end - match.start != 1:
        return False
    if after in _COUNTING:
        return True
    start = match.start
    if not tokens[start].plural or start < 2:
        return False
    two = (tokens[start - 2].stem, tokens[start - 1].stem)
    return two == ("how", "many") or (two[1] == "of" and two[0] in _COUNTING)


def _compounds(
    tokens: Sequence[Token], matches: list[Match], vocab: Vocabulary, text: str
) -> list[Match]:
    """ "Sales volume": when the only two metrics named are a money word right
    before a count's word (a space apart), the money word says whose count it
    is and the count is asked for."""
    metrics = [m for m in matches if m.term.kind == "metric"]
    if len(metrics) != 2:
        return matches
    first, second = metrics
    if (
        first.end == second.start
        and first.end - first.start == 1
        and first.term.name in vocab.money_metrics
        and second.term.name not in vocab.money_metrics
        and text[tokens[first.start].end : tokens[second.start].start] == " "
        and not any(t.stem in _LISTING for t in tokens)
    ):
        return [m for m in matches if m is not first]
    return matches


#: Words between a counting cue and a dimension ("how many different products").
_DISTINCT = frozenset({"different", "distinct", "unique", "separate", "individual"})


def counted_values(
    tokens: Sequence[Token],
    matches: Sequence[Match],
    vocab: Vocabulary,
    conflicts: list[str],
    used: set[int],
) -> None:
    """A dimension counted ("how many countries", "number of distinct
    products"): the layer counts orders, units and customers, not the values
    of a dimension, so the question is sent back with what it can do."""
    for match in matches:
        if match.term.kind != "dimension":
            continue
        index = match.start - 1
        while index >= 0 and tokens[index].stem in _DISTINCT:
            index -= 1
        if index < 1:
            continue
        two = (tokens[index - 1].stem, tokens[index].stem)
        if two == ("how", "many") or (two[1] == "of" and two[0] in _COUNTING):
            label = vocab.dimension_labels.get(match.term.name, match.term.name).lower()
            used.update(range(index - 1, match.start))
            conflicts.append(
                f"a count of the different {label} values is not a metric of the semantic"
                f" layer; ask for a metric by {label} (“orders by {label}”) to see them"
            )
