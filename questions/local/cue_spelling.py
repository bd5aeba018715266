"""The spelling of the English words that say periods, changes, shares and
ranks ("yestreday", "grwoth", "lsat monh", "Febuary", "this yr", "lastweek"),
corrected before the calendar reads the text, each correction said.

Used by :func:`questions.local.cues.read_periods`.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from analytics_core.periods import MONTHS, PERIOD_WORDS
from analytics_core.periods.calendar import WEEKDAYS
from questions.local.english import (
    BOTTOM_WORDS,
    CHANGE_WORDS,
    GRAIN_WORDS,
    REAL_WORD_SLIPS,
    SHARE_WORDS,
    STOPWORDS,
    TOP_WORDS,
    TREND_WORDS,
    neighbour_slip,
)
from questions.local.spelling import (
    edit_distance,
    filler_slip,
    is_english,
    plurals,
    single_letters,
    word_close,
)
from questions.local.vocabulary import stem

if TYPE_CHECKING:
    from questions.local.reading import Reading

_MONTH_NAMES = tuple(MONTHS)


#: The English words the engine reads besides the vocabulary's (a change, a
#: share, a rank, a trend, a grain, a period, a comparison): a misspelling of
#: one ("grwoth", "yestreday", "percantage", "yaer") is corrected like any
#: other, when exactly one of them is that close, and said.
_MORE_CUES = """
    yesterday today weekend fortnight week month quarter year compared compare comparison
    versus previous percent average between since through during before after until
    against same half first second
"""
CUE_WORDS = frozenset(
    w
    for w in (
        CHANGE_WORDS
        | SHARE_WORDS
        | TOP_WORDS
        | BOTTOM_WORDS
        | TREND_WORDS
        | frozenset(GRAIN_WORDS)
        | frozenset(WEEKDAYS)
        | frozenset(_MORE_CUES.split())
    )
    if len(w) >= 4
)
#: Real words a letter away from a cue word, never corrected into it.
_REAL_WORDS = frozenset(
    {"last", "lost", "worse", "better", "lower", "higher", "lesser", "latest", "later"}
    | {"greater", "grower", "drops"}
)


def _slip_of_known(word: str, known: frozenset[str]) -> bool:
    """Whether ``word`` is also a slip of one of the vocabulary's own words
    (or of its plural), grammar and cue words aside."""
    return any(
        k[0] == word[0]
        and k not in CUE_WORDS
        and k not in STOPWORDS
        and len(k) >= 3
        and abs(len(k) - len(word)) <= 3
        and (any(word_close(word, form) for form in (k, *plurals(k))) or word_close(stem(word), k))
        for k in known
    )


def _nearest(word: str, close: Sequence[str], many: bool = False) -> str | None:
    """The one of ``close`` that ``word`` is a slip of: the nearest ("percentae":
    percentage, a letter off, before percent, two), then the key next to the
    right one ("comparef": compared), then forms of one word ("compard":
    compare or compared, the same cue); with ``many`` (after a number above
    one) the plural ("30 dasy": days, not day). None when still several."""
    if len(close) > 1:
        distances = {c: edit_distance(word, c, 3) for c in close}
        close = [c for c in close if distances[c] == min(distances.values())]
    if len(close) > 1:
        keyed = [c for c in close if neighbour_slip(word, c)]
        close = keyed if len(keyed) == 1 else close
    if len(close) > 1 and many:
        plural = [c for c in close if c.endswith("s")]
        close = plural if len(plural) == 1 else close
    if len(close) > 1 and _forms_of_one(close):
        close = [min(close, key=len)]
    return close[0] if len(close) == 1 else None


def _forms_of_one(words: Sequence[str]) -> bool:
    """Whether ``words`` are forms of one word ("compare", "compared")."""
    base = min(words, key=len).removesuffix("e")
    return all(w.startswith(base) and w[len(base) :] in _ENDINGS for w in words)


_ENDINGS = frozenset({"", "e", "d", "ed", "s", "es", "ing"})


def _spelt_right(word: str, known: frozenset[str]) -> bool:
    """Whether ``word`` is one the engine knows as it is (a cue word, a filler,
    a month, the vocabulary's, or a real word close to a cue)."""
    return (
        word in CUE_WORDS
        or word in STOPWORDS
        or word in known
        or word in _REAL_WORDS
        or word in MONTHS
        or stem(word) in known
        or stem(word) in STOPWORDS
    )


def _cues_spelt_right(text: str, reading: Reading, known: frozenset[str]) -> str:
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if _spelt_right(word, known):
            return word
        if word.endswith("s") and (word[:-1] in CUE_WORDS or stem(word) in CUE_WORDS):
            return word  # "mondays" is a plural, not a misspelt "monday"
        # Four letters: only two neighbours swapped ("yaer"), or, in no English
        # word, one letter changed ("wrek"); five or more: one slip.
        four = len(word) == 4
        close = [
            c
            for c in CUE_WORDS
            if (len(word) >= 5 and word_close(word, c))
            or (four and len(c) == 4 and word_close(word, c))
            or (
                four
                and len(c) == 4
                and c[0] == word[0]
                and edit_distance(word, c, 1) == 1
                and not is_english(word)
                and filler_slip(word) is None  # "weee": week or were, so neither
            )
        ]
        if len(word) == 3 and not is_english(word):
            # "latest ful quarter": a doubled letter typed once
            close += [c for c in PERIOD_WORDS | CUE_WORDS if single_letters(c) == word != c]
        if len(word) >= 5:
            # "sprnig", "thanksgivng": the calendar's other words, in no English
            # word, or two neighbours swapped ("trialing 12 months")
            english = is_english(word)
            close += [
                c
                for c in _PERIOD_CUES
                if word_close(word, c)
                and (not english or (sorted(c) == sorted(word) and edit_distance(word, c, 1) == 1))
            ]
        right = _nearest(word, close)
        if right is None or _slip_of_known(word, known):
            # none, several, or a slip of a vocabulary word too ("untis": units
            # or until): the vocabulary's own reading, or none, decides
            return word
        reading.fuzzy.append((word, right))
        return right

    return re.sub(r"[a-z]+", fix, text)


#: The calendar's words beyond the cues (holidays, seasons, parts, ordinals).
_PERIOD_CUES = frozenset(
    w for w in PERIOD_WORDS - CUE_WORDS - STOPWORDS if len(w) >= 5 and w not in MONTHS
)


#: Words before a unit that say which one. A slip of one right before a unit
#: ("lst month", "ths week", "thhis quarter", "lsat year", "ladt month") is
#: that word when only one is that close: otherwise the unit alone would be
#: read as no period at all.
_UNIT_CUES = ("last", "past", "this", "next")
_NUMBER_GAP = re.compile(r"\s+(?:(\d{1,4})\s+)?")
_SHORT_BEFORE_UNIT = re.compile(
    r"\b([a-z]{3,5})(?=\s+(?:\d{1,4}\s+)?(?:days?|weeks?|months?|quarters?|years?|qtrs?|yrs?"
    r"|wks?|mths?)\b)"
)


def _both_spelt_right(text: str, reading: Reading, known: frozenset[str]) -> str:
    """ "lsat monh", "tihs quuarter": a unit's cue word and the unit both
    misspelt (each alone is read by the passes after this one), corrected
    together when each is a slip of exactly one."""

    def slip_of(word: str, words: Sequence[str], many: bool) -> str | None:
        if word in words:
            return word
        if word in STOPWORDS or word in known:
            return None
        close = [
            w
            for w in words
            if (len(word) == 3 and edit_distance(word, w, 1) == 1)
            or (len(word) > 3 and word_close(word, w))
        ]
        return _nearest(word, close, many)

    words = list(re.finditer(r"[a-z]+", text))
    out, at = [], 0
    for first, second in itertools.pairwise(words):
        cue, unit = first.group(0), second.group(0)
        gap = _NUMBER_GAP.fullmatch(text[first.end() : second.start()])
        if first.start() < at or gap is None:
            continue  # "lsat monh", "ladst 30 dyas": nothing else between
        if cue in _UNIT_CUES or unit in _UNIT_WORDS:
            continue  # one of them right: the passes after read the other
        many = gap.group(1) is not None and int(gap.group(1)) > 1
        right_cue = slip_of(cue, _UNIT_CUES, False)
        right_unit = slip_of(unit, _UNIT_WORDS, many)
        if right_cue is None or right_unit is None:
            continue
        reading.fuzzy.extend([(cue, right_cue), (unit, right_unit)])
        out += [text[at : first.start()], f"{right_cue}{gap.group(0)}{right_unit}"]
        at = second.end()
    return "".join([*out, text[at:]])


def _unit_cues_spelt_right(text: str, reading: Reading, known: frozenset[str]) -> str:
    def fix(match: re.Match[str]) -> str:
        word = match.group(1)
        if word in STOPWORDS or word in known or word in CUE_WORDS or word in _UNIT_CUES:
            return word
        close = [
            c
            for c in _UNIT_CUES
            if (len(word) == 3 and edit_distance(word, c, 1) == 1)
            or (len(word) > 3 and word_close(word, c))
        ]
        right = _nearest(word, close)
        if right is None or _slip_of_known(word, known):
            # none, several, or a slip of a vocabulary word too ("untis": units
            # or until): the vocabulary's own reading, or none, decides
            return word
        reading.fuzzy.append((word, right))
        return right

    return _SHORT_BEFORE_UNIT.sub(fix, text)


def real_word_slips(text: str, reading: Reading) -> str:
    """Real words typed for others (``english.REAL_WORD_SLIPS``: "the passed
    week", "sails by category"), corrected by the words around them, and said."""

    for pattern, replacement in REAL_WORD_SLIPS:
        text = pattern.sub(functools.partial(_slip_fixed, replacement, reading), text)
    return text


def _slip_fixed(replacement: str, reading: Reading, match: re.Match[str]) -> str:
    new = match.expand(replacement)
    said = [(a, b) for a, b in zip(match.group(0).split(), new.split(), strict=False) if a != b]
    reading.fuzzy.extend(said)
    return new


#: Short words that run into the next or the one before ("byregion", "inmay").
_JOINERS = frozenset({"by", "in", "per", "for", "of", "on", "vs", "and"})


def _run_together(text: str, reading: Reading, known: frozenset[str]) -> str:
    """ "lastweek", "grossmargin", "newcustomers": two words with the space
    left out, split when exactly one split makes two words the engine knows
    (of the layer's phrases, or a unit and the word saying which one), and
    said."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in known or word in STOPWORDS or word in CUE_WORDS or word in MONTHS:
            return word
        if stem(word) in known or stem(word) in STOPWORDS:
            return word
        splits = [
            (word[:i], word[i:])
            for i in range(2, len(word) - 1)
            if (len(word) >= 6 and word[:i] in known and stem(word[i:]) in known)
            or (word[:i] in _UNIT_CUES and word[i:] in _UNIT_WORDS)
            # "onthe", "forthe": two fillers, in no English word
            or (word[:i] in STOPWORDS and word[i:] in STOPWORDS and not is_english(word))
            # "byregion", "inmay", "revenueby": a filler and a word the engine knows
            or (
                len(word) >= 5
                and not is_english(word)
                and (
                    (word[:i] in _JOINERS and (stem(word[i:]) in known or word[i:] in MONTHS))
                    or (len(word) - i <= 3 and word[:i] in known and word[i:] in _JOINERS)
                )
            )
        ]
        if len(splits) != 1:
            return word
        split = " ".join(splits[0])
        reading.fuzzy.append((word, split))
        return split

    return re.sub(r"[a-z]{4,}", fix, text)


def _months_spelt_right(text: str, reading: Reading) -> str:
    """ "Febuary", "Septmber": a misspelt month name, corrected when one month
    is that close (and the correction said)."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) == 3 and sorted(word) == sorted("may") and word[0] == "m" and word != "may":
            reading.fuzzy.append((word, "May"))  # "mya": the one three-letter month
            return "may"
        if word in MONTHS or word in STOPWORDS or len(word) < 4:
            return word
        filler = filler_slip(word) if len(word) == 4 else None
        if len(word) == 4 and (is_english(word) or (filler and neighbour_slip(word, filler))):
            return word  # "mach", "jane": words; "mamy": many (n next to m), not May
        allowed = 1 if len(word) < 8 else 2
        close = [
            m
            for m in _MONTH_NAMES
            if m[0] == word[0]
            and edit_distance(word, m, allowed) <= allowed
            # four letters: a letter missing ("mrch") or two swapped ("jnue")
            and (len(word) > 4 or len(m) > 4 or sorted(m) == sorted(word))
        ]
        if len(close) != 1:
            return word
        reading.fuzzy.append((word, close[0].capitalize()))
        return close[0]

    text = re.sub(r"[a-z]+", fix, text)

    def fix_unit(match: re.Match[str]) -> str:
        cue, word = match.group(1), match.group(2)
        if word in _UNIT_WORDS or word in STOPWORDS:
            return match.group(0)
        close = [u for u in _UNIT_WORDS if u[0] == word[0] and edit_distance(word, u, 1) <= 1]
        number = re.search(r"\d+", cue)
        right = _nearest(word, close, number is not None and int(number.group(0)) > 1)
        if right is None:
            return match.group(0)
        reading.fuzzy.append((word, right))
        return f"{cue}{right}"

    def unabbreviate(match: re.Match[str]) -> str:
        word = match.group(2)
        plural = word.endswith("s")
        unit = _UNIT_ABBREVIATIONS[word[:-1] if plural else word] + ("s" if plural else "")
        reading.fuzzy.append((word, unit))
        return match.group(1) + unit

    # "this yr", "3 mths", "last qtr": a unit's abbreviation (after a number or
    # a word that wants a unit, for the short ones that are other words too).
    text = _MONTHS_ABBREVIATED.sub(unabbreviate, _UNIT_ABBREVIATED.sub(unabbreviate, text))
    # "last weak", "this mnth": a misspelt unit after a word that wants one.
    return _UNIT_AFTER.sub(fix_unit, text)


_UNIT_WORDS: tuple[str, ...] = ("day", "days", "week", "weeks", "month", "months")
_UNIT_WORDS += ("quarter", "quarters", "year", "years")
_CUES_AND_UNITS = CUE_WORDS | frozenset(_UNIT_WORDS)
_UNIT_ABBREVIATIONS = {"yr": "year", "wk": "week", "qtr": "quarter", "mth": "month"}
_UNIT_ABBREVIATIONS |= {"mnth": "month", "mo": "month"}
_UNIT_ABBREVIATED = re.compile(r"()\b(yrs?|wks?|qtrs?|mths?|mnths?)\b")
_MONTHS_ABBREVIATED = re.compile(
    r"(\b(?:last|this|next|past|previous|prior|per|each|every|a|one|\d+)\s*)(mos?)\b"
)
_WANTS_UNIT = "last|this|next|past|previous|prior|per|each|every|the|same"
#: A word that wants a unit, then maybe a number, then the word that may be a
#: misspelt unit (never itself a word that wants one: "the last wek").
_UNIT_AFTER = re.compile(
    rf"\b((?:{_WANTS_UNIT})\s+(?:\d{{1,4}}\s+)?)(?!(?:{_WANTS_UNIT})\b)([a-z]{{3,9}})\b"
)


def _fillers_spelt_right(text: str, reading: Reading, known: frozenset[str]) -> str:
    """ "brek down", "that wre returned", "compared wuth": a slip of a filler
    (:func:`questions.local.spelling.filler_slip`) corrected before anything
    reads the text, so that the phrases it belongs to read as they would spelt
    right ("brek down" is no "down"); never a word of the vocabulary's, a cue
    word, a month, a word the calendar reads, an English word (what reads it
    decides: "three" is no "there") or a slip of one of the vocabulary's
    words."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if _spelt_right(word, known) or word in PERIOD_WORDS:
            return word  # "yoy", "eve": the calendar's
        filler = filler_slip(word)
        if filler is None or is_english(word) or _slip_of_known(word, known):
            return word  # "three" is no "there": a word is left to what reads it
        if filler in known or stem(filler) in known:
            return word  # "shoq": show, or shop (a store), so left to the end
        cues = [c for c in _CUES_AND_UNITS if c[0] == word[0] and edit_distance(word, c, 1) <= 1]
        if cues and not (
            neighbour_slip(word, filler) and not any(neighbour_slip(word, c) for c in cues)
        ):
            # "dats": days or data, so neither; but "weee" is were (the key
            # next to r), not week
            return word
        reading.fuzzy.append((word, filler))
        return filler

    return re.sub(r"(?<![\w'-])[a-z]+(?![\w'-])", fix, text)
