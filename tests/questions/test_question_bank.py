"""The local question engine against the question bank.

For every entry of ``question_bank.BANK``: ``engine.interpret`` reaches the
expected status and interpretation; for entries with an oracle, ``engine.ask``
answers with the rows the oracle computes from ``raw_data``.

The engine is imported inside its fixture (``bank_engine``, shared with the
language bank in ``conftest.py``): until ``questions/local/`` exists these
tests error (and the bank's own checks still run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pytest

from tests.questions.oracle_sql import ORACLES, oracle_differences
from tests.questions.question_bank import BANK, BankQuestion

pytestmark = pytest.mark.slow

ORACLE_ENTRIES = [entry for entry in BANK if entry.oracle]


# --- the bank itself ---------------------------------------------------------------


def test_the_bank_is_big_and_well_formed() -> None:
    assert len(BANK) >= 100
    assert len(ORACLE_ENTRIES) >= 45
    assert len({entry.slug for entry in BANK}) == len(BANK)
    assert len({entry.question.lower() for entry in BANK}) == len(BANK)
    statuses = [entry.status for entry in BANK]
    assert statuses.count("clarify") >= 10
    assert statuses.count("unsupported") >= 10
    for entry in BANK:
        answered = entry.status == "answered"
        assert (entry.interpretation is not None) == answered, entry.slug
        assert entry.oracle is None or (answered and entry.oracle in ORACLES), entry.slug
        if not answered:
            continue
        interpretation = entry.interpretation
        assert interpretation is not None
        assert interpretation["metrics"], entry.slug
        assert interpretation["group_by"] == sorted(interpretation["group_by"]), entry.slug
        period = interpretation["period"]
        if period is not None:
            assert period["start"] <= period["end"], entry.slug
            assert period["start"] <= entry.as_of.isoformat(), entry.slug
        if interpretation["limit"] is not None:
            assert interpretation["order_by"], entry.slug


# --- interpretation ------------------------------------------------------------------


def _comparable(interpretation: Mapping[str, Any], expected: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an interpretation the bank asserts, in a comparable form:
    group_by sorted, filters and their values order-free, the period's dates
    only, order_by only where the bank gives one."""
    period = interpretation.get("period")
    out: dict[str, Any] = {
        "metrics": list(interpretation.get("metrics") or []),
        "group_by": sorted(interpretation.get("group_by") or []),
        "filters": sorted(
            (f["dimension"], f.get("operator", "in"), tuple(sorted(f["values"])))
            for f in interpretation.get("filters") or []
        ),
        "period": None if period is None else (period.get("start"), period.get("end")),
        "limit": interpretation.get("limit"),
    }
    if expected.get("order_by") is not None:
        out["order_by"] = [
            {"by": o["by"], "descending": bool(o["descending"])}
            for o in interpretation.get("order_by") or []
        ]
    return out


@pytest.mark.parametrize("entry", BANK, ids=[entry.slug for entry in BANK])
def test_interpretation(bank_engine: Any, entry: BankQuestion) -> None:
    answer = bank_engine.interpret(entry.question, as_of=entry.as_of)
    assert answer.status == entry.status, f"{entry.question!r}: {answer.explanation}"
    if entry.status == "answered":
        assert entry.interpretation is not None
        assert answer.interpretation is not None, answer.explanation
        got = _comparable(answer.interpretation.to_json(), entry.interpretation)
        want = _comparable(entry.interpretation, entry.interpretation)
        assert got == want, f"{entry.question!r} ({entry.note})"
    elif entry.status == "clarify":
        assert answer.suggestions, f"{entry.question!r}: no suggestions"
        assert answer.explanation
    else:
        assert answer.sql is None
        assert answer.explanation


# --- answers ---------------------------------------------------------------------------


def _differences(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    entry: BankQuestion,
    con: duckdb.DuckDBPyConnection,
) -> list[str]:
    interpretation = entry.interpretation
    assert interpretation is not None and entry.oracle is not None
    return oracle_differences(con, entry.oracle, interpretation, columns, rows)


@pytest.mark.parametrize("entry", ORACLE_ENTRIES, ids=[entry.slug for entry in ORACLE_ENTRIES])
def test_answer_matches_raw_data(
    bank_engine: Any, oracle_con: duckdb.DuckDBPyConnection, entry: BankQuestion
) -> None:
    answer = bank_engine.ask(entry.question, as_of=entry.as_of)
    assert answer.status == "answered", f"{entry.question!r}: {answer.explanation}"
    assert not answer.truncated
    problems = _differences(answer.columns, answer.rows, entry, oracle_con)
    assert not problems, f"{entry.question!r} ({entry.note}):\n" + "\n".join(problems[:20])
