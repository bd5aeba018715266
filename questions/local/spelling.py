"""How a misspelt word is told from the word meant: the edit distance
(insertions, deletions, changed letters and two neighbours swapped), letters
doubled or not, and each word's own limit by its length. Used by the
vocabulary's fuzzy matching and by the English cue words' spelling."""

from __future__ import annotations

import re

from questions.local.english import neighbour_slip


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
    if len(said) <= 4 and len(known) == len(said):
        # two neighbours swapped ("nwe new") or a key next to the right one
        # ("raye rate"), never any other letter changed
        swapped = sorted(said) == sorted(known) and edit_distance(said, known, 1) == 1
        return swapped or neighbour_slip(said, known)
    allowed = 1 if len(said) < 9 else 2
    return edit_distance(said, known, allowed) <= allowed


def single_letters(word: str) -> str:
    """``word`` with each run of one letter written once ("channel": "chanel")."""
    return _RUNS.sub(r"\1", word)


_RUNS = re.compile(r"(.)\1+")


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
