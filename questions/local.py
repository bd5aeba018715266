"""The local question engine: a question in plain language becomes a semantic
query (metrics, group by, filters, period, order, limit), MetricFlow turns it
into SQL, the guard checks that SQL, and it runs read-only on the warehouse.

No language model and no network: the engine reads the question with the
vocabulary of the semantic layer (metric and dimension names, labels and the
``synonyms`` in their dbt ``meta``), the real values of the categorical
dimensions (read from the warehouse when the engine opens, plus the
``value_synonyms`` in ``meta``), and the calendar rules of
:mod:`questions.periods`. The same question always gets the same
interpretation, and the interpretation is always returned, in words and as
structure. When the question names no metric, a value nothing matches, or a
slice the metric does not support, the engine asks to clarify with concrete
suggestions; requests to change data, forecasts and personal data are
``unsupported``.

Speed: the compiled SQL is cached per query *shape* (metrics, group by, the
dimensions filtered and how many values, order, limit). Filter values and
dates enter the cached SQL as placeholders and are substituted as escaped
literals; values only ever come from the known value vocabulary, never from
the question's text.
"""

from __future__ import annotations

import datetime
import difflib
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analytics_core.errors import AnalyticsError, first_line
from analytics_core.settings import QuestionSettings, Settings, SnowflakeSettings
from questions.engine import (
    EXAMPLE_QUESTIONS,
    INVISIBLES_WARNING,
    Answer,
    Filter,
    Interpretation,
    OrderBy,
    Period,
    Turn,
    had_invisibles,
    prepare_question,
)
from questions.guard import GuardError, GuardPolicy, default_policy, guard_sql
from questions.periods import NUMBER_WORDS, PeriodError, find_period
from questions.semantic import Dialect, SemanticLayer, SemanticLayerError

#: Runs a guarded statement: ``sql -> (columns, rows)``.
Runner = Callable[[str], tuple[list[str], list[list[Any]]]]

ENGINE_NAME = "local"
#: Snowflake's QUERY_TAG of the statements this engine runs there.
QUERY_TAG = "analytics_platform:questions:local"

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
#: Metrics that only meet other data by the sales_region entity and month.
TARGET_METRICS = frozenset({"target_revenue", "target_attainment"})
#: With a target metric, revenue is the region-keyed revenue and region is the entity.
_TARGET_SWAPS = {"revenue": "regional_revenue", "customer__region": "sales_region"}
#: Rows shown for "top products" without a number.
DEFAULT_TOP_N = 10
GRAINS = ("day", "week", "month", "quarter", "year")

_GRAIN_WORDS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
}
_GRAIN_NOUNS = {g: g for g in GRAINS} | {"date": "day"}
_GROUP_CUES = frozenset(
    {"by", "per", "each", "every", "across", "which", "what", "all", "among", "between"}
)
_TOP_WORDS = frozenset(
    {"top", "best", "highest", "largest", "biggest", "leading", "most", "max", "maximum"}
)
_BOTTOM_WORDS = frozenset(
    {"bottom", "worst", "lowest", "smallest", "least", "fewest", "min", "minimum", "weakest"}
)
_COMPARE_CUES = frozenset({"vs", "versus", "compared", "compare", "against", "or"})
_NEGATION_CUES = frozenset({"excluding", "except", "without", "exclude", "not", "outside"})
#: Words that carry no meaning for the semantic query (never fuzzy-matched,
#: never reported as unknown).
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "for",
        "to",
        "from",
        "with",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "what",
        "whats",
        "which",
        "who",
        "how",
        "much",
        "many",
        "me",
        "us",
        "our",
        "we",
        "i",
        "you",
        "your",
        "my",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "them",
        "they",
        "show",
        "give",
        "tell",
        "list",
        "get",
        "display",
        "see",
        "find",
        "please",
        "can",
        "could",
        "would",
        "should",
        "will",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "total",
        "totals",
        "overall",
        "sum",
        "number",
        "amount",
        "value",
        "values",
        "figure",
        "figures",
        "data",
        "numbers",
        "all",
        "any",
        "some",
        "each",
        "every",
        "per",
        "by",
        "across",
        "vs",
        "versus",
        "compared",
        "compare",
        "against",
        "between",
        "than",
        "over",
        "during",
        "within",
        "as",
        "so",
        "just",
        "only",
        "also",
        "about",
        "around",
        "up",
        "down",
        "out",
        "into",
        "broken",
        "breakdown",
        "split",
        "grouped",
        "group",
        "sorted",
        "sort",
        "ordered",
        "order",
        "rank",
        "ranked",
        "top",
        "bottom",
        "best",
        "worst",
        "highest",
        "lowest",
        "largest",
        "smallest",
        "biggest",
        "most",
        "least",
        "fewest",
        "leading",
        "max",
        "min",
        "maximum",
        "minimum",
        "weakest",
        "strongest",
        "did",
        "make",
        "made",
        "get",
        "got",
        "generate",
        "generated",
        "bring",
        "brought",
        "sell",
        "sold",
        "selling",
        "earn",
        "earned",
        "were",
        "while",
        "when",
        "where",
        "here",
        "now",
        "then",
        "today",
        "yesterday",
        "period",
        "time",
        "date",
        "dates",
        "range",
        "trend",
        "trends",
        "over",
        "time",
        "usd",
        "dollars",
        "dollar",
        "money",
        "currency",
        "figure",
        "level",
        "levels",
        "performance",
        "perform",
        "performing",
        "performed",
        "doing",
        "going",
        "like",
        "look",
        "looking",
        "looks",
        "looked",
        "split",
        "wise",
        "based",
        "basis",
        "per",
        "cent",
        "percent",
        "percentage",
        "rate",
        "rates",
        "ratio",
        "report",
        "reporting",
        "chart",
        "graph",
        "table",
        "view",
        "summary",
        "breakdown",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "year",
        "years",
        "quarter",
        "quarters",
        "daily",
        "weekly",
        "monthly",
        "quarterly",
        "yearly",
        "annual",
        "annually",
        "compared",
        "comparison",
        "comparing",
        "vs.",
        "its",
        "it's",
        "what's",
        "how's",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "ok",
        "okay",
    ]
)

# Requests the platform will not do, checked before anything else.
_CHANGE_DATA = re.compile(
    r"\b(?:delete|drop|truncate|insert|alter|grant|revoke|merge into|update|upsert|"
    r"remove|erase|wipe|purge|overwrite|rename|create (?:a |the )?(?:table|view|schema|user)|"
    r"set (?:\w+ ){1,6}(?:to|=))\b"
)
_FORECAST = re.compile(
    r"\b(?:forecast\w*|predict\w*|projection\w*|project(?:ed)? (?:revenue|sales|orders)|"
    r"will (?:\w+ ){0,3}be|will (?:we|it|they|you|i|our|the|revenue|sales|orders)|going to|"
    r"expect(?:ed)? (?:revenue|sales|orders)|estimate\w*|"
    r"extrapolat\w*|outlook)\b"
)
_PERSONAL = re.compile(
    r"\b(?:e-?mails?(?: address(?:es)?)?|phone(?: numbers?)?|telephone|mobile numbers?|"
    r"(?:home |postal |street |billing |shipping )?address(?:es)?|"
    r"(?:first|last|full|customer'?s?|client'?s?|buyer'?s?|user'?s?) names?|"
    r"names? of (?:the |our |a |each )?(?:customers?|clients?|buyers?|users?|people|shoppers?)|"
    r"who (?:is|are|was|were) (?:the |our )?(?:customers?|buyers?|clients?)|"
    r"birth ?days?|date of birth|dob|ssn|social security|passwords?|credit cards?|"
    r"ip address(?:es)?|"
    r"personal (?:data|information|details)|pii|individual customers?|"
    r"(?:top|best|biggest|largest) (?:\d+ )?customers|customer ids?|customer (?:\d+|#\d+))\b"
)


class QuestionError(AnalyticsError):
    """The engine cannot run at all (no warehouse, no semantic layer)."""


# --- text ------------------------------------------------------------------------


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


def _phrase_key(text: str) -> tuple[str, ...]:
    return tuple(stem(t.text) for t in tokenize(normalize(text).replace("_", " ")))


# --- the vocabulary ----------------------------------------------------------------


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

    def add(self, phrase: str, term: Term) -> None:
        key = _phrase_key(phrase)
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
    for word, grain in _GRAIN_WORDS.items():
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
        if any(w.stem in _STOPWORDS or w.text in _STOPWORDS for w in words):
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


# --- the semantic query -------------------------------------------------------------


@dataclass
class Reading:
    """What the engine read in a question, before it becomes an Interpretation."""

    metrics: list[str] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    filters: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    period: Period | None = None
    top: tuple[bool, int] | None = None  # (descending, n)
    rank_metric: str | None = None
    grain: str | None = None
    trend: bool = False
    unknown: list[str] = field(default_factory=list)
    fuzzy: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _number(token: Token | None) -> int | None:
    if token is None:
        return None
    if token.text.isdigit():
        return int(token.text)
    return NUMBER_WORDS.get(token.text)


def read_question(text: str, as_of: datetime.date, vocab: Vocabulary) -> Reading:
    """The reading of ``text`` (normalized), or an unsupported/clarify answer."""
    reading = Reading()
    found_period = find_period(text, as_of)
    blank = text
    if found_period is not None:
        if found_period.future:
            raise _Unsupported(
                f"“{found_period.period.label}” is in the future (as of {as_of}); forecasts"
                " are not something this engine does. Ask about a past period."
            )
        reading.period = found_period.period
        a, b = found_period.span
        blank = text[:a] + " " * (b - a) + text[b:]
    # Underscores separate words, as in the vocabulary's phrases (_phrase_key).
    tokens = [t for t in tokenize(blank.replace("_", " "))]
    used: set[int] = set()
    # Grains: "by month", "per week", "each day", "month by month", "monthly".
    for index, token in enumerate(tokens):
        grain = _GRAIN_NOUNS.get(token.stem)
        previous = tokens[index - 1].stem if index else ""
        if grain and (
            previous in {"by", "per", "each", "every"}
            or (previous == "and" and _listed_after_by(tokens, index))
        ):
            reading.grain = grain
            used.update({index - 1, index})
        elif (
            grain
            and index + 2 < len(tokens)
            and tokens[index + 1].stem in {"by", "over"}
            and _GRAIN_NOUNS.get(tokens[index + 2].stem) == grain
        ):
            reading.grain = grain
            used.update({index, index + 1, index + 2})
    for index, token in enumerate(tokens):
        if token.stem in {"trend", "trending", "timeline", "evolution", "history"}:
            reading.trend = True
        if token.stem == "time" and index and tokens[index - 1].stem == "over":
            reading.trend = True
    # Top / bottom N.
    for index, token in enumerate(tokens):
        word = token.stem
        if word in _TOP_WORDS or word in _BOTTOM_WORDS:
            nxt = tokens[index + 1] if index + 1 < len(tokens) else None
            n = _number(nxt)
            descending = word in _TOP_WORDS
            if n is not None:
                used.add(index + 1)
            if reading.top is None:
                reading.top = (descending, n if n is not None else 0)
            used.add(index)
    matches = match_phrases(tokens, vocab, used)
    for match in matches:
        used.update(range(match.start, match.end))
        if match.fuzzy:
            reading.fuzzy.append((match.words, match.term.value or match.term.name))
    # Metrics, in the order mentioned. "customers" right after a value ("small
    # business customers", "customers in Canada" stays) only names who, when
    # another metric says what.
    qualifiers = [
        m
        for i, m in enumerate(matches)
        if m.term.kind == "metric"
        and m.term.name == "active_customers"
        and i
        and matches[i - 1].term.kind == "value"
        and matches[i - 1].end == m.start
    ]
    if any(m.term.kind == "metric" and m not in qualifiers for m in matches):
        matches = [m for m in matches if m not in qualifiers]
    for match in matches:
        if match.term.kind == "metric" and match.term.name not in reading.metrics:
            reading.metrics.append(match.term.name)
        elif match.term.kind == "grain":
            reading.grain = match.term.name
    # Values: filters (or comparisons).
    for match in matches:
        if match.term.kind != "value":
            continue
        term = _disambiguate(match, matches)
        negated = _negated(tokens, match.start)
        key = (term.name, "not in" if negated else "in")
        values = reading.filters.setdefault(key, [])
        if term.value and term.value not in values:
            values.append(term.value)
    # Dimensions: grouped when cued ("by region", "which channel", "top 5
    # products", "regions").
    for match in matches:
        if match.term.kind != "dimension":
            continue
        previous = tokens[match.start - 1].stem if match.start else ""
        before = tokens[match.start - 2].stem if match.start > 1 else ""
        cued = (
            previous in _GROUP_CUES
            or (previous == "and" and _listed_after_by(tokens, match.start))
            or (before in {"by", "per", "for", "across"} and previous in {"each", "every", "the"})
            or _number(tokens[match.start - 1] if match.start else None) is not None
            or previous in _TOP_WORDS
            or previous in _BOTTOM_WORDS
            or tokens[match.end - 1].plural
            or (match.end < len(tokens) and tokens[match.end].stem in {"breakdown", "split"})
        )
        has_value = any(dim == match.term.name for dim, _ in reading.filters)
        if cued and not (has_value and previous not in _GROUP_CUES):
            if match.term.name not in reading.group_by:
                reading.group_by.append(match.term.name)
        elif (
            not has_value
            and previous in {"the", "for", "of"}
            and match.term.name not in reading.group_by
        ):
            # "revenue for the region" with no value: still a slice.
            reading.group_by.append(match.term.name)
    # "EMEA vs AMER": the compared values side by side. ("Japan and Germany"
    # is one total over both, as the words say.)
    compared = any(t.stem in _COMPARE_CUES for t in tokens)
    for (dimension, operator), values in reading.filters.items():
        if compared and operator == "in" and len(values) > 1 and dimension not in reading.group_by:
            reading.group_by.append(dimension)
    # Which metric ranks a top/bottom list: the one after "by", else the first.
    if reading.top is not None:
        for match in matches:
            if (
                match.term.kind == "metric"
                and match.start
                and tokens[match.start - 1].stem
                in {
                    "by",
                    "in",
                    "for",
                }
            ):
                reading.rank_metric = match.term.name
                break
    # Words nobody knows after "in"/"for"/"from": an unknown value.
    value_words = {i for m in matches if m.term.kind == "value" for i in range(m.start, m.end)}
    for index, token in enumerate(tokens):
        if index in used or token.stem in _STOPWORDS or token.text in _STOPWORDS:
            continue
        if token.text.isdigit():
            continue
        previous = tokens[index - 1].stem if index else ""
        following = next((m for m in matches if m.start == index + 1), None)
        names_a_value = following is not None and following.term.kind == "dimension"
        # "EMEA and Atlantis": a word listed after a value is meant as one.
        listed = previous in {"and", "or", "vs", "versus", "nor"} and index - 2 in value_words
        if (
            (previous in {"in", "for", "from", "within", "at"} and len(token.text) > 1)
            or (names_a_value and len(token.text) > 2)
            or (listed and len(token.text) > 2)
        ):
            # "in Atlantis"; "the platinum segment", "the fax channel".
            reading.unknown.append(token.text)
    return reading


def _listed_after_by(tokens: Sequence[Token], index: int) -> bool:
    """Whether the word at ``index`` (after "and") continues a "by X and Y" list."""
    return any(t.stem in {"by", "per"} for t in tokens[max(0, index - 5) : index - 1])


_SKIPPED = frozenset({"the", "any", "all", "our", "of"})


def _negated(tokens: Sequence[Token], start: int) -> bool:
    """Whether the value starting at ``start`` is excluded ("excluding the
    partner channel", "except store", "other than web")."""
    index = start - 1
    while index >= 0 and tokens[index].stem in _SKIPPED and start - index <= 3:
        index -= 1
    if index < 0:
        return False
    word = tokens[index].stem
    if word in _NEGATION_CUES:
        return True
    return word == "than" and index > 0 and tokens[index - 1].stem == "other"


class _Unsupported(Exception):
    pass


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


# --- the engine ------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    filters: tuple[tuple[str, str, int], ...]
    has_start: bool
    has_end: bool
    order_by: tuple[tuple[str, bool], ...]
    limit: int | None
    dialect: str
    #: The grain of the period filter: ``month`` for targets (monthly data).
    period_grain: str = "day"


class LocalQuestionEngine:
    """The local engine (see the module docstring).

    ``runner`` runs a guarded statement (``sql -> (columns, rows)``); without
    one the engine only interprets. ``values`` are the categorical values per
    dimension (default: read with ``runner``).
    """

    name = ENGINE_NAME

    def __init__(
        self,
        layer: SemanticLayer,
        *,
        runner: Runner | None = None,
        policy: GuardPolicy | None = None,
        dialect: Dialect = "duckdb",
        max_rows: int = 1000,
        values: Mapping[str, Sequence[str]] | None = None,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.layer = layer
        self.dialect = dialect
        self.runner = runner
        self.max_rows = max_rows
        database = "warehouse" if dialect == "duckdb" else None
        base = policy or default_policy(dialect, database=database)
        # One row more than shown, to tell the user the rows were cut.
        self.policy = replace(base, max_rows=max_rows + 1)
        self._close = close
        if values is None:
            values = self._read_values() if runner is not None else {}
        self.vocabulary = build_vocabulary(layer, values)
        self._group_bys: dict[str, frozenset[str]] = {}
        self._sql_cache: dict[_Shape, str] = {}
        self._lock = threading.Lock()
        self._compile_lock = threading.Lock()

    # -- opening ------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        questions: QuestionSettings | None = None,
        layer: SemanticLayer | None = None,
        *,
        snowflake: SnowflakeSettings | None = None,
    ) -> LocalQuestionEngine:
        """The engine on the published warehouse of ``settings`` (DuckDB) or on
        the Snowflake of ``snowflake`` (``QUESTIONS_WAREHOUSE=snowflake``)."""
        settings = settings or Settings()
        questions = questions or QuestionSettings()
        if questions.warehouse == "snowflake":
            return cls._open_snowflake(settings, questions, layer, snowflake or SnowflakeSettings())
        from analytics_core.warehouse import DuckDBClient

        path = settings.warehouse_path
        if not path.is_file():
            raise QuestionError(
                f"no published warehouse at {path}; run `analytics build` (or `analytics up`) first"
            )
        if layer is None:
            layer = SemanticLayer.load(manifest_path=_built_manifest(settings))
        client = DuckDBClient(
            path,
            statement_timeout_seconds=questions.statement_timeout_seconds,
            memory_limit=questions.memory_limit,
        )

        def run(sql: str) -> tuple[list[str], list[list[Any]]]:
            # Verbatim: the statement the guard returned is the one that runs.
            result = client.execute(sql)
            return result.columns, [list(row) for row in result.rows]

        return cls(
            layer, runner=run, dialect="duckdb", max_rows=questions.max_rows, close=client.close
        )

    @classmethod
    def _open_snowflake(
        cls,
        settings: Settings,
        questions: QuestionSettings,
        layer: SemanticLayer | None,
        snowflake: SnowflakeSettings,
    ) -> LocalQuestionEngine:
        """The local engine on Snowflake: MetricFlow's Snowflake SQL for the
        database of ``SNOWFLAKE_*`` (and a developer's ``<prefix>_`` schemas,
        from ``QUESTIONS_REPORTING_SCHEMA``), run like Cortex Analyst's SQL."""
        from analytics_core.snowflake import connection_parameters
        from questions.cortex_analyst import snowflake_runner

        params = connection_parameters(snowflake)  # raises on missing credentials
        prefix = questions.schema_prefix
        layer = layer or SemanticLayer.load(
            manifest_path=_built_manifest(settings),
            snowflake_database=snowflake.database,
            snowflake_schema_prefix=f"{prefix}_" if prefix else "",
        )

        def connect(session_parameters: Mapping[str, Any]) -> Any:
            import snowflake.connector

            return snowflake.connector.connect(
                **params, session_parameters=dict(session_parameters)
            )

        runner = snowflake_runner(
            connect,
            statement_timeout=questions.statement_timeout_seconds,
            query_tag=QUERY_TAG,
            max_rows=questions.max_rows + 1,
        )
        return cls(
            layer,
            runner=runner,
            policy=default_policy("snowflake", prefix, database=snowflake.database),
            dialect="snowflake",
            max_rows=questions.max_rows,
            close=runner.close,
        )

    def _read_values(self) -> dict[str, list[str]]:
        """The distinct values of each question dimension, from the warehouse
        (the semantic models' relations), at most 5,000 per dimension."""
        if self.runner is None:
            return {}
        relations = self.layer.relation_names(self.dialect)
        dimensions = {d.name: d for d in self.layer.dimensions()}
        values: dict[str, list[str]] = {}
        for name in QUESTION_DIMENSIONS:
            info = dimensions.get(name)
            if info is None or info.semantic_model not in relations:
                continue
            table = relations[info.semantic_model]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", info.expr):
                continue
            # Names from our own semantic manifest (checked above), no input.
            sql = (
                f"select distinct cast({info.expr} as varchar) from {table}"  # noqa: S608
                f" where {info.expr} is not null order by 1 limit 5000"
            )
            _, rows = self.runner(sql)
            values[name] = [str(row[0]) for row in rows if row[0] not in (None, "")]
        return values

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def __enter__(self) -> LocalQuestionEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- catalogue ---------------------------------------------------------------

    def supported_group_bys(self, metrics: Iterable[str]) -> frozenset[str]:
        """Group-by names (no grains) every one of ``metrics`` supports."""
        result: frozenset[str] | None = None
        for metric in metrics:
            with self._lock:
                known = self._group_bys.get(metric)
            if known is None:
                known = frozenset(self.layer.group_bys_for([metric]))
                with self._lock:
                    self._group_bys[metric] = known
            result = known if result is None else result & known
        return result or frozenset()

    # -- answering -----------------------------------------------------------------

    def interpret(
        self,
        question: str,
        *,
        as_of: datetime.date | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """The interpretation (status, structure, words, SQL), nothing run."""
        started = time.perf_counter()
        text, refused = prepare_question(question, self.name)
        if refused is not None:
            return refused
        as_of = as_of or datetime.datetime.now(datetime.UTC).date()
        previous = next(
            (t.interpretation for t in reversed(history) if t.interpretation is not None), None
        )
        answer = self._interpret(text, as_of, previous)
        answer.question = question
        if had_invisibles(question):
            answer.warnings.append(INVISIBLES_WARNING)
        answer.timings["interpret"] = (time.perf_counter() - started) * 1000
        if answer.status == "answered" and answer.interpretation is not None:
            compiled = time.perf_counter()
            try:
                answer.sql = self.compile(answer.interpretation)
            except SemanticLayerError as exc:
                return self._clarify(
                    question,
                    f"The semantic layer cannot answer this as read: {_first_line(exc)}",
                    answer.interpretation,
                )
            answer.timings["compile"] = (time.perf_counter() - compiled) * 1000
        answer.timings["total"] = (time.perf_counter() - started) * 1000
        return answer

    def ask(
        self,
        question: str,
        *,
        as_of: datetime.date | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Interpret, guard, run: the answer with its rows."""
        started = time.perf_counter()
        answer = self.interpret(question, as_of=as_of, history=history)
        return self._run(answer, started)

    def answer(self, interpretation: Interpretation, question: str = "") -> Answer:
        """Run a semantic query built without words (the UI's metric picker):
        the same compile, guard and run as a question."""
        started = time.perf_counter()
        answer = Answer(
            question=question or self.describe(interpretation),
            status="answered",
            engine=self.name,
            interpretation=interpretation,
            explanation=self.describe(interpretation),
        )
        try:
            answer.sql = self.compile(interpretation)
        except SemanticLayerError as exc:
            return self._clarify(
                answer.question,
                f"The semantic layer cannot answer this: {_first_line(exc)}",
                interpretation,
            )
        return self._run(answer, started)

    def _run(self, answer: Answer, started: float) -> Answer:
        if answer.status != "answered" or answer.sql is None:
            return answer
        if self.runner is None:
            raise QuestionError("this engine has no warehouse to run questions on")
        guarded_at = time.perf_counter()
        try:
            guarded = guard_sql(answer.sql, self.policy)
        except GuardError as exc:
            # Our own SQL refused: never run it, say so plainly.
            answer.status = "unsupported"
            answer.explanation += f" The query was refused by the SQL guard ({exc.reason}): {exc}"
            answer.warnings.append(f"guard:{exc.reason}")
            return answer
        answer.sql = guarded.sql
        answer.timings["guard"] = (time.perf_counter() - guarded_at) * 1000
        ran = time.perf_counter()
        try:
            columns, rows = self.runner(guarded.sql)
        except AnalyticsError as exc:
            raise QuestionError(f"the warehouse query failed: {_first_line(exc)}") from exc
        answer.timings["query"] = (time.perf_counter() - ran) * 1000
        if len(rows) > self.max_rows:
            rows = rows[: self.max_rows]
            answer.truncated = True
            answer.warnings.append(f"only the first {self.max_rows:,} rows are shown")
        answer.columns, answer.rows = list(columns), rows
        answer.timings["total"] = (time.perf_counter() - started) * 1000
        return answer

    # -- compiling -----------------------------------------------------------------

    def compile(self, interpretation: Interpretation) -> str:
        """MetricFlow's SQL for ``interpretation`` (cached per shape)."""
        shape = _Shape(
            metrics=interpretation.metrics,
            group_by=interpretation.group_by,
            filters=tuple((f.dimension, f.operator, len(f.values)) for f in interpretation.filters),
            has_start=bool(interpretation.period and interpretation.period.start),
            has_end=bool(interpretation.period and interpretation.period.end),
            order_by=tuple((o.by, o.descending) for o in interpretation.order_by),
            limit=interpretation.limit,
            dialect=self.dialect,
            period_grain="month" if TARGET_METRICS & set(interpretation.metrics) else "day",
        )
        with self._lock:
            template = self._sql_cache.get(shape)
        if template is None:
            with self._compile_lock:  # MetricFlow's engine is not made for threads
                template = self._compile_shape(shape)
            with self._lock:
                self._sql_cache[shape] = template
        values: dict[str, str] = {}
        for i, flt in enumerate(interpretation.filters):
            for j, value in enumerate(flt.values):
                values[f"__qv{i}_{j}__"] = value
        period = interpretation.period
        if period and period.start:
            start = period.start.replace(day=1) if shape.period_grain == "month" else period.start
            values["__qstart__"] = start.isoformat()
        if period and period.end:
            end = period.end.replace(day=1) if shape.period_grain == "month" else period.end
            values["__qend__"] = end.isoformat()
        if not values:
            return template
        return _bind_literals(template, values, self.dialect)

    def _compile_shape(self, shape: _Shape) -> str:
        where = []
        for i, (dimension, operator, count) in enumerate(shape.filters):
            kind = "Entity" if "__" not in dimension else "Dimension"
            placeholders = ", ".join(f"'__qv{i}_{j}__'" for j in range(count))
            where.append(f"{{{{ {kind}('{dimension}') }}}} {operator.upper()} ({placeholders})")
        time_dimension = f"{{{{ TimeDimension('metric_time', '{shape.period_grain}') }}}}"
        if shape.has_start:
            where.append(f"{time_dimension} >= '__qstart__'")
        if shape.has_end:
            where.append(f"{time_dimension} <= '__qend__'")
        order = [("-" if desc else "") + by for by, desc in shape.order_by]
        return self.layer.compile(
            metrics=shape.metrics,
            group_by=shape.group_by,
            where=where,
            order_by=order,
            limit=shape.limit,
            dialect=self.dialect,
        )

    # -- reading -----------------------------------------------------------------

    def _interpret(
        self, question: str, as_of: datetime.date, previous: Interpretation | None = None
    ) -> Answer:
        text = normalize(question)
        if _CHANGE_DATA.search(text):
            return self._unsupported(
                question,
                "This engine only reads data; it never changes, deletes or creates anything."
                " Ask a question about a metric instead.",
            )
        if _PERSONAL.search(text):
            return self._unsupported(
                question,
                "Personal data (names, emails, phone numbers, addresses, individual"
                " customers) is not available here. Ask about customers in aggregate:"
                " by segment, region or country.",
            )
        if _FORECAST.search(text):
            return self._unsupported(
                question,
                "Forecasts and predictions are not something this engine does; it answers"
                " with recorded figures. Ask about a past period.",
            )
        try:
            reading = read_question(text, as_of, self.vocabulary)
        except _Unsupported as exc:
            return self._unsupported(question, str(exc))
        except PeriodError as exc:
            return self._clarify(question, f"{exc}. Use a real date, such as 2026-01-31.")
        if previous is not None and _is_follow_up(text, reading):
            _refine(reading, previous, text)
        return self._decide(question, reading)

    def _decide(self, question: str, reading: Reading) -> Answer:
        if reading.unknown and not any(op == "in" for _, op in reading.filters):
            words = ", ".join(f"“{w}”" for w in reading.unknown)
            return self._clarify(
                question,
                f"I do not know {words}: it is not a region, country, segment, category,"
                " channel or product I can find.",
                reading=reading,
            )
        metrics = list(reading.metrics)
        if not metrics:
            if reading.top is not None and reading.group_by:
                metrics = ["revenue"]
                reading.notes.append("ranked by revenue (no metric was named)")
            else:
                return self._clarify(
                    question,
                    "I could not find a metric in the question (revenue, orders, average"
                    " order value, units sold, customers, margin, return rate, cancellation"
                    " rate, targets...).",
                    reading=reading,
                )
        uses_targets = any(m in TARGET_METRICS for m in metrics)
        group_by = list(reading.group_by)
        filters = dict(reading.filters)
        if uses_targets:
            metrics = _dedupe(_TARGET_SWAPS.get(m, m) for m in metrics)
            group_by = _dedupe(_TARGET_SWAPS.get(g, g) for g in group_by)
            filters = {(_TARGET_SWAPS.get(d, d), op): vs for (d, op), vs in filters.items()}
            wants_target = "regional_revenue" in metrics and "target_attainment" in metrics
            if wants_target and "target_revenue" not in metrics:
                # "revenue vs target": show the target itself between them.
                metrics.insert(metrics.index("target_attainment"), "target_revenue")
        # What the metrics can be sliced by.
        supported = self.supported_group_bys(metrics)
        for dimension in [*group_by, *(d for d, _ in filters)]:
            if dimension not in supported:
                return self._clarify(
                    question,
                    f"{self._metric_words(metrics)} cannot be broken down by"
                    f" {self._dimension_label(dimension)}.",
                    reading=reading,
                    supported=supported,
                    metrics=metrics,
                )
        grain = reading.grain
        period = reading.period
        if uses_targets and period is not None:
            reading.notes.append("targets are monthly, so whole months are compared")
        if grain is None and reading.trend:
            grain = _trend_grain(period)
        if grain is not None and uses_targets and grain in {"day", "week"}:
            return self._clarify(
                question,
                "Targets are monthly: ask by month, quarter or year.",
                reading=reading,
            )
        time_group = f"metric_time__{grain}" if grain else None
        if time_group:
            group_by.append(time_group)
        order_by: list[OrderBy] = []
        limit: int | None = None
        if reading.top is not None:
            descending, n = reading.top
            rank = reading.rank_metric if reading.rank_metric in metrics else metrics[0]
            rank = _TARGET_SWAPS.get(rank, rank) if uses_targets else rank
            categorical = [g for g in group_by if not g.startswith("metric_time")]
            if categorical or time_group:
                order_by = [OrderBy(rank, descending)]
                limit = n or (1 if _singular_question(question) else DEFAULT_TOP_N)
        elif time_group:
            order_by = [OrderBy(time_group, False)]
        elif group_by:
            order_by = [OrderBy(metrics[0], True)]
        interpretation = Interpretation(
            metrics=tuple(metrics),
            group_by=tuple(group_by),
            filters=tuple(
                Filter(dimension, tuple(values), operator)  # type: ignore[arg-type]
                for (dimension, operator), values in filters.items()
                if values
            ),
            period=period,
            order_by=tuple(order_by),
            limit=limit,
        )
        answer = Answer(
            question=question,
            status="answered",
            engine=self.name,
            interpretation=interpretation,
            explanation=self.describe(interpretation, reading),
        )
        if reading.unknown:
            # Never drop a word silently: say what was not understood.
            words = ", ".join(f"“{w}”" for w in reading.unknown)
            answer.explanation += f" I did not understand {words}; it was left out of the query."
            answer.warnings.append(f"not understood and left out: {words}")
        return answer

    # -- words ---------------------------------------------------------------------

    def _metric_words(self, metrics: Sequence[str]) -> str:
        labels = [self.vocabulary.metric_labels.get(m, m) for m in metrics]
        return _join(labels)

    def _dimension_label(self, dimension: str) -> str:
        if dimension.startswith("metric_time__"):
            return dimension.split("__", 1)[1]
        if dimension == "sales_region":
            return "region"
        return self.vocabulary.dimension_labels.get(dimension, dimension).lower()

    def describe(self, interpretation: Interpretation, reading: Reading | None = None) -> str:
        """The interpretation in words."""
        parts = [self._metric_words(interpretation.metrics)]
        if interpretation.group_by:
            parts.append("by " + _join([self._dimension_label(g) for g in interpretation.group_by]))
        for flt in interpretation.filters:
            label = self._dimension_label(flt.dimension)
            values = _join(list(flt.values), "or")
            parts.append(f"where {label} is {'not ' if flt.operator == 'not in' else ''}{values}")
        period = interpretation.period
        if period is None:
            parts.append("over all time")
        elif period.start and period.end:
            if period.start == period.end:
                parts.append(f"on {period.start} ({period.label})")
            else:
                parts.append(f"from {period.start} to {period.end} ({period.label})")
        elif period.start:
            parts.append(f"from {period.start}")
        elif period.end:
            parts.append(f"until {period.end}")
        text = ", ".join(parts)
        if interpretation.limit is not None and interpretation.order_by:
            first = interpretation.order_by[0]
            kind = "top" if first.descending else "bottom"
            label = self.vocabulary.metric_labels.get(first.by, first.by)
            text += f"; {kind} {interpretation.limit} by {label}"
        text += "."
        if reading is not None:
            if reading.fuzzy:
                text += " Read " + _join([f"“{a}” as {b}" for a, b in reading.fuzzy]) + "."
            for note in reading.notes:
                text += f" {note[0].upper()}{note[1:]}."
        return text

    def _unsupported(self, question: str, why: str) -> Answer:
        return Answer(
            question=question,
            status="unsupported",
            engine=self.name,
            explanation=why,
            suggestions=list(EXAMPLE_QUESTIONS[:3]),
        )

    def _clarify(
        self,
        question: str,
        why: str,
        interpretation: Interpretation | None = None,
        *,
        reading: Reading | None = None,
        supported: frozenset[str] | None = None,
        metrics: Sequence[str] | None = None,
    ) -> Answer:
        return Answer(
            question=question,
            status="clarify",
            engine=self.name,
            interpretation=interpretation,
            explanation=why,
            suggestions=self._suggestions(reading, supported, metrics),
        )

    def _suggestions(
        self,
        reading: Reading | None,
        supported: frozenset[str] | None,
        metrics: Sequence[str] | None,
    ) -> list[str]:
        """Concrete questions close to what was asked."""
        tail = " last month"
        if reading is not None and reading.period is not None and reading.period.label:
            tail = f" {reading.period.label}"
        filters = ""
        if reading is not None:
            values = [v for (_, op), vs in reading.filters.items() if op == "in" for v in vs]
            if values:
                filters = " in " + _join(values, "and")
        suggestions: list[str] = []
        if metrics and supported is not None:
            label = self._metric_words(metrics)
            for dimension in QUESTION_DIMENSIONS:
                if dimension in supported:
                    suggestions.append(f"{label} by {self._dimension_label(dimension)}{tail}")
            suggestions.append(f"{label} by month{tail}")
        else:
            chosen = reading.metrics if reading and reading.metrics else []
            for metric in [*chosen, "revenue", "orders", "average_order_value"]:
                label = self.vocabulary.metric_labels.get(metric, metric)
                by = ""
                if reading is not None and reading.group_by:
                    by = " by " + self._dimension_label(reading.group_by[0])
                suggestion = f"{label}{by}{filters}{tail}".strip()
                if suggestion not in suggestions:
                    suggestions.append(suggestion)
        return suggestions[:5] or list(EXAMPLE_QUESTIONS)


_FOLLOW_UP = re.compile(
    r"^(?:and|also|plus|what about|how about|now|same|only|just|but|then|ok|okay|instead)\b"
)
_ADDING = re.compile(r"^(?:and|also|plus)\b")


def _is_follow_up(text: str, reading: Reading) -> bool:
    """A question that refines the previous answer: it names no metric ("and
    by channel?", "only EMEA", "what about last year?") or starts like a
    follow-up ("and orders?", "what about AOV?")."""
    return not reading.metrics or bool(_FOLLOW_UP.match(text))


def _refine(reading: Reading, previous: Interpretation, text: str) -> None:
    """Fill ``reading`` from the previous interpretation: what the follow-up
    names replaces or adds to it, everything else carries over."""
    if not reading.metrics:
        reading.metrics = list(previous.metrics)
    elif _ADDING.match(text):
        reading.metrics = _dedupe([*previous.metrics, *reading.metrics])
    time_groups = [g for g in previous.group_by if g.startswith("metric_time__")]
    if reading.grain is None and not reading.trend and time_groups:
        reading.grain = time_groups[0].split("__", 1)[1]
    kept = [g for g in previous.group_by if not g.startswith("metric_time__")]
    reading.group_by = _dedupe([*kept, *reading.group_by])
    named = {dimension for dimension, _ in reading.filters}
    carried: dict[tuple[str, str], list[str]] = {
        (f.dimension, f.operator): list(f.values)
        for f in previous.filters
        if f.dimension not in named
    }
    reading.filters = {**carried, **reading.filters}
    if reading.period is None:
        reading.period = previous.period
    if reading.top is None and previous.limit is not None and previous.order_by:
        first = previous.order_by[0]
        reading.top = (first.descending, previous.limit)
        reading.rank_metric = first.by
    reading.notes.append("following on from the previous question")


def _built_manifest(settings: Settings) -> Path | None:
    """The semantic manifest of the last successful build (the published docs),
    else of the last build, else None (the project's, parsed if stale)."""
    for path in (
        settings.docs_dir / "semantic_manifest.json",
        settings.dbt_target_path / "semantic_manifest.json",
    ):
        if path.is_file():
            return path
    # Builds on Snowflake targets write to target-<target>/: the newest.
    others = sorted(
        settings.dbt_dir.glob("target-*/semantic_manifest.json"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    return others[0] if others else None


def _trend_grain(period: Period | None) -> str:
    if period is None or period.start is None or period.end is None:
        return "month"
    days = (period.end - period.start).days + 1
    return "day" if days <= 31 else "week" if days <= 92 else "month"


def _singular_question(question: str) -> bool:
    """ "Which region had the highest revenue?": one row."""
    text = normalize(question)
    return bool(re.search(r"\b(which|what)\b", text)) and not re.search(
        r"\b(which|what) \w+s\b", text
    )


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _join(items: Sequence[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _bind_literals(template: str, values: Mapping[str, str], dialect: str) -> str:
    """``template`` (MetricFlow's SQL) with each string literal ``'__qv0_0__'``
    (a key of ``values``) replaced by a string literal holding its value.

    The replacement is made in sqlglot's tree of the statement and rendered in
    ``dialect``, so quotes, backslashes (escapes in Snowflake, not in DuckDB),
    ``:name``, ``{x}``, ``%s``, comment markers or NULs in a value stay inside
    their literal; the text the guard then checks is the text that runs."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(template, read=dialect)
    found: set[str] = set()

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and node.is_string and node.this in values:
            found.add(node.this)
            return exp.Literal.string(values[node.this])
        return node

    tree = tree.transform(replace, copy=False)
    missing = set(values) - found
    if missing:
        raise QuestionError(
            f"the compiled SQL lost its placeholders {sorted(missing)}; this is a bug"
        )
    return tree.sql(dialect=dialect)


#: Headings above the message in MetricFlow's error reports.
_ERROR_HEADINGS = ("Got error", "Error #", "Message:", "The above exception")


def _first_line(exc: BaseException) -> str:
    """The first informative line of an error (MetricFlow's come as a report
    whose first lines are headings)."""
    return first_line(exc, skip=_ERROR_HEADINGS, limit=300)
