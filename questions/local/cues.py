"""Reading the parts of a question that set things side by side: the periods it
names (with the shared calendar, :mod:`analytics_core.periods`) and what they
are set against, the words asking how a metric moved or for a part of a total,
and a metric over a metric ("revenue per customer").
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from analytics_core.periods import MONTHS, find_periods
from questions.local.english import (
    CHANGE_WORDS,
    OVER_PERIOD,
    SHARE_WORDS,
    SHARE_WORDS_WITH_OF,
    STOPWORDS,
)
from questions.local.vocabulary import Match, Token, Vocabulary, edit_distance

if TYPE_CHECKING:
    from questions.local.reading import Reading


class Unsupported(Exception):
    """The question asks for something the engine will not do (a future period)."""


def read_periods(text: str, as_of: datetime.date, reading: Reading) -> str:
    """Set the periods ``text`` names and what they are set against; return
    ``text`` with them blanked out."""
    text = _months_spelt_right(text, reading)
    if any(word in CHANGE_WORDS for word in text.split()):
        # "revenue increase in 2025 over 2024": "over" sets the years side by side
        # (elsewhere "over 2024" may be a threshold, which the calendar leaves alone).
        text = re.sub(r"\bover (?=(?:19|20)\d\d\b)", "vs   ", text)
    blank = text
    over = OVER_PERIOD.search(text)
    if over is not None:
        # "month over month", "MoM": each period against the one before.
        reading.relation = f"{_OVER_UNITS.get(over.group(0)[:1], 'month')}_ago"
        reading.relation_words = over.group(0)
        blank = _blanked(blank, over.span())
    reading.compared = bool(
        re.search(r"\b(?:vs|versus|compared|compare|against|than|relative to)\b", text)
    )
    for found in find_periods(blank, as_of):
        if _AGAINST.search(blank[: found.span[0]]):
            reading.against_period = True
        blank = _blanked(blank, found.span)
        if found.relation is not None:
            reading.relation = found.relation
            reading.relation_words = found.period.label
            continue
        if found.future and found.period.start is None:
            raise Unsupported(
                f"“{found.period.label}” is in the future (as of {as_of}); forecasts"
                " are not something this engine does. Ask about a past period."
            )
        if found.future:
            # Only plans (targets) may be asked about a future month: the engine decides.
            reading.future = found.period
        reading.periods.append(found.period)
    if reading.periods:
        reading.period = reading.periods[0]
    return blank


_OVER_UNITS = {"d": "day", "w": "week", "m": "month", "q": "quarter"}
_MONTH_NAMES = tuple(MONTHS)


def _months_spelt_right(text: str, reading: Reading) -> str:
    """ "Febuary", "Septmber": a misspelt month name, corrected when one month
    is that close (and the correction said)."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in MONTHS or word in STOPWORDS or len(word) < 5:
            return word
        allowed = 1 if len(word) < 8 else 2
        close = [
            m
            for m in _MONTH_NAMES
            if m[0] == word[0] and edit_distance(word, m, allowed) <= allowed
        ]
        if len(close) != 1:
            return word
        reading.fuzzy.append((word, close[0].capitalize()))
        return close[0]

    return re.sub(r"[a-z]+", fix, text)


#: A comparison word right before a period ("vs last month").
_AGAINST = re.compile(r"\b(?:vs|versus|compared (?:to|with)|against|than|relative to)(?: the)?\s*$")


def _blanked(text: str, span: tuple[int, int]) -> str:
    a, b = span
    return text[:a] + " " * (b - a) + text[b:]


def read_cues(tokens: Sequence[Token], reading: Reading, used: set[int]) -> None:
    """Words asking how a metric moved ("growth") or for a part of a total
    ("share of", "percentage of", "% of")."""
    for index, token in enumerate(tokens):
        if index in used:
            continue
        following = tokens[index + 1].stem if index + 1 < len(tokens) else ""
        previous = tokens[index - 1].stem if index else ""
        before = tokens[index - 2].stem if index > 1 else ""
        following = tokens[index + 1].stem if index + 1 < len(tokens) else ""
        after_or = tokens[index + 2].stem if index + 2 < len(tokens) else ""
        if token.stem in CHANGE_WORDS or (
            token.stem in {"up", "down"}
            and (
                previous in {"go", "goe", "went", "gone", "going"}
                or (following == "or" and after_or in {"up", "down"})
                or (previous == "or" and before in {"up", "down"})
            )
        ):
            reading.change = True
            used.add(index)
        elif token.stem in SHARE_WORDS and before == "as" and previous in {"a", "an"}:
            # "... as a percentage"
            reading.share = True
            used.add(index)
        elif (token.stem in SHARE_WORDS and (token.stem != "percentage" or following == "of")) or (
            token.text in SHARE_WORDS_WITH_OF and following == "of"
        ):
            reading.share = True
            used.add(index)


def read_ratio(
    tokens: Sequence[Token],
    matches: Sequence[Match],
    vocab: Vocabulary,
    reading: Reading,
    used: set[int],
) -> None:
    """ "Revenue per customer", "how much revenue do we make per order", "margin
    as a percentage of revenue": a metric over a metric. A ratio the semantic
    layer defines ("revenue per order") is that metric."""
    metrics = [m for m in matches if m.term.kind == "metric"]
    for index, token in enumerate(tokens):
        if index in used:
            continue
        if token.stem == "per":
            cue_end = index + 1
        elif (
            (token.stem in SHARE_WORDS or token.text in SHARE_WORDS_WITH_OF)
            and index + 1 < len(tokens)
            and tokens[index + 1].stem == "of"
        ):
            cue_end = index + 2
        else:
            continue
        left = next(
            (m for m in reversed(metrics) if m.end <= index and _fillers(tokens, m.end, index)),
            None,
        )
        right = next(
            (m for m in metrics if m.start >= cue_end and _fillers(tokens, cue_end, m.start)),
            None,
        )
        if left is None or right is None or left.term.name == right.term.name:
            continue
        used.update(range(index, cue_end))
        pair = (left.term.name, right.term.name)
        defined = vocab.ratios.get(pair)
        if defined is not None:
            at = reading.metrics.index(pair[0])
            reading.metrics[at] = defined
            reading.metrics = dedupe(m for m in reading.metrics if m != pair[1])
        else:
            reading.ratio = pair
        return


def _fillers(tokens: Sequence[Token], start: int, end: int) -> bool:
    """Whether every word from ``start`` to ``end`` (exclusive) is a filler."""
    return all(
        tokens[i].stem in STOPWORDS or tokens[i].text in STOPWORDS for i in range(start, end)
    )


def share_of(tokens: Sequence[Token], matches: Sequence[Match]) -> list[str]:
    """The dimensions a share is of: the value next to the share word
    ("Germany's share of EMEA revenue") or the one the part comes through
    ("from mobile", "through partners"); else every value named."""
    values = [m for m in matches if m.term.kind == "value"]
    for match in values:
        nxt = tokens[match.end].stem if match.end < len(tokens) else ""
        previous = tokens[match.start - 1].stem if match.start else ""
        if nxt in SHARE_WORDS or previous in {"from", "through", "via"}:
            return [match.term.name]
    return dedupe(m.term.name for m in values)


def dedupe(items: Iterable[str]) -> list[str]:
    """``items`` without repeats, in their first order."""
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
