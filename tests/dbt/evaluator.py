"""The project's deliberate exceptions to dbt Labs' project-evaluator rules,
read from where the evaluator's configuration holds them: the seed
``dbt_project_evaluator_exceptions`` (disabled: nothing builds it)."""

from __future__ import annotations

import csv

from analytics_core.settings import PROJECT_ROOT

EXCEPTIONS_CSV = PROJECT_ROOT / "dbt_project/seeds/dbt_project_evaluator_exceptions.csv"


def exceptions(rule: str) -> dict[str, str]:
    """The resources excused from ``rule`` (an evaluator fct name), with why."""
    with EXCEPTIONS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    found = {row["id_to_exclude"]: row["comment"] for row in rows if row["fct_name"] == rule}
    for name, comment in found.items():
        assert comment.strip(), f"{rule}: {name} is excused without a reason"
    return found
