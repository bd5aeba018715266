"""The delivery ledger: one row per delivery, the exactly-once bookkeeping.

A row is made once per ``delivery_id`` (derived from the subscription or
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

Each change also writes its :class:`~analytics_core.events.DeliveryEvent`
into an outbox table in the same transaction; :meth:`pending_events` and
:meth:`events_written` let the sender copy them to the event stream, so a
crash between the change and its event loses no event.

Locally the ledger is a SQLite file beside the job store
(``$ANALYTICS_HOME/report_service/deliveries.sqlite3``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics_core.events import DeliveryEvent

BUSY_TIMEOUT_S = 30.0
OPEN = ("queued", "retrying")

_SCHEMA = """
create table if not exists deliveries (
    delivery_id text primary key,
    kind text not null,
    source text not null,
    recipient text not null,
    channel text not null,
    due_at text not null,
    report_job_id text,
    status text not null,
    phase text,
    attempts integer not null default 0,
    next_attempt_at text,
    lease_owner text,
    lease_until text,
    created_at text not null,
    updated_at text not null,
    sent_at text,
    delivered_as text,
    detail text,
    spec text not null
);
create index if not exists deliveries_open on deliveries (status, next_attempt_at);
create index if not exists deliveries_source on deliveries (source, due_at);
create table if not exists delivery_outbox (
    event_id text primary key,
    line text not null
);
"""


def _ts(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


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


_COLUMNS = (
    "delivery_id, kind, source, recipient, channel, due_at, report_job_id, status, phase, "
    "attempts, next_attempt_at, lease_owner, lease_until, created_at, updated_at, sent_at, "
    "delivered_as, detail, spec"
)


def _record(row: Sequence[Any]) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_id=row[0],
        kind=row[1],
        source=row[2],
        recipient=row[3],
        channel=row[4],
        due_at=_parse(row[5]),  # type: ignore[arg-type]
        report_job_id=row[6],
        status=row[7],
        phase=row[8],
        attempts=int(row[9]),
        next_attempt_at=_parse(row[10]),
        lease_owner=row[11],
        lease_until=_parse(row[12]),
        created_at=_parse(row[13]),  # type: ignore[arg-type]
        updated_at=_parse(row[14]),  # type: ignore[arg-type]
        sent_at=_parse(row[15]),
        delivered_as=row[16],
        detail=row[17],
        spec=json.loads(row[18]),
    )


@dataclass(frozen=True)
class NewDelivery:
    """What :meth:`DeliveryLedger.add` makes a row of."""

    delivery_id: str
    kind: str
    source: str
    recipient: str
    channel: str
    due_at: dt.datetime
    report_job_id: str | None
    spec: dict[str, Any]


def event_for(
    record: DeliveryRecord, at: dt.datetime, *, duration_ms: int | None = None
) -> DeliveryEvent:
    """The event of the state ``record`` is in (queued, sent, retrying, failed)."""
    import uuid

    # One event per (delivery, attempt, status): a repeat is the same event.
    event_id = uuid.uuid5(
        uuid.UUID("3e9b1d74-58c2-4a0f-9d16-b7e2c8f4a053"),
        f"{record.delivery_id}:{record.attempts}:{record.status}",
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


class DeliveryLedger:
    """The ledger in one SQLite file (WAL; one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        with self._tx() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    # -- reads ---------------------------------------------------------------

    def get(self, delivery_id: str) -> DeliveryRecord | None:
        row = (
            self._conn()
            .execute(f"select {_COLUMNS} from deliveries where delivery_id = ?", (delivery_id,))  # noqa: S608
            .fetchone()
        )
        return None if row is None else _record(row)

    def recent(self, limit: int = 50, source: str | None = None) -> list[DeliveryRecord]:
        where, args = ("where source = ? ", (source,)) if source else ("", ())
        rows = (
            self._conn()
            .execute(
                f"select {_COLUMNS} from deliveries {where}"  # noqa: S608 - constant parts
                "order by due_at desc, created_at desc, recipient limit ?",
                (*args, limit),
            )
            .fetchall()
        )
        return [_record(row) for row in rows]

    def ready(self, now: dt.datetime, limit: int = 20) -> list[DeliveryRecord]:
        """Open deliveries whose time has come, oldest due first."""
        rows = (
            self._conn()
            .execute(
                f"select {_COLUMNS} from deliveries where status in ('queued', 'retrying') "  # noqa: S608
                "and (next_attempt_at is null or next_attempt_at <= ?) "
                "order by due_at, created_at limit ?",
                (_ts(now), limit),
            )
            .fetchall()
        )
        return [_record(row) for row in rows]

    def stalled(self, now: dt.datetime) -> list[DeliveryRecord]:
        """Deliveries a sender held whose lease ran out (the sender died)."""
        rows = (
            self._conn()
            .execute(
                f"select {_COLUMNS} from deliveries where status = 'sending' "  # noqa: S608
                "and lease_until < ?",
                (_ts(now),),
            )
            .fetchall()
        )
        return [_record(row) for row in rows]

    def next_attempt(self) -> dt.datetime | None:
        row = (
            self._conn()
            .execute(
                "select min(coalesce(next_attempt_at, created_at)) from deliveries "
                "where status in ('queued', 'retrying')"
            )
            .fetchone()
        )
        return _parse(row[0]) if row and row[0] else None

    # -- changes -------------------------------------------------------------

    def _event(
        self, conn: sqlite3.Connection, record: DeliveryRecord, now: dt.datetime, **kw: Any
    ) -> None:
        event = event_for(record, now, **kw)
        conn.execute(
            "insert into delivery_outbox (event_id, line) values (?, ?) "
            "on conflict (event_id) do nothing",
            (str(event.event_id), event.model_dump_json()),
        )

    def _get_in(self, conn: sqlite3.Connection, delivery_id: str) -> DeliveryRecord:
        row = conn.execute(
            f"select {_COLUMNS} from deliveries where delivery_id = ?",  # noqa: S608
            (delivery_id,),
        ).fetchone()
        return _record(row)

    def add(
        self, deliveries: Sequence[NewDelivery], now: dt.datetime
    ) -> list[tuple[DeliveryRecord, bool]]:
        """Make each delivery unless it exists; ``(record, made_now)`` each."""
        results = []
        with self._tx() as conn:
            for new in deliveries:
                cursor = conn.execute(
                    f"insert into deliveries ({_COLUMNS}) values "  # noqa: S608
                    "(?, ?, ?, ?, ?, ?, ?, 'queued', null, 0, null, null, null, ?, ?, null, "
                    "null, null, ?) on conflict (delivery_id) do nothing",
                    (
                        new.delivery_id,
                        new.kind,
                        new.source,
                        new.recipient,
                        new.channel,
                        _ts(new.due_at),
                        new.report_job_id,
                        _ts(now),
                        _ts(now),
                        json.dumps(new.spec, sort_keys=True),
                    ),
                )
                record = self._get_in(conn, new.delivery_id)
                made = cursor.rowcount == 1
                if made:
                    self._event(conn, record, now)
                results.append((record, made))
        return results

    def defer(self, delivery_id: str, until: dt.datetime, now: dt.datetime) -> None:
        """An open delivery waits (its report is not ready): no attempt is used."""
        with self._tx() as conn:
            conn.execute(
                "update deliveries set next_attempt_at = ?, updated_at = ? "
                "where delivery_id = ? and status in ('queued', 'retrying')",
                (_ts(until), _ts(now), delivery_id),
            )

    def claim(
        self, delivery_id: str, owner: str, now: dt.datetime, lease_seconds: float
    ) -> DeliveryRecord | None:
        """Take an open delivery for one attempt; None if another sender has it."""
        until = now + dt.timedelta(seconds=lease_seconds)
        with self._tx() as conn:
            cursor = conn.execute(
                "update deliveries set status = 'sending', phase = 'prepare', "
                "attempts = attempts + 1, lease_owner = ?, lease_until = ?, updated_at = ? "
                "where delivery_id = ? and status in ('queued', 'retrying') "
                "and (next_attempt_at is null or next_attempt_at <= ?)",
                (owner, _ts(until), _ts(now), delivery_id, _ts(now)),
            )
            return self._get_in(conn, delivery_id) if cursor.rowcount == 1 else None

    def transmitting(
        self, delivery_id: str, owner: str, now: dt.datetime, lease_seconds: float
    ) -> bool:
        """The message is about to leave: from here a crash leaves an unknown outcome."""
        until = now + dt.timedelta(seconds=lease_seconds)
        with self._tx() as conn:
            cursor = conn.execute(
                "update deliveries set phase = 'transmit', lease_until = ?, updated_at = ? "
                "where delivery_id = ? and status = 'sending' and lease_owner = ?",
                (_ts(until), _ts(now), delivery_id, owner),
            )
            return cursor.rowcount == 1

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
        report failed)."""
        if status not in ("sent", "retrying", "failed"):
            raise ValueError(f"an attempt ends sent, retrying or failed, not {status!r}")
        held = (
            "status = 'sending' and lease_owner = ?"
            if owner is not None
            else "status in ('queued', 'retrying')"
        )
        with self._tx() as conn:
            cursor = conn.execute(
                "update deliveries set status = ?, phase = null, lease_owner = null, "  # noqa: S608
                "lease_until = null, next_attempt_at = ?, updated_at = ?, detail = ?, "
                "delivered_as = ?, sent_at = case when ? = 'sent' then ? else sent_at end "
                f"where delivery_id = ? and {held}",
                (
                    status,
                    _ts(retry_at),
                    _ts(now),
                    detail,
                    delivered_as,
                    status,
                    _ts(now),
                    delivery_id,
                    *((owner,) if owner is not None else ()),
                ),
            )
            if cursor.rowcount != 1:
                return None
            record = self._get_in(conn, delivery_id)
            self._event(conn, record, now, duration_ms=duration_ms)
            return record

    def recover(
        self, record: DeliveryRecord, now: dt.datetime, *, resend: bool
    ) -> DeliveryRecord | None:
        """A stalled delivery (its sender died): tried again if nothing left the
        machine or the receiver recognises a repeat, else failed, saying why."""
        if record.phase == "prepare" or resend:
            status, detail = "retrying", "the sender stopped during the attempt; trying again"
        else:
            status, detail = (
                "failed",
                "the sender stopped while the message was being sent: it may or may not "
                "have arrived; not sent again, so nobody gets it twice (send it again by "
                "hand if it did not arrive)",
            )
        with self._tx() as conn:
            cursor = conn.execute(
                "update deliveries set status = ?, phase = null, lease_owner = null, "
                "lease_until = null, next_attempt_at = ?, updated_at = ?, detail = ? "
                "where delivery_id = ? and status = 'sending' and lease_owner is ? "
                "and lease_until = ?",
                (
                    status,
                    _ts(now) if status == "retrying" else None,
                    _ts(now),
                    detail,
                    record.delivery_id,
                    record.lease_owner,
                    _ts(record.lease_until),
                ),
            )
            if cursor.rowcount != 1:
                return None
            updated = self._get_in(conn, record.delivery_id)
            self._event(conn, updated, now)
            return updated

    # -- the events outbox ---------------------------------------------------

    def pending_events(self, limit: int = 100) -> list[tuple[str, DeliveryEvent]]:
        rows = (
            self._conn()
            .execute("select event_id, line from delivery_outbox limit ?", (limit,))
            .fetchall()
        )
        return [(row[0], DeliveryEvent.model_validate_json(row[1])) for row in rows]

    def events_written(self, event_ids: Sequence[str]) -> None:
        with self._tx() as conn:
            conn.executemany(
                "delete from delivery_outbox where event_id = ?", [(e,) for e in event_ids]
            )
