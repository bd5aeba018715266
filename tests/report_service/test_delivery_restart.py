"""Exactly once across crashes: the scheduler asked twice (a run retried after
a restart) and the report service killed with SIGKILL while messages are on
their way, then started again. Real processes, a real SMTP server, a real
HTTP receiver that answers slowly so the kill lands mid-send."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from analytics_core.schedules import ReportJob, load_schedule
from analytics_core.settings import SchedulerSettings, Settings
from orchestration.scheduler_runner import CommandRunner
from tests.report_service import service as svc
from tests.report_service.receivers import http_receiver, smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

KEY = os.urandom(32)
WHSEC = "whsec_" + base64.b64encode(KEY).decode()
DUE = dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC)

SCHEDULE = """
builds:
  - name: hourly_build
    cron: "15 * * * *"
reports:
  - name: daily_sales
    report_type: daily_sales
    cron: "0 6 * * *"
    params: {date: "{previous_day}"}
    formats: [html, csv]
subscriptions:
  - name: daily_to_sales
    report: daily_sales
    recipients:
      - name: Sales leads
        channel: email
        to: [lead@example.com]
      - name: Sales channel
        channel: slack
        secret: slack_sales
      - name: Partner
        channel: webhook
        secret: partner
  - name: daily_to_finance
    report: daily_sales
    recipients:
      - name: Finance
        channel: email
        to: [finance@example.com]
        formats: [csv]
"""


def ledger_rows(home: Path) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(home / "report_service" / "deliveries.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("select * from deliveries").fetchall()
    return {f"{r['source']}/{r['recipient']}": dict(r) for r in rows}


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def env_for(schedule: Path, smtp_port: int, url: str) -> dict[str, str]:
    return {
        "SCHEDULER_SCHEDULE_FILE": str(schedule),
        "DELIVERY_MODE": "send",
        "DELIVERY_SMTP_HOST": "127.0.0.1",
        "DELIVERY_SMTP_PORT": str(smtp_port),
        "DELIVERY_SMTP_SECURITY": "none",
        "DELIVERY_RETRY_SECONDS": "0.5",
        "DELIVERY_LEASE_SECONDS": "3",
        "DELIVERY_SECRET_SLACK_SALES": url + "/slack",
        "DELIVERY_SECRET_PARTNER": json.dumps({"url": url + "/partner", "signing_secret": WHSEC}),
    }


def test_a_run_asked_again_after_a_scheduler_restart_sends_nothing_twice(
    tmp_path: Path, small_warehouse: Settings
) -> None:
    schedule_path = tmp_path / "schedules.yml"
    schedule_path.write_text(SCHEDULE)
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with (
        smtp_server() as (port, box),
        http_receiver() as receiver,
        svc.running(home, env_for(schedule_path, port, receiver.url)) as service,
    ):
        schedule = load_schedule(schedule_path)
        config = SchedulerSettings(report_service_url=service.url)
        job = schedule.job("daily_sales")
        assert isinstance(job, ReportJob)
        # The first scheduler's attempt, then the same run again: what a
        # scheduler killed before recording the run does when it restarts
        # (and what a second scheduler would do).
        first = CommandRunner(Settings(home=home), config, svc.API_KEY, schedule)(job, DUE)
        assert first.endswith("4 deliveries of daily_to_sales, daily_to_finance"), first
        wait_until(
            lambda: (
                all(r["status"] == "sent" for r in ledger_rows(home).values())
                and len(ledger_rows(home)) == 4
            ),
            240,
            "four deliveries sent",
        )
        again = CommandRunner(Settings(home=home), config, svc.API_KEY, schedule)(job, DUE)
        assert "4 deliveries" in again
        time.sleep(2)
    assert sorted(rcpt[0] for rcpt, _ in box.messages) == [
        "finance@example.com",
        "lead@example.com",
    ]
    assert Counter(r.path for r in receiver.requests) == {"/slack": 1, "/partner": 1}
    rows = ledger_rows(home)
    assert {r["attempts"] for r in rows.values()} == {1}
    # Recipients who get the same report share one rendering; Finance's csv-only is its own.
    assert len({r["report_job_id"] for r in rows.values()}) == 2


def test_a_service_killed_mid_send_resends_only_what_a_receiver_can_recognise(
    tmp_path: Path, small_warehouse: Settings
) -> None:
    schedule_path = tmp_path / "schedules.yml"
    schedule_path.write_text(SCHEDULE)
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with smtp_server() as (port, box), http_receiver() as receiver:
        receiver.delay = 30.0  # the chat and webhook calls hang until the kill
        env = env_for(schedule_path, port, receiver.url)
        first = svc.start(home, env)
        try:
            with first.client(headers=first.headers) as http:
                answer = http.post(
                    "/v1/deliveries",
                    json={"subscription": "daily_to_sales", "due_at": DUE.isoformat()},
                )
                assert answer.status_code == 202, answer.text
            wait_until(
                lambda: len(receiver.requests) == 2, 240, "both HTTP calls to be on their way"
            )
            phases = {k: (r["status"], r["phase"]) for k, r in ledger_rows(home).items()}
            assert phases["daily_to_sales/Partner"] == ("sending", "transmit")
            assert phases["daily_to_sales/Sales channel"] == ("sending", "transmit")
        finally:
            assert svc.stop(first, signal.SIGKILL) == -signal.SIGKILL
        receiver.delay = 0.0
        with svc.running(home, env):
            wait_until(
                lambda: all(r["status"] in ("sent", "failed") for r in ledger_rows(home).values()),
                120,
                "every delivery to settle after the restart",
            )
            time.sleep(1)
    rows = ledger_rows(home)
    # Mail went before the kill (or, if not, was sent once after it).
    assert rows["daily_to_sales/Sales leads"]["status"] == "sent"
    assert len(box.messages) == 1
    # The webhook was sent again with the same webhook-id: its receiver keeps one.
    partner = [r for r in receiver.requests if r.path == "/partner"]
    assert len(partner) == 2
    assert len({r.headers["webhook-id"] for r in partner}) == 1
    assert rows["daily_to_sales/Partner"]["status"] == "sent"
    # Slack cannot tell a repeat: not sent again; failed, saying it may have arrived.
    assert [r.path for r in receiver.requests].count("/slack") == 1
    slack = rows["daily_to_sales/Sales channel"]
    assert slack["status"] == "failed" and "may or may not have arrived" in slack["detail"]
    events = [
        json.loads(line)
        for path in (home / "events" / "deliveries").rglob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    by_status = Counter((e["recipient"], e["status"]) for e in events)
    assert by_status[("Partner", "retrying")] == 1 and by_status[("Partner", "sent")] == 1
    assert by_status[("Sales channel", "failed")] == 1 and by_status[("Sales channel", "sent")] == 0
