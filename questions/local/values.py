"""Which rows a question keeps: the values it names, each a filter on its
dimension, negated after "excluding", "except", "other than", "non-" or "all
... but", the negation covering the values listed after it ("excluding web
and mobile"); kept whole after "including"; never the verb a value is also
spelt as ("did we book": not the category "books").

Used by :func:`questions.local.reading.read_question`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from questions.local.english import INCLUDING, NEGATION_CUES, SKIPPED
from questions.local.roles import _word_before
from questions.local.vocabulary import Match, Term, Token

if TYPE_CHECKING:
    from questions.local.reading import Reading


def read_filters(tokens: Sequence[Token], matches: Sequence[Match], reading: Reading) -> None:
    """Values: filters (or comparisons), negated after "excluding" and the like;
    not after "including" (all rows, those too) or a subject ("did we book":
    a verb, not the value "books"). A negation covers the values listed after
    it ("excluding web and mobile", "other than books or toys")."""
    negated_ends: dict[str, int] = {}
    for match in matches:
        if match.term.kind != "value":
            continue
        cue = _word_before(tokens, match.start)
        if cue is not None and tokens[cue].stem in INCLUDING:
            reading.notes.append(f"“{match.words}” included, not a filter")
            continue
        if match.start and tokens[match.start - 1].stem in _SUBJECTS:
            reading.notes.append(f"“{match.words}” read as a verb")
            continue
        term = _disambiguate(match, matches)
        negated = _negated(tokens, match.start) or _listed_after(
            tokens, match.start, negated_ends.get(term.name)
        )
        if negated:
            negated_ends[term.name] = match.end
        key = (term.name, "not in" if negated else "in")
        values = reading.filters.setdefault(key, [])
        if term.value and term.value not in values:
            values.append(term.value)


#: Pronouns before a word that make it their verb ("did we book").
_SUBJECTS = frozenset({"we", "they", "you", "i"})


def _negated(tokens: Sequence[Token], start: int) -> bool:
    """Whether the value starting at ``start`` is excluded ("excluding the
    partner channel", "except store", "other than web", "non-EMEA",
    "everything but electronics")."""
    index = start - 1
    while index >= 0 and tokens[index].stem in SKIPPED and start - index <= 3:
        index -= 1
    if index < 0:
        return False
    word = tokens[index].stem
    if word in NEGATION_CUES or (word == "non" and index == start - 1):
        return True
    if word == "but":
        return any(t.stem in _ALL_OF for t in tokens[max(0, index - 3) : index])
    return word == "than" and index > 0 and tokens[index - 1].stem == "other"


#: Words before "but" that make it "except" ("all segments but consumer").
_ALL_OF = frozenset({"all", "everything", "everywhere", "every", "anything", "any", "each"})


def _listed_after(tokens: Sequence[Token], start: int, negated_end: int | None) -> bool:
    """Whether the value at ``start`` is listed right after a negated value of
    its dimension ("excluding web and mobile": mobile too)."""
    if negated_end is None:
        return False
    between = {t.stem for t in tokens[negated_end:start]}
    return (
        0 < start - negated_end <= 3
        and bool(between & {"and", "or", "nor"})
        and between <= ({"and", "or", "nor"} | SKIPPED)
    )


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
