"""The local engine's vocabulary: every phrase it knows and what it means.

Phrases come from the semantic layer (metric and dimension names, labels,
``meta.synonyms``, ``meta.value_synonyms``) and the real values of the
question dimensions (read from the warehouse when the engine opens); only the
grain words are English (:mod:`questions.local.english`). The same light
normalization and stemming apply to the vocabulary and to the question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from questions.local.english import GRAIN_WORDS, PARAPHRASES, STOPWORDS, neighbour_slip
from questions.local.spelling import base_forms, is_english, plurals, slip_distance, word_close
from questions.semantic import DimensionInfo, MetricInfo, SemanticLayer, SemanticLayerError

_Info = TypeVar("_Info", MetricInfo, DimensionInfo)


def normalize(text: str) -> str:
    """Lower case, accents kept, punctuation (other than ``- . % ' _ /``) as spaces.

    Slashes stay for the period reader (``analytics_core.periods``: "3/4/2026",
    "w/c 8 June"); the tokenizer splits words at them as at a space."""
    # "the US", "US revenue": the country, written in capitals; lower case "us"
    # is the pronoun.
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\bUS\b(?!\s*(?:dollars?|\$|cents?|currency)\b)", "USA", text).lower()
    # Abbreviations people type, spelt out the way the vocabulary is.
    text = re.sub(r"\bavg\b\.?", "average", text)
    text = re.sub(r"\bqty\b\.?", "quantity", text)
    text = re.sub(r"(?:#|\bno\.?|\bnbr\.?)\s*(?=of\b)", "number ", text)
    text = _ABBREVIATED.sub(lambda m: _ABBREVIATIONS[m.group(1)], text)
    text = _ABBREVIATED_AFTER_BY.sub(lambda m: m.group(1) + _ABBREVIATIONS[m.group(2)], text)
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\bu\.s\.a?\.?(?=\s|$)", "usa ", text)
    text = re.sub(r"\bu\.k\.(?=\s|$)", "uk ", text)
    text = re.sub(r"(?<=\w)'s\b", "", text)
    # "delivered + returned", "web & mobile": the sign said as a word
    text = re.sub(r"(?<=[a-z])\s*[&+]\s*(?=[a-z])", " and ", text)
    text = re.sub(r"[^\w\s\-.%'/]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    for pattern, replacement in PARAPHRASES:
        text = pattern.sub(replacement, text)
    return text


#: Short forms of the layer's words that people type ("rev by region", "avg
#: order val"), spelt out; "cat" only after "by" ("by cat"), being a word too.
_ABBREVIATIONS = {
    "rev": "revenue",
    "revs": "revenues",
    "val": "value",
    "num": "number",
    "cust": "customer",
    "custs": "customers",
    "amt": "amount",
    "prod": "product",
    "prods": "products",
    "rgn": "region",
    "ctry": "country",
    "cntry": "country",
    "seg": "segment",
    "ords": "orders",
    "cat": "category",
    "cats": "categories",
}
_ABBREVIATED = re.compile(
    r"\b(" + "|".join(k for k in _ABBREVIATIONS if not k.startswith("cat")) + r")\b\.?"
)
_ABBREVIATED_AFTER_BY = re.compile(r"(\b(?:by|per|each)\s+)(cats?)\b\.?")


def stem(word: str) -> str:
    """A light plural stemmer, the same for the vocabulary and the question."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


#: Words; a hyphen parts two ("first-time" is "first time", as people also
#: write it) and "%" is a word of its own ("GM%"), the same in the vocabulary
#: and in questions.
_TOKEN = re.compile(r"\w[\w']*|%")


@dataclass
class Token:
    text: str
    stem: str
    start: int
    end: int
    plural: bool = False


#: Words a period may start with ("in March"): see ``ending_in_prepositions``.
_PREPOSITIONS = frozenset({"in", "during", "for", "over", "within", "on", "of"})


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        word = match.group(0).strip("'")
        if not word:
            continue
        stemmed = stem(word)
        tokens.append(Token(word, stemmed, match.start(), match.end(), plural=stemmed != word))
    return tokens


def phrase_key(text: str) -> tuple[str, ...]:
    return tuple(stem(t.text) for t in tokenize(normalize(text).replace("_", " ")))


@dataclass(frozen=True)
class Term:
    """What a phrase of the vocabulary means."""

    kind: str  # metric | dimension | value | grain
    name: str  # metric name, dimension name, or grain
    value: str | None = None  # for kind value: the warehouse spelling
    exact: bool = True
    also: tuple[str, ...] = ()  # for kind value: the other values a name means


@dataclass
class Match:
    term: Term
    alternatives: list[Term]
    start: int  # token index
    end: int  # token index (exclusive)
    fuzzy: bool = False
    words: str = ""


@dataclass
class Vocabulary:
    """Every phrase the engine knows, by its stemmed tokens."""

    phrases: dict[tuple[str, ...], list[Term]] = field(default_factory=dict)
    metric_labels: dict[str, str] = field(default_factory=dict)
    dimension_labels: dict[str, str] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)
    max_words: int = 1
    #: The dimensions questions may slice or filter by, in the order
    #: suggestions name them (``meta.question_order``).
    question_dimensions: tuple[str, ...] = ()
    #: The metrics suggestions offer when a question names none (``meta.suggest``).
    suggested_metrics: tuple[str, ...] = ()
    #: Metrics by sales_region and month only (``meta.target``), in definition order.
    target_metrics: tuple[str, ...] = ()
    #: Metrics that are ratios of two others (``type: ratio``).
    ratio_metrics: frozenset[str] = frozenset()

    @property
    def plan_metrics(self) -> frozenset[str]:
        """Target metrics that are plans themselves (not ratios against actuals):
        the only ones a question may ask about a future month."""
        return frozenset(self.target_metrics) - self.ratio_metrics

    #: Next to a target metric, what stands for a metric or dimension
    #: (``meta.stands_for``): ``{"revenue": "regional_revenue", ...}``.
    stand_ins: dict[str, str] = field(default_factory=dict)
    #: Ratios the semantic layer defines, by (numerator, denominator).
    ratios: dict[tuple[str, str], str] = field(default_factory=dict)
    #: A value with a metric of its own (``meta.value_metrics`` of its
    #: dimension): ``{("order__order_status", "returned"): "returned_orders"}``.
    value_metrics: dict[tuple[str, str], str] = field(default_factory=dict)
    #: The metrics such a value's metric replaces ("orders that were returned").
    status_counted: frozenset[str] = frozenset()
    #: A metric sliced by a dimension it would hide rows of, and the metric
    #: that answers instead (``meta.sliced_by``): orders by status counts all
    #: valid orders.
    sliced_by: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Values of a target's region with no target (``meta.without_target``).
    without_target: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _candidates: dict[int, list[str]] = field(default_factory=dict, repr=False)
    _words: frozenset[str] | None = field(default=None, repr=False)
    _phrasal: frozenset[tuple[str, str]] | None = field(default=None, repr=False)
    #: Metrics a question can name (not those reached only through another).
    askable_metrics: frozenset[str] = frozenset()
    #: Metrics that are amounts of money (``meta.unit``): "how much" asks for one.
    money_metrics: frozenset[str] = frozenset()
    #: A question word that asks for a dimension (``meta.question_words``):
    #: ``{"where": "customer__country"}`` ("where do our customers come from").
    asked_by: dict[str, str] = field(default_factory=dict)
    #: How often one of a metric's counted things does something
    #: (``meta.how_often``): ``{"active_customers": "orders"}``, so "how often
    #: do customers buy" is orders per active customer.
    how_often: dict[str, str] = field(default_factory=dict)
    #: Metrics that count the rows of several values of a dimension together
    #: (``meta.counts_values``): ``{("order__order_status", {"delivered",
    #: "returned"}): "delivered_or_returned_orders"}``.
    value_set_metrics: dict[tuple[str, frozenset[str]], str] = field(default_factory=dict)
    #: Yes/no dimensions (their sample values are true and false): named as a
    #: quality ("revenue-bearing orders") they filter, not slice.
    flags: frozenset[str] = frozenset()
    #: Values of two dimensions that go together, where not all do
    #: (:func:`questions.local.opening.read_value_pairs`).
    value_pairs: dict[tuple[str, str], frozenset[tuple[str, str]]] = field(default_factory=dict)
    #: Verb forms a status is read from ("deliver", "delivere"): every spelling
    #: the rule could mean, some no word, so never a misspelling's correction.
    verb_forms: set[tuple[str, ...]] = field(default_factory=set)

    def add(self, phrase: str, term: Term) -> None:
        key = phrase_key(phrase)
        if not key:
            return
        terms = self.phrases.setdefault(key, [])
        if term not in terms:
            terms.append(term)
        self.max_words = max(self.max_words, len(key))

    def value_metrics_of(self, dimension: str) -> set[str]:
        return {v for (d, v) in self.value_metrics if d == dimension}

    def known_words(self) -> frozenset[str]:
        """Every word of every phrase (never "corrected" into another word)."""
        found = self._words
        if found is None:
            found = frozenset(w for key in self.phrases for w in key)
            self._words = found
        return found

    def ending_in_prepositions(self) -> frozenset[tuple[str, str]]:
        """Two-word phrases that end with a period's preposition ("bring in"):
        the calendar leaves that word to them ("bring in last quarter")."""
        found = self._phrasal
        if found is None:
            found = frozenset(k for k in self.phrases if len(k) == 2 and k[1] in _PREPOSITIONS)
            self._phrasal = found
        return found

    def fuzzy_candidates(self, words: int) -> list[str]:
        """Phrases of ``words`` words that a misspelling may be corrected to."""
        found = self._candidates.get(words)
        if found is None:
            found = [
                " ".join(key)
                for key in self.phrases
                if len(key) == words and len(" ".join(key)) >= 3 and key not in self.verb_forms
            ]
            self._candidates[words] = found
        return found


def build_vocabulary(layer: SemanticLayer, values: Mapping[str, Sequence[str]]) -> Vocabulary:
    """The vocabulary of ``layer`` with the question dimensions' ``values``."""
    metrics = layer.metrics()
    vocab = Vocabulary(
        question_dimensions=question_dimensions(layer),
        suggested_metrics=tuple(m.name for m in _ordered(metrics, "suggest")),
        target_metrics=tuple(m.name for m in metrics if m.meta.get("target")),
        ratio_metrics=frozenset(m.name for m in metrics if m.type == "ratio"),
    )
    vocab.money_metrics = frozenset(m.name for m in metrics if m.meta.get("unit"))
    for metric in metrics:
        vocab.metric_labels[metric.name] = metric.label
        if len(metric.inputs) == 2 and not metric.meta.get("internal"):
            vocab.ratios[(metric.inputs[0], metric.inputs[1])] = metric.name
        for dimension, instead in _mapping(metric.name, metric.meta, "sliced_by").items():
            vocab.sliced_by[(metric.name, dimension)] = instead
        if metric.meta.get("stands_for"):
            vocab.stand_ins[str(metric.meta["stands_for"])] = metric.name
        if metric.meta.get("how_often"):
            vocab.how_often[metric.name] = str(metric.meta["how_often"])
        for dimension, counted in (metric.meta.get("counts_values") or {}).items():
            together = (str(dimension), frozenset(str(v) for v in counted))
            vocab.value_set_metrics[together] = metric.name
        if metric.meta.get("internal"):
            continue  # reached through another metric (regional_revenue via revenue)
        vocab.askable_metrics = vocab.askable_metrics | {metric.name}
        term = Term("metric", metric.name)
        for phrase in (metric.name.replace("_", " "), metric.label, *metric.synonyms):
            vocab.add(phrase, term)
            if metric.type == "ratio" and phrase.lower().endswith(" rate"):
                # A rate is said as a percentage too: "return percentage", "cancel %".
                for word in _RATE_WORDS:
                    vocab.add(f"{phrase[:-5]} {word}", term)
        words = metric.label.split()
        if len(words) > 1:
            # "Returned orders" is also "orders returned", "delivered or returned
            # orders" "orders delivered or returned": the noun first.
            vocab.add(" ".join([words[-1], *words[:-1]]), term)
    # A fraction said by its numerator and a rate word ("gross margin ratio",
    # "returns percentage"): a ratio with no unit is a fraction of its numerator.
    by_name = {m.name: m for m in metrics}
    for metric in metrics:
        numerator = by_name.get(metric.inputs[0]) if metric.inputs else None
        if (
            metric.type != "ratio"
            or metric.meta.get("unit")
            or metric.meta.get("target")
            or numerator is None
            or numerator.meta.get("internal")
        ):
            continue
        for phrase in (numerator.label, *numerator.synonyms):
            for word in (*_RATE_WORDS, "rate"):
                vocab.add(f"{phrase} {word}", Term("metric", metric.name))
    # Phrases people use that say more than one synonym list can (after all
    # the names and synonyms: a phrase both are keeps the synonym's metric first).
    for metric in metrics:
        for phrase in _strings(metric, "question_phrases"):
            vocab.add(phrase, Term("metric", metric.name))
    dimensions = {d.name: d for d in layer.dimensions()}
    for info in dimensions.values():
        if info.kind == "entity" and info.meta.get("stands_for"):
            vocab.stand_ins[str(info.meta["stands_for"])] = info.name
            if info.meta.get("without_target"):
                vocab.without_target[info.name] = tuple(str(v) for v in info.meta["without_target"])
            # Said where a target metric groups by the entity.
            vocab.dimension_labels[info.name] = info.label
    for name in vocab.question_dimensions:
        _add_dimension(vocab, dimensions[name], values.get(name, ()))
    for info in dimensions.values():
        if info.meta.get("question_names") and info.name not in vocab.question_dimensions:
            # Sliced by name only ("by country code", "split by whether they count
            # toward revenue"): its values (US, true) are too short or too common
            # to be read as filters in a sentence.
            _add_dimension(vocab, info, ())
            if sorted(map(str, info.meta.get("sample_values") or ())) == ["false", "true"]:
                vocab.flags = vocab.flags | {info.name}
    # "customer region", "type of customer", "category of the product": a
    # dimension of an entity said with the entity's name before it, or its
    # name's last word "of" the entity after it.
    for key, terms in list(vocab.phrases.items()):
        term = terms[0]
        entity = term.name.split("__")[0] if term.kind == "dimension" else ""
        if entity not in {"customer", "product", "order"}:
            continue
        if key[0] != entity and len(key) <= 2:
            vocab.add(" ".join((entity, *key)), term)
        if len(key) == 2 and key[0] == entity:
            # "kinds of products", "what sort of customers": a type in other words
            for word in (key[1], *(("kind", "sort") if key[1] == "type" else ())):
                vocab.add(f"{word} of {entity}", term)
                vocab.add(f"{word} of the {entity}", term)
                vocab.add(f"{entity} {word}", term)
        # "client type", "buyer segment": a customer's dimension said with another
    # of the one-word names the layer gives its customers (``meta.how_often``'s).
    people = {
        key[0]
        for key, terms in vocab.phrases.items()
        if len(key) == 1 and terms[0].kind == "metric" and terms[0].name in vocab.how_often
    }
    for key, terms in list(vocab.phrases.items()):
        if terms[0].kind == "dimension" and len(key) > 1 and key[0] == "customer":
            for noun in people - {"customer", "people"}:
                if (noun, *key[1:]) not in vocab.phrases:
                    vocab.add(" ".join((noun, *key[1:])), terms[0])
        if len(key) > 1 and key[0] in {"percentage", "percent"}:
            # "percentage returned" is "% returned", "pct returned" too
            for word in ("%", "pct"):
                vocab.add(" ".join((word, *key[1:])), terms[0])
    for word, grain in GRAIN_WORDS.items():
        vocab.add(word, Term("grain", grain))
    return vocab


#: Other words for a rate that is a fraction of a count.
_RATE_WORDS = ("percentage", "percent", "%", "pct", "ratio")


def _add_dimension(vocab: Vocabulary, info: DimensionInfo, values: Sequence[str]) -> None:
    """A question dimension's names and its values, with their ``value_synonyms``."""
    vocab.dimension_labels[info.name] = info.label
    term = Term("dimension", info.name)
    short = info.name.split("__", 1)[-1]
    for phrase in (short.replace("_", " "), info.label, *info.synonyms):
        vocab.add(phrase, term)
    raw = info.meta.get("value_synonyms") or {}
    if not isinstance(raw, Mapping):
        raise SemanticLayerError(
            f"meta.value_synonyms of {info.name} must map each value to a list of names"
        )
    synonyms_of_values = {str(k): tuple(str(v) for v in vs or ()) for k, vs in raw.items()}
    for value, metric in _mapping(info.name, info.meta, "value_metrics").items():
        vocab.value_metrics[(info.name, value)] = metric
    for word in info.meta.get("question_words") or ():
        vocab.asked_by[str(word)] = info.name
    counted = info.meta.get("value_metrics_replace") or ()
    vocab.status_counted = vocab.status_counted | frozenset(str(m) for m in counted)
    for group in info.meta.get("value_groups") or ():
        # "business customers", "b2b": one name for several values, all kept
        members = [str(v) for v in group.get("values") or () if str(v) in values]
        if members:
            term = Term("value", info.name, members[0], also=tuple(members[1:]))
            for alias in group.get("names") or ():
                vocab.add(str(alias), term)
    for value in values:
        vocab.values.setdefault(info.name, []).append(value)
        value_term = Term("value", info.name, value)
        vocab.add(value, value_term)
        if "_" in value:
            vocab.add(value.replace("_", " "), value_term)
        for alias in synonyms_of_values.get(value, ()):
            vocab.add(alias, value_term)
        if value.endswith("ed"):
            # "did customers cancel", "did we deliver": a status's verb in any form.
            for form in base_forms(value):
                if phrase_key(form) not in vocab.phrases:
                    vocab.verb_forms.add(phrase_key(form))
                vocab.add(form, value_term)


def question_dimensions(layer: SemanticLayer) -> tuple[str, ...]:
    """The categorical dimensions questions may slice or filter by
    (``meta.question_order``), in that order."""
    found = [d for d in layer.dimensions() if "question_order" in d.meta]
    for info in found:
        if info.kind != "categorical":
            raise SemanticLayerError(
                f"meta.question_order is for categorical dimensions; {info.name} is {info.kind}"
            )
    if not found:
        # A manifest from before the engine read its dimensions from the layer,
        # or a layer that marks none: nothing could be sliced, say why.
        raise SemanticLayerError(
            "the semantic layer marks no dimension questions may slice by"
            " (meta.question_order in dbt_project/models/semantic/); if the project"
            " does, the published semantic manifest is older: run `analytics build`"
        )
    return tuple(d.name for d in _ordered(found, "question_order"))


def _ordered(items: Sequence[_Info], key: str) -> list[_Info]:
    """``items`` with an integer ``meta[key]``, by it (then by name)."""
    ranked: list[tuple[int, str, _Info]] = []
    for item in items:
        if key not in item.meta:
            continue
        rank = item.meta[key]
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise SemanticLayerError(f"meta.{key} of {item.name} must be a whole number: {rank!r}")
        ranked.append((rank, item.name, item))
    return [item for _, _, item in sorted(ranked, key=lambda r: (r[0], r[1]))]


def _mapping(owner: str, meta: Mapping[str, Any], key: str) -> dict[str, str]:
    raw = meta.get(key) or {}
    if not isinstance(raw, Mapping):
        raise SemanticLayerError(f"meta.{key} of {owner} must map names to names")
    return {str(k): str(v) for k, v in raw.items()}


def _strings(metric: MetricInfo, key: str) -> tuple[str, ...]:
    raw: Any = metric.meta.get(key) or ()
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise SemanticLayerError(f"meta.{key} of {metric.name} must be a list of phrases")
    return tuple(str(v) for v in raw)


def match_phrases(tokens: Sequence[Token], vocab: Vocabulary, used: set[int]) -> list[Match]:
    """Longest phrases first, left to right; unknown long words fuzzily."""
    found: list[Match] = []
    i = 0
    while i < len(tokens):
        if i in used:
            i += 1
            continue
        hit = _exact(tokens, i, vocab, used)
        if hit is None:
            hit = _fuzzy(tokens, i, vocab, used)
        else:
            # "product categry": a longer phrase that starts with the words
            # matched and has only its later words misspelt.
            hit = _fuzzy(tokens, i, vocab, used, kept=hit.end - i) or hit
        if (
            hit is not None
            and hit.end > i + 1
            and tokens[i].stem in STOPWORDS
            and (later := _exact(tokens, i + 1, vocab, used)) is not None
            and later.end > hit.end
        ):
            # "average basket size": the filler starts no phrase when the
            # words after it make a longer one.
            hit = None
        if hit is not None:
            found.append(hit)
            i = hit.end
        else:
            i += 1
    return found


def _rest_exact(parts: list[str], words: list[Token], fillers: list[bool], k: int) -> bool:
    """Whether every word of the phrase but the ``k``th is the question's own,
    one of them no filler ("united stats": a slip of the states' name)."""
    others = [j for j in range(len(parts)) if j != k]
    return all(parts[j] == words[j].stem for j in others) and any(not fillers[j] for j in others)


def _exact(tokens: Sequence[Token], i: int, vocab: Vocabulary, used: set[int]) -> Match | None:
    """The longest phrase of the vocabulary starting at token ``i``."""
    for size in range(min(vocab.max_words, len(tokens) - i), 0, -1):
        span = range(i, i + size)
        if any(j in used for j in span):
            continue
        terms = vocab.phrases.get(tuple(tokens[j].stem for j in span))
        if terms:
            words = " ".join(tokens[j].text for j in span)
            return Match(terms[0], terms[1:], i, i + size, words=words)
    return None


def _fuzzy(
    tokens: Sequence[Token], i: int, vocab: Vocabulary, used: set[int], kept: int = 0
) -> Match | None:
    """A misspelt phrase ("regoin", "revnue", "avrage order value"): corrected only
    when exactly one known phrase is closest and close enough (one edit in a word
    of five to seven letters, two in a longer one; a swap of two letters is one
    edit). With ``kept``, only phrases longer than ``kept`` words whose first
    ``kept`` words are the question's own. The caller says the correction."""
    for size in (3, 2, 1):
        if size <= kept:
            break
        if i + size > len(tokens) or any(j in used for j in range(i, i + size)):
            continue
        words = [tokens[j] for j in range(i, i + size)]
        fillers = [w.stem in STOPWORDS or w.text in STOPWORDS for w in words]
        if all(fillers) or (fillers[0] and size == 1) or any(w.text.isdigit() for w in words):
            continue
        text = " ".join(w.stem for w in words)
        said = " ".join(w.text for w in words)
        # A misspelt word's stem may have lost a letter that was no plural's
        # ("groas": "groa"): the words as written are tried too.
        written = said.lower()
        if len(said) < 4:
            continue
        # Longer words may be two edits off; the first letter is never wrong. A
        # four-letter word is corrected only by a letter more or less ("webb")
        # or two neighbours swapped ("apca"): changing one of its letters too
        # often makes another real word ("weak", "book").
        allowed = 1 if len(said) < 9 else 2
        short = len(said) < 5
        best: list[str] = []
        best_distance = allowed + 1
        for candidate in vocab.fuzzy_candidates(size):
            if abs(len(candidate) - len(text)) > allowed or candidate[0] != text[0]:
                continue
            parts = candidate.split(" ")
            if any(parts[k] != words[k].stem for k in range(kept)):
                continue
            # A filler in the phrase must be spelt right ("retrun rate"), and a
            # word the layer knows is no slip ("the status" is no "the states").
            if any(
                parts[k] != words[k].stem
                and (f or (words[k].stem,) in vocab.phrases)
                and not (f and len(parts[k]) > 4 and _rest_exact(parts, words, fillers, k))
                for k, f in enumerate(fillers)
            ):
                continue
            distance = slip_distance(text, written, candidate, allowed)
            if distance == 0 or distance > allowed:
                continue
            if (
                (short or (size == 1 and is_english(written)))
                and len(candidate) == len(text)
                and sorted(candidate) != sorted(text)
                and not neighbour_slip(written, candidate)
                and not neighbour_slip(text, candidate)  # "sakes": sales, by its stem
            ):
                # a changed letter, unless the key next to it ("raye"); two
                # neighbours swapped ("emae") are kept; the same for a real
                # word ("shoes" is no slip of "shops")
                continue
            if size > 1 and not all(
                any(
                    word_close(w.stem, f) or word_close(w.text.lower(), f) for f in (k, *plurals(k))
                )
                for w, k in zip(words, parts, strict=True)
            ):
                continue  # "num customers" is not "new customers": each word its own slip
            if distance < best_distance:
                best, best_distance = [candidate], distance
            elif distance == best_distance:
                best.append(candidate)
        if len({vocab.phrases[tuple(b.split(" "))][0] for b in best}) == 1:
            # one phrase, or forms of one word that all mean the same ("deliverd":
            # delivered, deliver)
            terms = vocab.phrases[tuple(best[0].split(" "))]
            return Match(
                terms[0],
                terms[1:],
                i,
                i + size,
                fuzzy=True,
                words=" ".join(w.text for w in words),
            )
    return None
