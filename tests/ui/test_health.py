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
from ui.health import health_sections, last_build, relations

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
