"""The job store contract.

Several service replicas share one store. Every state change is a
conditional write, so two workers never hold one job:

- a worker *claims* the oldest claimable job: ``queued`` with ``not_before``
  passed, or ``running`` whose lease has expired (its worker died). The claim
  sets ``running``, a lease owner and expiry, and counts an attempt;
- while it renders it *renews* the lease; ``complete``/``fail``/``release``
  succeed only while the caller still holds the lease, so a worker that lost
  its lease cannot finish a job another worker has taken over;
- a job claimed ``max_attempts`` times without finishing ends ``failed``;
- the write that finishes a job (``succeeded`` or ``failed``: ``complete``,
  ``fail`` without a retry, ``claim`` giving up) also records its terminal
  event as pending (an outbox, :class:`report_service.models.PendingEvent`):
  whoever writes the event then calls ``event_written``, and
  ``pending_events`` lists the finished jobs whose event is still to be
  written (the worker that finished them died first, or the event sink
  failed), so no finished job is ever left without its event.

Idempotency is by job id: callers derive a deterministic id from an
``Idempotency-Key`` (or an external-function batch and row), and ``create``
of an existing id returns the existing job when the request hash matches.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime

from report_service.models import Artifact, Job


class JobStore(ABC):
    @abstractmethod
    def create(self, job: Job) -> tuple[Job, bool]:
        """Insert ``job`` (status ``queued``) unless its ``job_id`` exists.

        Returns ``(job, True)`` when created. When the id exists with the same
        ``request_hash`` returns ``(existing, False)``; with a different one
        raises :class:`report_service.models.ConflictError`.
        """

    @abstractmethod
    def create_many(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        """``create`` for each job, in order (one transaction where the store can)."""

    @abstractmethod
    def get(self, job_id: str) -> Job | None:
        """The job, or ``None``."""

    @abstractmethod
    def claim(
        self,
        worker_id: str,
        *,
        lease_seconds: float,
        max_attempts: int,
        now: datetime,
        on_failed: Callable[[Job], None] | None = None,
    ) -> Job | None:
        """Claim the oldest claimable job for ``worker_id`` (see module doc), or ``None``.

        An expired ``running`` job that has already had ``max_attempts``
        attempts is set ``failed`` (error: its worker stopped N times) instead,
        its ``failed`` event pending; ``on_failed`` is called with each such
        job once the change is stored (the caller writes its job event).
        """

    @abstractmethod
    def renew(self, job_id: str, worker_id: str, *, lease_seconds: float, now: datetime) -> bool:
        """Extend the lease; ``False`` if ``worker_id`` no longer holds it."""

    @abstractmethod
    def complete(
        self,
        job_id: str,
        worker_id: str,
        artifacts: Sequence[Artifact],
        *,
        now: datetime,
        duration_ms: int | None = None,
    ) -> Job | None:
        """Mark ``succeeded`` with its artifacts and its ``succeeded`` event
        pending (with ``duration_ms``), in one write; ``None`` if the lease was lost."""

    @abstractmethod
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
        """``retry_at`` given: back to ``queued``, claimable from then on.
        Otherwise ``failed`` with ``error`` and its ``failed`` event pending
        (with ``duration_ms``), in one write. ``None`` if the lease was lost."""

    @abstractmethod
    def release(self, job_id: str, worker_id: str, *, now: datetime) -> bool:
        """Give a running job back (shutdown): ``queued`` again, the attempt
        not counted. ``False`` if the lease was lost."""

    @abstractmethod
    def pending_events(self, *, finished_before: datetime, limit: int) -> list[Job]:
        """Up to ``limit`` finished jobs whose terminal event is still pending
        and that finished before ``finished_before``, the oldest first."""

    @abstractmethod
    def event_written(self, job_id: str) -> None:
        """The job's terminal event is written: it is no longer pending (no
        error when it was not, or the job does not exist)."""

    @abstractmethod
    def queue_depth(self) -> int:
        """How many jobs are ``queued``."""

    @abstractmethod
    def recent(self, limit: int, status: str | None = None) -> list[Job]:
        """Up to ``limit`` jobs, newest first by ``created_at`` (ties: the larger
        ``job_id`` first); only jobs of ``status`` when it is given.

        A store may look back a bounded time (DynamoDB: 31 days).
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def stopped_error(attempts: int) -> str:
    """The error of a job whose workers stopped ``attempts`` times (what
    ``claim`` records when it gives up on a job)."""
    times = "once" if attempts == 1 else f"{attempts} times"
    return f"the worker rendering this job stopped {times}; giving up"
