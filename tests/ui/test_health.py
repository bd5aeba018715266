"""Data health: ``ui/health.py`` and the Data health page, on a built warehouse
and on one whose last build failed for real (raw orders lost their currency,
so a staging ``not_null`` test fails)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import duckdb
import pytest
import streamlit as st

from analytics_core.settings import Settings
from analytics_core.warehouse import DuckDBClient
from questions.semantic import load_raw_semantic_manifest
from tests.ui.test_app import app, texts
from tests.warehouses import BROKEN_ORDERS, FAILED, FAILING_TEST, WarehouseTemplates
from ui.health import Section, display_rows, headline, health_sections, last_build, relations

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def failed_home(
    warehouse_templates: WarehouseTemplates, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A copy of the small warehouse's home after a build that failed a test
    (the run's FAILED template: raw orders lost their currency)."""
    template = warehouse_templates.get(FAILED)
    (build,) = template.runs
    assert build.returncode == 1, build.stdout + build.stderr
    assert FAILING_TEST in build.stderr
    return warehouse_templates.copy(FAILED, tmp_path_factory.mktemp("failed-build") / "home")


def test_every_section_covers_its_own_window(small_warehouse: Settings) -> None:
    today = datetime.date(2026, 11, 26)
    sections = health_sections(DuckDBClient(small_warehouse.warehouse_path), 30, today)
    assert list(sections) == ["builds", "tests", "freshness", "quarantine", "volume", "reports"]
    for name, section in sections.items():
        assert (section.until - section.since).days == 29, name
        assert [row[0] for row in section.trend_rows] == [
            section.since + datetime.timedelta(days=n) for n in range(30)
        ], name
    assert sections["builds"].until == today
    # The generated data ends on 2026-06-30: quarantine and volume follow the data.
    assert sections["quarantine"].calendar == "data"
    assert sections["quarantine"].until == datetime.date(2026, 6, 30)
    build = last_build(sections["builds"])
    assert build is not None and build["status"] == "success"
    assert not sections["tests"].rows


def test_quarantine_by_rule_matches_the_quarantined_rows(small_warehouse: Settings) -> None:
    section = health_sections(DuckDBClient(small_warehouse.warehouse_path), 30)["quarantine"]
    with duckdb.connect(str(small_warehouse.warehouse_path), read_only=True) as con:
        expected = con.execute(
            "select source_table, quarantine_rule, count(*) from monitoring.quarantined_rows "
            "where cast(loaded_at as date) between ? and ? group by all",
            [section.since, section.until],
        ).fetchall()
    assert expected, "the generated data quarantines rows in its last 30 days"
    assert sorted(section.rows) == sorted(expected)
    assert sum(row[1] for row in section.trend_rows) == sum(row[2] for row in expected)


def test_the_ui_exposure_lists_what_the_ui_reads(small_warehouse: Settings) -> None:
    manifest = json.loads((small_warehouse.docs_dir / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.analytics_platform.streamlit_ui"]
    assert exposure["type"] == "dashboard"
    raw = load_raw_semantic_manifest()
    public_metrics = {
        m["name"]
        for m in raw["metrics"]
        if not ((m.get("config") or {}).get("meta") or {}).get("internal")
    }
    expected = {f"metric.analytics_platform.{m}" for m in public_metrics} | {
        f"model.analytics_platform.{r}" for r in relations()
    }
    assert set(exposure["depends_on"]["nodes"]) == expected


def test_a_failed_build_shows_its_failing_test(failed_home: Settings) -> None:
    sections = health_sections(DuckDBClient(failed_home.warehouse_path), 30)
    build = last_build(sections["builds"])
    assert build is not None and build["status"] != "success"
    assert build["nodes_failed"] + build["nodes_errored"] >= 1
    failing = {row[0]: row for row in sections["tests"].rows}
    assert FAILING_TEST in failing, sorted(failing)
    named = dict(zip(sections["tests"].columns, failing[FAILING_TEST], strict=True))
    assert named["last_status"] == "fail" and named["last_failures"] == BROKEN_ORDERS
    today = sections["tests"].until
    assert dict(sections["tests"].trend_rows)[today] >= 1


def test_the_health_page_on_a_failed_build(
    failed_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_HOME", str(failed_home.home))
    st.cache_resource.clear()
    test = app()
    test.switch_page("views/health.py").run()
    assert not test.exception, test.exception
    assert texts(test.metric)[0] != "success"
    assert int(texts(test.metric)[2]) >= 1
    assert "The last build ended with status" in test.error[0].value
    tables = [element.value for element in test.dataframe]
    assert any(FAILING_TEST in table.to_string() for table in tables)
    assert len(test.get("vega_lite_chart")) == 6, "a trend chart for each section"


def test_the_health_page_without_a_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_HOME", str(tmp_path / "empty"))
    st.cache_resource.clear()
    test = app()
    test.switch_page("views/health.py").run()
    assert not test.exception, test.exception
    assert "cannot be read" in test.error[0].value
    assert "Traceback" not in test.error[0].value


def test_a_successful_build_over_stale_sources_says_so_first(small_warehouse: Settings) -> None:
    """The small warehouse's data ends on 2026-06-30 and was checked months
    later: every source is past its error threshold, and the headline says
    so instead of "success"."""
    sections = health_sections(DuckDBClient(small_warehouse.warehouse_path), 30)
    top = headline(sections)
    assert top.build_status == "success"
    assert top.sources_checked >= 5
    assert top.sources_past_freshness == top.sources_checked
    assert top.level == "warning"
    assert top.message.startswith("The last build succeeded, but ")
    assert f"{top.sources_checked} of {top.sources_checked} source tables" in top.message
    assert "error threshold" in top.message and "30 Jun 2026" in top.message


def test_the_health_page_headline_names_stale_sources(
    small_warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_HOME", str(small_warehouse.home))
    st.cache_resource.clear()
    test = app()
    test.switch_page("views/health.py").run()
    assert not test.exception, test.exception
    assert "past their freshness error threshold" in test.warning[0].value
    count, _, total = texts(test.metric)[3].partition(" of ")
    assert count == total


def _section(columns: list[str], rows: list[tuple[object, ...]]) -> Section:
    day = datetime.date(2026, 12, 1)
    return Section("t", columns, rows, ["date_day", "x"], [], day, day, "run")


BUILDS = ["command", "status", "nodes_failed", "nodes_errored", "elapsed_seconds"]
CHECKS = ["source_name", "table_name", "status", "is_breach", "max_loaded_at"]


@pytest.mark.parametrize(
    ("build", "checks", "level", "words"),
    [
        ("success", [("pass", False), ("pass", False)], "success", "every source is fresh"),
        ("success", [("warn", True), ("pass", False)], "warning", "1 of 2 source tables"),
        ("success", [("warn", True), ("error", True)], "warning", "error threshold"),
        ("error", [("pass", False)], "error", "status error"),
        ("error", [("runtime error", True)], "error", "status error. 1 of 1 source tables"),
        (None, [], "warning", "No build has been recorded"),
    ],
)
def test_headline_levels(
    build: str | None, checks: list[tuple[str, bool]], level: str, words: str
) -> None:
    loaded = datetime.datetime(2026, 11, 30, 6, 0)
    sections = {
        "builds": _section(BUILDS, [("build", build, 0, 0, 1.0)] if build else []),
        "freshness": _section(
            CHECKS,
            [
                ("shop", f"t{n}", status, breach, loaded)
                for n, (status, breach) in enumerate(checks)
            ],
        ),
    }
    top = headline(sections)
    assert top.level == level
    assert words in top.message, top.message


def test_display_rows_fit_and_read() -> None:
    """Times to the minute in UTC, ages in words, flags as yes/no, long messages
    cut, no None cells: the table fits the page without a scrollbar."""
    columns = ["source_name", "status", "is_breach", "max_loaded_at", "checked_at", "age_seconds"]
    checked = datetime.datetime(2026, 12, 4, 16, 22, 59, 123456)
    section = _section(
        columns,
        [
            ("shop", "error", True, None, checked, 13_651_200.0),
            ("fx", "pass", False, checked, checked, 1800.0),
        ],
    )
    rows = display_rows(section)
    assert rows[0] == {
        "Source name": "shop",
        "Status": "error",
        "Is breach": "yes",
        "Max loaded at": "",
        "Checked at": "2026-12-04 16:22 UTC",
        "Age": "158 days",
    }
    assert rows[1]["Age"] == "30 min" and rows[1]["Is breach"] == "no"
    builds = _section(
        [
            "started_at",
            "finished_at",
            "elapsed_seconds",
            "status",
            "command",
            "target_name",
            "nodes_total",
            "nodes_failed",
            "nodes_errored",
            "nodes_skipped",
        ],
        [(checked, checked, 12.34, "error", "build", "local", 228, 1, 0, 5)],
    )
    (build,) = display_rows(builds)
    assert build == {
        "Started at": "2026-12-04 16:22 UTC",
        "Seconds": 12.3,
        "Status": "error",
        "Command": "build",
        "Target name": "local",
        "Nodes": "228 (1 failed, 5 skipped)",
    }
    long = _section(["last_message"], [("x" * 1000,)])
    (cut,) = display_rows(long)
    assert len(cut["Last message"]) == 160 and cut["Last message"].endswith("…")
