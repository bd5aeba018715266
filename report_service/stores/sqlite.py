"""The SQLite job store: one file under ``ANALYTICS_HOME``, shared by every
replica (process) on the machine.

- WAL journal, ``busy_timeout``; one connection per thread (and per process:
  a forked child opens its own).
- Every state change is one ``UPDATE ... WHERE status = 'running' AND
  lease_owner = ?`` (or runs inside ``BEGIN IMMEDIATE``, which takes the
  file's write lock), so two processes never claim one job.
- Timestamps are stored as fixed-width ISO 8601 UTC text
  (``2026-06-30T12:00:00.000000Z``), which sorts like time; they come back
  as aware UTC datetimes. Naive datetimes passed in are taken as UTC.
- ``params``, ``formats`` and ``artifacts`` are JSON text.
- ``queue_at`` orders the claimable jobs: for a ``queued`` job the time it
  became claimable (``not_before`` if set, else ``created_at``), for a
  ``running`` job its lease expiry; ``NULL`` once the job is finished.
  ``claim`` first sets ``failed`` every running job whose lease expired after
  ``max_attempts`` claims, then takes the smallest ``queue_at`` among queued
  jobs whose time has come and running jobs whose lease has expired (ties:
  insertion order).
- A worker whose lease has expired but whose job nobody else has claimed yet
  may still ``renew``, ``complete``, ``fail`` or ``release`` it: the lease is
  lost only when another worker claims the job (or ``claim`` gives up on it).
- ``recent`` reads the ``(created_at, job_id)`` index backwards. Indexes are
  ``CREATE INDEX IF NOT EXISTS``: a file of an older version gains them when
  a store opens it.
- ``pending_event`` (JSON ``{"duration_ms": ...}``, else ``NULL``) is the
  outbox of a finished job's terminal event: set by the same ``UPDATE`` that
  finishes the job, cleared by ``event_written``; a partial index keeps the
  pending ones by ``finished_at``.

The schema version is ``PRAGMA user_version`` (:data:`SCHEMA_VERSION`):
version 2 added ``pending_event`` (a version 1 file gains the column when a
store opens it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from report_service.models import Artifact, ConflictError, Job, PendingEvent
from report_service.stores.base import JobStore, stopped_error
from report_service.stores.codec import (
    artifacts_from_json,
    artifacts_to_json,
    format_ts,
    parse_ts,
    pending_from_json,
    pending_to_json,
)
from report_service.stores.sqlite_connections import ThreadConnections

SCHEMA_VERSION: Final = 2
#: How long a statement waits for another process's write lock (ms).

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    report_type TEXT NOT NULL,
    params TEXT NOT NULL,
    formats TEXT NOT NULL,
    status TEXT NOT NULL,
    trigger TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT,
    artifacts TEXT NOT NULL DEFAULT '[]',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at TEXT,
    not_before TEXT,
    request_hash TEXT,
    idempotency_key TEXT,
    queue_at TEXT,
    pending_event TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status_queue_at ON jobs (status, queue_at);
CREATE INDEX IF NOT EXISTS jobs_created_at ON jobs (created_at, job_id);
"""
#: Indexes on columns a file of an older version gains first.
_LATE_INDEXES = """
CREATE INDEX IF NOT EXISTS jobs_pending_event ON jobs (finished_at, job_id)
    WHERE pending_event IS NOT NULL;
"""
#: Columns added after version 1: name -> definition.
_ADDED_COLUMNS: Final = {"pending_event": "TEXT"}

_COLUMNS: Final = (
    "job_id",
    "report_type",
    "params",
    "formats",
    "status",
    "trigger",
    "created_at",
    "started_at",
    "finished_at",
    "error",
    "artifacts",
    "attempts",
    "lease_owner",
    "lease_expires_at",
    "not_before",
    "request_hash",
    "idempotency_key",
    "queue_at",
    "pending_event",
)
_SELECT: Final = f"SELECT {', '.join(_COLUMNS)} FROM jobs"  # noqa: S608 - constant
_RETURNING: Final = f"RETURNING {', '.join(_COLUMNS)}"
_CLAIM_UPDATE: Final = (
    "UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires_at = ?, "  # noqa: S608
    "queue_at = ?, attempts = attempts + 1, "
    f"started_at = coalesce(started_at, ?) WHERE rowid = ? {_RETURNING}"
)


def _opt_ts(value: datetime | None) -> str | None:
    return None if value is None else format_ts(value)


def _queue_at(job: Job) -> str | None:
    if job.status == "queued":
        return format_ts(job.not_before or job.created_at)
    if job.status == "running":
        return format_ts(job.lease_expires_at or job.created_at)
    return None


def _row_to_job(row: Sequence[Any]) -> Job:
    r = dict(zip(_COLUMNS, row, strict=True))
    created_at = parse_ts(r["created_at"])
    assert created_at is not None  # noqa: S101 - NOT NULL column
    return Job(
        job_id=r["job_id"],
        report_type=r["report_type"],
        params=json.loads(r["params"]),
        formats=json.loads(r["formats"]),
        status=r["status"],
        created_at=created_at,
        trigger=r["trigger"],
        started_at=parse_ts(r["started_at"]),
        finished_at=parse_ts(r["finished_at"]),
        error=r["error"],
        artifacts=artifacts_from_json(r["artifacts"]),
        attempts=int(r["attempts"]),
        lease_owner=r["lease_owner"],
        lease_expires_at=parse_ts(r["lease_expires_at"]),
        not_before=parse_ts(r["not_before"]),
        request_hash=r["request_hash"],
        idempotency_key=r["idempotency_key"],
        pending_event=pending_from_json(r["pending_event"]),
    )


def _job_to_row(job: Job) -> tuple[Any, ...]:
    return (
        job.job_id,
        job.report_type,
        json.dumps(job.params, separators=(",", ":"), sort_keys=True),
        json.dumps(list(job.formats)),
        job.status,
        job.trigger,
        format_ts(job.created_at),
        _opt_ts(job.started_at),
        _opt_ts(job.finished_at),
        job.error,
        artifacts_to_json(job.artifacts),
        job.attempts,
        job.lease_owner,
        _opt_ts(job.lease_expires_at),
        _opt_ts(job.not_before),
        job.request_hash,
        job.idempotency_key,
        _queue_at(job),
        pending_to_json(job.pending_event),
    )


class SQLiteJobStore(JobStore):
    """A :class:`JobStore` in one SQLite file (see the module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._connections = ThreadConnections(self.path)
        self._init_schema()

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def _init_schema(self) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has job store schema {version}; "
                    f"this version of the service knows {SCHEMA_VERSION}"
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            have = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
            for column, definition in _ADDED_COLUMNS.items():
                if column not in have:
                    conn.execute(f"ALTER TABLE jobs ADD COLUMN {column} {definition}")
            for statement in _LATE_INDEXES.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._connections.close()

    # -- create and read -----------------------------------------------------

    def _create_in(self, conn: sqlite3.Connection, job: Job) -> tuple[Job, bool]:
        cursor = conn.execute(
            f"INSERT INTO jobs ({', '.join(_COLUMNS)}) "  # noqa: S608 - constant columns
            f"VALUES ({', '.join('?' * len(_COLUMNS))}) ON CONFLICT (job_id) DO NOTHING",
            _job_to_row(job),
        )
        if cursor.rowcount == 1:
            return job, True
        row = conn.execute(f"{_SELECT} WHERE job_id = ?", (job.job_id,)).fetchone()
        existing = _row_to_job(row)
        if existing.request_hash != job.request_hash:
            raise ConflictError(
                f"job {job.job_id} exists with a different request; "
                "an Idempotency-Key may be reused only with the same body"
            )
        return existing, False

    def create(self, job: Job) -> tuple[Job, bool]:
        return self.create_many([job])[0]

    def create_many(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            results = [self._create_in(conn, job) for job in jobs]
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return results

    def get(self, job_id: str) -> Job | None:
        row = self._conn.execute(f"{_SELECT} WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else _row_to_job(row)

    def queue_depth(self) -> int:
        row = self._conn.execute("SELECT count(*) FROM jobs WHERE status = 'queued'").fetchone()
        return int(row[0])

    def recent(self, limit: int, status: str | None = None) -> list[Job]:
        where, args = ("WHERE status = ? ", (status,)) if status is not None else ("", ())
        rows = self._conn.execute(
            f"{_SELECT} {where}ORDER BY created_at DESC, job_id DESC LIMIT ?",
            (*args, max(limit, 0)),
        ).fetchall()
        return [_row_to_job(row) for row in rows]

    # -- the lease -----------------------------------------------------------

    def claim(
        self,
        worker_id: str,
        *,
        lease_seconds: float,
        max_attempts: int,
        now: datetime,
        on_failed: Callable[[Job], None] | None = None,
    ) -> Job | None:
        now_s = format_ts(now)
        expires = format_ts(now + timedelta(seconds=lease_seconds))
        conn = self._conn
        given_up: list[str] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            job = self._claim_in(conn, worker_id, now_s, expires, max_attempts, given_up)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if on_failed is not None:
            for job_id in given_up:
                failed = self.get(job_id)
                if failed is not None:
                    on_failed(failed)
        return job

    def _claim_in(
        self,
        conn: sqlite3.Connection,
        worker_id: str,
        now_s: str,
        expires: str,
        max_attempts: int,
        given_up: list[str],
    ) -> Job | None:
        # First end every job whose worker stopped max_attempts times (its
        # lease expired again): it is failed, never claimed again.
        exhausted = conn.execute(
            "SELECT rowid, attempts, job_id FROM jobs "
            "WHERE status = 'running' AND queue_at < ? AND attempts >= ?",
            (now_s, max_attempts),
        ).fetchall()
        for rowid, attempts, job_id in exhausted:
            given_up.append(job_id)
            conn.execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, "
                "lease_owner = NULL, lease_expires_at = NULL, queue_at = NULL, "
                "pending_event = ? WHERE rowid = ?",
                (stopped_error(attempts), now_s, pending_to_json(PendingEvent()), rowid),
            )
        expired = conn.execute(
            "SELECT rowid, queue_at FROM jobs "
            "WHERE status = 'running' AND queue_at < ? ORDER BY queue_at, rowid LIMIT 1",
            (now_s,),
        ).fetchone()
        queued = conn.execute(
            "SELECT rowid, queue_at FROM jobs "
            "WHERE status = 'queued' AND queue_at <= ? ORDER BY queue_at, rowid LIMIT 1",
            (now_s,),
        ).fetchone()
        if expired is None and queued is None:
            return None
        if queued is None or (expired is not None and expired[1] <= queued[1]):
            rowid = expired[0]
        else:
            rowid = queued[0]
        rows = conn.execute(_CLAIM_UPDATE, (worker_id, expires, expires, now_s, rowid)).fetchall()
        return _row_to_job(rows[0])

    def renew(self, job_id: str, worker_id: str, *, lease_seconds: float, now: datetime) -> bool:
        expires = format_ts(now + timedelta(seconds=lease_seconds))
        cursor = self._conn.execute(
            "UPDATE jobs SET lease_expires_at = ?, queue_at = ? "
            "WHERE job_id = ? AND status = 'running' AND lease_owner = ?",
            (expires, expires, job_id, worker_id),
        )
        return cursor.rowcount == 1

    def _finish(self, sql: str, params: tuple[Any, ...]) -> Job | None:
        # fetchall: a RETURNING statement ends (and commits) only when fully read.
        rows = self._conn.execute(
            f"{sql} WHERE job_id = ? AND status = 'running' AND lease_owner = ? {_RETURNING}",
            params,
        ).fetchall()
        return _row_to_job(rows[0]) if rows else None

    def complete(
        self,
        job_id: str,
        worker_id: str,
        artifacts: Sequence[Artifact],
        *,
        now: datetime,
        duration_ms: int | None = None,
    ) -> Job | None:
        return self._finish(
            "UPDATE jobs SET status = 'succeeded', artifacts = ?, finished_at = ?, error = NULL, "
            "lease_owner = NULL, lease_expires_at = NULL, queue_at = NULL, pending_event = ?",
            (
                artifacts_to_json(artifacts),
                format_ts(now),
                pending_to_json(PendingEvent(duration_ms)),
                job_id,
                worker_id,
            ),
        )

    def fail(
        self,
        job_id: str,
        worker_id: str,
        error: str,
        *,
        now: datetime,
        retry_at: datetime | None = None,
        duration_ms: int | None = None,
    ) -> Job | None:
        if retry_at is not None:
            retry_s = format_ts(retry_at)
            return self._finish(
                "UPDATE jobs SET status = 'queued', error = ?, not_before = ?, queue_at = ?, "
                "lease_owner = NULL, lease_expires_at = NULL",
                (error, retry_s, retry_s, job_id, worker_id),
            )
        return self._finish(
            "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, "
            "lease_owner = NULL, lease_expires_at = NULL, queue_at = NULL, pending_event = ?",
            (error, format_ts(now), pending_to_json(PendingEvent(duration_ms)), job_id, worker_id),
        )

    def pending_events(self, *, finished_before: datetime, limit: int) -> list[Job]:
        rows = self._conn.execute(
            f"{_SELECT} WHERE pending_event IS NOT NULL AND finished_at < ? "
            "ORDER BY finished_at, job_id LIMIT ?",
            (format_ts(finished_before), max(limit, 0)),
        ).fetchall()
        return [_row_to_job(row) for row in rows]

    def event_written(self, job_id: str) -> None:
        self._conn.execute(
            "UPDATE jobs SET pending_event = NULL WHERE job_id = ? AND pending_event IS NOT NULL",
            (job_id,),
        )

    def release(self, job_id: str, worker_id: str, *, now: datetime) -> bool:
        job = self._finish(
            "UPDATE jobs SET status = 'queued', attempts = max(attempts - 1, 0), "
            "queue_at = coalesce(not_before, created_at), "
            "lease_owner = NULL, lease_expires_at = NULL",
            (job_id, worker_id),
        )
        return job is not None
