"""Report job events: the one schema, and the local and S3 sinks.

The S3 sink is tested against a real moto server (HTTP on a free port), not an
in-process mock of boto3.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from analytics_core.errors import ConfigurationError
from analytics_core.events import (
    MAX_ERROR_LENGTH,
    MAX_JOB_ID_LENGTH,
    SCHEMA_PATH,
    InvalidEventError,
    LocalEventSink,
    ReportJobEvent,
    S3EventSink,
    event_sink,
    render_json_schema,
)
from analytics_core.settings import Settings
from tests.conftest import free_port

AT = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "job_id": "job-1",
        "report_type": "daily_sales",
        "params": {"date": "2026-05-31"},
        "status": "queued",
        "at": AT.isoformat(),
        "trigger": "api",
    }
    base.update(overrides)
    return base


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def read_lines(root: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(all_files(root))
        for line in path.read_text().splitlines()
    ]


# --- the schema -----------------------------------------------------------------


def test_committed_json_schema_is_what_the_model_exports() -> None:
    assert SCHEMA_PATH.read_text() == render_json_schema(), (
        "analytics_core/schemas/report_job_event.schema.json is stale: "
        "run `uv run python -m analytics_core.events`"
    )
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"job_id", "report_type", "status", "at", "trigger"}
    assert schema["properties"]["status"]["enum"] == ["queued", "running", "succeeded", "failed"]
    assert schema["properties"]["trigger"]["enum"] == ["api", "external_function", "schedule"]


def test_event_line_round_trips_with_id_version_and_utc_time() -> None:
    parsed = ReportJobEvent.model_validate(
        event(at="2026-06-01T12:00:00+02:00", status="succeeded", duration_ms=1500)
    )
    line = parsed.to_line()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    data = json.loads(line)
    assert data["schema_version"] == 1
    assert uuid.UUID(data["event_id"])
    assert data["at"] == "2026-06-01T10:00:00Z"
    assert ReportJobEvent.model_validate_json(line) == parsed


HOSTILE = {
    "empty job_id": event(job_id=""),
    "job_id with a newline": event(job_id="a\nb"),
    "job_id too long": event(job_id="j" * (MAX_JOB_ID_LENGTH + 1)),
    "report_type not an identifier": event(report_type="daily sales'; drop table x; --"),
    "report_type too long": event(report_type="a" * 65),
    "unknown status": event(status="done"),
    "unknown trigger": event(trigger="cron"),
    "naive timestamp": event(at="2026-06-01T10:00:00"),
    "not a timestamp": event(at="yesterday"),
    "negative duration": event(duration_ms=-1),
    "duration as text": event(duration_ms="100"),
    "duration as float": event(duration_ms=1.5),
    "duration as bool": event(duration_ms=True),
    "absurd duration": event(duration_ms=10**12),
    "error too long": event(status="failed", error="x" * (MAX_ERROR_LENGTH + 1)),
    "params not an object": event(params=["a"]),
    "params oversized": event(params={"blob": "x" * 20_000}),
    "params too deep": event(params={"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {}}}}}}}}}),
    "unknown field": event(extra_field=1),
    "missing job_id": {k: v for k, v in event().items() if k != "job_id"},
    "future schema version": event(schema_version=2),
    "event_id not a uuid": event(event_id="../../etc/passwd"),
}


@pytest.mark.parametrize("bad", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_events_are_rejected_and_nothing_is_written(
    tmp_path: Path, bad: dict[str, Any]
) -> None:
    sink = LocalEventSink(tmp_path)
    with pytest.raises(InvalidEventError, match="invalid report job event: "):
        sink.write([event(), bad])  # the good one is not written either
    assert all_files(tmp_path) == []


def test_instance_built_without_validation_is_rechecked(tmp_path: Path) -> None:
    forged = ReportJobEvent.model_construct(**{**event(), "status": "exploded"})
    with pytest.raises(InvalidEventError, match="status"):
        LocalEventSink(tmp_path).emit(forged)
    assert all_files(tmp_path) == []


# --- the local sink ---------------------------------------------------------------


def test_local_sink_appends_one_file_per_day_and_process(tmp_path: Path) -> None:
    sink = LocalEventSink(tmp_path)
    first = ReportJobEvent.model_validate(event())
    sink.emit(first)
    sink.write([event(status="running", at=(AT + timedelta(hours=15)).isoformat())])
    files = sorted(all_files(tmp_path))
    assert [p.parent.relative_to(tmp_path).as_posix() for p in files] == [
        "report_jobs/date=2026-06-01",
        "report_jobs/date=2026-06-02",
    ]
    assert all(p.name.endswith(f"-{os.getpid()}.jsonl") for p in files)
    sink.emit(event(status="succeeded", at=(AT + timedelta(minutes=1)).isoformat()))
    assert [e["status"] for e in read_lines(tmp_path)] == ["queued", "succeeded", "running"]
    assert read_lines(tmp_path)[0]["event_id"] == str(first.event_id)


def _write_many(root: str, worker: int, count: int) -> None:
    sink = LocalEventSink(Path(root))
    for n in range(count):
        sink.emit(event(job_id=f"w{worker}-{n}", params={"pad": "x" * (n % 50) * 40}))


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    sink = LocalEventSink(tmp_path)
    threads = [
        threading.Thread(
            target=lambda w=w: [  # type: ignore[misc]
                sink.emit(event(job_id=f"t{w}-{n}", params={"pad": "y" * 3000})) for n in range(50)
            ]
        )
        for w in range(4)
    ]
    # fork before any thread starts (a forked child gets only the forking thread)
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_many, args=(str(tmp_path), w, 50)) for w in range(3)]
    for worker in [*processes, *threads]:
        worker.start()
    for worker in [*threads, *processes]:
        worker.join(timeout=120)
    assert all(p.exitcode == 0 for p in processes)
    events = read_lines(tmp_path)  # every line parses
    assert len(events) == 4 * 50 + 3 * 50
    assert len({e["event_id"] for e in events}) == len(events)
    assert len(all_files(tmp_path)) == 4  # this process and the three others


def test_a_fragment_left_by_a_crash_stays_one_bad_line(tmp_path: Path) -> None:
    sink = LocalEventSink(tmp_path)
    path = sink.path_for(AT)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"job_id": "half-writ')
    sink.emit(event())
    lines = path.read_text().splitlines()
    assert lines[0] == '{"job_id": "half-writ'
    assert json.loads(lines[1])["job_id"] == "job-1"


# --- choosing the sink ------------------------------------------------------------


def test_settings_choose_the_sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANALYTICS_EVENTS_URL", raising=False)
    local = event_sink(Settings(home=tmp_path))
    assert isinstance(local, LocalEventSink)
    assert local.root == tmp_path.resolve() / "events"

    monkeypatch.setenv("ANALYTICS_EVENTS_URL", "s3://my-bucket/team/events/")
    remote = event_sink(Settings(home=tmp_path), client=object())
    assert isinstance(remote, S3EventSink)
    assert (remote.bucket, remote.prefix) == ("my-bucket", "team/events")

    monkeypatch.setenv("ANALYTICS_EVENTS_URL", "ftp://elsewhere/x")
    with pytest.raises(ConfigurationError, match="ANALYTICS_EVENTS_URL"):
        event_sink(Settings(home=tmp_path))


# --- the S3 sink, against a real moto server ----------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"events-{uuid.uuid4().hex[:12]}"
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    client.test_bucket = bucket  # type: ignore[attr-defined]
    return client


def objects(client: Any, bucket: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listed
    }


def test_s3_sink_puts_one_object_per_batch_and_day(s3_client: Any) -> None:
    bucket = s3_client.test_bucket
    sink = S3EventSink(bucket, "prod/events", client=s3_client)
    sink.write([event(), event(status="running", at=(AT + timedelta(seconds=5)).isoformat())])
    sink.write(
        [
            event(status="succeeded", duration_ms=9000, at=(AT + timedelta(minutes=1)).isoformat()),
            event(job_id="job-2", at=datetime(2026, 6, 2, 0, 30, tzinfo=UTC).isoformat()),
        ]
    )
    stored = objects(s3_client, bucket)
    assert len(stored) == 3
    keys = sorted(stored)
    assert [k.rsplit("/", 1)[0] for k in keys] == [
        "prod/events/report_jobs/date=2026-06-01",
        "prod/events/report_jobs/date=2026-06-01",
        "prod/events/report_jobs/date=2026-06-02",
    ]
    assert all(uuid.UUID(k.rsplit("/", 1)[1].removesuffix(".jsonl")) for k in keys)
    lines = [json.loads(line) for body in stored.values() for line in body.splitlines()]
    assert sorted(e["status"] for e in lines) == ["queued", "queued", "running", "succeeded"]
    assert all(body.endswith(b"\n") for body in stored.values())


def test_s3_sink_writes_nothing_for_an_invalid_batch(s3_client: Any) -> None:
    bucket = s3_client.test_bucket
    sink = event_sink(
        Settings(home=Path("/nonexistent"), events_url=f"s3://{bucket}/p"), client=s3_client
    )
    with pytest.raises(InvalidEventError, match="status"):
        sink.write([event(), event(status="exploded")])
    assert objects(s3_client, bucket) == {}


def test_s3_sink_puts_each_stream_under_its_own_folder(s3_client: Any) -> None:
    from analytics_core.events import SchedulerRunEvent

    bucket = s3_client.test_bucket
    sink = S3EventSink(bucket, "events", client=s3_client)
    run = SchedulerRunEvent.model_validate(
        {
            "job": "daily_sales",
            "kind": "report",
            "due_at": "2026-06-01T06:00:00Z",
            "attempt": 1,
            "status": "running",
            "at": AT.isoformat(),
        }
    )
    sink.write([event(), run])
    stored = objects(s3_client, bucket)
    folders = sorted(key.rsplit("/", 1)[0] for key in stored)
    assert folders == [
        "events/report_jobs/date=2026-06-01",
        "events/scheduler_runs/date=2026-06-01",
    ]
    for key, body in stored.items():
        [line] = body.splitlines()
        assert ("job_id" in json.loads(line)) == ("/report_jobs/" in key)
