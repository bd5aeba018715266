"""The local engine's vocabulary: every phrase it knows and what it means.

Phrases come from the semantic layer (metric and dimension names, labels,
``meta.synonyms``, ``meta.value_synonyms``) and the real values of the
question dimensions (read from the warehouse when the engine opens); only the
grain words are English (:mod:`questions.local.english`). The same light
normalization and stemming apply to the vocabulary and to the question.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from questions.local.english import GRAIN_WORDS, STOPWORDS
from questions.semantic import SemanticLayer

#: Categorical dimensions a question may slice or filter by (metrics.md), with
#: the group-by name MetricFlow knows them by.
QUESTION_DIMENSIONS = (
    "customer__region",
    "customer__country",
    "customer__segment",
    "product__category",
    "product__product_name",
    "order__channel",
    "order__order_status",
)


def normalize(text: str) -> str:
    """Lower case, accents kept, punctuation (other than ``- . % ' _``) as spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\bu\.s\.a?\.?(?=\s|$)", "usa ", text)
    text = re.sub(r"\bu\.k\.(?=\s|$)", "uk ", text)
    text = re.sub(r"(?<=\w)'s\b", "", text)
    text = re.sub(r"[^\w\s\-.%']", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def stem(word: str) -> str:
    """A light plural stemmer, the same for the vocabulary and the question."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_TOKEN = re.compile(r"[\w%][\w%'\-]*")


@dataclass
class Token:
    text: str
    stem: str
    start: int
    end: int
    plural: bool = False


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        word = match.group(0).strip("-'")
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
    #: suggestions name them.
    question_dimensions: tuple[str, ...] = QUESTION_DIMENSIONS
    #: The metrics suggestions offer when a question names none.
    suggested_metrics: tuple[str, ...] = ("revenue", "orders", "average_order_value")

    def add(self, phrase: str, term: Term) -> None:
        key = phrase_key(phrase)
        if not key:
            return
        terms = self.phrases.setdefault(key, [])
        if term not in terms:
            terms.append(term)
        self.max_words = max(self.max_words, len(key))

    def fuzzy_candidates(self, words: int) -> list[str]:
        return [
            " ".join(key) for key in self.phrases if len(key) == words and len(" ".join(key)) >= 5
        ]


def build_vocabulary(layer: SemanticLayer, values: Mapping[str, Sequence[str]]) -> Vocabulary:
    """The vocabulary of ``layer`` with the question dimensions' ``values``."""
    vocab = Vocabulary()
    for metric in layer.metrics():
        vocab.metric_labels[metric.name] = metric.label
        if metric.meta.get("internal"):
            continue  # reached through another metric (regional_revenue via revenue)
        term = Term("metric", metric.name)
        for phrase in (metric.name.replace("_", " "), metric.label, *metric.synonyms):
            vocab.add(phrase, term)
    # Phrases people use that say more than one synonym list can.
    for phrase, metric_name in (
        ("how many orders", "orders"),
        ("vs target", "target_attainment"),
        ("versus target", "target_attainment"),
        ("against target", "target_attainment"),
        ("against plan", "target_attainment"),
        ("sell", "revenue"),
        ("sold", "units_sold"),
        ("aov", "average_order_value"),
        ("margin %", "gross_margin_pct"),
        ("margin pct", "gross_margin_pct"),
        ("gross margin pct", "gross_margin_pct"),
    ):
        vocab.add(phrase, Term("metric", metric_name))
    dimensions = {d.name: d for d in layer.dimensions()}
    if "sales_region" in dimensions:
        # Said where a target metric groups by the region entity.
        vocab.dimension_labels["sales_region"] = dimensions["sales_region"].label
    for name in QUESTION_DIMENSIONS:
        info = dimensions.get(name)
        if info is None:
            continue
        vocab.dimension_labels[name] = info.label
        term = Term("dimension", name)
        short = name.split("__", 1)[-1]
        for phrase in (short.replace("_", " "), info.label, *info.synonyms):
            vocab.add(phrase, term)
        synonyms_of_values = _value_synonyms(layer, name)
        for value in values.get(name, ()):
            vocab.values.setdefault(name, []).append(value)
            value_term = Term("value", name, value)
            vocab.add(value, value_term)
            if "_" in value:
                vocab.add(value.replace("_", " "), value_term)
            for alias in synonyms_of_values.get(value, ()):
                vocab.add(alias, value_term)
    for word, grain in GRAIN_WORDS.items():
        vocab.add(word, Term("grain", grain))
    return vocab


def _value_synonyms(layer: SemanticLayer, dimension: str) -> dict[str, tuple[str, ...]]:
    """``meta.value_synonyms`` of a dimension in the dbt semantic model."""
    entity, _, short = dimension.partition("__")
    for model in layer.raw_manifest.get("semantic_models", []):
        for item in model.get("dimensions", []):
            if item["name"] != short:
                continue
            primary = model.get("primary_entity") or next(
                (e["name"] for e in model.get("entities", []) if e.get("type") == "primary"),
                None,
            )
            if primary != entity:
                continue
            meta = dict((item.get("config") or {}).get("meta") or {})
            meta.update(item.get("meta") or {})
            raw = meta.get("value_synonyms") or {}
            return {str(k): tuple(str(v) for v in vs) for k, vs in raw.items()}
    return {}


def match_phrases(tokens: Sequence[Token], vocab: Vocabulary, used: set[int]) -> list[Match]:
    """Longest phrases first, left to right; unknown long words fuzzily."""
    found: list[Match] = []
    i = 0
    while i < len(tokens):
        if i in used:
            i += 1
            continue
        hit = None
        for size in range(min(vocab.max_words, len(tokens) - i), 0, -1):
            span = range(i, i + size)
            if any(j in used for j in span):
                continue
            key = tuple(tokens[j].stem for j in span)
            terms = vocab.phrases.get(key)
            if terms:
                words = " ".join(tokens[j].text for j in span)
                hit = Match(terms[0], terms[1:], i, i + size, words=words)
                break
        if hit is None:
            hit = _fuzzy(tokens, i, vocab, used)
        if hit is not None:
            found.append(hit)
            i = hit.end
        else:
            i += 1
    return found


def _fuzzy(tokens: Sequence[Token], i: int, vocab: Vocabulary, used: set[int]) -> Match | None:
    for size in (2, 1):
        if i + size > len(tokens) or any(j in used for j in range(i, i + size)):
            continue
        words = [tokens[j] for j in range(i, i + size)]
        if any(w.stem in STOPWORDS or w.text in STOPWORDS for w in words):
            continue
        text = " ".join(w.stem for w in words)
        if len(text) < 5 or text.isdigit():
            continue
        close = difflib.get_close_matches(text, vocab.fuzzy_candidates(size), n=2, cutoff=0.84)
        if close:
            terms = vocab.phrases[tuple(close[0].split(" "))]
            return Match(
                terms[0],
                terms[1:],
                i,
                i + size,
                fuzzy=True,
                words=" ".join(w.text for w in words),
            )
    return None
