"""The bounded pool of workers that render report jobs.

Each worker thread claims a job from the shared :class:`JobStore` with a lease,
renews the lease while it renders, stores the artifacts and marks the job
finished, writing a job event at every state change. Because every change is
conditional on holding the lease, a worker whose lease was taken over (it was
too slow, or the store thought it dead) cannot finish a job twice.

Failures: a bad request (invalid parameters) or a report error that says
trying again will not help ends the job ``failed`` at once; anything else
(warehouse unreachable, a bug) is retried with back-off until
``max_attempts``, then ends ``failed`` with the last error.

Shutdown (:meth:`WorkerPool.stop`): workers stop claiming, running jobs get
``grace`` seconds to finish, and jobs still running then are released so the
next replica picks them up.

Terminal events (an outbox): the store write that finishes a job also marks
its ``succeeded``/``failed`` event pending; the worker writes the event, then
clears the mark. A process killed in between (or an event sink that is down)
leaves the mark, and the pool writes the pending events again: once when it
starts (every pending event) and then every ``lease_seconds`` (those pending
longer than that). A terminal event is the same whoever writes it: its
``event_id`` is derived from the job id and status and its ``at`` is the
job's ``finished_at``, so a re-delivery (killed after writing, before
clearing) is the same event, which dbt's ``monitoring.report_job_events``
keeps once.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from analytics_core.events import EventSink
from report_service.artifacts import CONTENT_TYPES, ArtifactStore
from report_service.models import Artifact, InvalidRequestError, Job, ReportError, utcnow
from report_service.observability import job_context
from report_service.stores.base import JobStore

log = logging.getLogger("report_service.worker")

#: Renders the formats of a job into a folder: ``{format: path}``.
Renderer = Callable[[Job, Path], dict[str, Path]]
#: Called when a job finishes: (job, outcome, seconds).
Observer = Callable[[Job, str, float], None]

MAX_ERROR_CHARS = 2000
#: Namespace of the deterministic ``event_id`` of a job's terminal event.
TERMINAL_EVENT_NAMESPACE = uuid.UUID("5b0c7f1e-2a43-4d8e-9c61-0e7d3f9a4b25")
#: Pending terminal events written per store read while reconciling.
RECONCILE_BATCH = 100


def retry_delay(attempt: int) -> float:
    """Back-off before attempt ``attempt + 1``: 2, 4, 8 ... seconds, at most 60."""
    return float(min(60, 2**attempt))


class WorkerPool:
    def __init__(
        self,
        *,
        store: JobStore,
        artifacts: ArtifactStore,
        renderer: Renderer,
        events: EventSink | None,
        workers: int,
        lease_seconds: float,
        max_attempts: int,
        poll_seconds: float,
        on_finished: Observer | None = None,
    ) -> None:
        self.store = store
        self.artifacts = artifacts
        self.renderer = renderer
        self.events = events
        self.size = workers
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.on_finished = on_finished
        host = socket.gethostname().split(".")[0] or "host"
        self.replica_id = f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: dict[str, str] = {}  # job_id -> worker_id
        self._lock = threading.Lock()
        #: Seconds between passes that write terminal events still pending, and
        #: how long an event must have been pending for a later pass to write it
        #: (the first pass, at start, writes every pending one).
        self.reconcile_seconds = lease_seconds

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> None:
        for index in range(self.size):
            worker_id = f"{self.replica_id}-w{index}"
            thread = threading.Thread(
                target=self._loop, args=(worker_id,), name=f"report-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        reconciler = threading.Thread(
            target=self._reconcile_loop, name="report-event-reconciler", daemon=True
        )
        reconciler.start()
        self._threads.append(reconciler)
        log.info("report workers started", extra={"workers": self.size})

    def wake(self) -> None:
        """A job was queued: let an idle worker look now rather than at its next poll."""
        self._wake.set()

    @property
    def running_jobs(self) -> int:
        with self._lock:
            return len(self._running)

    def stop(self, grace: float) -> None:
        """Stop claiming; give running jobs ``grace`` seconds; release the rest."""
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + grace
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._lock:
            left = dict(self._running)
        for job_id, worker_id in left.items():
            released = self.store.release(job_id, worker_id, now=utcnow())
            log.warning(
                "released a running job at shutdown" if released else "lost a job's lease",
                extra={"job_id": job_id},
            )
            if released:
                self._emit(job_id, "queued", None, None)
        self._threads.clear()

    # -- terminal events still pending ------------------------------------------
    def reconcile_events(self, older_than: float = 0.0) -> int:
        """Write the terminal events still pending of jobs that finished more
        than ``older_than`` seconds ago; how many were written. Stops at the
        first event that cannot be written (the next pass tries again)."""
        before = utcnow() - timedelta(seconds=older_than)
        written = 0
        while True:
            jobs = self.store.pending_events(finished_before=before, limit=RECONCILE_BATCH)
            for job in jobs:
                if not self._emit_terminal(job):
                    return written
                written += 1
                log.warning(
                    "wrote a terminal job event that was still pending",
                    extra={"job_id": job.job_id, "status": job.status},
                )
            if len(jobs) < RECONCILE_BATCH:
                return written

    def _reconcile_loop(self) -> None:
        older_than = 0.0  # at start: every pending event (its writer is gone or late)
        while not self._stopping.is_set():
            try:
                self.reconcile_events(older_than)
            except Exception:
                log.exception("writing pending job events failed")
            older_than = self.reconcile_seconds
            self._stopping.wait(self.reconcile_seconds)

    # -- the loop --------------------------------------------------------------
    def _loop(self, worker_id: str) -> None:
        while not self._stopping.is_set():
            try:
                job = self.store.claim(
                    worker_id,
                    lease_seconds=self.lease_seconds,
                    max_attempts=self.max_attempts,
                    now=utcnow(),
                    on_failed=self._given_up,
                )
            except Exception:
                log.exception("claiming a job failed")
                job = None
            if job is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            with self._lock:
                self._running[job.job_id] = worker_id
            try:
                self._run(job, worker_id)
            finally:
                with self._lock:
                    self._running.pop(job.job_id, None)

    def _run(self, job: Job, worker_id: str) -> None:
        with job_context(job.job_id):
            started = time.monotonic()
            log.info(
                "job started",
                extra={"report_type": job.report_type, "attempt": job.attempts},
            )
            self._emit_job(job, "running", None, None)
            heartbeat = _Heartbeat(self.store, job.job_id, worker_id, self.lease_seconds)
            heartbeat.start()
            outcome = "failed"
            try:
                try:
                    stored = self._render_and_store(job)
                except (InvalidRequestError, ReportError) as exc:
                    retryable = isinstance(exc, ReportError) and exc.retryable
                    outcome = self._failed(job, worker_id, str(exc), retryable, started)
                except Exception as exc:  # a bug or an outage: retry, then give up
                    log.exception("job raised")
                    message = f"{type(exc).__name__}: {exc}"
                    outcome = self._failed(job, worker_id, message, True, started)
                else:
                    heartbeat.stop()
                    if heartbeat.lost:
                        log.warning("lease lost while rendering; result discarded")
                        outcome = "lost"
                    else:
                        done = self.store.complete(
                            job.job_id, worker_id, stored, now=utcnow(), duration_ms=_ms(started)
                        )
                        if done is None:
                            log.warning("lease lost before completion; result discarded")
                            outcome = "lost"
                        else:
                            outcome = "succeeded"
                            self._emit_terminal(done)
            finally:
                heartbeat.stop()
            seconds = time.monotonic() - started
            log.info("job finished", extra={"outcome": outcome, "duration_ms": _ms(started)})
            if self.on_finished is not None and outcome in ("succeeded", "failed", "retry"):
                self.on_finished(job, outcome, seconds)

    def _render_and_store(self, job: Job) -> list[Artifact]:
        with tempfile.TemporaryDirectory(prefix=f"report-{job.job_id[:12]}-") as tmp:
            files = self.renderer(job, Path(tmp))
            stored = []
            for fmt in job.formats:
                path = files[fmt]
                stored.append(
                    self.artifacts.put(
                        job.job_id,
                        fmt,
                        path,
                        filename=f"{job.report_type}.{fmt}",
                        content_type=CONTENT_TYPES[fmt],
                    )
                )
            return stored

    def _failed(
        self, job: Job, worker_id: str, message: str, retryable: bool, started: float
    ) -> str:
        message = message[:MAX_ERROR_CHARS]
        retry_at = None
        if retryable and job.attempts < self.max_attempts and not self._stopping.is_set():
            retry_at = utcnow() + timedelta(seconds=retry_delay(job.attempts))
        if retryable and self._stopping.is_set() and job.attempts < self.max_attempts:
            retry_at = utcnow()
        updated = self.store.fail(
            job.job_id,
            worker_id,
            message,
            now=utcnow(),
            retry_at=retry_at,
            duration_ms=None if retry_at is not None else _ms(started),
        )
        if updated is None:
            log.warning("lease lost before recording a failure")
            return "lost"
        if retry_at is not None:
            log.warning("job failed; will retry", extra={"error": message})
            self._emit_job(updated, "queued", None, None)
            return "retry"
        log.warning("job failed", extra={"error": message})
        self._emit_terminal(updated)
        return "failed"

    def _given_up(self, job: Job) -> None:
        """The store ended a job whose worker kept dying: record it like any failure."""
        with job_context(job.job_id):
            log.warning("job failed: its worker stopped too often", extra={"error": job.error})
        self._emit_terminal(job)
        if self.on_finished is not None:
            self.on_finished(job, "failed", 0.0)

    # -- events ----------------------------------------------------------------
    def _emit_job(self, job: Job, status: str, duration_ms: int | None, error: str | None) -> None:
        if self.events is None:
            return
        try:
            self.events.emit(job_event(job, status, duration_ms, error))
        except Exception:  # events must never stop a job
            log.exception("writing a job event failed")

    def _emit_terminal(self, job: Job) -> bool:
        """Write a finished job's pending terminal event, then clear it in the
        store; ``False`` when that failed (the event stays pending)."""
        if job.pending_event is None:
            return True
        if self.events is not None:
            try:
                self.events.emit(terminal_event(job))
            except Exception:  # events must never stop a job: a later pass writes it
                log.exception("writing a job event failed; it stays pending")
                return False
        try:
            self.store.event_written(job.job_id)
        except Exception:  # written again later: the same event_id, kept once
            log.exception("clearing a written job event failed")
            return False
        return True

    def _emit(self, job_id: str, status: str, duration_ms: int | None, error: str | None) -> None:
        job = self.store.get(job_id)
        if job is not None:
            self._emit_job(job, status, duration_ms, error)


def job_event(
    job: Job, status: str, duration_ms: int | None = None, error: str | None = None
) -> dict[str, Any]:
    """The :class:`analytics_core.events.ReportJobEvent` of a state change."""
    return {
        "job_id": job.job_id,
        "report_type": job.report_type,
        "params": job.params,
        "status": status,
        "at": utcnow(),
        "duration_ms": duration_ms,
        "error": error[:4000] if error else None,
        "trigger": job.trigger,
    }


def terminal_event_id(job_id: str, status: str) -> uuid.UUID:
    """The ``event_id`` of a job's ``succeeded`` or ``failed`` event: the same
    every time it is written (a job finishes once)."""
    return uuid.uuid5(TERMINAL_EVENT_NAMESPACE, f"{job_id}/{status}")


def terminal_event(job: Job) -> dict[str, Any]:
    """A finished job's terminal event, the same whoever writes it and when:
    a deterministic ``event_id``, ``at`` the job's ``finished_at``."""
    pending = job.pending_event
    return {
        **job_event(
            job,
            job.status,
            pending.duration_ms if pending is not None else None,
            job.error if job.status == "failed" else None,
        ),
        "event_id": terminal_event_id(job.job_id, job.status),
        "at": job.finished_at or utcnow(),
    }


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class _Heartbeat:
    """Renews a job's lease every third of its length while the job renders."""

    def __init__(self, store: JobStore, job_id: str, worker_id: str, lease_seconds: float):
        self.store = store
        self.job_id = job_id
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                held = self.store.renew(
                    self.job_id, self.worker_id, lease_seconds=self.lease_seconds, now=utcnow()
                )
            except Exception:
                log.exception("renewing a lease failed")
                continue
            if not held:
                self.lost = True
                return
