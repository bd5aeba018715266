"""Questions with invisible or look-alike characters (issue 15, item 8): the
local engine reads them as the plain text they look like, says so, and a word
it cannot place is reported, never dropped silently."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from analytics_core.settings import Settings
from questions.answers import INVISIBLES_WARNING, clean_question
from questions.local import LocalQuestionEngine

pytestmark = pytest.mark.slow

AS_OF = datetime.date(2026, 6, 15)

#: The same question, "revenue in EMEA", spelled with a class of invisibles.
SPELLINGS = {
    "zero-width space": "revenue in EM\u200bEA",
    "zero-width joiner": "revenue in EM\u200dEA",
    "zero-width non-joiner": "revenue in E\u200cMEA",
    "byte-order mark": "\ufeffrevenue in EMEA\ufeff",
    "soft hyphen": "rev\u00adenue in EM\u00adEA",
    "right-to-left mark": "revenue in \u200fEMEA\u200f",
    "right-to-left override": "revenue in \u202eEMEA\u202c",
    "word joiner": "revenue in EM\u2060EA",
    "full-width letters": "".join(
        chr(ord(c) + 0xFEE0) if c.isalpha() else c for c in "revenue in EMEA"
    ),
    "no-break spaces": "revenue\u00a0in\u202fEMEA",
    "ideographic space": "revenue\u3000in\u3000EMEA",
    "hangul filler": "revenue in EM\u3164EA",
    "variation selector": "revenue in EM\ufe0fEA",
    "tag characters": "revenue in EM\U000e0041EA",
}


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=list(SPELLINGS))
def test_clean_question(spelling: str) -> None:
    assert clean_question(spelling).lower() == "revenue in emea"


@pytest.fixture(scope="module")
def engine(small_warehouse: Settings) -> Iterator[LocalQuestionEngine]:
    # Any built warehouse: the shared one costs no build of its own.
    with LocalQuestionEngine.open(small_warehouse) as opened:
        yield opened


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=list(SPELLINGS))
def test_invisibles_do_not_drop_the_filter(engine: LocalQuestionEngine, spelling: str) -> None:
    plain = engine.ask("revenue in EMEA", as_of=AS_OF)
    assert plain.status == "answered" and plain.rows
    answer = engine.ask(spelling, as_of=AS_OF)
    assert answer.status == "answered", answer.explanation
    assert answer.interpretation is not None
    filters = {f.dimension: f.values for f in answer.interpretation.filters}
    assert filters == {"customer__region": ("EMEA",)}
    assert answer.rows == plain.rows
    if spelling not in (SPELLINGS["no-break spaces"], SPELLINGS["ideographic space"]):
        assert INVISIBLES_WARNING in answer.warnings


def test_a_question_of_only_invisibles_is_empty(engine: LocalQuestionEngine) -> None:
    answer = engine.ask("\u200b\u200d\ufeff\u00ad", as_of=AS_OF)
    assert answer.status == "clarify"
    assert "empty" in answer.explanation


def test_a_word_not_understood_is_reported(engine: LocalQuestionEngine) -> None:
    # "EM EA" is not a region: said, not answered for all regions.
    split = engine.ask("revenue in EM EA", as_of=AS_OF)
    assert split.status == "clarify", split.explanation
    assert "“em”" in split.explanation
    # Next to a value it knows, the unknown one is reported, not dropped.
    mixed = engine.ask("revenue in EMEA and Atlantis", as_of=AS_OF)
    if mixed.status == "answered":
        assert any("atlantis" in w for w in mixed.warnings), mixed.warnings
        assert "atlantis" in mixed.explanation
    else:
        assert "atlantis" in mixed.explanation
