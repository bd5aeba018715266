"""A finished job always gets its terminal event, exactly once.

The store write that finishes a job also marks its ``succeeded``/``failed``
event pending (an outbox); the worker writes the event, then clears the mark;
a pool that starts writes the events still pending. Here a worker process is
killed with SIGKILL in that window, for real: its event sink kills the
process when the job's terminal event comes, before writing it (the job is
finished in the store, no event anywhere) or right after (the event is
written, the mark is not cleared). A new pool on the same store and events
folder then writes the missing event, or writes the same event again (same
``event_id``, same content: dbt's ``monitoring.report_job_events`` keeps one
row per ``event_id``). Every way a job ends is covered: ``complete``, a
final ``fail`` and ``claim`` giving up on a job whose worker kept dying; on
SQLite and on DynamoDB (a moto server).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from analytics_core.events import LocalEventSink
from analytics_core.settings import PROJECT_ROOT
from report_service.artifacts import LocalArtifactStore
from report_service.models import InvalidRequestError, Job, utcnow
from report_service.stores.base import JobStore
from report_service.worker import WorkerPool, terminal_event_id
from tests.report_service.conftest import StoreSpec
from tests.report_service.test_job_stores import make_job

pytestmark = pytest.mark.timeout(300)

#: A worker process: one pool whose event sink dies at a terminal event.
CHILD = """
import json, os, signal, sys, time
from pathlib import Path
from analytics_core.events import LocalEventSink
from report_service.artifacts import LocalArtifactStore
from report_service.models import InvalidRequestError
from report_service.worker import WorkerPool
from tests.report_service.conftest import open_store

spec, root, outcome, when = tuple(json.loads(sys.argv[1])), Path(sys.argv[2]), *sys.argv[3:5]


class DyingSink(LocalEventSink):
    def _write(self, events, lines):
        terminal = any(getattr(e, "status", "") in ("succeeded", "failed") for e in events)
        if terminal and when == "before_event":
            os.kill(os.getpid(), signal.SIGKILL)
        super()._write(events, lines)
        if terminal:
            os.kill(os.getpid(), signal.SIGKILL)


def render(job, out):
    if outcome == "failed":
        raise InvalidRequestError("no data for this period")
    path = out / "report.html"
    path.write_text("<p>report</p>", encoding="utf-8")
    return {"html": path}


pool = WorkerPool(
    store=open_store(spec), artifacts=LocalArtifactStore(root / "artifacts"), renderer=render,
    events=DyingSink(root / "events"), workers=1, lease_seconds=30,
    max_attempts=int(sys.argv[5]), poll_seconds=0.05,
)
pool.start()
time.sleep(120)
sys.exit(3)
"""


def render(job: Job, out: Path) -> dict[str, Path]:
    path = out / "report.html"
    path.write_text("<p>report</p>", encoding="utf-8")
    return {"html": path}


def pool_for(store: JobStore, root: Path, renderer: Callable[..., Any] = render) -> WorkerPool:
    return WorkerPool(
        store=store,
        artifacts=LocalArtifactStore(root / "artifacts"),
        renderer=renderer,
        events=LocalEventSink(root / "events"),
        workers=1,
        lease_seconds=30,
        max_attempts=3,
        poll_seconds=0.05,
    )


def terminal_lines(root: Path, job_id: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted((root / "events").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event["job_id"] == job_id and event["status"] in ("succeeded", "failed"):
                found.append(event)
    return found


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "events").mkdir()
    yield tmp_path


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
@pytest.mark.parametrize("when", ["before_event", "after_event"])
@pytest.mark.parametrize("outcome", ["succeeded", "failed", "given_up"])
def test_a_kill_between_finishing_and_the_event_loses_no_event(
    store_spec: StoreSpec, store: JobStore, root: Path, outcome: str, when: str
) -> None:
    job_id = str(uuid.uuid4())
    store.create(make_job(job_id, utcnow() - timedelta(seconds=5), formats=["html"]))
    max_attempts = 3
    if outcome == "given_up":
        # A worker that died holding the job's last attempt: the next claim gives up.
        max_attempts = 1
        dead = store.claim("dead", lease_seconds=0.2, max_attempts=1, now=utcnow())
        assert dead is not None and dead.job_id == job_id
        time.sleep(0.5)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            json.dumps(store_spec),
            str(root),
            outcome,
            when,
            str(max_attempts),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    status = "succeeded" if outcome == "succeeded" else "failed"
    finished = store.get(job_id)
    assert finished is not None and finished.status == status
    assert finished.pending_event is not None, "the kill came before the mark was cleared"
    before = terminal_lines(root, job_id)
    assert len(before) == (0 if when == "before_event" else 1)

    # A new pool (a restarted service) on the same store and events folder.
    pool = pool_for(store, root)
    pool.start()
    try:
        wait_until(
            lambda: (job := store.get(job_id)) is not None and job.pending_event is None,
            30,
            "the pending event to be written",
        )
    finally:
        pool.stop(5)
    after = terminal_lines(root, job_id)
    assert len(after) == 1 + len(before)
    event = after[-1]
    assert event["status"] == status
    assert event["event_id"] == str(terminal_event_id(job_id, status))
    assert event["at"].replace("Z", "+00:00") == finished.finished_at.isoformat()  # type: ignore[union-attr]
    if outcome == "given_up":
        assert "stopped" in event["error"]
    elif outcome == "failed":
        assert event["error"] == "no data for this period"
        assert event["duration_ms"] is not None
    else:
        assert event["error"] is None and event["duration_ms"] is not None
    # A re-delivery is the same event: dbt keeps one row per event_id.
    assert all(line == event for line in after)
    assert store.pending_events(finished_before=utcnow() + timedelta(1), limit=10) == []


def test_a_normal_run_writes_exactly_one_terminal_event(store: JobStore, root: Path) -> None:
    ok, bad = str(uuid.uuid4()), str(uuid.uuid4())
    store.create_many([make_job(i, utcnow(), request_hash=i, formats=["html"]) for i in (ok, bad)])

    def renderer(job: Job, out: Path) -> dict[str, Path]:
        if job.job_id == bad:
            raise InvalidRequestError("no data for this period")
        return render(job, out)

    pool = pool_for(store, root, renderer)
    pool.start()
    try:
        wait_until(
            lambda: all(
                (job := store.get(i)) is not None
                and job.status in ("succeeded", "failed")
                and job.pending_event is None
                for i in (ok, bad)
            ),
            30,
            "both jobs to finish",
        )
    finally:
        pool.stop(5)
    # A restart writes nothing more: nothing is pending.
    again = pool_for(store, root)
    assert again.reconcile_events() == 0
    for job_id, status in ((ok, "succeeded"), (bad, "failed")):
        [event] = terminal_lines(root, job_id)
        assert event["status"] == status
        assert event["event_id"] == str(terminal_event_id(job_id, status))


def test_an_event_the_sink_refused_stays_pending_and_is_written_later(
    store: JobStore, root: Path
) -> None:
    """An event sink that is down does not lose the event: it stays pending
    and a later pass writes it."""
    job_id = str(uuid.uuid4())
    store.create(make_job(job_id, utcnow(), formats=["html"]))

    class DownSink(LocalEventSink):
        def _write(self, events: list[Any], lines: list[bytes]) -> None:
            raise OSError("the events bucket is unreachable")

    pool = pool_for(store, root)
    pool.events = DownSink(root / "events")
    pool.start()
    try:
        wait_until(
            lambda: (job := store.get(job_id)) is not None and job.status == "succeeded",
            30,
            "the job to succeed",
        )
    finally:
        pool.stop(5)
    job = store.get(job_id)
    assert job is not None and job.pending_event is not None
    assert terminal_lines(root, job_id) == []
    assert pool.reconcile_events() == 0  # still down: still pending
    pool.events = LocalEventSink(root / "events")
    assert pool.reconcile_events() == 1
    [event] = terminal_lines(root, job_id)
    assert event["status"] == "succeeded"
    assert store.pending_events(finished_before=utcnow() + timedelta(1), limit=10) == []
