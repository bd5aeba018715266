"""The local question engine against the language bank (issue 18).

``language_bank.BANK`` is a bank written from the glossary and the spec, not
from the engine; part of it is held out from development. The bank's own
checks come first; then one scoring test per part runs every entry and counts
the *exact* ones: the status right, the interpretation right (with its
``compare``), for oracle entries the rows equal to the oracle's (computed from
``raw_data``), and every ``mentions`` word named in the explanation or the
warnings. The score and the misses are printed; the test fails when the score
falls below the part's floor.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pytest

from analytics_core.settings import PROJECT_ROOT
from tests.questions import question_bank
from tests.questions.language_bank import (
    BANK,
    DEVELOPMENT,
    HELD_OUT,
    KINDS,
    LanguageQuestion,
    held_out_questions,
)
from tests.questions.oracle_compare import compare_differences, value_columns
from tests.questions.phrasing_bank import PHRASING_BANK
from tests.questions.test_question_bank import _comparable as regression_comparable

pytestmark = pytest.mark.slow

#: The target of both parts is 0.97. The floors only ever go up (a ratchet):
#: raise them when the engine gets better, never lower them to let a change
#: through. When the bank was written (main at 300bacb, before the engine knew
#: ``compare``) it scored development 80/217, held out 39/92; with comparisons,
#: every word accounted for and the shared calendar, 208/217 (0.959) and 74/92
#: (0.804).
#: After session 27's classes (named periods, verbs' subjects, changes said as
#: "up on", "from April to May", "X over X", plans set against, averages per
#: customer), 216/217 (0.995) and 80/92 (0.870); after parts of months,
#: fortnights, typos of units and short words, plans hit or missed, "next month"
#: for targets, 216/217 and 84/92 (0.913). After session 28's classes (targets
#: to date, abbreviations, each word's own typo limit, relative clauses,
#: predicates, thirds and parts of months and years, the latest whole unit,
#: conflicts named, values side by side, weeks 52 weeks back), 217/217 and
#: 86/92 (0.935). After session 30's classes (rankings by a change, how
#: often, statuses said together, values included, yes/no dimensions as
#: qualities, sorts in words, slips of stems, keys and fillers), 217/217 and
#: 89/92 (0.967). After session 33's classes (holidays a year back, holiday
#: weekends and weeks, spans of days set side by side, the P- initials, real
#: words typed for others), 217/217 and 90/92 (0.978).
TARGET = 0.97
DEVELOPMENT_FLOOR = 1.0
HELD_OUT_FLOOR = 0.97

ORACLE_ENTRIES = [entry for entry in BANK if entry.oracle]
TARGET_METRICS = {"target_revenue"}


# --- the bank itself ---------------------------------------------------------------


def test_the_bank_is_big_spread_and_held_out_by_its_rule() -> None:
    assert len(BANK) >= 250
    assert len(ORACLE_ENTRIES) >= 160
    assert len(HELD_OUT) >= 0.25 * len(BANK)
    assert {entry.kind for entry in BANK} == set(KINDS)
    assert {entry.kind for entry in DEVELOPMENT} == set(KINDS)
    assert {entry.kind for entry in HELD_OUT} == set(KINDS)
    assert {entry.question for entry in HELD_OUT} == held_out_questions(BANK)
    kinds = Counter(entry.kind for entry in BANK)
    assert min(kinds.values()) >= 10, kinds
    statuses = Counter(entry.status for entry in BANK)
    assert statuses["clarify"] >= 25 and statuses["unsupported"] >= 15, statuses


def test_every_metric_of_the_glossary_is_asked_for() -> None:
    glossary = (PROJECT_ROOT / "docs/metrics.md").read_text(encoding="utf-8")
    table = glossary.split("## Metrics", 1)[1].split("## Dimensions", 1)[0]
    metrics = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))
    assert len(metrics) >= 16
    asked = {m for entry in BANK if entry.interpretation for m in entry.interpretation["metrics"]}
    assert metrics <= asked, sorted(metrics - asked)


def test_the_questions_are_new_and_unique() -> None:
    questions = [entry.question.strip().lower() for entry in [*BANK, *PHRASING_BANK]]
    assert len(set(questions)) == len(questions)
    assert len({entry.slug for entry in BANK}) == len(BANK)
    assert len({entry.slug for entry in PHRASING_BANK}) == len(PHRASING_BANK)
    regression = {entry.question.strip().lower() for entry in question_bank.BANK}
    assert not regression.intersection(questions)


@pytest.mark.parametrize(
    "entry", [*BANK, *PHRASING_BANK], ids=[e.slug for e in [*BANK, *PHRASING_BANK]]
)
def test_the_entry_is_well_formed(entry: LanguageQuestion) -> None:
    answered = entry.status == "answered"
    assert (entry.interpretation is not None) == answered
    assert not entry.oracle or answered
    assert all(word == word.lower() and word.strip() for word in entry.mentions)
    if entry.status == "clarify":
        assert entry.mentions, "a clarify must say which words it did not understand"
    if entry.interpretation is None:
        return
    interpretation = entry.interpretation
    metrics = interpretation["metrics"]
    assert metrics and len(set(metrics)) == len(metrics)
    group_by = interpretation["group_by"]
    assert group_by == sorted(group_by)
    as_of = entry.as_of.isoformat()
    period = interpretation["period"]
    if period is not None:
        assert period["start"] <= period["end"]
        if not set(metrics) <= TARGET_METRICS:
            assert period["start"] <= as_of, "only targets are answered for the future"
    if interpretation["limit"] is not None:
        assert interpretation["order_by"]
    compare = interpretation["compare"]
    if compare is None:
        return
    assert period is not None or compare["kind"] != "period"
    if compare["kind"] == "period":
        base = compare["base"]
        assert base["start"] <= base["end"] <= as_of
        if not any(g.startswith("metric_time__") for g in group_by):
            # By a time grain each bucket meets the one before: the periods overlap.
            assert base["end"] < period["start"] or base["start"] > period["end"]
    elif compare["kind"] == "share":
        assert compare["of"] and set(compare["of"]) <= set(group_by)
    elif compare["kind"] == "average":
        assert period is not None and compare["per"] in {"day", "week", "month", "quarter", "year"}
        assert compare["units"] > 0
        assert not any(g.startswith("metric_time__") for g in group_by), "the grain is the per"
    else:
        assert compare["kind"] == "ratio"
        assert [compare["numerator"], compare["denominator"]] == metrics[:2]
    if interpretation["limit"] is not None:
        # the compare oracle ranks its whole answer by one of its own columns
        columns = value_columns(interpretation)
        assert all(o["by"] in columns for o in interpretation["order_by"])


# --- scoring ---------------------------------------------------------------------------


def _compare_key(compare: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    if not compare:
        return None
    kind = compare.get("kind")
    if kind == "period":
        base = compare.get("base") or {}
        return ("period", base.get("start"), base.get("end"))
    if kind == "share":
        return ("share", tuple(sorted(compare.get("of") or [])))
    if kind == "ratio":
        return ("ratio", compare.get("numerator"), compare.get("denominator"))
    return (kind,)


def _comparable(interpretation: Mapping[str, Any], expected: Mapping[str, Any]) -> dict[str, Any]:
    """What the regression bank asserts of an interpretation
    (``test_question_bank._comparable``), plus the dates of the compare base. A
    missing ``compare`` key is None (the engine before issue 18)."""
    out = regression_comparable(interpretation, expected)
    out["compare"] = _compare_key(interpretation.get("compare"))
    return out


def _said(answer: Any) -> str:
    text = " ".join([answer.explanation or "", *(answer.warnings or [])])
    return text.lower().replace("_", " ")


def _misses_of(engine: Any, con: duckdb.DuckDBPyConnection, entry: LanguageQuestion) -> list[str]:
    """Why the engine's answer to ``entry`` is not exact (empty: exact)."""
    try:
        if entry.oracle:
            answer = engine.ask(entry.question, as_of=entry.as_of)
        else:
            answer = engine.interpret(entry.question, as_of=entry.as_of)
    except Exception as error:  # a crash is a miss like any other, with its message
        return [f"raised {type(error).__name__}: {error}"]
    got = answer.interpretation.to_json() if answer.interpretation is not None else None
    problems: list[str] = []
    if answer.status != entry.status:
        problems.append(f"status {answer.status}: {answer.explanation[:300]}")
    elif entry.interpretation is not None:
        if got is None:
            problems.append("no interpretation")
        else:
            have = _comparable(got, entry.interpretation)
            want = _comparable(entry.interpretation, entry.interpretation)
            if have != want:
                problems.append(f"interpretation {json.dumps(have, default=str)}")
            elif entry.oracle:
                if answer.truncated:
                    problems.append("rows truncated")
                differences = compare_differences(
                    con, entry.interpretation, answer.columns, answer.rows
                )
                problems.extend(f"rows: {d}" for d in differences[:5])
    elif entry.status == "clarify" and not answer.suggestions:
        problems.append("a clarify without suggestions")
    elif entry.status == "unsupported" and answer.sql is not None:
        problems.append("unsupported, yet with SQL")
    said = _said(answer)
    problems.extend(
        f"does not name {word!r}: {answer.explanation[:300]}"
        for word in entry.mentions
        if word not in said
    )
    return problems


def _expected(entry: LanguageQuestion) -> str:
    if entry.interpretation is None:
        return f"{entry.status} naming {list(entry.mentions)}"
    return json.dumps(_comparable(entry.interpretation, entry.interpretation), default=str)


def _score(
    part: str,
    entries: Sequence[LanguageQuestion],
    engine: Any,
    con: duckdb.DuckDBPyConnection,
) -> float:
    misses: list[tuple[LanguageQuestion, list[str]]] = []
    for entry in entries:
        problems = _misses_of(engine, con, entry)
        if problems:
            misses.append((entry, problems))
    exact = len(entries) - len(misses)
    score = exact / len(entries)
    by_kind = Counter(entry.kind for entry in entries)
    missed_by_kind = Counter(entry.kind for entry, _ in misses)
    lines = [f"{part}: {exact}/{len(entries)} exact = {score:.3f} (target {TARGET})"]
    lines += [
        f"  {kind}: {by_kind[kind] - missed_by_kind[kind]}/{by_kind[kind]}"
        for kind in KINDS
        if by_kind[kind]
    ]
    for entry, problems in misses:
        lines.append(f"- [{entry.kind}] {entry.question!r} (as of {entry.as_of})")
        lines.append(f"    expected: {_expected(entry)}")
        lines.extend(f"    got: {problem}" for problem in problems)
    print("\n".join(lines))
    return score


def test_development_score(bank_engine: Any, oracle_con: duckdb.DuckDBPyConnection) -> None:
    score = _score("development", DEVELOPMENT, bank_engine, oracle_con)
    assert score >= DEVELOPMENT_FLOOR


def test_held_out_score(bank_engine: Any, oracle_con: duckdb.DuckDBPyConnection) -> None:
    score = _score("held out", HELD_OUT, bank_engine, oracle_con)
    assert score >= HELD_OUT_FLOOR


def test_phrasing_bank_is_read_exactly(
    bank_engine: Any, oracle_con: duckdb.DuckDBPyConnection
) -> None:
    """The phrasings written while developing (``phrasing_bank.py``): every one exact."""
    score = _score("phrasings", PHRASING_BANK, bank_engine, oracle_con)
    assert score == 1.0
