"""The Deliveries page in Streamlit's AppTest: the schedule file's
subscriptions with their recipients and next run, the latest sends from a
real report service process (outbox mode), and Send now."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics_core.settings import PROJECT_ROOT, Settings
from tests.conftest import free_port
from tests.report_service import service as svc
from tests.ui.test_app import texts

pytestmark = pytest.mark.slow

APP = str(PROJECT_ROOT / "ui" / "app.py")

SCHEDULE = """
builds:
  - name: hourly_build
    cron: "15 * * * *"
reports:
  - name: weekly_executive
    report_type: weekly_executive
    cron: "0 8 * * 1"
    formats: [html]
subscriptions:
  - name: weekly_to_board
    report: weekly_executive
    recipients:
      - name: "Board <b>members</b> **all**"
        channel: email
        to: [board@example.com]
      - name: Leadership channel
        channel: slack
        secret: slack_leadership
alerts:
  - name: stale_sources
    checks: [freshness]
    recipients:
      - {name: Data engineering, channel: slack, secret: slack_data, owners: [data_engineering]}
  - name: weekly_revenue_fell
    metric: revenue
    grain: week
    change: {compare_to: previous_period, below: -0.2}
    recipients:
      - {name: Sales lead, channel: email, to: [lead@example.com]}
"""


@pytest.fixture
def page_env(
    small_warehouse: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    schedule = tmp_path / "schedules.yml"
    schedule.write_text(SCHEDULE)
    env = {"SCHEDULER_SCHEDULE_FILE": str(schedule), "DELIVERY_MODE": "outbox"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ANALYTICS_HOME", str(small_warehouse.home))
    monkeypatch.setenv("REPORT_SERVICE_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("REPORT_SERVICE_API_KEY", svc.API_KEY)
    st.cache_resource.clear()
    return env


def page() -> AppTest:
    test = AppTest.from_file(APP, default_timeout=120)
    test.run()
    test.switch_page("views/deliveries.py").run()
    assert not test.exception, test.exception
    return test


def test_subscriptions_show_without_the_service(page_env: dict[str, str]) -> None:
    test = page()
    assert texts(test.header) == ["Subscriptions", "Alerts"]
    assert texts(test.subheader) == ["weekly_to_board", "stale_sources", "weekly_revenue_fell"]
    captions = texts(test.caption)
    assert any(
        "data quality: freshness. Checked after every build; a finding at most once per 6 hours"
        in c
        for c in captions
    ), captions
    assert any(
        "revenue per week falls more than 20% against the previous period" in c for c in captions
    ), captions
    assert any("every Monday at 08:00 UTC" in t and "next: " in t for t in texts(test.caption))
    recipients = test.dataframe[0].value
    assert list(recipients["recipient"]) == ["Board <b>members</b> **all**", "Leadership channel"]
    assert list(recipients["to"]) == ["board@example.com", "secret slack_leadership"]
    assert list(recipients["files"]) == ["attached", "linked"]
    assert any("cannot be reached" in e.value for e in test.error)


@pytest.fixture
def service(
    page_env: dict[str, str],
    small_warehouse: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[svc.RunningService]:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with svc.running(home, page_env) as running:
        monkeypatch.setenv("REPORT_SERVICE_URL", running.url)
        st.cache_resource.clear()
        yield running


def test_send_now_and_see_the_sends(service: svc.RunningService) -> None:
    test = page()
    assert any("Not sent yet." in t for t in texts(test.caption))
    assert any("outbox" in t for t in texts(test.info))
    next(b for b in test.button if b.label == "Send now").click().run()
    assert not test.exception, test.exception
    assert any("2 deliveries queued for" in t for t in texts(test.success))
    deadline = time.monotonic() + 180
    while True:
        test = page()
        # The tables of sends are those with a status column.
        sends = [d.value for d in test.dataframe if "status" in d.value.columns]
        if sends and set(sends[0]["status"]) == {"sent"} and len(sends[0]) == 2:
            break
        assert time.monotonic() < deadline, f"not sent: {sends}"
        time.sleep(1)
    [table] = sends
    assert sorted(table["recipient"]) == ["Board <b>members</b> **all**", "Leadership channel"]
    assert all(cell.endswith("UTC") for cell in table["sent"])
    assert all("outbox" in cell for cell in table["detail"])
    assert (service.home / "outbox").is_dir()


def test_check_an_alert_now(service: svc.RunningService) -> None:
    test = page()
    next(b for b in test.button if b.key == "check-stale_sources").click().run()
    assert not test.exception, test.exception
    said = texts(test.success)
    # The test warehouse's sources are stale (its data ends in June 2026).
    assert any(" found; " in t and "messages queued" in t for t in said), (said, texts(test.error))
    again = page()
    next(b for b in again.button if b.key == "check-stale_sources").click().run()
    assert any("0 messages queued" in t for t in texts(again.success))
