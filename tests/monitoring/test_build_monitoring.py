"""``analytics build`` and the monitoring schema, end to end.

A real home is generated and built with the CLI (the run's BASE template,
``tests/warehouses.py``). Then a build fails for
real (raw orders lose their currency, so a staging ``not_null`` test fails):
the data stays as it was, but the published warehouse shows the failed run,
the failing test and its failure count. A fixed build then succeeds and the
history of both is kept. The scorecard's numbers are checked against dbt's own
``run_results.json`` of those runs.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics_core.settings import PROJECT_ROOT, Settings
from tests.conftest import RunAnalytics
from tests.warehouses import (
    BASE,
    BROKEN_ORDERS,
    FAILED,
    FAILING_TEST,
    WarehouseTemplates,
    restore_currency,
)

pytestmark = pytest.mark.slow


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


#: The reporting views over the monitoring schema (they change with every run).
DATA_HEALTH_VIEWS = {
    p.stem for p in (PROJECT_ROOT / "dbt_project/models/reporting/data_health").glob("*.sql")
}


def data_fingerprint(path: Path) -> dict[str, Any]:
    """Row counts of every modelled relation outside the monitoring schemas."""
    with duckdb.connect(str(path), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('processed_data', 'reporting') order by 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()
            for s, t in relations
            if t not in DATA_HEALTH_VIEWS
        }


def run_results(settings: Settings, *, failed: bool = False) -> dict[str, Any]:
    """dbt's run_results.json of the last build: published with the docs of a
    successful build (the target folder then holds docs generate's); still in
    the target folder after a failed one."""
    folder = settings.dbt_target_path if failed else settings.docs_dir
    data: dict[str, Any] = json.loads((folder / "run_results.json").read_text())
    assert data["args"]["which"] == "build"
    return data


@pytest.fixture(scope="module")
def history(
    warehouse_templates: WarehouseTemplates,
    tmp_path_factory: pytest.TempPathFactory,
    analytics_cli: RunAnalytics,
) -> dict[str, Any]:
    """A home with three builds: good, failed (broken raw data), good again.
    The first two made the run's BASE and FAILED templates (tests/warehouses.py,
    where their CLI runs are kept); a copy of FAILED gets the fixed build."""
    base = warehouse_templates.get(BASE)
    first = base.runs[-1]
    assert first.args[1] == "build", first.args
    first_results = run_results(base.settings)
    fingerprint_before = data_fingerprint(base.settings.warehouse_path)

    (failed,) = warehouse_templates.get(FAILED).runs
    home = tmp_path_factory.mktemp("monitoring-home") / "home"
    settings = warehouse_templates.copy(FAILED, home)
    failed_results = run_results(settings, failed=True)
    published_after_failure = {
        "fingerprint": data_fingerprint(settings.warehouse_path),
        "test_rows": query(
            settings.warehouse_path,
            "select invocation_id, status, failures from monitoring.dbt_test_results "
            "where test_name = ? order by executed_at",
            [FAILING_TEST],
        ),
        "invocations": query(
            settings.warehouse_path,
            "select invocation_id, command, status from monitoring.dbt_invocations "
            "order by started_at",
        ),
        "node_status": query(
            settings.warehouse_path,
            "select last_status, last_failures, last_failure_at is not null "
            "from monitoring.dbt_node_status where node_name = ?",
            [FAILING_TEST],
        ),
    }

    restore_currency(settings)
    fixed = analytics_cli("build", "--full-refresh", home=home, check=True)
    return {
        "home": home,
        "settings": settings,
        "first": first,
        "first_results": first_results,
        "fingerprint_before": fingerprint_before,
        "failed": failed,
        "failed_results": failed_results,
        "after_failure": published_after_failure,
        "fixed": fixed,
        "fixed_results": run_results(settings),
    }


def test_a_failed_build_fails_and_says_which_test(history: dict[str, Any]) -> None:
    failed: subprocess.CompletedProcess[str] = history["failed"]
    assert failed.returncode == 1, failed.stdout + failed.stderr
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("error: dbt build failed"), failed.stderr
    assert FAILING_TEST in last, last
    assert "Traceback" not in failed.stderr


def test_a_failed_build_leaves_the_data_alone(history: dict[str, Any]) -> None:
    after = history["after_failure"]
    assert len(DATA_HEALTH_VIEWS) >= 5
    assert after["fingerprint"] == history["fingerprint_before"]
    assert not history["settings"].build_warehouse_path.exists()


def test_the_failed_test_and_its_failure_count_are_published(history: dict[str, Any]) -> None:
    results = history["failed_results"]
    invocation = results["metadata"]["invocation_id"]
    failing = [r for r in results["results"] if r["unique_id"].split(".")[2] == FAILING_TEST]
    assert len(failing) == 1 and failing[0]["status"] == "fail"
    assert failing[0]["failures"] == BROKEN_ORDERS

    after = history["after_failure"]
    rows = [row for row in after["test_rows"] if row[0] == invocation]
    assert rows == [(invocation, "fail", BROKEN_ORDERS)]
    # The first, good build's execution of the same test is still there.
    assert len(after["test_rows"]) == 2 and after["test_rows"][0][1:] == ("pass", 0)
    assert (invocation, "build", "failed") in after["invocations"]
    assert after["node_status"] == [("fail", BROKEN_ORDERS, True)]


def test_history_survives_a_full_refresh(history: dict[str, Any]) -> None:
    settings: Settings = history["settings"]
    ids = [
        history[key]["metadata"]["invocation_id"]
        for key in ("first_results", "failed_results", "fixed_results")
    ]
    rows = dict(
        query(
            settings.warehouse_path,
            "select invocation_id, status from monitoring.dbt_invocations where command = 'build'",
        )
    )
    assert [rows.get(i) for i in ids] == ["success", "failed", "success"]
    (status,) = query(
        settings.warehouse_path,
        "select last_status from monitoring.dbt_node_status where node_name = ?",
        [FAILING_TEST],
    )
    assert status == ("pass",)


def test_freshness_is_checked_and_recorded_with_every_build(history: dict[str, Any]) -> None:
    settings: Settings = history["settings"]
    output = history["first"].stdout + history["first"].stderr
    assert "source freshness:" in output, output
    sources = json.loads((settings.docs_dir / "sources.json").read_text())
    checked = {r["unique_id"]: r["status"] for r in sources["results"]}
    assert len(checked) >= 5
    latest = dict(
        query(
            settings.warehouse_path,
            "select unique_id, status from monitoring.source_freshness_status",
        )
    )
    assert latest == checked
    (checks,) = query(
        settings.warehouse_path,
        "select count(distinct invocation_id) from monitoring.source_freshness_history",
    )
    assert checks == (3,), "one freshness check per build, failed builds included"


def test_the_git_commit_is_recorded(history: dict[str, Any]) -> None:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    commits = query(
        history["settings"].warehouse_path,
        "select distinct git_commit from monitoring.dbt_invocations",
    )
    assert commits == [(head,)]


def test_the_scorecard_counts_what_dbt_reported(history: dict[str, Any]) -> None:
    settings: Settings = history["settings"]
    column = {"pass": "tests_passed", "fail": "tests_failed", "warn": "tests_warned"}
    expected = {"tests_run": 0, "tests_passed": 0, "tests_failed": 0, "tests_warned": 0}
    runs = 0
    for key in ("first_results", "failed_results", "fixed_results"):
        runs += 1
        for r in history[key]["results"]:
            if not r["unique_id"].startswith("test.") or r["status"] == "skipped":
                continue
            expected["tests_run"] += 1
            if r["status"] in column:
                expected[column[r["status"]]] += 1
    (row,) = query(
        settings.warehouse_path,
        "select sum(tests_run), sum(tests_passed), sum(tests_warned), sum(tests_failed), "
        "sum(dbt_runs), sum(dbt_runs_failed) from monitoring.data_quality_scorecard "
        "where grain = 'day'",
    )
    assert row == (
        expected["tests_run"],
        expected["tests_passed"],
        expected["tests_warned"],
        expected["tests_failed"],
        runs,
        1,
    )
    monthly = query(
        settings.warehouse_path,
        "select sum(tests_run), sum(rows_quarantined), sum(dbt_runs) "
        "from monitoring.data_quality_scorecard where grain = 'month'",
    )
    daily = query(
        settings.warehouse_path,
        "select sum(tests_run), sum(rows_quarantined), sum(dbt_runs) "
        "from monitoring.data_quality_scorecard where grain = 'day'",
    )
    assert monthly == daily
    (quarantined,) = query(
        settings.warehouse_path, "select count(*) from monitoring.quarantined_rows"
    )
    assert daily[0][1] == quarantined[0] > 0
