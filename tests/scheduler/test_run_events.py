"""Scheduler runs as events: the event's schema, hostile values, and the
scheduler writing one event when each attempt starts and one when it ends
(with the clock in the test's hands). The build that turns them into
``monitoring.scheduler_runs`` is in tests/monitoring/test_scheduler_events_build.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from analytics_core.events import (
    MAX_DETAIL_LENGTH,
    EventSink,
    InvalidEventError,
    LocalEventSink,
    SchedulerRunEvent,
    encode_batch,
    render_json_schema,
)
from tests.scheduler.test_scheduler import Clock, Recorder, scheduler, step

UTC = dt.UTC
DUE = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def run_event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "job": "daily_sales",
        "kind": "report",
        "due_at": DUE.isoformat(),
        "attempt": 1,
        "status": "running",
        "at": (DUE + dt.timedelta(seconds=2)).isoformat(),
    }
    base.update(overrides)
    return base


def lines(root: Path, stream: str = "scheduler_runs") -> list[dict[str, Any]]:
    files = sorted((root / stream).rglob("*.jsonl")) if (root / stream).exists() else []
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


def test_committed_json_schema_is_what_the_model_exports() -> None:
    assert SchedulerRunEvent.schema_path.read_text() == render_json_schema(SchedulerRunEvent), (
        "analytics_core/schemas/scheduler_run_event.schema.json is stale: "
        "run `uv run python -m analytics_core.events`"
    )
    schema = json.loads(SchedulerRunEvent.schema_path.read_text())
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"job", "kind", "due_at", "attempt", "status", "at"}


def test_a_run_event_round_trips_in_utc() -> None:
    event = SchedulerRunEvent.model_validate(
        run_event(
            due_at="2026-03-02T07:00:00+01:00",
            status="retrying",
            duration_ms=1500,
            detail="the report service answered 503",
            next_attempt_at="2026-03-02T06:01:00Z",
        )
    )
    [line] = encode_batch([event])
    data = json.loads(line)
    assert data["due_at"] == "2026-03-02T06:00:00Z"
    assert data["next_attempt_at"] == "2026-03-02T06:01:00Z"
    assert uuid.UUID(data["event_id"]) == event.event_id
    assert data["schema_version"] == 1
    assert line.endswith(b"\n") and line.count(b"\n") == 1


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"job": "daily'; drop table x; --"}, "job"),
        ({"job": "X" * 65}, "job"),
        ({"kind": "shell"}, "kind"),
        ({"attempt": 0}, "attempt"),
        ({"attempt": "1"}, "attempt"),
        ({"attempt": 10**9}, "attempt"),
        ({"status": "exploded"}, "status"),
        ({"due_at": "2026-03-02T06:00:00"}, "due_at"),
        ({"at": "yesterday"}, "at"),
        ({"duration_ms": -1}, "duration_ms"),
        ({"detail": "x" * (MAX_DETAIL_LENGTH + 1)}, "detail"),
        ({"next_attempt_at": "soon"}, "next_attempt_at"),
    ],
)
def test_hostile_run_events_are_refused_by_name_and_nothing_is_written(
    tmp_path: Path, overrides: dict[str, Any], problem: str
) -> None:
    sink = LocalEventSink(tmp_path)
    good = SchedulerRunEvent.model_validate(run_event())
    bad = SchedulerRunEvent.model_construct(**{**good.model_dump(), **overrides})
    with pytest.raises(InvalidEventError, match=rf"invalid scheduler run event: {problem}"):
        sink.write([good, bad])
    assert not tmp_path.exists() or not any(tmp_path.rglob("*.jsonl"))


def test_each_attempt_is_two_events_and_a_retry_says_when(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 5, 59, tzinfo=UTC))
    events_dir = tmp_path / "events"
    s, state = scheduler(tmp_path, clock, Recorder(failures={"daily": 1}))
    s.events = LocalEventSink(events_dir)
    step(s)
    assert lines(events_dir) == []  # nothing due yet: nothing written
    clock.advance(minutes=1)  # 06:00: daily is due, and fails once
    step(s)
    clock.advance(seconds=60)  # its retry
    step(s)
    written = lines(events_dir)
    assert [(e["job"], e["attempt"], e["status"]) for e in written] == [
        ("daily", 1, "running"),
        ("daily", 1, "retrying"),
        ("daily", 2, "running"),
        ("daily", 2, "succeeded"),
    ]
    assert {e["kind"] for e in written} == {"report"}
    assert {e["due_at"] for e in written} == {"2026-03-02T06:00:00Z"}
    assert len({e["event_id"] for e in written}) == 4
    started, retrying, restarted, succeeded = written
    assert restarted["attempt"] == 2 and restarted["detail"] is None
    assert started["duration_ms"] is None and started["detail"] is None
    assert retrying["detail"] == "daily broke"
    assert retrying["next_attempt_at"] == "2026-03-02T06:01:00Z"
    assert succeeded["detail"] == "ran daily" and succeeded["next_attempt_at"] is None
    assert succeeded["duration_ms"] == 0  # the test's clock did not move during the run
    # The state file and the events agree.
    [run] = state.runs("daily")
    assert (run.status, run.attempts) == ("succeeded", 2)
    # The files are in the scheduler's own stream, by the day of the event.
    assert [p.parent.name for p in (events_dir / "scheduler_runs").rglob("*.jsonl")] == [
        "date=2026-03-02"
    ]
    assert not (events_dir / "report_jobs").exists()
    s.close()


def test_the_last_failure_is_a_failed_event(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 7, 14, tzinfo=UTC))
    events_dir = tmp_path / "events"
    s, _ = scheduler(tmp_path, clock, Recorder(failures={"hourly": 5}), max_attempts=1)
    s.events = LocalEventSink(events_dir)
    step(s)
    clock.advance(minutes=1)
    step(s)
    assert [(e["job"], e["kind"], e["status"]) for e in lines(events_dir)] == [
        ("hourly", "build", "running"),
        ("hourly", "build", "failed"),
    ]
    s.close()


class BrokenSink(EventSink):
    """An events store that is down (S3 unreachable, a full disk)."""

    def __init__(self) -> None:
        self.calls = 0

    def write(self, events: Any) -> None:
        self.calls += 1
        raise ConnectionError("the events bucket cannot be reached")

    def _write(self, events: list[Any], lines: list[bytes]) -> None:  # pragma: no cover
        raise AssertionError("not reached")


def test_an_events_store_that_is_down_does_not_stop_a_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 5, 59, tzinfo=UTC))
    runner = Recorder()
    s, state = scheduler(tmp_path, clock, runner)
    sink = BrokenSink()
    s.events = sink
    step(s)
    clock.advance(minutes=1)
    with caplog.at_level(logging.WARNING, logger="analytics.scheduler"):
        step(s)
    assert [r.status for r in state.runs("daily")] == ["succeeded"]
    assert sink.calls == 2
    assert "the run event could not be written" in caplog.text
    assert "events bucket cannot be reached" in caplog.text
    s.close()


def test_an_unknown_member_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="command: Extra inputs are not permitted"):
        encode_batch([run_event(command="rm -rf /")], SchedulerRunEvent)


def test_a_mapping_is_read_as_the_kind_asked_for() -> None:
    data: Mapping[str, Any] = run_event()
    [line] = encode_batch([data], SchedulerRunEvent)
    assert json.loads(line)["job"] == "daily_sales"
    with pytest.raises(InvalidEventError, match="invalid report job event"):
        encode_batch([data])  # a report job event unless said otherwise
