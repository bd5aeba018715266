"""Deliveries of a service whose job store is DynamoDB (as in AWS, on the
moto server): its ledger is the shared delivery table, so a subscription is
queued once and sent once whichever replica is asked; outbox mode writes
what would be sent under ANALYTICS_HOME."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from analytics_core import deliveries as planning
from analytics_core.schedules import load_schedule
from analytics_core.settings import ReportServiceSettings, Settings
from report_service.delivery.ledger_dynamodb import DynamoDeliveryLedger
from report_service.service import ReportService
from report_service.stores.dynamodb import DynamoJobStore
from tests.report_service import service as svc
from tests.report_service.conftest import AWS_REGION

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

DUE = "2026-06-15T06:00:00Z"
SCHEDULE = """
builds: []
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
      - name: Partner
        channel: webhook
        secret: partner
"""


@pytest.fixture
def tables(
    aws_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """A fresh job table and delivery table; the service settings that name them."""
    schedule = tmp_path / "schedules.yml"
    schedule.write_text(SCHEDULE)
    monkeypatch.setenv("SCHEDULER_SCHEDULE_FILE", str(schedule))
    for name in ("DELIVERY_MODE", "DELIVERY_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    suffix = uuid.uuid4().hex[:10]
    client = boto3.client(
        "dynamodb", region_name=AWS_REGION, endpoint_url=aws_env["AWS_ENDPOINT_URL"]
    )
    DynamoJobStore(f"jobs-{suffix}", client).ensure_table()
    DynamoDeliveryLedger(f"deliveries-{suffix}", client).ensure_table()
    return {
        "client": client,
        "settings": {
            "job_store": "dynamodb",
            "dynamodb_table": f"jobs-{suffix}",
            "delivery_table": f"deliveries-{suffix}",
            "aws_region": AWS_REGION,
            "aws_endpoint_url": aws_env["AWS_ENDPOINT_URL"],
        },
    }


@pytest.fixture
def home(tmp_path: Path, small_warehouse: Settings) -> Path:
    return svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")


@pytest.fixture
def delivering(home: Path, tables: dict[str, Any]) -> Iterator[svc.InProcessService]:
    with svc.in_process(home, **tables["settings"]) as service:
        yield service


def wait_sent(service: svc.InProcessService, count: int, timeout: float = 240) -> list[Any]:
    client = service.client(headers=service.headers)
    deadline = time.monotonic() + timeout
    while True:
        found = client.get("/v1/deliveries").json()["deliveries"]
        if len([d for d in found if d["status"] in ("sent", "failed")]) >= count:
            return list(found)
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries not settled: {found}")
        time.sleep(0.3)


def test_a_dynamodb_service_queues_and_sends_a_subscription_once(
    delivering: svc.InProcessService, home: Path, tables: dict[str, Any]
) -> None:
    client = delivering.client(headers=delivering.headers)
    asked = client.post("/v1/deliveries", json={"subscription": "daily_to_sales", "due_at": DUE})
    assert asked.status_code == 202, asked.text
    made = asked.json()["deliveries"]
    assert [(d["recipient"], d["created"]) for d in made] == [
        ("Sales leads", True),
        ("Partner", True),
    ]
    settled = wait_sent(delivering, 2)
    assert client.get("/v1/deliveries").json()["mode"] == "outbox"
    assert all(d["status"] == "sent" and "outbox" in d["detail"] for d in settled), settled
    assert {d["attempts"] for d in settled} == {1}

    # Asked again, of this service or another replica on the same tables: nothing new.
    again = client.post("/v1/deliveries", json={"subscription": "daily_to_sales", "due_at": DUE})
    assert [d["created"] for d in again.json()["deliveries"]] == [False, False]
    replica = ReportService(
        ReportServiceSettings(api_keys=svc.API_KEY, **tables["settings"]),
        Settings(home=home),
        start_workers=False,
    )
    try:
        schedule = load_schedule(Path(os.environ["SCHEDULER_SCHEDULE_FILE"]))
        planned = planning.plan(
            schedule, "daily_to_sales", dt.datetime(2026, 6, 15, 6, tzinfo=dt.UTC)
        )
        repeated = replica.deliveries.queue(planned)
        assert [made_now for _, made_now in repeated] == [False, False]
        shared = replica.deliveries.ledger.recent(source="daily_to_sales")
        assert sorted(r.status for r in shared) == ["sent", "sent"]
    finally:
        replica.stop()

    # What would have been sent, once per recipient; the ledger is the table, not a file.
    time.sleep(1.5)
    folder = home / "outbox" / "2026-06-15"
    assert sorted(p.suffix for p in folder.iterdir()) == [".eml", ".json"]
    assert not (home / "report_service" / "deliveries.sqlite3").exists()
    items = tables["client"].scan(TableName=tables["settings"]["delivery_table"])["Items"]
    assert sorted(item["status"]["S"] for item in items) == ["sent", "sent"]
    # Every change is one event, written from the table's outbox to the stream.
    # (Two replicas flushing at once may both write one; a repeat has its event_id.)
    events = {
        event["event_id"]: event
        for path in sorted((home / "events" / "deliveries").rglob("*.jsonl"))
        for event in map(json.loads, path.read_text().splitlines())
    }
    assert Counter((e["recipient"], e["status"]) for e in events.values()) == {
        ("Sales leads", "queued"): 1,
        ("Sales leads", "sent"): 1,
        ("Partner", "queued"): 1,
        ("Partner", "sent"): 1,
    }
    assert all("pending" not in item and item["outbox"] == {"M": {}} for item in items)
