"""Subscriptions delivered by the report service, end to end: the schedule
file's subscription, the real service over a built warehouse, a real SMTP
server and a real HTTP server receiving. Each delivery is sent once however
often it is asked for; failures are retried with backoff and end with their
error; every attempt is an event; hostile requests get a clear error."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks

from analytics_core.settings import Settings
from tests.report_service import service as svc
from tests.report_service.receivers import HttpReceiver, Mailbox, http_receiver, smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

KEY = os.urandom(32)
WHSEC = "whsec_" + base64.b64encode(KEY).decode()
DUE = "2026-06-15T06:00:00Z"

SCHEDULE = """
builds:
  - name: hourly_build
    cron: "15 * * * *"
reports:
  - name: daily_sales
    report_type: daily_sales
    cron: "0 6 * * *"
    params: {date: "{previous_day}"}
    formats: [html, pdf, csv]
subscriptions:
  - name: daily_to_sales
    report: daily_sales
    subject: "{report} for {due_date}"
    recipients:
      - name: Sales leads
        channel: email
        to: [lead@example.com, cfo@example.com]
        formats: [pdf, csv]
      - name: Sales channel
        channel: slack
        secret: slack_sales
      - name: Partner
        channel: webhook
        secret: partner
        formats: [csv]
"""


@pytest.fixture
def receivers() -> Iterator[tuple[int, Mailbox, HttpReceiver]]:
    with smtp_server() as (port, box), http_receiver() as receiver:
        yield port, box, receiver


@pytest.fixture
def delivering(
    tmp_path: Path,
    small_warehouse: Settings,
    receivers: tuple[int, Mailbox, HttpReceiver],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[svc.InProcessService]:
    port, _, receiver = receivers
    schedule = tmp_path / "schedules.yml"
    schedule.write_text(SCHEDULE)
    for name, value in {
        "SCHEDULER_SCHEDULE_FILE": str(schedule),
        "DELIVERY_MODE": "send",
        "DELIVERY_SMTP_HOST": "127.0.0.1",
        "DELIVERY_SMTP_PORT": str(port),
        "DELIVERY_SMTP_SECURITY": "none",
        "DELIVERY_MAIL_FROM": "reports@example.com",
        "DELIVERY_RETRY_SECONDS": "0.2",
        "DELIVERY_MAX_ATTEMPTS": "3",
        "DELIVERY_SECRET_SLACK_SALES": receiver.url + "/slack/T/B/token",
        "DELIVERY_SECRET_PARTNER": json.dumps(
            {"url": receiver.url + "/partner", "signing_secret": WHSEC}
        ),
    }.items():
        monkeypatch.setenv(name, value)
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with svc.in_process(home) as service:
        yield service


def ask(service: svc.InProcessService, **body: Any) -> Any:
    return service.client(headers=service.headers).post("/v1/deliveries", json=body)


def wait_settled(
    service: svc.InProcessService, count: int, timeout: float = 240
) -> list[dict[str, Any]]:
    """The deliveries once ``count`` of them are sent or failed."""
    client = service.client(headers=service.headers)
    deadline = time.monotonic() + timeout
    while True:
        found = client.get("/v1/deliveries").json()["deliveries"]
        done = [d for d in found if d["status"] in ("sent", "failed")]
        if len(done) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries not settled: {found}")
        time.sleep(0.2)


def delivery_events(home: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((home / "events" / "deliveries").rglob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_a_subscription_reaches_every_recipient_once(
    delivering: svc.InProcessService, receivers: tuple[int, Mailbox, HttpReceiver]
) -> None:
    _, box, receiver = receivers
    first = ask(delivering, subscription="daily_to_sales", due_at=DUE)
    assert first.status_code == 202, first.text
    made = first.json()["deliveries"]
    assert [(d["recipient"], d["channel"], d["created"]) for d in made] == [
        ("Sales leads", "email", True),
        ("Sales channel", "slack", True),
        ("Partner", "webhook", True),
    ]
    settled = wait_settled(delivering, 3)
    assert {d["recipient"]: d["status"] for d in settled} == {
        "Sales leads": "sent",
        "Sales channel": "sent",
        "Partner": "sent",
    }, settled
    # Asked again (a retried request, a restarted or second scheduler): nothing new.
    again = ask(delivering, subscription="daily_to_sales", due_at=DUE)
    assert [d["created"] for d in again.json()["deliveries"]] == [False, False, False]
    assert [d["delivery_id"] for d in again.json()["deliveries"]] == [
        d["delivery_id"] for d in made
    ]
    time.sleep(1.5)
    assert len(box.messages) == 1
    assert Counter(r.path.split("/")[1] for r in receiver.requests) == {"slack": 1, "partner": 1}

    # The mail: subject filled, both addresses, the files of the report job byte for byte.
    [(rcpt, mail)] = box.messages
    assert sorted(rcpt) == ["cfo@example.com", "lead@example.com"]
    assert mail["Subject"] == "Daily sales for 2026-06-15"
    job_id = made[0]["report_job_id"]
    job = delivering.client(headers=delivering.headers).get(f"/v1/reports/jobs/{job_id}").json()
    assert job["params"] == {"date": "2026-06-14"}
    sums = {a["format"]: a["sha256"] for a in job["artifacts"]}
    attached = {
        p.get_filename().rsplit(".", 1)[1]: p.get_content() for p in mail.iter_attachments()
    }
    assert set(attached) == {"pdf", "csv"}
    assert hashlib.sha256(attached["pdf"]).hexdigest() == sums["pdf"]
    assert hashlib.sha256(attached["csv"].encode()).hexdigest() == sums["csv"]

    # Slack: links to the job's files; the webhook: signed, csv only.
    slack = next(r for r in receiver.requests if r.path.startswith("/slack"))
    links = json.loads(slack.body)["blocks"][2]["text"]["text"]
    assert f"/v1/reports/jobs/{made[1]['report_job_id']}/artifacts/html" in links
    hook = next(r for r in receiver.requests if r.path == "/partner")
    verified = standardwebhooks.Webhook(WHSEC).verify(hook.body, hook.headers)
    assert hook.headers["webhook-id"] == f"msg_{made[2]['delivery_id']}"
    assert [f["format"] for f in verified["data"]["files"]] == ["csv"]
    assert verified["data"]["due_at"] == DUE

    # Every change is an event: queued then sent, once each.
    events = delivery_events(delivering.home)
    assert Counter((e["recipient"], e["status"]) for e in events) == {
        ("Sales leads", "queued"): 1,
        ("Sales leads", "sent"): 1,
        ("Sales channel", "queued"): 1,
        ("Sales channel", "sent"): 1,
        ("Partner", "queued"): 1,
        ("Partner", "sent"): 1,
    }
    sent_mail = next(e for e in events if e["recipient"] == "Sales leads" and e["status"] == "sent")
    assert sent_mail["delivered_as"] == "attach" and sent_mail["attempt"] == 1


def test_failures_are_retried_with_backoff_and_end_with_their_error(
    delivering: svc.InProcessService, receivers: tuple[int, Mailbox, HttpReceiver]
) -> None:
    _, box, receiver = receivers
    box.answers.append("451 4.3.0 mailbox busy")
    # Requests arrive in an order the test cannot fix: answer by path.
    receiver.answers.extend([(500, {}), (429, {"retry-after": "0"})])
    made = ask(delivering, subscription="daily_to_sales", due_at=DUE).json()["deliveries"]
    assert len(made) == 3
    settled = {d["recipient"]: d for d in wait_settled(delivering, 3)}
    assert all(d["status"] == "sent" for d in settled.values()), settled
    assert settled["Sales leads"]["attempts"] == 2
    assert settled["Sales channel"]["attempts"] + settled["Partner"]["attempts"] == 4
    events = delivery_events(delivering.home)
    retrying = [e for e in events if e["status"] == "retrying"]
    assert len(retrying) == 3
    assert all(e["next_attempt_at"] and e["detail"] for e in retrying)
    assert any("451" in e["detail"] for e in retrying)
    assert any("500" in e["detail"] for e in retrying) and any(
        "429" in e["detail"] for e in retrying
    )
    assert "token" not in json.dumps(events)


def test_a_receiver_that_is_gone_fails_the_delivery_at_once(
    delivering: svc.InProcessService, receivers: tuple[int, Mailbox, HttpReceiver]
) -> None:
    _, _, receiver = receivers
    receiver.answers.extend([(410, {}), (410, {})])
    ask(delivering, subscription="daily_to_sales", due_at=DUE)
    settled = {d["recipient"]: d for d in wait_settled(delivering, 3)}
    failed = [d for d in settled.values() if d["status"] == "failed"]
    assert len(failed) == 2 and all(d["attempts"] == 1 for d in failed)
    assert all("answered 410" in d["detail"] for d in failed)
    assert settled["Sales leads"]["status"] == "sent"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (
            {"subscription": "nobody"},
            404,
            "no subscription 'nobody'; the subscriptions are daily_to_sales",
        ),
        ({"subscription": "x\r\nBcc: all@example.com"}, 404, "no subscription"),
        (
            {"subscription": "daily_to_sales", "due_at": "2031-01-01T00:00:00Z"},
            422,
            "in the future",
        ),
        ({"subscription": "daily_to_sales", "due_at": "2020-01-01T00:00:00Z"}, 422, "400 days"),
        ({"subscription": "daily_to_sales", "due_at": "2026-06-15T06:00:00"}, 422, "timezone"),
        ({"subscription": "daily_to_sales", "now": True, "due_at": DUE}, 422, "not both"),
        ({"subscription": "daily_to_sales", "to": "evil@example.com"}, 422, "extra"),
        ({"subscription": "a" * 10_000}, 422, "at most 63"),
        ({"subscription": ["daily_to_sales"]}, 422, "string"),
    ],
)
def test_hostile_requests_get_a_clear_error_and_send_nothing(
    delivering: svc.InProcessService,
    receivers: tuple[int, Mailbox, HttpReceiver],
    body: dict[str, Any],
    status: int,
    says: str,
) -> None:
    _, box, receiver = receivers
    answer = ask(delivering, **body)
    assert answer.status_code == status, answer.text
    assert says.lower() in answer.text.lower()
    listed = delivering.client(headers=delivering.headers).get("/v1/deliveries").json()
    assert listed["deliveries"] == []
    assert box.messages == [] and receiver.requests == []


def test_the_external_function_answers_row_by_row(
    delivering: svc.InProcessService, receivers: tuple[int, Mailbox, HttpReceiver]
) -> None:
    client = delivering.client(headers=delivering.headers)
    rows = [
        [0, "daily_to_sales", DUE],
        [1, "daily_to_sales", "not a time"],
        [2, "unknown_one", None],
        [3, "daily_to_sales"],
        [4, {"a": 1}, DUE],
    ]
    answer = client.post("/v1/external/deliver_subscription", json={"data": rows})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert [row[0] for row in data] == [0, 1, 2, 3, 4]
    assert len(data[0][1]["deliveries"]) == 3
    assert data[1][1]["error"]["code"] == "invalid_request"
    assert data[2][1]["error"]["code"] == "not_found"
    assert "expected 2 arguments" in data[3][1]["error"]["message"]
    assert data[4][1]["error"]["code"] == "invalid_request"
    assert client.post("/v1/deliveries", json={}, headers={"x-api-key": "wrong"}).status_code == 401
    assert client.get("/v1/deliveries?subscription=Bad%20Name").status_code == 422


def test_outbox_mode_writes_what_would_be_sent(
    delivering: svc.InProcessService, receivers: tuple[int, Mailbox, HttpReceiver]
) -> None:
    _, box, receiver = receivers
    service = delivering.app.state.service
    service.deliveries.settings = service.delivery_settings.model_copy(update={"mode": "outbox"})
    answer = ask(delivering, subscription="daily_to_sales", due_at=DUE)
    assert answer.status_code == 202, answer.text
    settled = wait_settled(delivering, 3)
    assert all(d["status"] == "sent" and "outbox" in d["detail"] for d in settled), settled
    folder = delivering.home / "outbox" / "2026-06-15"
    files = sorted(p.name.split("--")[1] + p.suffix for p in folder.iterdir())
    assert files == ["partner.json", "sales-channel.json", "sales-leads.eml"]
    slack = json.loads(next(folder.glob("*sales-channel*")).read_text())
    assert slack["secret"] == "slack_sales" and "token" not in json.dumps(slack)
    assert slack["payload"]["blocks"][0]["text"]["text"] == "Daily sales for 2026-06-15"
    assert box.messages == [] and receiver.requests == []


def test_send_now_of_a_report_that_fails_fails_its_deliveries_with_the_reason(
    delivering: svc.InProcessService, receivers: tuple[int, Mailbox, HttpReceiver]
) -> None:
    _, box, receiver = receivers
    # Now is months after the test warehouse's last day: the report has no data.
    answer = ask(delivering, subscription="daily_to_sales", now=True)
    assert answer.status_code == 202, answer.text
    due = dt.datetime.strptime(answer.json()["due_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - due) < dt.timedelta(minutes=5)
    settled = wait_settled(delivering, 3)
    assert all(d["status"] == "failed" for d in settled), settled
    assert all(d["detail"].startswith("the report failed: ") for d in settled)
    assert all(d["attempts"] == 0 for d in settled)
    assert box.messages == [] and receiver.requests == []
