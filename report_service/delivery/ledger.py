"""The delivery ledger: one record per delivery, the exactly-once bookkeeping.

A record is made once per ``delivery_id`` (derived from the subscription or
alert, the recipient and the due time: :mod:`analytics_core.deliveries`), so
a retried request, a restarted scheduler or a second one adds nothing.
Every change is conditional (on the status, and on the lease of the sender
holding it), so two senders never both send one delivery.

States: ``queued`` (waiting for its report or its first attempt) ->
``sending`` (a sender holds it, with a lease) -> ``sent``, ``retrying`` (a
later attempt is planned at ``next_attempt_at``) or ``failed``.

A sending delivery is in one of two phases. ``prepare``: reading the secret,
the files, composing the message; nothing has left the machine, so a sender
that dies here leaves a delivery the next sender simply tries again.
``transmit``: the message is on its way; a sender that dies here leaves an
outcome nobody knows (the mail server may have accepted it). Such a delivery
is sent again only where the receiver recognises a repeat (a webhook: the
same ``webhook-id``, which the Standard Webhooks specification makes the
receiver's de-duplication key); otherwise it ends ``failed`` saying so,
rather than risk a second copy in an inbox or a channel.

Each change that makes an event (a delivery made; an attempt ended; a
stalled delivery recovered) also writes its
:class:`~analytics_core.events.DeliveryEvent` into an outbox in the same
atomic write; :meth:`DeliveryLedger.pending_events` and
:meth:`DeliveryLedger.events_written` let the sender copy them to the event
stream, so a crash between the change and its event loses no event.

The rules, as each implementation applies them (atomically, per delivery):

- ``add``: made only if no record has the id (then a ``queued`` event);
- ``defer``: only while ``queued`` or ``retrying``; no attempt, no event;
- ``claim``: only while ``queued`` or ``retrying`` and ``next_attempt_at`` is
  unset or not after now: ``sending``, phase ``prepare``, attempts + 1, the
  lease ``(owner, now + lease)``;
- ``transmitting``: only while ``sending`` and held by the owner: phase
  ``transmit``, the lease renewed;
- ``finish``: only while ``sending`` and held by the owner (with no owner:
  only while ``queued`` or ``retrying``, an end without an attempt);
- ``recover``: only while the record is still the stalled one (``sending``,
  the same lease owner and lease end): by phase, as above.

Two implementations (:mod:`~report_service.delivery.ledger_sqlite`, a SQLite
file beside the local job store, and
:mod:`~report_service.delivery.ledger_dynamodb`, a DynamoDB table every
replica shares); the service opens the one its job store goes with.
"""

from __future__ import annotations

import datetime as dt
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from analytics_core.events import DeliveryEvent

#: The open states: waiting for an attempt.
OPEN: Final = ("queued", "retrying")
#: How an attempt ends.
ENDINGS: Final = ("sent", "retrying", "failed")
#: Fixed-width UTC text: sorts as the moments do.
TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"

_EVENT_NAMESPACE = uuid.UUID("3e9b1d74-58c2-4a0f-9d16-b7e2c8f4a053")
_RETRY_AFTER_STOP = "the sender stopped during the attempt; trying again"
_FAILED_AFTER_STOP = (
    "the sender stopped while the message was being sent: it may or may not "
    "have arrived; not sent again, so nobody gets it twice (send it again by "
    "hand if it did not arrive)"
)


def format_time(moment: dt.datetime | None) -> str | None:
    """A moment as the ledgers keep it (``2026-06-15T06:00:00.000000Z``)."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime(TIME_FORMAT)


def parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivery as the ledger keeps it."""

    delivery_id: str
    kind: str
    source: str
    recipient: str
    channel: str
    due_at: dt.datetime
    report_job_id: str | None
    status: str
    phase: str | None
    attempts: int
    next_attempt_at: dt.datetime | None
    lease_owner: str | None
    lease_until: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_as: str | None
    detail: str | None
    #: What to send: the recipient, the report and its parameters, the subject.
    spec: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewDelivery:
    """What :meth:`DeliveryLedger.add` makes a record of."""

    delivery_id: str
    kind: str
    source: str
    recipient: str
    channel: str
    due_at: dt.datetime
    report_job_id: str | None
    spec: dict[str, Any]


def queued_record(new: NewDelivery, now: dt.datetime) -> DeliveryRecord:
    """The record :meth:`DeliveryLedger.add` makes of ``new`` at ``now``."""
    return DeliveryRecord(
        delivery_id=new.delivery_id,
        kind=new.kind,
        source=new.source,
        recipient=new.recipient,
        channel=new.channel,
        due_at=new.due_at.astimezone(dt.UTC),
        report_job_id=new.report_job_id,
        status="queued",
        phase=None,
        attempts=0,
        next_attempt_at=None,
        lease_owner=None,
        lease_until=None,
        created_at=now.astimezone(dt.UTC),
        updated_at=now.astimezone(dt.UTC),
        sent_at=None,
        delivered_as=None,
        detail=None,
        spec=new.spec,
    )


def event_for(
    record: DeliveryRecord, at: dt.datetime, *, duration_ms: int | None = None
) -> DeliveryEvent:
    """The event of the state ``record`` is in (queued, sent, retrying, failed)."""
    # One event per (delivery, attempt, status): a repeat is the same event.
    event_id = uuid.uuid5(
        _EVENT_NAMESPACE, f"{record.delivery_id}:{record.attempts}:{record.status}"
    )
    return DeliveryEvent(
        event_id=event_id,
        at=at,
        delivery_id=record.delivery_id,
        kind=record.kind,
        source=record.source,
        recipient=record.recipient,
        channel=record.channel,
        due_at=record.due_at,
        attempt=record.attempts,
        status=record.status,
        report_job_id=record.report_job_id,
        delivered_as=record.delivered_as if record.status == "sent" else None,
        duration_ms=duration_ms,
        detail=(record.detail or None) and record.detail[:4000],
        next_attempt_at=record.next_attempt_at if record.status == "retrying" else None,
    )


def check_ending(status: str) -> None:
    if status not in ENDINGS:
        raise ValueError(f"an attempt ends sent, retrying or failed, not {status!r}")


def recovery(record: DeliveryRecord, resend: bool) -> tuple[str, str]:
    """How a stalled delivery ends, ``(status, detail)``: tried again when
    nothing left the machine (phase ``prepare``) or the receiver recognises a
    repeat (``resend``), else failed, saying why."""
    if record.phase == "prepare" or resend:
        return "retrying", _RETRY_AFTER_STOP
    return "failed", _FAILED_AFTER_STOP


class DeliveryLedger(ABC):
    """The ledger's contract (the rules: the module doc). Implementations are
    safe to share between threads; several ledger objects (processes,
    replicas) on one store obey the rules together."""

    def close(self) -> None:  # noqa: B027 - optional: most ledgers hold nothing to close
        """Release what the ledger holds (connections)."""

    # -- reads ---------------------------------------------------------------

    @abstractmethod
    def get(self, delivery_id: str) -> DeliveryRecord | None:
        """The delivery, read after every change made before (consistent)."""

    @abstractmethod
    def recent(self, limit: int = 50, source: str | None = None) -> list[DeliveryRecord]:
        """Deliveries newest due first (then newest made, then by recipient),
        of one subscription or alert (``source``) or of all."""

    @abstractmethod
    def ready(self, now: dt.datetime, limit: int = 20) -> list[DeliveryRecord]:
        """Open deliveries whose time has come, oldest due first."""

    @abstractmethod
    def stalled(self, now: dt.datetime) -> list[DeliveryRecord]:
        """Deliveries a sender held whose lease ran out before ``now`` (the sender died)."""

    @abstractmethod
    def next_attempt(self) -> dt.datetime | None:
        """The earliest time an open delivery may be tried (its
        ``next_attempt_at``, else when it was made); None when none is open."""

    # -- changes -------------------------------------------------------------

    @abstractmethod
    def add(
        self, deliveries: Sequence[NewDelivery], now: dt.datetime
    ) -> list[tuple[DeliveryRecord, bool]]:
        """Make each delivery unless it exists; ``(record, made_now)`` each."""

    @abstractmethod
    def defer(self, delivery_id: str, until: dt.datetime, now: dt.datetime) -> None:
        """An open delivery waits (its report is not ready): no attempt is used."""

    @abstractmethod
    def claim(
        self, delivery_id: str, owner: str, now: dt.datetime, lease_seconds: float
    ) -> DeliveryRecord | None:
        """Take an open delivery for one attempt; None if another sender has it
        (or its time has not come)."""

    @abstractmethod
    def transmitting(
        self, delivery_id: str, owner: str, now: dt.datetime, lease_seconds: float
    ) -> bool:
        """The message is about to leave: from here a crash leaves an unknown
        outcome. False when ``owner`` no longer holds the delivery."""

    @abstractmethod
    def finish(
        self,
        delivery_id: str,
        owner: str | None,
        now: dt.datetime,
        *,
        status: str,
        detail: str | None,
        delivered_as: str | None = None,
        retry_at: dt.datetime | None = None,
        duration_ms: int | None = None,
    ) -> DeliveryRecord | None:
        """End an attempt: ``sent``, ``retrying`` (at ``retry_at``) or ``failed``.
        With ``owner`` None, an open delivery fails without an attempt (its
        report failed). None when the rules refuse (another holds it)."""

    @abstractmethod
    def recover(
        self, record: DeliveryRecord, now: dt.datetime, *, resend: bool
    ) -> DeliveryRecord | None:
        """A stalled delivery (its sender died), as :meth:`stalled` listed it:
        tried again if nothing left the machine or the receiver recognises a
        repeat, else failed, saying why (:func:`recovery`). None when it is no
        longer that stalled delivery (another recoverer, a renewed lease)."""

    # -- the events outbox ---------------------------------------------------

    @abstractmethod
    def pending_events(self, limit: int = 100) -> list[tuple[str, DeliveryEvent]]:
        """Up to ``limit`` events not yet written to the event stream, each
        with its outbox key (opaque: give it back to :meth:`events_written`)."""

    @abstractmethod
    def events_written(self, keys: Sequence[str]) -> None:
        """The events of these outbox keys are in the event stream: drop them
        (keys already dropped are ignored)."""
