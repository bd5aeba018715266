"""The delivery ledger's exactly-once rules on a real SQLite file, and the
plan's ids (the same delivery however and wherever it is asked for)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from analytics_core import deliveries as planning
from analytics_core.schedules import parse_schedule
from report_service.delivery.ledger import DeliveryLedger, NewDelivery

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 12, 4, 6, 0, tzinfo=dt.UTC)

SCHEDULE = """
builds: []
reports:
  - name: daily_sales
    report_type: daily_sales
    cron: "0 6 * * *"
    params: {date: "{previous_day}"}
    formats: [html, pdf]
subscriptions:
  - name: daily_to_sales
    report: daily_sales
    recipients:
      - name: Lead
        channel: email
        to: [lead@example.com]
      - name: Board
        channel: email
        to: [board@example.com]
      - name: Analyst
        channel: email
        to: [analyst@example.com]
        formats: [pdf]
        params: {date: "{due_date}"}
"""


def new(delivery_id: str = "d-1", channel: str = "webhook") -> NewDelivery:
    return NewDelivery(
        delivery_id, "subscription", "daily_to_sales", "Lead", channel, DUE, None, {}
    )


@pytest.fixture
def ledger(tmp_path: Path) -> DeliveryLedger:
    return DeliveryLedger(tmp_path / "deliveries.sqlite3")


def test_a_delivery_is_made_once(ledger: DeliveryLedger) -> None:
    [(first, made)] = ledger.add([new()], NOW)
    [(second, made_again)] = ledger.add([new()], NOW + dt.timedelta(hours=1))
    assert made and not made_again
    assert first == second and second.status == "queued"
    assert [e.status for _, e in ledger.pending_events()] == ["queued"]


def test_one_claim_wins_among_many_senders(tmp_path: Path) -> None:
    DeliveryLedger(tmp_path / "d.sqlite3").add([new()], NOW)
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def claim(owner: str) -> None:
        ledger = DeliveryLedger(tmp_path / "d.sqlite3")  # a sender of its own
        barrier.wait()
        if ledger.claim("d-1", owner, NOW, 60) is not None:
            winners.append(owner)

    threads = [threading.Thread(target=claim, args=(f"s{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_only_the_holder_ends_an_attempt(ledger: DeliveryLedger) -> None:
    ledger.add([new()], NOW)
    claimed = ledger.claim("d-1", "a", NOW, 60)
    assert claimed is not None and claimed.attempts == 1 and claimed.phase == "prepare"
    assert ledger.claim("d-1", "b", NOW, 60) is None
    assert ledger.finish("d-1", "b", NOW, status="sent", detail="x") is None
    assert not ledger.transmitting("d-1", "b", NOW, 60)
    done = ledger.finish("d-1", "a", NOW, status="sent", detail="posted", delivered_as="link")
    assert done is not None and done.status == "sent" and done.sent_at == NOW
    with pytest.raises(ValueError, match="sent, retrying or failed"):
        ledger.finish("d-1", "a", NOW, status="queued", detail=None)


def test_a_retry_waits_for_its_time(ledger: DeliveryLedger) -> None:
    ledger.add([new()], NOW)
    ledger.claim("d-1", "a", NOW, 60)
    later = NOW + dt.timedelta(minutes=2)
    ledger.finish("d-1", "a", NOW, status="retrying", detail="500", retry_at=later)
    assert ledger.ready(NOW) == [] and ledger.claim("d-1", "a", NOW, 60) is None
    assert [r.delivery_id for r in ledger.ready(later)] == ["d-1"]
    assert ledger.claim("d-1", "a", later, 60).attempts == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("phase", "channel", "resend", "status"),
    [
        ("prepare", "email", False, "retrying"),  # nothing left the machine
        ("transmit", "slack", False, "failed"),  # may have arrived; Slack cannot tell
        ("transmit", "webhook", True, "retrying"),  # the same webhook-id again
    ],
)
def test_a_dead_senders_delivery_is_recovered_by_what_it_was_doing(
    ledger: DeliveryLedger, phase: str, channel: str, resend: bool, status: str
) -> None:
    ledger.add([new(channel=channel)], NOW)
    ledger.claim("d-1", "dead", NOW, 5)
    if phase == "transmit":
        assert ledger.transmitting("d-1", "dead", NOW, 5)
    assert ledger.stalled(NOW) == []
    [stalled] = ledger.stalled(NOW + dt.timedelta(seconds=6))
    recovered = ledger.recover(stalled, NOW + dt.timedelta(seconds=6), resend=resend)
    assert recovered is not None and recovered.status == status
    # Two recoverers: the second finds nothing to do.
    assert ledger.recover(stalled, NOW + dt.timedelta(seconds=6), resend=resend) is None
    statuses = [e.status for _, e in ledger.pending_events()]
    assert statuses == ["queued", status]


def test_the_plan_names_the_same_deliveries_every_time() -> None:
    schedule = parse_schedule(SCHEDULE)
    first = planning.plan(schedule, "daily_to_sales", DUE)
    again = planning.plan(
        schedule, "daily_to_sales", DUE.astimezone(dt.timezone(dt.timedelta(hours=2)))
    )
    assert [p.delivery_id for p in first] == [p.delivery_id for p in again]
    assert len({p.delivery_id for p in first}) == 3
    lead, board, analyst = first
    assert lead.params == {"date": "2026-12-03"} and analyst.params == {"date": "2026-12-04"}
    assert lead.report_job_id == board.report_job_id != analyst.report_job_id
    assert analyst.formats == ("pdf",) and lead.formats == ("html", "pdf")
    tomorrow = planning.plan(schedule, "daily_to_sales", DUE + dt.timedelta(days=1))
    assert not {p.delivery_id for p in tomorrow} & {p.delivery_id for p in first}
    with pytest.raises(
        planning.UnknownSubscriptionError, match="the subscriptions are daily_to_sales"
    ):
        planning.plan(schedule, "nobody", DUE)
    with pytest.raises(ValueError, match="time zone"):
        planning.plan(schedule, "daily_to_sales", DUE.replace(tzinfo=None))
    due = planning.due_between(schedule, DUE - dt.timedelta(days=2), DUE)
    assert [(s.name, t.day) for s, t in due] == [("daily_to_sales", 3), ("daily_to_sales", 4)]
