"""Alerts sent by the report service: an evaluator's findings routed by owner,
suppressed within the alert's interval, each message made once, sent to a
real SMTP server and HTTP receiver; hostile notices refused."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks

from analytics_core.deliveries import Finding
from analytics_core.schedules import parse_schedule
from report_service.delivery.alerting import plan_alert
from report_service.delivery.ledger import DeliveryRecord
from tests.report_service import service as svc
from tests.report_service.receivers import HttpReceiver, Mailbox, http_receiver, smtp_server

KEY = os.urandom(32)
WHSEC = "whsec_" + base64.b64encode(KEY).decode()

SCHEDULE = """
builds:
  - name: hourly_build
    cron: "15 * * * *"
reports: []
alerts:
  - name: data_quality
    checks: [freshness, failing_tests]
    recipients:
      - {name: Data engineering, channel: slack, secret: slack_data, owners: [data_engineering]}
      - {name: Finance analysts, channel: email, to: [fin@example.com], owners: [finance]}
      - {name: On call, channel: webhook, secret: pager}
  - name: revenue_fell
    metric: revenue
    grain: week
    change: {compare_to: previous_period, below: -0.2}
    recipients:
      - {name: Sales lead, channel: email, to: [lead@example.com]}
"""

STALE = {
    "key": "freshness:raw_data.orders",
    "title": "raw_data.orders is 7 hours old",
    "lines": ["Last loaded 2026-12-04 03:00 UTC; the limit is 6 hours."],
    "owner": "data_engineering",
    "link": {"label": "Data health", "url": "http://127.0.0.1:8501/health"},
}
FAILING = {
    "key": "test:assert_targets_cover_regions",
    "title": "1 failing test on fct_sales_targets",
    "owner": "finance",
}


@pytest.fixture
def receivers() -> Iterator[tuple[int, Mailbox, HttpReceiver]]:
    with smtp_server() as (port, box), http_receiver() as receiver:
        yield port, box, receiver


@pytest.fixture
def service(
    tmp_path: Path, receivers: tuple[int, Mailbox, HttpReceiver], monkeypatch: pytest.MonkeyPatch
) -> Iterator[svc.InProcessService]:
    port, _, receiver = receivers
    (tmp_path / "schedules.yml").write_text(SCHEDULE)
    for name, value in {
        "SCHEDULER_SCHEDULE_FILE": str(tmp_path / "schedules.yml"),
        "DELIVERY_MODE": "send",
        "DELIVERY_SMTP_HOST": "127.0.0.1",
        "DELIVERY_SMTP_PORT": str(port),
        "DELIVERY_SMTP_SECURITY": "none",
        "DELIVERY_SECRET_SLACK_DATA": receiver.url + "/slack",
        "DELIVERY_SECRET_PAGER": json.dumps(
            {"url": receiver.url + "/pager", "signing_secret": WHSEC}
        ),
    }.items():
        monkeypatch.setenv(name, value)
    with svc.in_process(tmp_path / "home") as running:
        yield running


def notify(service: svc.InProcessService, body: Any) -> Any:
    return service.client(headers=service.headers).post("/v1/alerts/notify", json=body)


def settled(service: svc.InProcessService, count: int) -> list[dict[str, Any]]:
    client = service.client(headers=service.headers)
    deadline = time.monotonic() + 60
    while True:
        found = client.get("/v1/deliveries").json()["deliveries"]
        if len([d for d in found if d["status"] in ("sent", "failed")]) >= count:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def test_findings_go_to_their_owners_once(
    service: svc.InProcessService, receivers: tuple[int, Mailbox, HttpReceiver]
) -> None:
    _, box, receiver = receivers
    answer = notify(service, {"alert": "data_quality", "findings": [STALE, FAILING]})
    assert answer.status_code == 202, answer.text
    made = {(d["recipient"], d["created"]) for d in answer.json()["deliveries"]}
    # Data engineering: its finding; Finance: its finding; On call (no owners): both.
    assert made == {("Data engineering", True), ("Finance analysts", True), ("On call", True)}
    assert len(answer.json()["deliveries"]) == 4
    found = settled(service, 4)
    assert all(d["status"] == "sent" and d["kind"] == "alert" for d in found), found
    # The same findings again within the interval: nothing new is sent.
    again = notify(service, {"alert": "data_quality", "findings": [STALE, FAILING]}).json()
    assert [d["created"] for d in again["deliveries"]] == [False] * 4 or again["suppressed"]
    time.sleep(1)
    [(rcpt, mail)] = box.messages
    assert rcpt == ["fin@example.com"]
    assert mail["Subject"] == "Alert data_quality: 1 failing test on fct_sales_targets"
    slack = [r for r in receiver.requests if r.path == "/slack"]
    assert len(slack) == 1
    blocks = json.loads(slack[0].body)["blocks"]
    assert "Last loaded 2026-12-04 03:00 UTC" in blocks[1]["text"]["text"]
    assert blocks[2]["text"]["text"] == "<http://127.0.0.1:8501/health|Data health>"
    pages = [r for r in receiver.requests if r.path == "/pager"]
    assert len(pages) == 2
    keys = sorted(
        standardwebhooks.Webhook(WHSEC).verify(p.body, p.headers)["data"]["key"] for p in pages
    )
    assert keys == ["freshness:raw_data.orders", "test:assert_targets_cover_regions"]
    body = json.loads(pages[0].body)
    assert body["type"] == "alert.triggered" and body["data"]["alert"] == "data_quality"


def test_nothing_found_sends_nothing(service: svc.InProcessService) -> None:
    answer = notify(service, {"alert": "revenue_fell", "findings": []})
    assert answer.status_code == 202 and answer.json()["deliveries"] == []


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (
            {"alert": "nobody", "findings": []},
            404,
            "no alert 'nobody'; the alerts are data_quality, revenue_fell",
        ),
        (
            {"alert": "data_quality", "findings": [{**STALE, "title": "a\r\nBcc: x@example.com"}]},
            422,
            "pattern",
        ),
        (
            {"alert": "data_quality", "findings": [{**STALE, "lines": ["x"] * 21}]},
            422,
            "at most 20",
        ),
        ({"alert": "data_quality", "findings": [STALE] * 101}, 422, "at most 100"),
        (
            {
                "alert": "data_quality",
                "findings": [{**STALE, "link": {"label": "x", "url": "javascript:alert(1)"}}],
            },
            422,
            "http(s) URL",
        ),
        ({"alert": "data_quality", "findings": [{**STALE, "key": "k" * 500}]}, 422, "at most 200"),
        ({"alert": "data_quality", "findings": [{**STALE, "extra": 1}]}, 422, "extra"),
        ({"alert": "Data Quality", "findings": []}, 422, "pattern"),
        ({"findings": []}, 422, "alert"),
    ],
)
def test_hostile_notices_are_refused(
    service: svc.InProcessService, body: dict[str, Any], status: int, says: str
) -> None:
    answer = notify(service, body)
    assert answer.status_code == status, answer.text
    assert says.lower() in answer.text.lower()
    assert service.client(headers=service.headers).get("/v1/deliveries").json()["deliveries"] == []


def record(
    delivery_id: str, recipient: str, key: str, at: dt.datetime, status: str = "sent"
) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_id,
        "alert",
        "data_quality",
        recipient,
        "email",
        at,
        None,
        status,
        None,
        1,
        None,
        None,
        None,
        at,
        at,
        at,
        "link",
        None,
        {"key": key},
    )


def test_suppression_holds_a_finding_back_for_its_interval() -> None:
    alert = parse_schedule(SCHEDULE).alerts[0]
    finding = Finding("freshness:raw_data.orders", "stale", owner="data_engineering")
    first_at = dt.datetime(2026, 12, 4, 5, 50, tzinfo=dt.UTC)
    [first, on_call] = plan_alert(alert, [finding], first_at, []).deliveries
    assert {first.recipient, on_call.recipient} == {"Data engineering", "On call"}
    sent = [record(first.delivery_id, "Data engineering", finding.key, first_at)]
    # Ten minutes later, in the next 6-hour window: still suppressed for that recipient.
    later = plan_alert(alert, [finding], first_at + dt.timedelta(minutes=10), sent)
    assert ("Data engineering", finding.key) in later.suppressed
    assert [d.recipient for d in later.deliveries] == ["On call"]
    # Past the interval: sent again.
    after = plan_alert(alert, [finding], first_at + dt.timedelta(hours=6, minutes=1), sent)
    assert {d.recipient for d in after.deliveries} == {"Data engineering", "On call"}
    # A failed message suppresses nothing.
    failed = [record(first.delivery_id, "Data engineering", finding.key, first_at, "failed")]
    retry = plan_alert(alert, [finding], first_at + dt.timedelta(minutes=10), failed)
    assert not retry.suppressed
    # Same window: the same delivery id (two evaluators make one delivery).
    twice = plan_alert(alert, [finding], first_at + dt.timedelta(minutes=5), [])
    assert twice.deliveries[0].delivery_id == first.delivery_id


def test_a_metric_alert_is_sent_once_per_period() -> None:
    alert = parse_schedule(SCHEDULE).alerts[1]
    week = Finding("revenue:week:2026-11-23", "Revenue fell 31%")
    first = plan_alert(alert, [week], dt.datetime(2026, 12, 1, tzinfo=dt.UTC), []).deliveries
    later = plan_alert(alert, [week], dt.datetime(2026, 12, 3, tzinfo=dt.UTC), []).deliveries
    assert first[0].delivery_id == later[0].delivery_id
    next_week = Finding("revenue:week:2026-11-30", "Revenue fell 25%")
    other = plan_alert(alert, [next_week], dt.datetime(2026, 12, 8, tzinfo=dt.UTC), []).deliveries
    assert other[0].delivery_id != first[0].delivery_id
