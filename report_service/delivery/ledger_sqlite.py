"""The delivery ledger in one SQLite file (:class:`SQLiteDeliveryLedger`):
the local service's, beside its job store
(``$ANALYTICS_HOME/report_service/deliveries.sqlite3``).

One table of deliveries and one outbox table of event lines; every change
is one ``BEGIN IMMEDIATE`` transaction (the rules: :mod:`~report_service.delivery.ledger`),
so the processes sharing the file take turns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analytics_core.events import DeliveryEvent
from report_service.delivery.ledger import (
    DeliveryLedger,
    DeliveryRecord,
    NewDelivery,
    check_ending,
    event_for,
    parse_time,
    recovery,
)
from report_service.delivery.ledger import format_time as _ts
from report_service.stores.sqlite_connections import ThreadConnections

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

_COLUMNS = (
    "delivery_id, kind, source, recipient, channel, due_at, report_job_id, status, phase, "
    "attempts, next_attempt_at, lease_owner, lease_until, created_at, updated_at, sent_at, "
    "delivered_as, detail, spec"
)


def _required(value: str) -> dt.datetime:
    parsed = parse_time(value)
    assert parsed is not None  # noqa: S101 - a not null column
    return parsed


def _record(row: Sequence[Any]) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_id=row[0],
        kind=row[1],
        source=row[2],
        recipient=row[3],
        channel=row[4],
        due_at=_required(row[5]),
        report_job_id=row[6],
        status=row[7],
        phase=row[8],
        attempts=int(row[9]),
        next_attempt_at=parse_time(row[10]),
        lease_owner=row[11],
        lease_until=parse_time(row[12]),
        created_at=_required(row[13]),
        updated_at=_required(row[14]),
        sent_at=parse_time(row[15]),
        delivered_as=row[16],
        detail=row[17],
        spec=json.loads(row[18]),
    )


class SQLiteDeliveryLedger(DeliveryLedger):
    """The ledger in one SQLite file (WAL; one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._connections = ThreadConnections(self.path)
        with self._tx() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._connections.transaction()

    def close(self) -> None:
        self._connections.close()

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
        return parse_time(row[0]) if row and row[0] else None

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
        with self._tx() as conn:
            conn.execute(
                "update deliveries set next_attempt_at = ?, updated_at = ? "
                "where delivery_id = ? and status in ('queued', 'retrying')",
                (_ts(until), _ts(now), delivery_id),
            )

    def claim(
        self, delivery_id: str, owner: str, now: dt.datetime, lease_seconds: float
    ) -> DeliveryRecord | None:
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
        check_ending(status)
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
        status, detail = recovery(record, resend)
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
        """Outbox keys are the events' ids."""
        rows = (
            self._conn()
            .execute("select event_id, line from delivery_outbox limit ?", (limit,))
            .fetchall()
        )
        return [(row[0], DeliveryEvent.model_validate_json(row[1])) for row in rows]

    def events_written(self, keys: Sequence[str]) -> None:
        with self._tx() as conn:
            conn.executemany("delete from delivery_outbox where event_id = ?", [(k,) for k in keys])
