"""The delivery ledger's exactly-once rules, on each implementation: a real
SQLite file, and a fresh DynamoDB table on the (serial) moto server, where
conditional writes behave as in DynamoDB. Also the plan's ids (the same
delivery however and wherever it is asked for)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from analytics_core import deliveries as planning
from analytics_core.schedules import parse_schedule
from report_service.delivery.ledger import DeliveryLedger, NewDelivery
from report_service.delivery.ledger_dynamodb import DynamoDeliveryLedger
from report_service.delivery.ledger_sqlite import SQLiteDeliveryLedger
from tests.report_service.conftest import AWS_REGION

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 12, 4, 6, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)

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

#: Makes another ledger object on the same store (another sender, process or replica).
OpenLedger = Callable[[], DeliveryLedger]


def new(
    delivery_id: str = "d-1",
    channel: str = "webhook",
    *,
    source: str = "daily_to_sales",
    recipient: str = "Lead",
    due: dt.datetime = DUE,
    report_job_id: str | None = None,
) -> NewDelivery:
    spec = {"recipient": {"name": recipient, "channel": channel}, "params": {"x": 1.5}}
    return NewDelivery(
        delivery_id, "subscription", source, recipient, channel, due, report_job_id, spec
    )


class RecordingClient:
    """A boto3 DynamoDB client that records the operations called on it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name in ("exceptions", "get_waiter", "close") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return call


@pytest.fixture(params=["sqlite", "dynamodb"])
def open_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenLedger]:
    """Opens ledger objects on one fresh store of each implementation."""
    opened: list[DeliveryLedger] = []
    if request.param == "sqlite":
        path = tmp_path / "deliveries.sqlite3"

        def make() -> DeliveryLedger:
            opened.append(SQLiteDeliveryLedger(path))
            return opened[-1]

    else:
        aws_env: dict[str, str] = request.getfixturevalue("aws_env")
        table = f"deliveries-{uuid.uuid4().hex[:12]}"

        def make() -> DeliveryLedger:
            client = boto3.client(
                "dynamodb", region_name=AWS_REGION, endpoint_url=aws_env["AWS_ENDPOINT_URL"]
            )
            opened.append(DynamoDeliveryLedger(table, client, owns_client=True))
            return opened[-1]

        first = make()
        assert isinstance(first, DynamoDeliveryLedger)
        first.ensure_table()
        first.ensure_table()  # idempotent
    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(open_ledger: OpenLedger) -> DeliveryLedger:
    return open_ledger()


def statuses(ledger: DeliveryLedger) -> list[str]:
    return sorted(e.status for _, e in ledger.pending_events())


# -- made once, claimed once --------------------------------------------------------------------
def test_a_delivery_is_made_once(ledger: DeliveryLedger) -> None:
    [(first, made)] = ledger.add([new()], NOW)
    [(second, made_again)] = ledger.add([new()], NOW + dt.timedelta(hours=1))
    assert made and not made_again
    assert first == second and second.status == "queued"
    assert second.spec == new().spec and second.due_at == DUE and second.created_at == NOW
    assert ledger.get("d-1") == first and ledger.get("nobody") is None
    [(_, event)] = ledger.pending_events()
    assert (event.status, event.attempt, event.delivery_id) == ("queued", 0, "d-1")


def test_one_claim_wins_among_many_senders(open_ledger: OpenLedger) -> None:
    open_ledger().add([new()], NOW)
    senders = [open_ledger() for _ in range(8)]  # a ledger object of its own each
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def claim(ledger: DeliveryLedger, owner: str) -> None:
        barrier.wait()
        if ledger.claim("d-1", owner, NOW, 60) is not None:
            winners.append(owner)

    threads = [
        threading.Thread(target=claim, args=(ledger, f"s{i}")) for i, ledger in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    held = open_ledger().get("d-1")
    assert held is not None and held.lease_owner == winners[0] and held.attempts == 1


def test_only_the_holder_ends_an_attempt(ledger: DeliveryLedger) -> None:
    ledger.add([new()], NOW)
    claimed = ledger.claim("d-1", "a", NOW, 60)
    assert claimed is not None and claimed.attempts == 1 and claimed.phase == "prepare"
    assert claimed.lease_until == NOW + dt.timedelta(seconds=60)
    assert ledger.claim("d-1", "b", NOW, 60) is None
    assert ledger.finish("d-1", "b", NOW, status="sent", detail="x") is None
    assert ledger.finish("d-1", None, NOW, status="failed", detail="x") is None  # not open
    assert not ledger.transmitting("d-1", "b", NOW, 60)
    ledger.defer("d-1", NOW + dt.timedelta(hours=1), NOW)  # only an open delivery waits
    assert ledger.get("d-1") == claimed
    assert ledger.transmitting("d-1", "a", NOW + SECOND, 60)
    done = ledger.finish(
        "d-1", "a", NOW + 2 * SECOND, status="sent", detail="posted", delivered_as="link"
    )
    assert done is not None and done.status == "sent" and done.sent_at == NOW + 2 * SECOND
    assert (done.phase, done.lease_owner, done.lease_until) == (None, None, None)
    assert (done.detail, done.delivered_as, done.attempts) == ("posted", "link", 1)
    assert ledger.get("d-1") == done
    assert ledger.finish("d-1", "a", NOW, status="sent", detail="again") is None
    with pytest.raises(ValueError, match="sent, retrying or failed"):
        ledger.finish("d-1", "a", NOW, status="queued", detail=None)
    assert ledger.ready(NOW + dt.timedelta(days=1)) == []
    assert ledger.stalled(NOW + dt.timedelta(days=1)) == []


def test_a_retry_waits_for_its_time(ledger: DeliveryLedger) -> None:
    ledger.add([new()], NOW)
    ledger.claim("d-1", "a", NOW, 60)
    later = NOW + dt.timedelta(minutes=2)
    retrying = ledger.finish("d-1", "a", NOW, status="retrying", detail="500", retry_at=later)
    assert retrying is not None and retrying.next_attempt_at == later
    assert ledger.ready(NOW) == [] and ledger.claim("d-1", "a", NOW, 60) is None
    assert ledger.next_attempt() == later
    assert [r.delivery_id for r in ledger.ready(later)] == ["d-1"]
    assert ledger.claim("d-1", "a", later, 60).attempts == 2  # type: ignore[union-attr]
    assert ledger.next_attempt() is None


def test_a_failed_report_fails_an_open_delivery_without_an_attempt(
    ledger: DeliveryLedger,
) -> None:
    ledger.add([new(report_job_id="job-1")], NOW)
    failed = ledger.finish("d-1", None, NOW, status="failed", detail="the report failed: x")
    assert failed is not None and failed.status == "failed" and failed.attempts == 0
    assert failed.report_job_id == "job-1" and failed.sent_at is None
    assert ledger.claim("d-1", "a", NOW, 60) is None
    events = [e for _, e in ledger.pending_events()]
    assert sorted((e.status, e.attempt) for e in events) == [("failed", 0), ("queued", 0)]
    assert next(e for e in events if e.status == "failed").detail == "the report failed: x"


# -- ready and stalled: when ----------------------------------------------------------------------
def test_ready_lists_open_deliveries_whose_time_has_come_oldest_due_first(
    ledger: DeliveryLedger,
) -> None:
    ledger.add(
        [
            new("late", due=DUE),
            new("early", due=DUE - dt.timedelta(days=1)),
            new("waiting", due=DUE - dt.timedelta(days=2)),
        ],
        NOW,
    )
    assert ledger.next_attempt() == NOW
    ledger.defer("waiting", NOW + dt.timedelta(seconds=2), NOW)
    assert [r.delivery_id for r in ledger.ready(NOW)] == ["early", "late"]
    assert [r.delivery_id for r in ledger.ready(NOW, limit=1)] == ["early"]
    deferred = ledger.get("waiting")
    assert deferred is not None and deferred.attempts == 0 and deferred.status == "queued"
    assert ledger.claim("waiting", "a", NOW + SECOND, 60) is None  # not yet
    # Its time is inclusive: ready (and claimable) at exactly next_attempt_at.
    at = NOW + dt.timedelta(seconds=2)
    assert [r.delivery_id for r in ledger.ready(at)] == ["waiting", "early", "late"]
    ledger.claim("early", "a", at, 60)
    assert [r.delivery_id for r in ledger.ready(at)] == ["waiting", "late"]
    assert [e.status for _, e in ledger.pending_events()] == ["queued"] * 3  # no event for these


def test_stalled_lists_only_leases_run_out_before_now(ledger: DeliveryLedger) -> None:
    ledger.add([new("a"), new("b")], NOW)
    ledger.claim("a", "s1", NOW, 5)
    ledger.claim("b", "s2", NOW, 10)
    assert ledger.stalled(NOW + 5 * SECOND) == []  # lease_until == now: not run out
    assert [r.delivery_id for r in ledger.stalled(NOW + 6 * SECOND)] == ["a"]
    # A sender that is still at it renews its lease when it transmits.
    assert ledger.transmitting("a", "s1", NOW + 4 * SECOND, 5)
    assert ledger.stalled(NOW + 6 * SECOND) == []
    assert sorted(r.delivery_id for r in ledger.stalled(NOW + 11 * SECOND)) == ["a", "b"]


@pytest.mark.parametrize(
    ("phase", "channel", "resend", "status"),
    [
        ("prepare", "email", False, "retrying"),  # nothing left the machine
        ("transmit", "slack", False, "failed"),  # may have arrived; Slack cannot tell
        ("transmit", "webhook", True, "retrying"),  # the same webhook-id again
    ],
)
def test_a_dead_senders_delivery_is_recovered_by_what_it_was_doing(
    open_ledger: OpenLedger, phase: str, channel: str, resend: bool, status: str
) -> None:
    ledger, other = open_ledger(), open_ledger()
    ledger.add([new(channel=channel)], NOW)
    ledger.claim("d-1", "dead", NOW, 5)
    if phase == "transmit":
        assert ledger.transmitting("d-1", "dead", NOW, 5)
    assert ledger.stalled(NOW) == []
    [stalled] = ledger.stalled(NOW + dt.timedelta(seconds=6))
    assert stalled.phase == phase and stalled.lease_owner == "dead"
    recovered = ledger.recover(stalled, NOW + dt.timedelta(seconds=6), resend=resend)
    assert recovered is not None and recovered.status == status
    assert (recovered.phase, recovered.lease_owner, recovered.lease_until) == (None, None, None)
    assert recovered.attempts == 1 and "the sender stopped" in (recovered.detail or "")
    # Two recoverers: the second finds nothing to do.
    assert other.recover(stalled, NOW + dt.timedelta(seconds=6), resend=resend) is None
    assert ledger.recover(stalled, NOW + dt.timedelta(seconds=6), resend=resend) is None
    # The dead sender, back, may not end what is no longer its own.
    assert ledger.finish("d-1", "dead", NOW, status="sent", detail="late") is None
    assert statuses(ledger) == sorted(["queued", status])
    if status == "retrying":
        assert recovered.next_attempt_at == NOW + dt.timedelta(seconds=6)
        assert [r.delivery_id for r in other.ready(NOW + dt.timedelta(seconds=6))] == ["d-1"]
        again = other.claim("d-1", "alive", NOW + dt.timedelta(seconds=6), 60)
        assert again is not None and again.attempts == 2
    else:
        assert recovered.next_attempt_at is None
        assert other.ready(NOW + dt.timedelta(days=1)) == []


def test_a_renewed_lease_is_not_recovered(open_ledger: OpenLedger) -> None:
    ledger, recoverer = open_ledger(), open_ledger()
    ledger.add([new()], NOW)
    ledger.claim("d-1", "slow", NOW, 5)
    [stalled] = recoverer.stalled(NOW + 6 * SECOND)
    assert ledger.transmitting("d-1", "slow", NOW + 6 * SECOND, 5)  # not dead after all
    assert recoverer.recover(stalled, NOW + 6 * SECOND, resend=False) is None
    done = ledger.finish("d-1", "slow", NOW + 7 * SECOND, status="sent", detail="ok")
    assert done is not None and done.status == "sent"


# -- the outbox -----------------------------------------------------------------------------------
def test_every_change_leaves_its_event_until_it_is_written(open_ledger: OpenLedger) -> None:
    ledger, flusher = open_ledger(), open_ledger()
    ledger.add([new("a"), new("b", channel="email")], NOW)
    ledger.claim("a", "s", NOW, 60)
    ledger.finish(
        "a", "s", NOW + SECOND, status="retrying", detail="503", retry_at=NOW, duration_ms=7
    )
    ledger.claim("a", "s", NOW + 2 * SECOND, 60)
    ledger.finish("a", "s", NOW + 3 * SECOND, status="sent", detail="ok", delivered_as="link")
    pending = flusher.pending_events()
    assert sorted((e.delivery_id, e.attempt, e.status) for _, e in pending) == [
        ("a", 0, "queued"),
        ("a", 1, "retrying"),
        ("a", 2, "sent"),
        ("b", 0, "queued"),
    ]
    by_status = {(e.delivery_id, e.status): e for _, e in pending}
    assert by_status["a", "retrying"].duration_ms == 7
    assert by_status["a", "retrying"].next_attempt_at == NOW
    assert by_status["a", "sent"].delivered_as == "link"
    assert len({str(e.event_id) for _, e in pending}) == 4
    # A page at a time; written events are gone, for every ledger object.
    first = flusher.pending_events(limit=2)
    assert len(first) == 2
    flusher.events_written([key for key, _ in first])
    flusher.events_written([key for key, _ in first])  # again: nothing happens
    rest = ledger.pending_events()
    assert len(rest) == 2 and not {k for k, _ in rest} & {k for k, _ in first}
    # A change after the read is not lost when what was read is written.
    ledger.finish("b", None, NOW + 4 * SECOND, status="failed", detail="no report")
    ledger.events_written([key for key, _ in rest])
    [(_, last)] = flusher.pending_events()
    assert (last.delivery_id, last.status) == ("b", "failed")
    flusher.events_written([key for key, _ in flusher.pending_events()])
    assert ledger.pending_events() == [] and flusher.pending_events() == []
    ledger.events_written([])
    ledger.events_written(["not-a-key", "nobody/nothing"])  # unknown keys: ignored


def test_events_of_many_deliveries_are_read_in_pages(ledger: DeliveryLedger) -> None:
    ledger.add([new(f"d-{i:02}", recipient=f"R{i:02}") for i in range(30)], NOW)
    seen: set[str] = set()
    while page := ledger.pending_events(limit=7):
        assert len(page) <= 7
        seen |= {e.delivery_id for _, e in page}
        ledger.events_written([key for key, _ in page])
    assert len(seen) == 30


# -- recent -------------------------------------------------------------------------------------
def test_recent_is_newest_due_first_of_all_or_of_one_source(ledger: DeliveryLedger) -> None:
    day = dt.timedelta(days=1)
    ledger.add([new("s-old-b", recipient="B", due=DUE - day)], NOW)
    ledger.add([new("s-old-a", recipient="A", due=DUE - day)], NOW)
    ledger.add([new("s-new-b", recipient="B"), new("s-new-c", recipient="C")], NOW)
    ledger.add([new("s-new-a", recipient="A")], NOW + SECOND)  # made later: first among ties
    ledger.add([new("o-mid", source="other_sub", due=DUE - day / 2)], NOW)
    ledger.add([new("o-old", source="other_sub", due=DUE - 3 * day)], NOW)
    assert [r.delivery_id for r in ledger.recent()] == [
        "s-new-a",
        "s-new-b",
        "s-new-c",
        "o-mid",
        "s-old-a",
        "s-old-b",
        "o-old",
    ]
    assert [r.delivery_id for r in ledger.recent(source="daily_to_sales")] == [
        "s-new-a",
        "s-new-b",
        "s-new-c",
        "s-old-a",
        "s-old-b",
    ]
    assert [r.delivery_id for r in ledger.recent(source="other_sub")] == ["o-mid", "o-old"]
    assert ledger.recent(source="nobody") == []
    # A limit that cuts a tie keeps the tie's order.
    assert [r.delivery_id for r in ledger.recent(2)] == ["s-new-a", "s-new-b"]
    assert [r.delivery_id for r in ledger.recent(3, "daily_to_sales")] == [
        "s-new-a",
        "s-new-b",
        "s-new-c",
    ]
    assert [r.delivery_id for r in ledger.recent(4, "daily_to_sales")][-1] == "s-old-a"
    # Finished deliveries are listed too, as they are now.
    ledger.finish("o-old", None, NOW, status="failed", detail="gone")
    assert ledger.recent(source="other_sub")[-1].status == "failed"


# -- DynamoDB only --------------------------------------------------------------------------------
def test_the_dynamodb_ledger_never_scans_and_calls_what_the_task_role_grants(
    aws_env: dict[str, str],
) -> None:
    client = RecordingClient(
        boto3.client("dynamodb", region_name=AWS_REGION, endpoint_url=aws_env["AWS_ENDPOINT_URL"])
    )
    ledger = DynamoDeliveryLedger(f"deliveries-{uuid.uuid4().hex[:12]}", client)
    ledger.ensure_table()
    client.calls.clear()
    ledger.add([new("a"), new("b", channel="slack")], NOW)
    ledger.add([new("a")], NOW)
    ledger.defer("b", NOW, NOW)
    ledger.claim("a", "s", NOW, 1)
    ledger.transmitting("a", "s", NOW, 1)
    ledger.recover(ledger.stalled(NOW + 2 * SECOND)[0], NOW + 2 * SECOND, resend=True)
    [ready, _] = ledger.ready(NOW + 2 * SECOND)
    ledger.claim(ready.delivery_id, "s", NOW + 2 * SECOND, 60)
    ledger.finish(ready.delivery_id, "s", NOW + 3 * SECOND, status="sent", detail="ok")
    ledger.recent()
    ledger.recent(source="daily_to_sales")
    ledger.next_attempt()
    ledger.events_written([key for key, _ in ledger.pending_events()])
    assert set(client.calls) == {"put_item", "get_item", "query", "update_item"}


def test_a_dynamodb_item_leaves_the_queue_and_the_outbox_index_when_done(
    aws_env: dict[str, str],
) -> None:
    client = boto3.client(
        "dynamodb", region_name=AWS_REGION, endpoint_url=aws_env["AWS_ENDPOINT_URL"]
    )
    table = f"deliveries-{uuid.uuid4().hex[:12]}"
    ledger = DynamoDeliveryLedger(table, client)
    ledger.ensure_table()
    ledger.add([new()], NOW)
    ledger.claim("d-1", "s", NOW, 60)
    ledger.finish("d-1", "s", NOW, status="sent", detail="ok")
    ledger.events_written([key for key, _ in ledger.pending_events()])
    item = client.get_item(TableName=table, Key={"delivery_id": {"S": "d-1"}})["Item"]
    assert "queue" not in item and "wake_at" not in item and "pending" not in item
    assert item["outbox"] == {"M": {}} and item["listing"] == {"S": "all"}
    assert item["due_at"] == {"S": "2026-12-04T06:00:00.000000Z"}


# -- the plan ------------------------------------------------------------------------------------
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
