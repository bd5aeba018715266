"""Hostile values in headless Chromium: a product named with a Markdown image
and link (in the warehouse) and a job error carrying the same, shown by the
real UI process through the real report service. The browser must fetch
nothing from the address they name (a real HTTP server counts requests) and
show them as literal text with no live link; the report opens in an iframe
sandboxed without scripts and without the UI's origin."""

from __future__ import annotations

import datetime
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pytest

from analytics_core.settings import Settings
from report_service.models import Job
from report_service.stores.sqlite import SQLiteJobStore
from tests.browsers import CHROMIUM, CHROMIUM_ARGS
from tests.report_service import service as svc
from tests.ui.ui_server import running_ui

pytestmark = [pytest.mark.slow, pytest.mark.browser]


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with a 1x1 PNG and remembers its path."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def pixel() -> Iterator[tuple[int, list[str]]]:
    """A real HTTP server on 127.0.0.1: ``(port, paths requested)``."""
    requests: ClassVar[list[str]] = []
    handler = type("Handler", (Recorder,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()


def payload(port: int) -> str:
    return f"![x](http://127.0.0.1:{port}/pixel.png) [click](http://127.0.0.1:{port}/)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None  # tests/conftest.py stops a run without one at collection
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def failed_job(home: Path, error: str) -> None:
    """A job that failed with ``error``, in the store the service will open."""
    store = SQLiteJobStore(home / "report_service" / "jobs.sqlite3")
    now = datetime.datetime.now(datetime.UTC)
    store.create(
        Job(
            job_id="f" * 32,
            report_type="daily_sales",
            params={},
            formats=["html"],
            status="queued",
            created_at=now - datetime.timedelta(minutes=5),
        )
    )
    claimed = store.claim("test", lease_seconds=60, max_attempts=3, now=now)
    assert claimed is not None
    assert store.fail(claimed.job_id, "test", error, now=now) is not None
    store.close()


@pytest.fixture(scope="module")
def hostile_stack(
    small_warehouse: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    pixel: tuple[int, list[str]],
) -> Iterator[dict[str, Any]]:
    """The report service and the UI on a warehouse where one product is
    named with a Markdown image and link, and a job that failed with the same."""
    port, _ = pixel
    home = svc.home_with_warehouse(
        small_warehouse.warehouse_path, tmp_path_factory.mktemp("hostile") / "home"
    )
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        row = con.execute(
            "select product_name from processed_data.dim_products order by product_name limit 1"
        ).fetchone()
        assert row is not None
        con.execute(
            "update processed_data.dim_products set product_name = ? where product_name = ?",
            [payload(port), row[0]],
        )
    (home / "report_service").mkdir()
    failed_job(home, f"the warehouse said: {payload(port)}")
    with svc.running(home) as service:
        env = {"REPORT_SERVICE_URL": service.url, "REPORT_SERVICE_API_KEY": svc.API_KEY}
        with running_ui(home, env) as url:
            yield {"ui": url, "payload": payload(port)}


LINKS_AND_IMAGES = """(port) => {
    const frames = [document, ...[...document.querySelectorAll("iframe")]
        .map((f) => { try { return f.contentDocument; } catch (e) { return null; } })
        .filter((d) => d)];
    const hits = [];
    for (const doc of frames) {
        for (const e of doc.querySelectorAll("a[href], img[src], image, source, link[href]")) {
            const target = e.getAttribute("href") || e.getAttribute("src")
                || e.getAttribute("xlink:href") || "";
            if (target.includes(":" + port)) hits.push(e.outerHTML.slice(0, 200));
        }
    }
    return hits;
}"""


def assert_inert(page: Any, pixel: tuple[int, list[str]], text: str) -> None:
    """Nothing fetched from the pixel server, no link or image to it, the text shown."""
    port, requests = pixel
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # a lazy image would have been asked for by now
    assert requests == [], f"the browser fetched {requests}"
    assert page.evaluate(LINKS_AND_IMAGES, port) == []
    # As a reader sees it (bare addresses carry an invisible word joiner).
    seen = page.evaluate("() => document.body.innerText").replace("\u2060", "")
    assert text in seen, f"{text!r} is not shown as text"


def pick_option(page: Any, box: str, option: str, seconds: float = 90) -> None:
    """Open the select box labelled ``box`` and pick the first option naming
    ``option``. A Streamlit rerun (the page's first script run finishing, a
    websocket reconnect) can close an open list or replace the box, so the
    box is opened again until the option shows; the deadline still fails the
    test when the option never comes."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    opener = page.locator('[data-testid="stSelectbox"]').filter(has_text=box)
    opener.wait_for(timeout=60_000)
    wanted = page.get_by_role("option", name=option, exact=False).first
    deadline = time.monotonic() + seconds
    while True:
        opener.click()
        try:
            wanted.wait_for(timeout=5_000)
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
            page.keyboard.press("Escape")
            continue
        wanted.click()
        return


def test_a_warehouse_value_is_text_in_the_answer(
    browser: Any, hostile_stack: dict[str, Any], pixel: tuple[int, list[str]]
) -> None:
    pixel[1].clear()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(hostile_stack["ui"], wait_until="networkidle")
    box = page.get_by_placeholder("Ask a question", exact=False)
    box.fill(f"revenue for {hostile_stack['payload']} in 2026")
    box.press("Enter")
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=180_000)
    page.get_by_role("button", name="Download CSV").wait_for(timeout=30_000)
    # The explanation names the product: "Revenue, where product is <name>, ..."
    assert_inert(page, pixel, f"where product is {hostile_stack['payload']}")
    page.close()


def test_a_job_error_is_text(
    browser: Any, hostile_stack: dict[str, Any], pixel: tuple[int, list[str]]
) -> None:
    pixel[1].clear()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{hostile_stack['ui']}/reports", wait_until="networkidle")
    pick_option(page, "Open a job", "failed")
    page.get_by_text("The report failed", exact=False).wait_for(timeout=30_000)
    assert_inert(page, pixel, f"the warehouse said: {hostile_stack['payload']}")
    page.close()


def test_the_report_is_sandboxed(
    browser: Any, hostile_stack: dict[str, Any], pixel: tuple[int, list[str]]
) -> None:
    pixel[1].clear()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{hostile_stack['ui']}/reports", wait_until="networkidle")
    page.get_by_role("button", name="Run report").click()
    page.get_by_role("button", name="Download HTML").wait_for(timeout=180_000)
    report = None
    deadline = time.monotonic() + 60
    while report is None and time.monotonic() < deadline:
        report = next((f for f in page.frames if f.locator("main header h1").count()), None)
        page.wait_for_timeout(200)
    assert report is not None, "the report is not shown"
    # The element that holds the report: sandboxed, no scripts, not the UI's origin.
    holder = report.frame_element()
    sandbox = holder.get_attribute("sandbox")
    assert sandbox is not None and "allow-same-origin" not in sandbox, sandbox
    assert "allow-scripts" not in sandbox, sandbox
    assert report.evaluate("() => window.origin") == "null"
    # And no frame anywhere on the page shows it with the UI's origin.
    for frame in page.frames:
        element = frame.frame_element() if frame.parent_frame else None
        if element is not None and frame.locator("main header h1").count():
            assert "allow-same-origin" not in (element.get_attribute("sandbox") or "x")
    assert pixel[1] == []
    page.close()
