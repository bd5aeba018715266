"""Misspelt words (issue 18, "typos are corrected only when the correction is
unambiguous"): what counts as a slip of which word, and, over the engine, that
every one-key slip of a filler which makes no English word reads as the
question spelt right."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from analytics_core.periods import PERIOD_WORDS
from questions.local.english import STOPWORDS
from questions.local.spelling import filler_slip, is_english, plurals

AS_OF = datetime.date(2026, 6, 15)


@pytest.mark.parametrize("word", ["lost", "list", "fist", "three", "shipped", "comes", "weeks"])
def test_english_words_with_every_form_are_words(word: str) -> None:
    assert is_english(word)


@pytest.mark.parametrize("word", ["wuth", "feom", "whoch", "eaxh", "categoriees", "brek", "dats"])
def test_slips_are_no_words(word: str) -> None:
    assert not is_english(word)


@pytest.mark.parametrize(
    ("slip", "filler"),
    [
        ("wuth", "with"),  # a vowel for the vowel next to it, in no word
        ("feom", "from"),  # a consonant for the one next to it
        ("eaxh", "each"),
        ("whoch", "which"),
        ("wghich", "which"),  # a letter more, six letters
        ("whhich", "which"),  # a letter doubled
        ("cmes", "comes"),  # a filler's form with s, a letter missing
        ("cmoes", "comes"),  # two letters swapped
        ("weee", "were"),  # a letter off before two ("we")
        ("brek", "break"),
        ("hw", "how"),
    ],
)
def test_a_slip_of_a_filler_is_that_filler(slip: str, filler: str) -> None:
    assert filler_slip(slip) == filler


@pytest.mark.parametrize("word", ["lost", "fist", "mot", "mst", "sales", "12th", "x"])
def test_a_word_is_no_slip_of_a_filler(word: str) -> None:
    """A real word ("lost" is no "list"), a letter changed for one not next
    to it ("mst" is no "met") and anything with digits stay as said."""
    assert filler_slip(word) is None


def test_plurals_of_a_phrase() -> None:
    assert plurals("product category") == ("product categorys", "product categories")
    assert plurals("region") == ("regions", "regiones")


def test_period_words_are_the_calendars_and_no_others() -> None:
    """The words the calendar reads, taken from its own rules: a misspelling
    pass leaves them alone ("yoy" is no "you", "eve" no "even")."""
    assert {"yoy", "eve", "fortnight", "ytd", "trailing", "christmas", "same"} <= PERIOD_WORDS
    assert {"print", "len", "revenue", "region"}.isdisjoint(PERIOD_WORDS)


#: Questions whose fillers the sweep below misspells.
TEMPLATES = (
    "what was revenue from germany last month",
    "how many orders were shipped last month",
    "show me revenue for each region",
    "which channel had the most orders this year",
    "what share of revenue comes from mobile",
    "revenue this year compared with last year",
    "break down revenue by customer segment",
    "how many orders were returned in may 2026",
    "give me units sold by category",
    "what were the cancellations by channel",
)
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keys_next_to(letter: str) -> list[str]:
    for row in _ROWS:
        at = row.find(letter)
        if at >= 0:
            return [row[j] for j in (at - 1, at + 1) if 0 <= j < len(row)]
    return []


def _reading(engine: Any, question: str) -> tuple[str, str]:
    answer = engine.interpret(question, as_of=AS_OF)
    shape = answer.interpretation.to_json() if answer.interpretation else None
    return answer.status, json.dumps(shape, sort_keys=True, default=str)


@pytest.mark.slow
def test_every_one_key_slip_of_a_filler_reads_as_spelt_right(bank_engine: Any) -> None:
    """Each letter but the first of each filler of four letters or more, typed
    as a key next to it: when that makes no English word, the question reads
    exactly as spelt right, and the correction is said."""
    tried, wrong = 0, []
    for question in TEMPLATES:
        expected = _reading(bank_engine, question)
        assert expected[0] == "answered", question
        words = question.split()
        for at, word in enumerate(words):
            if word not in STOPWORDS or len(word) < 4:
                continue
            for index in range(1, len(word)):
                for key in _keys_next_to(word[index]):
                    slip = word[:index] + key + word[index + 1 :]
                    if is_english(slip):
                        continue
                    asked = " ".join([*words[:at], slip, *words[at + 1 :]])
                    tried += 1
                    answer = bank_engine.interpret(asked, as_of=AS_OF)
                    if _reading(bank_engine, asked) != expected or slip not in " ".join(
                        answer.warnings
                    ):
                        wrong.append(f"{asked}: {answer.explanation}")
    assert tried > 100
    assert wrong == []


def test_no_filler_is_a_slip_of_a_word_that_says_a_period_or_a_rank() -> None:
    """A filler one letter from "this", "last", "most" or a unit would swallow
    that word's slips ("thus year" read as no period at all); the only ones
    are real words the engine reads as themselves."""
    from questions.local.cue_spelling import _UNIT_CUES, _UNIT_WORDS
    from questions.local.english import BOTTOM_WORDS, TOP_WORDS
    from questions.local.spelling import edit_distance

    meaning = {*_UNIT_CUES, *_UNIT_WORDS, *(w for w in TOP_WORDS | BOTTOM_WORDS if len(w) >= 3)}
    close = {
        filler
        for filler in STOPWORDS
        if filler.isalpha()
        and len(filler) >= 3
        and filler not in meaning
        and any(m[0] == filler[0] and edit_distance(filler, m, 1) == 1 for m in meaning)
    }
    assert close == {"beat", "list", "net", "worse"}
