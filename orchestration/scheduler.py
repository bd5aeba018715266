"""The local scheduler: ``analytics serve scheduler`` runs the schedule file
(:mod:`analytics_core.schedules`) on the embedded warehouse.

- **Builds** run ``analytics build`` with the job's arguments, as a child
  process: the same command a person runs, the same warehouse lock.
- **Reports** are asked of the report service through its Snowflake
  external-function endpoint (``POST /v1/external/generate_report``), the path
  Snowflake's tasks take in production. The batch id is derived from the job
  and its due time, so a retried request never makes a second report job.

When a job is due is worked out with croniter. The scheduler keeps what it
ran in ``$ANALYTICS_HOME/scheduler/state.sqlite3`` (one row per job and due
time), so after downtime a job whose time passed runs **once**, for its latest
due time, not once per missed slot. A scheduler starting on a home for the
first time runs nothing from before it started.

Two schedulers on one home: the second refuses to start (an exclusive lock on
``scheduler/scheduler.lock`` held for the scheduler's lifetime), and the
``(job, due)`` primary key would stop a second run anyway.

A failing run is retried with backoff (``SCHEDULER_RETRY_SECONDS``, then four
times longer each attempt, ``SCHEDULER_MAX_ATTEMPTS`` in all) and never stops
the other jobs. Every attempt is a :class:`RunRecord` in the state file, is
logged, and is written as two :class:`~analytics_core.events.SchedulerRunEvent`
(when it starts and when it ends) to the events stream ``scheduler_runs``,
which the next build loads into ``monitoring.scheduler_runs``. An event that
cannot be written is logged and does not stop the job: the state file still
has the run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from analytics_core.errors import AnalyticsError
from analytics_core.events import EventSink, InvalidEventError, SchedulerRunEvent
from analytics_core.schedules import BuildJob, Job, Schedule
from analytics_core.settings import SchedulerSettings, Settings
from orchestration.locking import LockTimeoutError, warehouse_lock

log = logging.getLogger("analytics.scheduler")

#: The longest the loop sleeps, so a stop or a clock jump is noticed soon.
MAX_SLEEP_SECONDS = 30.0
#: Kept of a failure's message in the state file and the log.
MAX_DETAIL_CHARS = 2000


class SchedulerError(AnalyticsError):
    """The scheduler cannot start (another one runs, the state cannot be opened)."""


class JobFailedError(AnalyticsError):
    """One run of a job failed; the message says why in one line."""


class Runner(Protocol):
    def __call__(self, job: Job, due: dt.datetime) -> str:
        """Run ``job`` for ``due``; return a short description of what happened
        (e.g. the report job id) or raise :class:`JobFailedError`."""


@dataclass(frozen=True)
class RunRecord:
    """One due run of a job, as the state file keeps it."""

    job: str
    due_at: dt.datetime
    status: str  # pending, running, retrying, succeeded, failed
    attempts: int
    next_attempt_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    detail: str | None


def _ts(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


class SchedulerState:
    """The SQLite file of due runs (WAL; one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(
                """
                create table if not exists meta (key text primary key, value text not null);
                create table if not exists runs (
                    job text not null,
                    due_at text not null,
                    status text not null,
                    attempts integer not null default 0,
                    next_attempt_at text,
                    started_at text,
                    finished_at text,
                    detail text,
                    primary key (job, due_at)
                );
                create index if not exists runs_status on runs (status, next_attempt_at);
                """
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("pragma journal_mode=wal")
            except sqlite3.Error as exc:
                raise SchedulerError(
                    f"the scheduler state {self.path} cannot be opened: {exc}"
                ) from None
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("begin immediate")
        try:
            yield conn
        except BaseException:
            conn.execute("rollback")
            raise
        conn.execute("commit")

    def started(self, now: dt.datetime) -> dt.datetime:
        """When a scheduler first ran on this home (set now if never)."""
        with self._tx() as conn:
            conn.execute(
                "insert or ignore into meta (key, value) values ('first_started_at', ?)",
                (_ts(now),),
            )
            row = conn.execute("select value from meta where key = 'first_started_at'").fetchone()
        value = _parse(row[0])
        if value is None:  # pragma: no cover - inserted just above
            raise SchedulerError(f"the scheduler state {self.path} has no start time")
        return value

    def last_due(self, job: str) -> dt.datetime | None:
        row = self._conn().execute("select max(due_at) from runs where job = ?", (job,)).fetchone()
        return _parse(row[0]) if row else None

    def add(self, job: str, due: dt.datetime, now: dt.datetime) -> bool:
        """Record ``job`` as due at ``due``; False when that run exists already."""
        with self._tx() as conn:
            cursor = conn.execute(
                "insert or ignore into runs (job, due_at, status, next_attempt_at)"
                " values (?, ?, 'pending', ?)",
                (job, _ts(due), _ts(now)),
            )
            return cursor.rowcount == 1

    def claim_ready(self, now: dt.datetime, busy: set[str]) -> list[RunRecord]:
        """The runs whose (next) attempt is due, marked running; one per job,
        none of a job in ``busy``; oldest due first."""
        claimed: list[RunRecord] = []
        with self._tx() as conn:
            rows = conn.execute(
                "select job, due_at from runs where status in ('pending', 'retrying')"
                " and next_attempt_at <= ? order by due_at, job",
                (_ts(now),),
            ).fetchall()
            taken = set(busy)
            for job, due_at in rows:
                if job in taken:
                    continue
                taken.add(job)
                conn.execute(
                    "update runs set status = 'running', attempts = attempts + 1,"
                    " started_at = ?, next_attempt_at = null where job = ? and due_at = ?",
                    (_ts(now), job, due_at),
                )
                claimed.append(self._get(conn, job, due_at))
        return claimed

    def finish(
        self,
        record: RunRecord,
        now: dt.datetime,
        *,
        ok: bool,
        detail: str,
        retry_at: dt.datetime | None,
    ) -> RunRecord:
        status = "succeeded" if ok else ("retrying" if retry_at is not None else "failed")
        with self._tx() as conn:
            conn.execute(
                "update runs set status = ?, finished_at = ?, detail = ?, next_attempt_at = ?"
                " where job = ? and due_at = ?",
                (
                    status,
                    _ts(now),
                    detail[:MAX_DETAIL_CHARS],
                    _ts(retry_at),
                    record.job,
                    _ts(record.due_at),
                ),
            )
            return self._get(conn, record.job, _ts(record.due_at))

    def recover(self, now: dt.datetime) -> int:
        """Runs left ``running`` by a scheduler that stopped: tried again now."""
        with self._tx() as conn:
            cursor = conn.execute(
                "update runs set status = 'retrying', next_attempt_at = ? where status = 'running'",
                (_ts(now),),
            )
            return cursor.rowcount

    def runs(self, job: str | None = None) -> list[RunRecord]:
        conn = self._conn()
        sql = "select job, due_at from runs"
        params: tuple[Any, ...] = ()
        if job is not None:
            sql += " where job = ?"
            params = (job,)
        keys = conn.execute(sql + " order by due_at, job", params).fetchall()
        return [self._get(conn, j, d) for j, d in keys]

    def next_attempt(self) -> dt.datetime | None:
        row = (
            self._conn()
            .execute(
                "select min(next_attempt_at) from runs where status in ('pending', 'retrying')"
            )
            .fetchone()
        )
        return _parse(row[0]) if row else None

    @staticmethod
    def _get(conn: sqlite3.Connection, job: str, due_at: str | None) -> RunRecord:
        row = conn.execute(
            "select job, due_at, status, attempts, next_attempt_at, started_at, finished_at,"
            " detail from runs where job = ? and due_at = ?",
            (job, due_at),
        ).fetchone()
        return RunRecord(
            job=row[0],
            due_at=_parse(row[1]) or dt.datetime.min.replace(tzinfo=dt.UTC),
            status=row[2],
            attempts=row[3],
            next_attempt_at=_parse(row[4]),
            started_at=_parse(row[5]),
            finished_at=_parse(row[6]),
            detail=row[7],
        )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class Scheduler:
    """Decides what is due and runs it; the clock is passed in, so tests control time."""

    def __init__(
        self,
        schedule: Schedule,
        state: SchedulerState,
        runner: Runner,
        config: SchedulerSettings,
        clock: Callable[[], dt.datetime] | None = None,
        events: EventSink | None = None,
    ) -> None:
        self.schedule = schedule
        self.state = state
        self.runner = runner
        self.config = config
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.events = events
        self._pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="job")
        self._running: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self._first_started: dt.datetime | None = None

    def retry_delay(self, attempts: int) -> float:
        """Seconds before attempt ``attempts + 1``: the base, then four times longer each."""
        return float(self.config.retry_seconds * 4 ** max(0, attempts - 1))

    def tick(self) -> list[RunRecord]:
        """Record what became due, start what is ready; returns the runs started."""
        now = self.clock()
        if self._first_started is None:
            self._first_started = self.state.started(now)
        for job in self.schedule.jobs:
            due = job.previous_run(now)
            since = self.state.last_due(job.name) or self._first_started
            if due > since and self.state.add(job.name, due, now):
                log.info("%s is due (%s)", job.name, _ts(due))
        with self._lock:
            busy = {name for name, future in self._running.items() if not future.done()}
        started = self.state.claim_ready(now, busy)
        for record in started:
            job = self.schedule.job(record.job)
            self._emit(job, record, now)
            future = self._pool.submit(self._run, job, record)
            with self._lock:
                self._running[job.name] = future
        return started

    def _run(self, job: Job, record: RunRecord) -> None:
        log.info("%s: attempt %d for %s", job.name, record.attempts, _ts(record.due_at))
        try:
            detail = self.runner(job, record.due_at)
            ok = True
        except JobFailedError as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # a bug in a runner must not stop the scheduler
            detail, ok = f"unexpected {type(exc).__name__}: {exc}", False
        now = self.clock()
        retry_at = None
        if not ok and record.attempts < self.config.max_attempts:
            retry_at = now + dt.timedelta(seconds=self.retry_delay(record.attempts))
        finished = self.state.finish(record, now, ok=ok, detail=detail, retry_at=retry_at)
        self._emit(job, finished, now)
        if ok:
            log.info("%s succeeded: %s", job.name, detail)
        elif retry_at is not None:
            log.warning("%s failed (%s); retrying at %s", job.name, detail, _ts(retry_at))
        else:
            log.error("%s failed after %d attempts: %s", job.name, finished.attempts, detail)

    def _emit(self, job: Job, record: RunRecord, now: dt.datetime) -> None:
        """Write the event of an attempt starting (status running) or ending."""
        if self.events is None:
            return
        ended = record.status != "running"
        duration_ms = None
        if ended and record.started_at is not None:
            elapsed = (now - record.started_at).total_seconds()
            duration_ms = max(0, round(elapsed * 1000))
        try:
            event = SchedulerRunEvent(
                job=job.name,
                kind="build" if isinstance(job, BuildJob) else "report",
                due_at=record.due_at,
                attempt=record.attempts,
                status=record.status,  # a str: the model checks it
                at=now,
                duration_ms=duration_ms,
                # the state keeps the previous attempt's detail until this one ends
                detail=record.detail if ended else None,
                next_attempt_at=record.next_attempt_at if record.status == "retrying" else None,
            )
            self.events.emit(event)
        except (InvalidEventError, ValueError, OSError) as exc:
            log.warning("%s: the run event could not be written: %s", job.name, exc)
        except Exception as exc:  # e.g. S3 down: the run matters more than its event
            log.warning(
                "%s: the run event could not be written (%s: %s)",
                job.name,
                type(exc).__name__,
                exc,
            )

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until every started run has finished (tests, shutdown)."""
        with self._lock:
            futures = list(self._running.values())
        for future in futures:
            future.result(timeout=timeout)

    def seconds_to_next(self) -> float:
        """How long the loop may sleep: until the next due time or retry."""
        now = self.clock()
        times = [job.next_runs(now)[0] for job in self.schedule.jobs]
        retry = self.state.next_attempt()
        if retry is not None:
            times.append(retry)
        if not times:
            return MAX_SLEEP_SECONDS
        return max(0.0, min(MAX_SLEEP_SECONDS, (min(times) - now).total_seconds()))

    def run_forever(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set; then let running jobs finish."""
        recovered = self.state.recover(self.clock())
        if recovered:
            log.warning("%d run(s) interrupted by a stop are tried again", recovered)
        while not stop.is_set():
            self.tick()
            stop.wait(self.seconds_to_next() + 0.01)
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.state.close()


def local_api_key(settings: Settings, config: SchedulerSettings) -> str | None:
    """``REPORT_SERVICE_API_KEY``, or the key file the local report service wrote."""
    if config.report_service_api_key:
        return config.report_service_api_key
    return settings.local_report_service_key()


@contextlib.contextmanager
def scheduler_lock(settings: Settings) -> Iterator[None]:
    """Held for a scheduler's lifetime: a second one on the home refuses to start."""
    path = settings.home_dir / "scheduler" / "scheduler.lock"
    try:
        with warehouse_lock(path, purpose="scheduler", timeout=0):
            yield
    except LockTimeoutError:
        raise SchedulerError(
            f"another scheduler is running on {settings.home_dir} (lock {path});"
            " stop it first: two schedulers on one home would run every job twice"
        ) from None


def state_path(settings: Settings) -> Path:
    return settings.home_dir / "scheduler" / "state.sqlite3"


class SchedulerService:
    """The scheduler as one of ``analytics up``'s services: a thread holding the
    home's scheduler lock. ``open_scheduler`` is called at start, once the
    services before it (the report service) listen."""

    name = "scheduler"

    def __init__(self, settings: Settings, open_scheduler: Callable[[], Scheduler]) -> None:
        self.settings = settings
        self.open_scheduler = open_scheduler
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock: contextlib.ExitStack | None = None
        self._jobs = 0

    @property
    def url(self) -> str:
        """What ``up`` prints for it: no URL, the jobs and where to see them."""
        return f"{self._jobs} jobs (analytics schedules lists them)"

    def start(self) -> None:
        stack = contextlib.ExitStack()
        stack.enter_context(scheduler_lock(self.settings))
        try:
            scheduler = self.open_scheduler()
        except BaseException:
            stack.close()
            raise
        self._lock = stack
        self._jobs = len(scheduler.schedule.jobs)
        self._stop.clear()
        self._thread = threading.Thread(
            target=scheduler.run_forever, args=(self._stop,), name="scheduler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            # Running jobs finish first (a build may take a while; Ctrl-C again kills).
            self._thread.join()
            self._thread = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None
