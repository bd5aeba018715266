"""Reading the parts of a question that set things side by side: the periods it
names (with the shared calendar, :mod:`analytics_core.periods`) and what they
are set against, the words asking how a metric moved or for a part of a total,
and a metric over a metric ("revenue per customer").
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from analytics_core.periods import FoundPeriod, find_periods
from questions.local.cue_spelling import (
    _both_spelt_right,
    _cues_spelt_right,
    _fillers_spelt_right,
    _months_spelt_right,
    _run_together,
    _unit_cues_spelt_right,
    real_word_slips,
)
from questions.local.english import (
    ACQUIRING,
    BEING,
    CHANGE_WORDS,
    OVER_PERIOD,
    SHARE_WORDS,
    SHARE_WORDS_WITH_OF,
    STOPWORDS,
)
from questions.local.vocabulary import Match, Token, Vocabulary, stem

if TYPE_CHECKING:
    from questions.local.reading import Reading


class Unsupported(Exception):
    """The question asks for something the engine will not do (a future period)."""


def read_periods(
    text: str,
    as_of: datetime.date,
    reading: Reading,
    known: frozenset[str] = frozenset(),
    phrasal: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    """Set the periods ``text`` names and what they are set against; return
    ``text`` with them blanked out. (``known``: the vocabulary's words, never
    corrected into the engine's English cue words; ``phrasal``: two-word
    phrases whose preposition a period must leave them, "bring in".)"""
    text = real_word_slips(text, reading)
    text = _run_together(text, reading, known)
    text = _both_spelt_right(text, reading, known)
    text = _cues_spelt_right(_unit_cues_spelt_right(text, reading, known), reading, known)
    text = _months_spelt_right(text, reading)
    text = _fillers_spelt_right(text, reading, known)
    text = _COMPARE_IDIOMS.sub("vs", text)
    text = _UNIT_INITIALS.sub(lambda m: _INITIALS[m.group(1)], text)
    text = _INITIALS_AFTER_VS.sub(lambda m: m.group(1) + "previous month", text)
    text = _ELIDED_UNIT.sub(_unit_said_again, text)
    text = _ELIDED_COUNT.sub(_count_said_again, text)
    changed = any(word in CHANGE_WORDS for word in text.split())
    if changed:
        # "How much has revenue grown since last year": this year against last.
        text = _SINCE_LAST.sub(lambda m: f"this {m.group(1)} vs last {m.group(1)}", text)
        # "How much has revenue grown since 2024": this year against that one.
        text = _SINCE_YEAR.sub(lambda m: f"this year vs {m.group(1)}", text)
        # "revenue increase in 2025 over 2024": "over" sets the years side by side
        # (elsewhere "over 2024" may be a threshold, which the calendar leaves alone).
        text = re.sub(r"\bover (?=(?:19|20)\d\d\b)", "vs   ", text)
    blank = text
    over = OVER_PERIOD.search(text)
    if over is not None:
        # "month over month", "MoM": each period against the one before; the
        # words ask for the change, as "growth" does.
        # "period over period", "PoP": each period against the one before it
        unit = _OVER_UNITS.get(over.group(0)[:1], "month")
        reading.relation = "previous" if over.group(0)[:1] == "p" else f"{unit}_ago"
        reading.relation_words = over.group(0)
        reading.change = True
        blank = _blanked(blank, over.span())
    reading.compared = bool(
        re.search(
            r"\b(?:vs|versus|compared|compare|against|than|relative to|contrast|contrasted"
            r"|benchmark|benchmarked|juxtapose|juxtaposed|minus|beat|beats|outperform|outperformed"
            r"|outpace|outpaced|outdo|outdid|surpass|surpassed)\b",
            text,
        )
    )
    side = _SIDE_BY_SIDE.search(blank)
    if side is not None:  # "2025 and 2024 side by side", "web and mobile side by side"
        reading.compared = True
        blank = _blanked(blank, side.span())
    # With a change word, "from April to May" is May against April, not one range
    # (a range of days stays one: "growth between March 3 and March 9").
    # "compare this month to last", "compare April to May": with the verb
    # alone, "to" sets one period against the other, as a change word does.
    comparing = bool(_COMPARE_VERB.search(text)) and not _OTHER_COMPARE.search(text)
    found_periods = find_periods(blank, as_of, join_units=not (changed or comparing))
    if changed and _from_to(blank, found_periods):
        found_periods = [found_periods[1], found_periods[0]]
    elif _either_or(blank, text, found_periods):
        # "was revenue higher in 2025 or 2024", "April or May: which was better":
        # one against the other, the later one first (its change from the earlier)
        reading.compared = True
        found_periods = sorted(found_periods, key=lambda f: f.period.start or as_of, reverse=True)
    for found in found_periods:
        if _AGAINST.search(blank[: found.span[0]]) or (
            _UP_DOWN.search(blank[: found.span[0]]) and _ON.match(text[found.span[0] :])
        ):
            # "vs last month", "revenue up on last month" (the preposition is the
            # period's: "on last month").
            reading.against_period = True
            reading.change = reading.change or bool(_UP_DOWN.search(blank[: found.span[0]]))
        blank = _blanked(blank, _leaving_phrases(blank, found.span, phrasal))
        if found.relation is not None:
            reading.relation = found.relation
            reading.relation_words = found.period.label
            if _YEAR_OVER_YEAR.search(found.period.label):
                reading.change = True  # "YoY revenue": the change year over year
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
    each = _EACH_OF.search(text)
    if each is not None and reading.grain is None and reading.periods:
        # "revenue for each of the last 3 months": a row per month of them
        reading.grain = each.group(1)
    if over is not None and reading.grain is None and reading.periods:
        # "Orders month over month in 2025": each month of 2025 against the one
        # before, so by month.
        unit = reading.relation.removesuffix("_ago") if reading.relation else "month"
        days = reading.periods[0].days
        if days is not None and days > _UNIT_DAYS.get(unit, 31):
            reading.grain = unit
    return blank


_EACH_OF = re.compile(
    r"\b(?:each|every|per)\s+(?:one\s+)?of\s+(?:the\s+)?(?:last|past|previous|prior|trailing)"
    r"\s+\w+\s+(day|week|month|quarter|year)s\b"
)
_OVER_UNITS = {"d": "day", "w": "week", "m": "month", "q": "quarter"}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92}
_UP_DOWN = re.compile(r"\b(?:up|down)\s*$")
_ON = re.compile(r"(?:on|from)\b")
_SINCE_LAST = re.compile(r"\bsince (?:the )?(?:last|previous|prior) (week|month|quarter|year)\b")
#: "This year than last", "this month vs the previous": the unit said once,
#: for both periods.
_ELIDED_UNIT = re.compile(
    r"\b(?:this|last|previous|prior)\s+(?:(?:full|whole|complete|completed)\s+)?"
    r"(?P<unit>week|month|quarter|year)\b.{0,40}?"
    r"\b(?:than|vs|versus|against|to|with)\s+(?:the\s+)?"
    r"(?P<said>(?:last|previous|prior|preceding)(?:\s+one\b)?|one\s+(?:before|prior|earlier))"
    r"(?!\s+(?:\d|weeks?|months?|quarters?|years?|days?|one|few|couple)\b)"
)


#: Initials of a previous period, as reports write them ("vs LY", "PY", "LM").
#: The P- forms say "previous": after another period the unit before it ("LM vs
#: PM": May against April), alone the last one.
_INITIALS = {"ly": "last year", "py": "previous year", "lm": "last month", "lw": "last week"}
_INITIALS |= {"lq": "last quarter", "pq": "previous quarter", "pw": "previous week"}
_UNIT_INITIALS = re.compile(r"\b(ly|py|lm|lw|lq|pq|pw)\b")
#: "PM" is also the afternoon: the previous month only right after "vs".
_INITIALS_AFTER_VS = re.compile(r"(\b(?:vs|versus|against)\s+)pm\b")


#: "the last 3 months vs the 3 before (that)", "last 90 days vs the previous
#: 90": the unit said once, for both spans.
_ELIDED_COUNT = re.compile(
    r"\b(?:last|past|previous|trailing)\s+\d{1,3}\s+(?P<unit>days|weeks|months|quarters)\b"
    r".{0,40}?\b(?:than|vs|versus|against|to|with)\s+(?:the\s+)?"
    r"(?:(?:previous|prior|preceding)\s+(?P<n>\d{1,3})\b|(?P<m>\d{1,3})\s+(?:before|prior|earlier))"
    r"(?!\s+(?:days|weeks|months|quarters|years)\b)(?:\s+that\b)?"
)


def _count_said_again(match: re.Match[str]) -> str:
    whole, unit = match.group(0), match.group("unit")
    if match.group("n") is not None:  # "the previous 90": the previous 90 days
        cut = match.end("n") - match.start()
        return f"{whole[:cut]} {unit}{whole[cut:]}"
    cut = match.end("m") - match.start()  # "the 3 before that": the 3 months before
    return f"{whole[:cut]} {unit} before"


def _unit_said_again(match: re.Match[str]) -> str:
    whole, unit, said = match.group(0), match.group("unit"), match.group("said")
    head = whole[: match.start("said") - match.start()]
    if said.startswith("one"):  # "last month vs the one before": the month before
        return f"{head}{unit} before"
    # "vs the previous one", "vs last": the previous month
    return f"{head}{said.split()[0]} {unit}"


_SIDE_BY_SIDE = re.compile(
    r"\bside[\s-]+by[\s-]+side\b|\b(?:next to|alongside) (?:each other|one another)\b"
)
#: The verb "compare", and the other words that set one period against
#: another (with the verb alone, "compare April to May" is no range).
_COMPARE_VERB = re.compile(r"\bcompar(?:e|es|ing)\b")
_OTHER_COMPARE = re.compile(r"\b(?:vs|versus|against|than|compared|from|between|since)\b")
#: Ways of saying "vs" ("as opposed to 2024", "how does May stack up against
#: April"), read as "vs".
_COMPARE_IDIOMS = re.compile(
    r"(?<=\s)v\.?(?=\s)"
    r"|\b(?:in comparison (?:to|with)|in relation to|as opposed to|as compared (?:to|with)"
    r"|stack(?:s|ed)? up (?:against|to|with)|measure[sd]? up (?:against|to)"
    r"|next to(?! (?:each other|one another)\b))\b"
)
_SINCE_YEAR = re.compile(r"\bsince ((?:19|20)\d\d)\b(?![-/.]\d)")
_YEAR_OVER_YEAR = re.compile(r"\b(?:yoy|y/y|year[\s-]+(?:over|on)[\s-]+year)\b")
_FROM = re.compile(r"\b(?:from|between)\s+(?:the\s+)?$")
_TO = re.compile(r"^\s*(?:-|\u2013|to|and|until|till|through|thru)\s+(?:the\s+)?$")


def _from_to(text: str, found: Sequence[FoundPeriod]) -> bool:
    """Whether ``found`` is two periods said as the ends of a span ("from April
    to May", "between Q4 2025 and Q1 2026"): the later is the period asked
    about, the earlier its base."""
    if len(found) != 2 or any(f.relation is not None for f in found):
        return False
    first, second = found
    return bool(
        _FROM.search(text[max(0, first.span[0] - 16) : first.span[0]])
        and _TO.match(text[first.span[1] : second.span[0]])
        and first.period.start is not None
        and second.period.start is not None
        and first.period.start < second.period.start
    )


def _either_or(blank: str, text: str, found: Sequence[FoundPeriod]) -> bool:
    """Whether ``found`` is two periods offered as a choice with a word asking
    which is more ("higher in 2025 or 2024", "Q1 or Q2, which was better")."""
    if len(found) != 2 or any(f.relation is not None or f.period.start is None for f in found):
        return False
    first, second = found
    return bool(_OR.match(blank[first.span[1] : second.span[0]]) and _WHICH_MORE.search(text))


_OR = re.compile(r"^\s*,?\s*or\s+(?:in\s+|during\s+|for\s+)?(?:the\s+)?$")
_WHICH_MORE = re.compile(
    r"\b(?:which|whichever|higher|lower|more|less|better|worse|bigger|smaller|greater|larger"
    r"|best|worst|most|least|stronger|weaker)\b"
)


#: A comparison word right before a period ("vs last month", "up on last year").
_AGAINST = re.compile(
    r"\b(?:vs|versus|compared (?:to|with)|against|than|relative to|minus|(?:up|down) (?:on|from)"
    r"|ahead(?: of)?|behind|contrasted with|benchmarked against|beat|beats|outperform(?:ed)?"
    r"|outpace[d]?|outdo|outdid|surpass(?:ed)?)"
    r"(?: the)?\s*$"
)
#: Verbs whose "up"/"down" is part of the verb ("broken down by region", "sum
#: up", "drill down"); any other "up" or "down" asks how a metric moved
#: ("why is revenue down", "went up", "up on last month").
_PHRASAL_VERBS = """
    break drill sum add round look pull show write narrow set split slice cut boil line tally
    wrap roll open bring pick print mark price scale follow back trim make count total sign
    end turn join take give call fill keep build hold mix check clean start sort group note
    jot track shut hand stock load top meet team tot stack measure
"""
#: Forms the rules below do not make.
_IRREGULAR = """
    broke broken made wrote written brought took taken gave given built held kept met shown
    totalled summed jotted
"""


def _forms(base: str) -> set[str]:
    """A verb's regular forms: pick, picks, picked, picking (make: made by
    hand above; sum: summing; tally: tallied)."""
    forms = {base, base + "s", base + "ed", base + "ing"}
    if base.endswith("e"):
        forms |= {base + "d", base[:-1] + "ing"}
    if base.endswith("y") and base[-2] not in "aeiou":
        forms |= {base[:-1] + "ied", base[:-1] + "ies"}
    short = len(base) <= 4 and base[-3] not in "aeiou"
    if short and base[-1] in "bdgklmnprt" and base[-2] in "aeiou":
        forms |= {base + base[-1] + "ed", base + base[-1] + "ing"}
    return forms


_PHRASAL = frozenset(_IRREGULAR.split()).union(*(_forms(b) for b in _PHRASAL_VERBS.split()))


def _leaving_phrases(
    text: str, span: tuple[int, int], phrasal: frozenset[tuple[str, str]]
) -> tuple[int, int]:
    """``span`` without its first word when the word before it and that word
    are a phrase of the vocabulary ("how much did books bring in last
    quarter": "in" is the verb's)."""
    start, end = span
    first = re.match(r"([a-z]+)\s+", text[start:end])
    before = re.search(r"([a-z]+)\s+$", text[:start])
    if first and before and (stem(before.group(1)), first.group(1)) in phrasal:
        return start + first.end(), end
    return span


def _blanked(text: str, span: tuple[int, int]) -> str:
    a, b = span
    return text[:a] + " " * (b - a) + text[b:]


#: Words after "how" that ask for an amount ("how big", "how large").
_SIZE = frozenset({"big", "large", "high", "low", "small", "strong", "good", "bad"})
#: Verbs of becoming before "worse"/"better" ("getting worse").
_BECOMING = frozenset({"getting", "get", "gets", "got", "gotten", "becoming", "became", "grown"})


_MORE_OR_LESS = frozenset(
    {"worse", "better", "more", "less", "fewer", "higher", "lower", "bigger", "smaller"}
)


def read_cues(tokens: Sequence[Token], reading: Reading, used: set[int]) -> None:
    """Words asking how a metric moved ("growth") or for a part of a total
    ("share of", "percentage of", "% of")."""
    for index, token in enumerate(tokens):
        if index in used:
            continue
        following = tokens[index + 1].stem if index + 1 < len(tokens) else ""
        previous = tokens[index - 1].stem if index else ""
        before = tokens[index - 2].stem if index > 1 else ""
        if token.text in {"%", "pct"} and following in CHANGE_WORDS:
            used.add(index)  # "% change": the change in %, which a change has
        elif token.text in {"%", "pct"} and reading.relation and following != "of":
            used.add(index)  # "revenue YoY %": the change in %, which it has
        elif token.stem in {"up", "down"} and previous in _PHRASAL:
            # "ended up buying", "broken down by": a verb and its particle
            used.update((index - 1, index))
        elif (
            token.stem in {"up", "down"}
            and following in {"by", "into", "per", "across"}
            and any(t.text in _PHRASAL for t in tokens[max(0, index - 4) : index - 1])
        ):
            used.add(index)  # "break revenue down by region": the verb's, apart
        elif token.stem in ACQUIRING and previous in {"we", "they", "you", "i"}:
            continue  # "did we gain customers": a verb of winning them, no change
        elif token.stem in CHANGE_WORDS or (
            token.stem in {"up", "down"} and following not in {"to", "until", "till"}
        ):
            reading.change = True
            used.add(index)
        elif token.stem in _MORE_OR_LESS and previous in _BECOMING:
            # "is the cancellation rate getting worse", "are we getting more
            # orders": how it moved
            reading.change = True
            used.update((index - 1, index))
        elif (
            token.stem == "same"
            and following in {"day", "days", "date", "dates", "period"}
            and (reading.compared or reading.relation is not None)
        ):
            # "this year vs last year, same days": how they are set side by side
            used.update((index, index + 1))
        elif token.stem in _SIZE and previous == "how":
            used.add(index)  # "how big was revenue", "how large were sales": how much
        elif token.stem == "often" and previous == "how":
            # "how often were orders cancelled": the part of orders, a rate
            reading.share = True
            used.add(index)
        elif token.stem in SHARE_WORDS and before == "as" and previous in {"a", "an"}:
            # "... as a percentage"
            reading.share = True
            used.add(index)
        elif (
            (token.stem in SHARE_WORDS and (token.stem != "percentage" or following == "of"))
            or (token.text in SHARE_WORDS_WITH_OF and following == "of")
            # "how much of our revenue comes from Germany": a part of the total
            or (token.stem == "much" and previous == "how" and following == "of")
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
        if left is None and right is not None:
            # "what fraction of our revenue was margin": the metric said after
            # the whole, over the whole
            left = next(
                (
                    m
                    for m in metrics
                    if m.start > right.end
                    and {t.stem for t in tokens[right.end : m.start]} <= BEING
                ),
                None,
            )
        if left is None or right is None or left.term.name == right.term.name:
            continue
        used.update(range(index, cue_end))
        set_ratio(reading, vocab, (left.term.name, right.term.name))
        return


def ratio_of(tokens: Sequence[Token], matches: Sequence[Match]) -> tuple[Match, Match] | None:
    """ "The ratio of returned orders to orders", "returns to orders ratio",
    "cancelled orders out of all orders": the first metric over the second, as
    (numerator, denominator)."""
    metrics = [m for m in matches if m.term.kind == "metric"]
    for left, right in itertools.pairwise(metrics):
        between = [t.stem for t in tokens[left.end : right.start]]
        if between in (["out", "of"], ["out", "of", "the"], ["out", "of", "all"]):
            return left, right  # "cancelled orders out of all orders"
        if between not in (["to"], ["vs"], ["versus"], ["over"], ["against"]):
            continue
        before = [t.stem for t in tokens[max(0, left.start - 2) : left.start]]
        after = tokens[right.end].stem if right.end < len(tokens) else ""
        if before[-2:] == ["ratio", "of"] or after == "ratio":
            return left, right
    return None


def set_ratio(reading: Reading, vocab: Vocabulary, pair: tuple[str, str]) -> None:
    """A metric over a metric: the layer's own ratio when it defines one."""
    defined = vocab.ratios.get(pair)
    if defined is not None and pair[0] in reading.metrics:
        at = reading.metrics.index(pair[0])
        reading.metrics[at] = defined
        reading.metrics = dedupe(m for m in reading.metrics if m != pair[1])
    else:
        reading.ratio = pair


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
