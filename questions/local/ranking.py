"""A ranking by how much a metric moved: "which region grew the most last
quarter", "the biggest drop in orders by channel", "fastest growing products
this year", "which category declined the most year over year".

With a rank word ("most", "biggest", "fastest") next to a change word
("grew", "increase", "drop") the rows are the period comparison's, ranked by
the change (``m__change``) rather than by the metric: the region that grew
most is seldom the largest one. Speed words ("fastest", "slowest") and a
percent sign rank by the change in % (``m__change_pct``), since growing fast
is growing relative to where one was; other words by the change itself.

The direction follows the words: a size word ("biggest", "least") ranks the
change in the direction of the change word (the biggest drop is the most
negative change first, the smallest drop the least negative); a judging word
("best", "worst") ranks the change itself (the worst decline is the largest).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from questions.local.english import CHANGE_WORDS, STOPWORDS
from questions.local.vocabulary import Token

if TYPE_CHECKING:
    from questions.local.reading import Reading

#: Change words that say the metric went down.
_FALLING = """
    decrease decreased decreasing decline declined declining drop dropped dropping
    fall fell fallen falling dip dipped shrink shrank shrunk worsen worsened down
    plunge plunged slump slumped tank tanked lag lagged lagging
"""
FALLING = frozenset(_FALLING.split())
#: Rank words that judge rather than measure: the best growth is the largest
#: change, the worst decline the most negative one.
_JUDGING = {"best": True, "strongest": True, "worst": False, "weakest": False}
#: Rank words about speed: a change relative to where the metric was.
_SPEED = frozenset({"fastest", "slowest", "quickest"})
_PERCENT = frozenset({"%", "percent", "percentage", "pct", "relative", "relatively"})
#: The most words between a rank word and its change word ("top 5 products by
#: revenue growth").
_REACH = 5


#: Words that sort without cutting ("highest first", "in descending order",
#: "from lowest to highest"): True sorts the largest first.
_SORTS = {
    "descending": True,
    "desc": True,
    "ascending": False,
    "asc": False,
}
_FIRST = {"highest": True, "largest": True, "biggest": True, "most": True, "lowest": False}
_FIRST |= {"smallest": False, "least": False, "fewest": False}
_ENDS = frozenset({"high", "low", *_FIRST})


def read_sort(tokens: Sequence[Token], reading: Reading, used: set[int]) -> None:
    """A sort order said in words, read before any top or bottom: "revenue by
    region, highest first", "orders by channel ascending", "from highest to
    lowest", "high to low". Not a ranking: every row is kept."""
    stems = [t.stem for t in tokens]
    for i, word in enumerate(stems):
        nxt = stems[i + 1] if i + 1 < len(stems) else ""
        if word in _SORTS:
            reading.sort = _SORTS[word]
            used.update(
                j for j in (i - 1, i, i + 1) if 0 <= j < len(stems) and stems[j] in {"in", "order"}
            )
            used.add(i)
        elif word in _FIRST and nxt == "first":
            reading.sort = _FIRST[word]
            used.update((i, i + 1))
        elif i + 2 < len(stems) and nxt == "to" and {word, stems[i + 2]} <= _ENDS:
            # "from highest to lowest", "high to low"
            reading.sort = _FIRST.get(word, word == "high")
            used.update((i, i + 1, i + 2))
            if i and stems[i - 1] == "from":
                used.add(i - 1)


def read_rank_change(tokens: Sequence[Token], reading: Reading, used: set[int]) -> None:
    """Rank by the change when the rank word goes with a change word: the two
    at most a few words apart with only read words or grammar between."""
    if reading.top is None or reading.top_at is None or not reading.change:
        return
    at = reading.top_at
    near = [
        index
        for index, token in enumerate(tokens)
        if (token.stem in CHANGE_WORDS or token.stem in {"up", "down"})
        and abs(index - at) <= _REACH
        and all(
            j in used or tokens[j].stem in STOPWORDS
            for j in range(min(index, at) + 1, max(index, at))
        )
    ]
    if not near:
        return
    change = min(near, key=lambda index: abs(index - at))
    word, falling = tokens[at].stem, tokens[change].stem in FALLING
    descending = _JUDGING.get(word, reading.top[0] != falling)
    reading.top = (descending, reading.top[1])
    relative = word in _SPEED or any(t.stem in _PERCENT or t.text in _PERCENT for t in tokens)
    reading.rank_change = "change_pct" if relative else "change"
