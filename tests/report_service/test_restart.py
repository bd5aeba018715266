"""Jobs survive the service: kill -9 while jobs run, SIGTERM with a grace period.

The job store (SQLite, WAL) outlives the process. A job whose worker died is
claimed again when its lease expires; completion is conditional on the lease,
so no job runs twice to completion. The job events say what happened: exactly
one terminal event per job.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from analytics_core.settings import Settings
from report_service.stores.sqlite import SQLiteJobStore
from tests.report_service import service as svc

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

FORMATS = ["html", "pdf", "xlsx"]


def submit(service: svc.RunningService, count: int) -> list[str]:
    ids = []
    with service.client(headers=service.headers) as http:
        for n in range(count):
            report_type = ("daily_sales", "weekly_executive", "monthly_data_quality")[n % 3]
            response = http.post(
                "/v1/reports/jobs", json={"report_type": report_type, "formats": FORMATS}
            )
            assert response.status_code == 202, response.text
            ids.append(response.json()["job_id"])
    return ids


def store_of(home: Path) -> SQLiteJobStore:
    return SQLiteJobStore(home / "report_service" / "jobs.sqlite3")


def statuses(home: Path, ids: list[str]) -> dict[str, str]:
    store = store_of(home)
    try:
        found = {job_id: store.get(job_id) for job_id in ids}
    finally:
        store.close()
    return {job_id: job.status for job_id, job in found.items() if job is not None}


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def terminal_events(home: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in (home / "events").rglob("*.jsonl"):
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event["status"] in ("succeeded", "failed"):
                counts[event["job_id"]] += 1
    return counts


def test_kill_9_loses_no_job_and_runs_none_twice(tmp_path: Path, small_warehouse: Settings) -> None:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    extra = {"REPORT_SERVICE_WORKERS": "2", "REPORT_SERVICE_LEASE_SECONDS": "3"}
    first = svc.start(home, extra)
    try:
        ids = submit(first, 9)
        wait_until(lambda: "running" in statuses(home, ids).values(), 120, "a job to start running")
    finally:
        assert svc.stop(first, signal.SIGKILL) == -signal.SIGKILL
    before = statuses(home, ids)
    assert "running" in before.values(), before  # the kill left a job mid-render
    assert set(before) == set(ids)

    second = svc.start(home, extra)
    try:
        for job_id in ids:
            job = second.wait_for_job(job_id, timeout=300)
            assert job["status"] == "succeeded", job
            assert sorted(a["format"] for a in job["artifacts"]) == sorted(FORMATS)
            with second.client(headers=second.headers) as http:
                for artifact in job["artifacts"]:
                    assert http.get(artifact["url"]).status_code == 200
    finally:
        svc.stop(second)

    done = terminal_events(home)
    assert {job_id: done[job_id] for job_id in ids} == dict.fromkeys(ids, 1)
    store = store_of(home)
    try:
        reclaimed = [store.get(job_id) for job_id in ids]
    finally:
        store.close()
    # The jobs the kill interrupted were claimed a second time, and only those.
    interrupted = {job_id for job_id, status in before.items() if status == "running"}
    assert {job.job_id for job in reclaimed if job and job.attempts > 1} == interrupted


def test_sigterm_finishes_running_jobs_and_leaves_the_rest_queued(
    tmp_path: Path, small_warehouse: Settings
) -> None:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    extra = {"REPORT_SERVICE_WORKERS": "1", "REPORT_SERVICE_SHUTDOWN_GRACE_SECONDS": "60"}
    first = svc.start(home, extra)
    try:
        ids = submit(first, 6)
        wait_until(lambda: "running" in statuses(home, ids).values(), 120, "a job to start running")
        running_now = [job_id for job_id, s in statuses(home, ids).items() if s == "running"]
    finally:
        code = svc.stop(first, signal.SIGTERM, timeout=90)
    # uvicorn re-raises SIGTERM once it has shut down cleanly.
    assert code in (0, -signal.SIGTERM), first.log_text()[-3000:]
    assert "report service stopped" in first.log_text()
    after = statuses(home, ids)
    for job_id in running_now:
        assert after[job_id] == "succeeded", after  # finished within the grace period
    assert "running" not in after.values(), after
    assert "queued" in after.values(), after  # the rest waits for the next replica
    assert "failed" not in after.values(), after

    with svc.running(home, extra) as second:
        for job_id in ids:
            assert second.wait_for_job(job_id, timeout=300)["status"] == "succeeded"
    assert set(terminal_events(home).values()) == {1}


def test_a_job_still_running_after_the_grace_period_is_released(
    tmp_path: Path, small_warehouse: Settings
) -> None:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    extra = {"REPORT_SERVICE_WORKERS": "1", "REPORT_SERVICE_SHUTDOWN_GRACE_SECONDS": "0"}
    service = svc.start(home, extra)
    try:
        with service.client(headers=service.headers) as http:
            response = http.post(
                "/v1/reports/jobs",
                json={"report_type": "weekly_executive", "formats": ["pdf", "html", "xlsx"]},
            )
        job_id = response.json()["job_id"]
        wait_until(lambda: statuses(home, [job_id])[job_id] != "queued", 60, "the job to start")
    finally:
        svc.stop(service, signal.SIGTERM)
    status = statuses(home, [job_id])[job_id]
    # Either it finished in the instant before the stop, or it went back to the queue.
    assert status in ("succeeded", "queued"), status
    if status == "queued":
        store = store_of(home)
        try:
            job = store.get(job_id)
        finally:
            store.close()
        assert job is not None and job.lease_owner is None


def test_a_job_that_keeps_failing_ends_failed_after_bounded_attempts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # Not a DuckDB file: every attempt to read the warehouse fails (retryable).
    (home / "warehouse.duckdb").write_bytes(b"this is not a database" * 100)
    extra = {"REPORT_SERVICE_WORKERS": "1", "REPORT_SERVICE_MAX_ATTEMPTS": "3"}
    with svc.running(home, extra) as service:
        with service.client(headers=service.headers) as http:
            response = http.post("/v1/reports/jobs", json={"report_type": "daily_sales"})
        job = service.wait_for_job(response.json()["job_id"], timeout=120)
    assert job["status"] == "failed", job
    assert job["attempts"] == 3
    assert job["error"] and "warehouse" in job["error"].lower(), job["error"]
    events = sorted(
        (
            json.loads(line)
            for path in (home / "events").rglob("*.jsonl")
            for line in path.read_text().splitlines()
        ),
        key=lambda event: event["at"],
    )
    assert [event["status"] for event in events] == [
        "queued",
        "running",
        "queued",
        "running",
        "queued",
        "running",
        "failed",
    ]
