"""How a misspelt word is told from the word meant: the edit distance
(insertions, deletions, changed letters and two neighbours swapped), letters
doubled or not, and each word's own limit by its length. Used by the
vocabulary's fuzzy matching and by the English cue words' spelling."""

from __future__ import annotations

import re
from functools import cache

from questions.local.english import (
    BOTTOM_WORDS,
    CHANGE_WORDS,
    CHAT_WORDS,
    GRAIN_NOUNS,
    SHARE_WORDS,
    STOPWORDS,
    TOP_WORDS,
    neighbour_slip,
)


def word_close(said: str, known: str) -> bool:
    """Whether one word of a phrase is a slip of the known word, by the rules
    for a word alone: none under four letters, a letter more or less in four,
    one edit up to eight letters, two beyond (a doubled letter is one). In a
    phrase, a word of three or four letters may miss or add one ("rte rate"),
    swap two ("nwe new") or have one typed as the key next to it ("raye")."""
    if said == known:
        return True
    if len(said) < 3 or said[0] != known[0]:
        return False
    if single_letters(said) == single_letters(known):
        return True
    if moved_letter(said, known):
        return True
    if len(said) <= 4 and len(known) == len(said):
        # two neighbours swapped ("nwe new") or a key next to the right one
        # ("raye rate"), never any other letter changed
        swapped = sorted(said) == sorted(known) and edit_distance(said, known, 1) == 1
        return swapped or neighbour_slip(said, known)
    allowed = 1 if len(said) < 9 else 2
    return edit_distance(said, known, allowed) <= allowed


def moved_letter(said: str, known: str) -> bool:
    """Whether ``said`` is ``known`` (six letters or more) with one letter
    moved elsewhere ("maring" for "margin", "reveune" for "revenue"): the
    same letters, two edits apart, the first in place."""
    return (
        len(said) >= 6
        and len(said) == len(known)
        and said[0] == known[0]
        and sorted(said) == sorted(known)
        and edit_distance(said, known, 2) == 2
    )


def _vowel_lost(said: str, known: str) -> bool:
    """Whether the one letter ``said`` changed of ``known`` was a vowel typed
    as a consonant."""
    changed = [(a, b) for a, b in zip(said, known, strict=True) if a != b]
    return len(changed) == 1 and changed[0][1] in "aeiou" and changed[0][0] not in "aeiouy"


def single_letters(word: str) -> str:
    """``word`` with each run of one letter written once ("channel": "chanel")."""
    return _RUNS.sub(r"\1", word)


_RUNS = re.compile(r"(.)\1+")


def plurals(phrase: str) -> tuple[str, ...]:
    """The ways the last word of ``phrase`` may be made plural."""
    if phrase.endswith("y"):
        return (f"{phrase}s", f"{phrase[:-1]}ies")
    return (f"{phrase}s", f"{phrase}es")


def slip_distance(stem: str, written: str, known: str, allowed: int) -> int:
    """How many slips a word (its ``stem`` and as ``written``) is from the
    ``known`` phrase, or more than ``allowed``: compared with the plural too
    ("untis": units, "categoriees": categories); letters doubled or not
    ("chanell", "adresss"), the slip people make most, and one letter moved
    ("maring") count as one whatever the length."""
    forms = plurals(known) if written.endswith("s") else ()
    distance = min(
        edit_distance(stem, known, allowed),
        edit_distance(written, known, allowed),
        *(edit_distance(written, p, allowed) for p in forms),
    )
    if distance > allowed and (
        single_letters(stem) == single_letters(known)
        or any(single_letters(written) == single_letters(p) for p in forms)
        or moved_letter(written, known)
    ):
        return 1
    return distance


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, replace, swap two
    neighbours), or ``limit + 1`` once it is certainly more than ``limit``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@cache
def _english_words() -> frozenset[str]:
    # Loaded on the first word that needs it (about 0.3 s, once a process): a
    # question spelt right never pays for it.
    from spellchecker import SpellChecker

    words = SpellChecker(language="en", distance=1).word_frequency.dictionary
    return frozenset(w for w in words if w.isalpha())


def is_english(word: str) -> bool:
    """Whether ``word`` is an English word at all (of a word list with every
    form: "shipped", "lost", "fist"), the engine's vocabulary aside. A slip
    that makes another real word may mean that word, and is corrected only by
    the strictest rules; one that makes no word ("wuth", "whoch") may be
    corrected by one changed letter."""
    return word in _english_words()


def filler_slip(word: str) -> str | None:
    """The short filler ``word`` is a slip of (a letter missing, two neighbours
    swapped, a letter doubled, from five letters one more), if any: fillers
    mean nothing, so which of several it is changes nothing, and the first is
    said. A changed letter only in a word that is no English word ("wuth",
    "feom"; "lost" is no slip of "list": it means something the engine does
    not have), never for a word with digits. A filler's form with "s"
    ("cmes": comes) is one too, when it is a word."""
    if len(word) >= 6 and word.isalpha() and not is_english(word):
        # "realtive", "borken", "aquire": a long filler's slip, by the rules
        # for any word, in a word that is no English word
        long = [w for w in _LONG_FILLERS if word_close(word, w)]
        meaning = TOP_WORDS | BOTTOM_WORDS | CHANGE_WORDS | SHARE_WORDS
        if long and not any(word_close(word, w) for w in meaning - set(long) if len(w) >= 6):
            return min(long, key=lambda w: (edit_distance(word, w, 3), w))
    if not 2 <= len(word) <= 6 or not word.isalpha():
        return None
    if any(w[0] == word[0] and edit_distance(word, w, 1) <= 1 for w in _MEANINGFUL):
        return None  # "mst": must, or most (a rank), so neither
    close = _close_fillers(word)
    if not close and len(word) >= 3 and not is_english(word):
        # the first two letters swapped ("iwth", "hte"): the one slip that
        # changes the first letter
        close = {w for w in _SHORT_FILLERS if w == word[1] + word[0] + word[2:]}
    if not close and len(word) >= 4 and word.endswith("s") and not is_english(word):
        close = {f"{w}s" for w in _close_fillers(word[:-1]) if is_english(f"{w}s")}
    if not close or (len(close) > 1 and len(word) < 3):
        return None
    # All fillers alike ("frm": from or firm): a filler whichever it is, the
    # nearest first ("weee": were, a letter off, before we, two).
    return min(close, key=lambda w: (edit_distance(word, w, 3), w))


def _close_fillers(word: str) -> set[str]:
    return {
        w
        for w in _SHORT_FILLERS
        if w[0] == word[0]
        and (
            (len(w) == len(word) + 1 and edit_distance(word, w, 1) == 1)
            or (
                len(w) == len(word) and sorted(w) == sorted(word) and edit_distance(word, w, 1) == 1
            )
            or (single_letters(word) == w != word)
            # a vowel typed as the consonant key next to it ("frpm"): no word
            # is left with its vowel turned a consonant that way, unlike a
            # vowel for a vowel ("lost" is no slip of "list")
            or (len(word) >= 4 and neighbour_slip(word, w) and _vowel_lost(word, w))
            # a letter more, from five letters ("frpom", "ferom")
            or (len(word) >= 5 and len(word) == len(w) + 1 and edit_distance(word, w, 1) == 1)
            # one letter typed as the key next to it, in a word that is no
            # word ("wuth", "eaxh"; "mst" is no "met": s is not next to e)
            or (len(word) >= 3 and neighbour_slip(word, w) and not is_english(word))
        )
    }


#: Short words that mean something (a rank, a change, a share): a slip as
#: close to one of them as to a filler is neither.
_MEANINGFUL = tuple(
    w for w in TOP_WORDS | BOTTOM_WORDS | CHANGE_WORDS | SHARE_WORDS if 3 <= len(w) <= 7
)
#: Fillers of six letters or more ("relative", "broken", "acquire"), a slip of
#: which is one by the rules for any word.
_LONG_FILLERS = tuple(
    sorted(w for w in STOPWORDS if w.isalpha() and len(w) >= 6 and w not in CHAT_WORDS)
)
#: Fillers a slip may be read as: not those that mean something where they
#: stand ("by monh" is no filler: a month is a breakdown, a period's unit).
_SHORT_FILLERS = tuple(
    sorted(
        w
        for w in STOPWORDS
        if w.isalpha()
        and 2 <= len(w) <= 5
        and w.removesuffix("s") not in GRAIN_NOUNS
        and w not in TOP_WORDS | BOTTOM_WORDS | CHAT_WORDS
    )
)


def base_forms(participle: str) -> set[str]:
    """ "cancelled" -> cancel, "returned" -> return, "shipped" -> ship, "placed" ->
    place, "delivered" -> deliver (every spelling the rule could mean)."""
    stem = participle.removesuffix("ed")
    forms = {stem, participle.removesuffix("d")}
    if len(stem) > 3 and stem[-1] == stem[-2]:
        forms.add(stem[:-1])
    return {f for f in forms if len(f) > 2}
