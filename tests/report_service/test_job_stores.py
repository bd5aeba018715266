"""Both job stores against the JobStore contract: SQLite files in ``tmp_path``
and DynamoDB tables on a moto server process. Time is passed in (``now``),
never slept."""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.models import Artifact, ConflictError, Job, PendingEvent, utcnow
from report_service.stores.base import JobStore
from report_service.stores.dynamodb import DynamoJobStore
from report_service.stores.factory import open_job_store
from report_service.stores.sqlite import SQLiteJobStore
from tests.report_service.conftest import StoreSpec, open_store

T0 = datetime(2026, 6, 30, 12, 0, 0, 123456, tzinfo=UTC)
LEASE = 30.0


def make_job(job_id: str, created_at: datetime = T0, request_hash: str = "h", **kw: Any) -> Job:
    defaults: dict[str, Any] = {
        "report_type": "daily_sales",
        "params": {"date": "2026-06-29"},
        "formats": ["html", "csv"],
        "status": "queued",
    }
    defaults.update(kw)
    return Job(job_id=job_id, created_at=created_at, request_hash=request_hash, **defaults)


def claim(
    store: JobStore, worker: str, now: datetime, max_attempts: int = 3, lease: float = LEASE
) -> Job | None:
    return store.claim(worker, lease_seconds=lease, max_attempts=max_attempts, now=now)


ARTIFACT = Artifact(
    format="html", key="j/report.html", bytes=12, sha256="ab" * 32, content_type="text/html"
)


def test_create_and_get_round_trip(store: JobStore) -> None:
    job = make_job(
        "job-1",
        params={"date": "2026-06-29", "ratio": 1.5, "regions": ["EU", "US"], "n": {"k": None}},
        formats=["pdf", "json"],
        trigger="schedule",
        idempotency_key="key-1",
    )
    created, new = store.create(job)
    assert new and created == job
    assert store.get("job-1") == job
    assert store.get("nope") is None
    got = store.get("job-1")
    assert got is not None and got.created_at.tzinfo is not None
    assert got.created_at.utcoffset() == timedelta(0)


def test_create_is_idempotent_by_request_hash(store: JobStore) -> None:
    first, new = store.create(make_job("job-1", request_hash="h1"))
    assert new
    again, new = store.create(make_job("job-1", request_hash="h1", params={"other": 1}))
    assert not new and again == first
    with pytest.raises(ConflictError):
        store.create(make_job("job-1", request_hash="h2"))
    assert store.queue_depth() == 1


def test_create_many_keeps_order(store: JobStore) -> None:
    store.create(make_job("b", request_hash="hb"))
    jobs = [make_job(i, request_hash=f"h{i}") for i in ("c", "a", "b", "d")]
    results = store.create_many(jobs)
    assert [(job.job_id, new) for job, new in results] == [
        ("c", True),
        ("a", True),
        ("b", False),
        ("d", True),
    ]
    assert store.create_many([]) == []
    assert store.queue_depth() == 4


def test_claim_takes_the_oldest_and_respects_not_before(store: JobStore) -> None:
    store.create_many(
        [
            make_job("second", T0 + timedelta(seconds=2)),
            make_job("first", T0),
            make_job("later", T0 + timedelta(seconds=1), not_before=T0 + timedelta(seconds=60)),
            make_job("third", T0 + timedelta(seconds=3)),
            make_job("future", T0 + timedelta(seconds=20)),
        ]
    )
    now = T0 + timedelta(seconds=10)
    claimed = [claim(store, "w1", now, lease=3600) for _ in range(4)]
    assert [job.job_id if job else None for job in claimed] == ["first", "second", "third", None]
    job = claimed[0]
    assert job is not None
    assert job.status == "running" and job.lease_owner == "w1" and job.attempts == 1
    assert job.started_at == now and job.lease_expires_at == now + timedelta(seconds=3600)
    assert store.get("first") == job
    assert claim(store, "w1", T0 + timedelta(seconds=59), lease=3600) is not None  # "future"
    assert claim(store, "w1", T0 + timedelta(seconds=59), lease=3600) is None
    late = claim(store, "w1", T0 + timedelta(seconds=60), lease=3600)
    assert late is not None and late.job_id == "later"


def test_only_the_lease_holder_renews_and_finishes(store: JobStore) -> None:
    store.create(make_job("job"))
    assert claim(store, "w1", T0) is not None
    assert store.renew("job", "w2", lease_seconds=LEASE, now=T0) is False
    assert store.complete("job", "w2", [ARTIFACT], now=T0) is None
    assert store.fail("job", "w2", "boom", now=T0) is None
    assert store.release("job", "w2", now=T0) is False
    assert store.renew("missing", "w1", lease_seconds=LEASE, now=T0) is False
    assert store.get("missing") is None

    assert store.renew("job", "w1", lease_seconds=100, now=T0 + timedelta(seconds=5)) is True
    running = store.get("job")
    assert running is not None and running.lease_expires_at == T0 + timedelta(seconds=105)
    # The renewed lease is not claimable before it expires.
    assert claim(store, "w2", T0 + timedelta(seconds=60)) is None

    done = store.complete("job", "w1", [ARTIFACT], now=T0 + timedelta(seconds=9))
    assert done is not None
    assert done.status == "succeeded" and done.artifacts == [ARTIFACT]
    assert done.finished_at == T0 + timedelta(seconds=9)
    assert done.lease_owner is None and done.lease_expires_at is None
    assert store.get("job") == done
    assert store.complete("job", "w1", [ARTIFACT], now=T0) is None
    assert store.renew("job", "w1", lease_seconds=LEASE, now=T0) is False
    assert claim(store, "w2", T0 + timedelta(days=1)) is None


def test_expired_lease_is_claimed_again_and_the_old_worker_cannot_finish(
    store: JobStore,
) -> None:
    store.create(make_job("job"))
    first = claim(store, "w1", T0)
    assert first is not None
    assert claim(store, "w2", T0 + timedelta(seconds=LEASE)) is None  # not yet expired
    second = claim(store, "w2", T0 + timedelta(seconds=LEASE + 1))
    assert second is not None
    assert second.job_id == "job" and second.lease_owner == "w2" and second.attempts == 2
    assert second.started_at == T0  # the first start is kept
    assert store.complete("job", "w1", [ARTIFACT], now=T0 + timedelta(seconds=40)) is None
    assert store.renew("job", "w1", lease_seconds=LEASE, now=T0) is False
    assert store.release("job", "w1", now=T0) is False
    done = store.complete("job", "w2", [], now=T0 + timedelta(seconds=45))
    assert done is not None and done.status == "succeeded"


def test_expired_lease_not_yet_reclaimed_may_still_complete(store: JobStore) -> None:
    store.create(make_job("job"))
    assert claim(store, "w1", T0) is not None
    done = store.complete("job", "w1", [], now=T0 + timedelta(seconds=LEASE * 3))
    assert done is not None and done.status == "succeeded"


def test_a_job_whose_worker_stopped_max_attempts_times_fails(store: JobStore) -> None:
    store.create(make_job("doomed", T0))
    store.create(make_job("other", T0 + timedelta(seconds=50)))
    assert claim(store, "w1", T0, max_attempts=2) is not None
    again = claim(store, "w2", T0 + timedelta(seconds=31), max_attempts=2)
    assert again is not None and again.job_id == "doomed" and again.attempts == 2
    # Its lease expires again (at T0 + 61): claim gives up on it and takes
    # the next job (here "other", which has been claimable longer).
    given_up: list[Job] = []
    nxt = store.claim(
        "w3",
        lease_seconds=LEASE,
        max_attempts=2,
        now=T0 + timedelta(seconds=100),
        on_failed=given_up.append,
    )
    assert nxt is not None and nxt.job_id == "other"
    # The caller hears of the job it gave up on (to write its "failed" event).
    assert [(job.job_id, job.status) for job in given_up] == [("doomed", "failed")]
    failed = store.get("doomed")
    assert failed is not None
    assert failed.status == "failed"
    assert failed.error == "the worker rendering this job stopped 2 times; giving up"
    assert failed.finished_at == T0 + timedelta(seconds=100)
    assert failed.lease_owner is None
    assert store.complete("doomed", "w2", [], now=T0) is None
    assert store.complete("other", "w3", [], now=T0 + timedelta(seconds=101)) is not None
    assert claim(store, "w4", T0 + timedelta(days=1), max_attempts=2) is None


def test_fail_with_and_without_retry(store: JobStore) -> None:
    store.create(make_job("job"))
    assert claim(store, "w1", T0) is not None
    retry_at = T0 + timedelta(seconds=100)
    queued = store.fail("job", "w1", "warehouse unreachable", now=T0, retry_at=retry_at)
    assert queued is not None
    assert queued.status == "queued" and queued.not_before == retry_at
    assert queued.lease_owner is None and queued.attempts == 1
    assert store.queue_depth() == 1
    assert claim(store, "w2", T0 + timedelta(seconds=99)) is None
    second = claim(store, "w2", retry_at)
    assert second is not None and second.attempts == 2 and second.lease_owner == "w2"
    assert store.fail("job", "w1", "late", now=T0) is None
    failed = store.fail("job", "w2", "no data", now=T0 + timedelta(seconds=101))
    assert failed is not None
    assert failed.status == "failed" and failed.error == "no data"
    assert failed.finished_at == T0 + timedelta(seconds=101)
    assert store.get("job") == failed
    assert store.queue_depth() == 0


def test_release_does_not_count_the_attempt(store: JobStore) -> None:
    store.create(make_job("job"))
    store.create(make_job("newer", T0 + timedelta(seconds=1)))
    first = claim(store, "w1", T0 + timedelta(seconds=5))
    assert first is not None and first.job_id == "job" and first.attempts == 1
    assert store.release("job", "w1", now=T0 + timedelta(seconds=6)) is True
    released = store.get("job")
    assert released is not None
    assert released.status == "queued" and released.attempts == 0
    assert released.lease_owner is None and released.lease_expires_at is None
    assert store.release("job", "w1", now=T0) is False
    again = claim(store, "w2", T0 + timedelta(seconds=7))  # still the oldest
    assert again is not None and again.job_id == "job" and again.attempts == 1


def test_queue_depth(store: JobStore) -> None:
    assert store.queue_depth() == 0
    store.create_many([make_job(f"j{i}", T0 + timedelta(seconds=i)) for i in range(5)])
    store.create(make_job("later", not_before=T0 + timedelta(hours=1)))
    assert store.queue_depth() == 6  # not_before jobs are queued too
    assert claim(store, "w", T0 + timedelta(seconds=10)) is not None
    assert store.queue_depth() == 5
    assert store.fail("j0", "w", "x", now=T0) is not None
    assert store.queue_depth() == 5


# -- recent jobs ------------------------------------------------------------------
# ``recent`` looks back from the real "today" (DynamoDB reads one index
# partition per UTC day), so these jobs are placed relative to the clock.


def test_recent_is_newest_first_across_days(store: JobStore) -> None:
    assert store.recent(20) == []
    now = utcnow()
    store.create_many(
        [
            make_job("three-days", now - timedelta(days=3)),
            make_job("now", now),
            make_job("tie-a", now - timedelta(days=1)),
            make_job("hour", now - timedelta(hours=1)),
            make_job("tie-b", now - timedelta(days=1)),
            make_job("ten-days", now - timedelta(days=10, minutes=5)),
        ]
    )
    newest = ["now", "hour", "tie-b", "tie-a", "three-days", "ten-days"]
    assert [job.job_id for job in store.recent(20)] == newest
    assert [job.job_id for job in store.recent(4)] == newest[:4]
    assert [job.job_id for job in store.recent(1)] == ["now"]
    assert store.recent(0) == []
    # The listed jobs are the stored jobs, whole.
    assert store.recent(20)[-1] == store.get("ten-days")


def test_recent_filters_by_status(store: JobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # DynamoDB: a page of 2 items before the filter, so the filter pages.
    monkeypatch.setattr("report_service.stores.dynamodb.RECENT_PAGE", 2)
    now = utcnow()
    store.create_many(
        [make_job(f"queued-{i}", now - timedelta(minutes=i)) for i in range(5)]
        + [
            make_job("failed-old", now - timedelta(days=4), status="failed", error="no data"),
            make_job("done", now - timedelta(days=2), status="succeeded"),
        ]
    )
    # A status change after creation is seen by the filter (and keeps the job listed).
    claimed = store.claim("w", lease_seconds=LEASE, max_attempts=3, now=now + timedelta(seconds=1))
    assert claimed is not None and claimed.job_id == "queued-4"  # the oldest queued
    assert store.fail("queued-4", "w", "boom", now=now + timedelta(seconds=2)) is not None

    failed = store.recent(20, "failed")
    assert [job.job_id for job in failed] == ["queued-4", "failed-old"]
    assert failed[0].error == "boom" and all(job.status == "failed" for job in failed)
    assert [job.job_id for job in store.recent(1, "failed")] == ["queued-4"]
    assert [job.job_id for job in store.recent(20, "succeeded")] == ["done"]
    assert [job.job_id for job in store.recent(20, "queued")] == [f"queued-{i}" for i in range(4)]
    assert [job.job_id for job in store.recent(2, "queued")] == ["queued-0", "queued-1"]
    assert store.recent(20, "running") == []
    assert len(store.recent(20)) == 7


def test_recent_looks_back_a_bounded_time_in_dynamodb(store: JobStore) -> None:
    now = utcnow()
    store.create(make_job("recent", now - timedelta(days=30)))
    store.create(make_job("ancient", now - timedelta(days=40)))
    ids = [job.job_id for job in store.recent(20)]
    if isinstance(store, DynamoJobStore):
        assert ids == ["recent"]  # today and the 31 days before it
    else:
        assert ids == ["recent", "ancient"]


def test_an_old_sqlite_file_gains_the_created_at_index(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    old = SQLiteJobStore(path)
    old.create(make_job("job"))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP INDEX jobs_created_at")
        conn.commit()
    old.close()

    def indexes() -> set[str]:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
        return {name for (name,) in rows}

    assert "jobs_created_at" not in indexes()
    store = SQLiteJobStore(path)
    assert "jobs_created_at" in indexes()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT job_id FROM jobs "
            "ORDER BY created_at DESC, job_id DESC LIMIT 5"
        ).fetchall()
    assert "jobs_created_at" in str(plan)
    assert [job.job_id for job in store.recent(5)] == ["job"]
    store.close()


def test_ensure_table_adds_the_recent_index_to_an_old_table(aws_env: dict[str, str]) -> None:
    import boto3

    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=aws_env["AWS_ENDPOINT_URL"]
    )
    table = f"jobs-{uuid.uuid4().hex[:12]}"
    client.create_table(  # the schema before recent-index
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "job_id", "AttributeType": "S"},
            {"AttributeName": "queue", "AttributeType": "S"},
            {"AttributeName": "queue_at", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "queue-index",
                "KeySchema": [
                    {"AttributeName": "queue", "KeyType": "HASH"},
                    {"AttributeName": "queue_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    store = DynamoJobStore(table, client)
    store.ensure_table()
    described = client.describe_table(TableName=table)["Table"]
    indexes = {index["IndexName"]: index for index in described["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"queue-index", "recent-index"}
    assert [key["AttributeName"] for key in indexes["recent-index"]["KeySchema"]] == [
        "created_day",
        "created_key",
    ]
    store.create(make_job("job", utcnow()))
    assert [job.job_id for job in store.recent(5)] == ["job"]
    store.ensure_table()  # idempotent with the index in place


def test_dynamodb_items_carry_the_recent_index_keys(aws_env: dict[str, str]) -> None:
    import boto3

    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=aws_env["AWS_ENDPOINT_URL"]
    )
    store = DynamoJobStore(f"jobs-{uuid.uuid4().hex[:12]}", client)
    store.ensure_table()
    created = datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-2)))
    store.create(make_job("job", created))
    assert store.claim("w", lease_seconds=LEASE, max_attempts=3, now=utcnow()) is not None
    item = store.client.get_item(TableName=store.table_name, Key={"job_id": {"S": "job"}})
    # The UTC day, and both attributes survive the claim's update.
    assert item["Item"]["created_day"] == {"S": "2026-03-02"}
    assert item["Item"]["created_key"] == {"S": "2026-03-02T01:59:59.999999Z#job"}


# -- several processes claim from one store ---------------------------------

JOBS = 200
PROCESSES = 4


def _claim_all(spec: StoreSpec, start: Any, results: Any) -> None:
    """Child process: claim (and complete) until nothing is left."""
    store = open_store(spec)
    claimed: list[str] = []
    now = T0 + timedelta(seconds=1)
    start.wait(120)  # a barrier: every process starts claiming at once
    try:
        while True:
            job = store.claim(
                f"worker-{multiprocessing.current_process().pid}",
                lease_seconds=600,
                max_attempts=3,
                now=now,
            )
            if job is None:
                break
            claimed.append(job.job_id)
            assert job.lease_owner is not None
            assert store.complete(job.job_id, job.lease_owner, [], now=now) is not None
    finally:
        results.put(claimed)
        store.close()


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
def test_processes_never_claim_one_job_twice(store_spec: StoreSpec, store: JobStore) -> None:
    ids = [f"job-{i:04d}" for i in range(JOBS)]
    store.create_many([make_job(job_id, T0) for job_id in ids])
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES + 1)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_claim_all, args=(store_spec, start, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.wait(120)
    claimed = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    everything = [job_id for batch in claimed for job_id in batch]
    assert sorted(everything) == ids  # every job exactly once
    assert sum(1 for batch in claimed if batch) >= 2  # they really competed
    assert store.queue_depth() == 0
    assert all((job := store.get(i)) is not None and job.status == "succeeded" for i in ids)


def test_threads_share_one_sqlite_store(tmp_path: Path) -> None:
    store = SQLiteJobStore(tmp_path / "jobs.sqlite3")
    ids = [f"job-{i:04d}" for i in range(JOBS)]
    store.create_many([make_job(job_id, T0) for job_id in ids])
    barrier = threading.Barrier(8)

    def work(worker: str) -> list[str]:
        barrier.wait()
        claimed = []
        now = T0 + timedelta(seconds=1)
        while (job := store.claim(worker, lease_seconds=600, max_attempts=3, now=now)) is not None:
            claimed.append(job.job_id)
            assert store.get(job.job_id) is not None
            assert store.complete(job.job_id, worker, [], now=now) is not None
        return claimed

    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(work, [f"w{i}" for i in range(8)]))
    assert sorted(job_id for batch in batches for job_id in batch) == ids
    store.close()
    # The file outlives the store: a new one (a restarted replica) reads it.
    reopened = SQLiteJobStore(tmp_path / "jobs.sqlite3")
    assert reopened.queue_depth() == 0
    job = reopened.get("job-0000")
    assert job is not None and job.status == "succeeded"
    reopened.close()


def test_stores_open_from_settings(
    tmp_path: Path, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=tmp_path / "home")
    sqlite_store = open_job_store(ReportServiceSettings(job_store="sqlite"), settings)
    assert isinstance(sqlite_store, SQLiteJobStore)
    assert sqlite_store.path == settings.home_dir / "report_service" / "jobs.sqlite3"
    assert sqlite_store.path.exists()
    sqlite_store.close()

    table = f"jobs-{uuid.uuid4().hex[:12]}"
    service = ReportServiceSettings(job_store="dynamodb", dynamodb_table=table)
    assert service.aws_endpoint_url == aws_env["AWS_ENDPOINT_URL"]
    dynamo_store = open_job_store(service, settings)
    assert isinstance(dynamo_store, DynamoJobStore)
    assert dynamo_store.table_name == table
    dynamo_store.ensure_table()
    dynamo_store.create(make_job("job"))
    assert dynamo_store.queue_depth() == 1


# -- the outbox of terminal events ----------------------------------------------


def test_finishing_a_job_leaves_its_terminal_event_pending_in_the_same_write(
    store: JobStore,
) -> None:
    """``complete``, a final ``fail`` and ``claim`` giving up mark the job's
    terminal event pending (with the run time); a retry and a release do not.
    ``pending_events`` lists them oldest first; ``event_written`` clears one."""
    store.create_many(
        [
            make_job("ok", T0),
            make_job("bad", T0 + timedelta(seconds=1)),
            make_job("retry", T0 + timedelta(seconds=2)),
            make_job("doomed", T0 + timedelta(seconds=3)),
            make_job("released", T0 + timedelta(seconds=4)),
        ]
    )
    assert claim(store, "w1", T0 + timedelta(seconds=10)) is not None
    done = store.complete("ok", "w1", [ARTIFACT], now=T0 + timedelta(seconds=11), duration_ms=1234)
    assert done is not None and done.pending_event == PendingEvent(duration_ms=1234)
    assert store.get("ok") == done

    assert claim(store, "w2", T0 + timedelta(seconds=12)) is not None
    failed = store.fail("bad", "w2", "no data", now=T0 + timedelta(seconds=13), duration_ms=50)
    assert failed is not None and failed.pending_event == PendingEvent(duration_ms=50)

    assert claim(store, "w3", T0 + timedelta(seconds=14)) is not None
    queued = store.fail(
        "retry", "w3", "unreachable", now=T0 + timedelta(seconds=15), retry_at=T0 + timedelta(1)
    )
    assert queued is not None and queued.status == "queued" and queued.pending_event is None

    assert claim(store, "w4", T0 + timedelta(seconds=16), max_attempts=1) is not None  # doomed
    assert claim(store, "w5", T0 + timedelta(seconds=17), max_attempts=1) is not None  # released
    assert store.release("released", "w5", now=T0 + timedelta(seconds=18))
    released = store.get("released")
    assert released is not None and released.pending_event is None
    given_up: list[Job] = []
    later = T0 + timedelta(seconds=100)
    store.claim("w6", lease_seconds=LEASE, max_attempts=1, now=later, on_failed=given_up.append)
    assert [(job.job_id, job.pending_event) for job in given_up] == [("doomed", PendingEvent())]

    def pending(before: datetime, limit: int = 10) -> list[str]:
        return [job.job_id for job in store.pending_events(finished_before=before, limit=limit)]

    assert pending(T0 + timedelta(days=2)) == ["ok", "bad", "doomed"]
    assert pending(T0 + timedelta(days=2), limit=2) == ["ok", "bad"]
    assert pending(T0 + timedelta(seconds=12)) == ["ok"]
    assert pending(T0 + timedelta(seconds=11)) == []
    [first] = store.pending_events(finished_before=T0 + timedelta(seconds=12), limit=5)
    assert first == done

    store.event_written("ok")
    store.event_written("ok")  # again: nothing to do, no error
    store.event_written("missing")
    cleared = store.get("ok")
    assert cleared is not None and cleared.pending_event is None
    assert cleared.status == "succeeded" and cleared.artifacts == [ARTIFACT]
    assert pending(T0 + timedelta(days=2)) == ["bad", "doomed"]
    # Finished jobs with a pending event are neither queued nor claimable.
    assert store.queue_depth() == 1  # "retry" ("released" was claimed by w6)
    later = T0 + timedelta(days=2)
    claimed = [claim(store, "w7", later), claim(store, "w7", later), claim(store, "w7", later)]
    assert sorted(job.job_id for job in claimed if job) == ["released", "retry"]
    assert claimed[-1] is None


def test_an_old_sqlite_file_gains_the_pending_event_column(tmp_path: Path) -> None:
    """A version 1 file (no ``pending_event``) opens, keeps its jobs and
    records pending events from then on."""
    path = tmp_path / "jobs.sqlite3"
    old = SQLiteJobStore(path)
    old.create(make_job("job"))
    old.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP INDEX jobs_pending_event")
        conn.execute("ALTER TABLE jobs DROP COLUMN pending_event")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    store = SQLiteJobStore(path)
    assert claim(store, "w1", T0) is not None
    done = store.complete("job", "w1", [], now=T0, duration_ms=7)
    assert done is not None and done.pending_event == PendingEvent(duration_ms=7)
    assert [j.job_id for j in store.pending_events(finished_before=T0 + timedelta(1), limit=5)] == [
        "job"
    ]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)
    store.close()
