"""End to end in headless Chromium (Debian's, driven by Playwright): the
report service and the UI as real processes on a small built warehouse, and
the dbt docs site. Screenshots of each page go to ``test-artifacts/screenshots``
(``ANALYTICS_SCREENSHOTS`` overrides), which CI keeps."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics_core.formatting import format_count
from analytics_core.settings import PROJECT_ROOT, Settings
from tests.browsers import CHROMIUM, CHROMIUM_ARGS
from tests.report_service import service as svc
from tests.ui.ui_server import running_ui

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCREENSHOTS = Path(
    os.environ.get("ANALYTICS_SCREENSHOTS", PROJECT_ROOT / "test-artifacts" / "screenshots")
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None  # tests/conftest.py stops a run without one at collection
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack(
    small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The report service and the UI, as `analytics serve` starts them."""
    home = svc.home_with_warehouse(
        small_warehouse.warehouse_path, tmp_path_factory.mktemp("e2e") / "home"
    )
    shutil.copytree(small_warehouse.docs_dir, home / "dbt" / "docs", dirs_exist_ok=True)
    with svc.running(home) as service:
        env = {"REPORT_SERVICE_URL": service.url, "REPORT_SERVICE_API_KEY": svc.API_KEY}
        with running_ui(home, env) as url:
            yield {"ui": url, "service": service, "home": home, "settings": small_warehouse}


RENDERED = """([charts, tables]) => {
    const drawn = (selector, inner) =>
        [...document.querySelectorAll(selector)].filter((e) => e.querySelector(inner));
    const all = (selector) => document.querySelectorAll(selector).length;
    return drawn('[data-testid="stVegaLiteChart"]', "canvas, svg").length >= charts
        && drawn('[data-testid="stDataFrame"]', "canvas").length >= tables
        && drawn('[data-testid="stVegaLiteChart"]', "canvas, svg").length
            === all('[data-testid="stVegaLiteChart"]')
        && drawn('[data-testid="stDataFrame"]', "canvas").length
            === all('[data-testid="stDataFrame"]');
}"""


def settle(page: Any, charts: int = 0, tables: int = 0) -> None:
    """Wait until at least ``charts`` charts and ``tables`` tables are drawn
    (Streamlit loads their code lazily and shows placeholders meanwhile)."""
    page.wait_for_function(RENDERED, arg=[charts, tables], timeout=60_000)


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_ask_a_question_and_see_the_warehouse_number(browser: Any, stack: dict[str, Any]) -> None:
    with duckdb.connect(str(stack["settings"].warehouse_path), read_only=True) as con:
        row = con.execute(
            "select sum(orders) from reporting.rpt_daily_sales"
            " where order_date between '2026-05-01' and '2026-05-31'"
        ).fetchone()
    assert row is not None
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(stack["ui"], wait_until="networkidle")
    box = page.get_by_placeholder("Ask a question", exact=False)
    box.fill("How many orders in May 2026?")
    box.press("Enter")
    metric = page.locator('[data-testid="stMetricValue"]').first
    metric.wait_for(timeout=60_000)
    assert metric.inner_text().strip() == format_count(row[0])
    # The whole answer is on screen before the screenshot: the download comes last.
    page.get_by_role("button", name="Download CSV").wait_for(timeout=30_000)
    assert page.get_by_text("SQL", exact=True).count() > 0
    settle(page, tables=1)
    shot(page, "ask")
    page.close()


def test_run_a_report_and_download_it(browser: Any, stack: dict[str, Any], tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{stack['ui']}/reports", wait_until="networkidle")
    page.get_by_role("button", name="Run report").click()
    download_button = page.get_by_role("button", name="Download HTML")
    download_button.wait_for(timeout=120_000)
    with page.expect_download() as download:
        download_button.click()
    target = tmp_path / "report.html"
    download.value.save_as(target)
    assert b"<html" in target.read_bytes()[:500].lower()
    settle(page, tables=1)
    shot(page, "reports")
    page.close()


def test_metrics_and_data_health_pages_open(browser: Any, stack: dict[str, Any]) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{stack['ui']}/metrics", wait_until="networkidle")
    page.get_by_role("button", name="Show").wait_for(timeout=60_000)
    shot(page, "metrics")
    page.goto(f"{stack['ui']}/health", wait_until="networkidle")
    page.get_by_text("Source freshness").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Report job failures").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    last_build = page.locator('[data-testid="stMetricValue"]').first
    assert last_build.inner_text().strip() == "success"
    settle(page, charts=6, tables=1)
    shot(page, "health")
    page.close()


def test_dbt_docs_show_lineage_with_exposures(browser: Any, stack: dict[str, Any]) -> None:
    docs = stack["home"] / "dbt" / "docs"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docs))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        page.goto(
            f"{url}#!/model/model.analytics_platform.rpt_daily_sales", wait_until="networkidle"
        )
        page.get_by_text("rpt_daily_sales").first.wait_for(timeout=60_000)
        page.get_by_text("daily_sales", exact=False).first.wait_for(timeout=60_000)
        shot(page, "dbt-docs-model")
        # "Referenced By" lists the report exposures that read the model.
        page.get_by_text("Referenced By").first.wait_for(timeout=30_000)
        assert page.get_by_text("daily_sales", exact=True).count() > 0
        page.locator(".launcher-btn").first.click()  # the lineage graph
        graph = page.locator(".launcher canvas").first
        graph.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        shot(page, "dbt-docs-lineage")
        box = graph.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200
        page.close()
    finally:
        server.shutdown()
        server.server_close()
