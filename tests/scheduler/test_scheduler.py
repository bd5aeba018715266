"""The scheduler's decisions, with the clock in the test's hands: what is due,
missed runs after downtime, retries with backoff, failures that do not stop
other jobs, and two schedulers on one home."""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from pathlib import Path

import pytest

from analytics_core.schedules import Job, parse_schedule
from analytics_core.settings import SchedulerSettings, Settings
from orchestration.scheduler import (
    JobFailedError,
    Scheduler,
    SchedulerError,
    SchedulerState,
    scheduler_lock,
)
from tests.conftest import ANALYTICS, analytics_env

UTC = dt.UTC
SCHEDULE = parse_schedule(
    """
builds:
  - {name: hourly, cron: "15 * * * *"}
reports:
  - {name: daily, report_type: daily_sales, cron: "0 6 * * *", params: {date: "{previous_day}"}}
""",
    Path("schedules.yml"),
)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Recorder:
    """Runs nothing: records each call; fails a job the first ``failures[name]`` times."""

    def __init__(self, failures: dict[str, int] | None = None) -> None:
        self.calls: list[tuple[str, dt.datetime]] = []
        self.failures = dict(failures or {})
        self.lock = threading.Lock()

    def __call__(self, job: Job, due: dt.datetime) -> str:
        with self.lock:
            self.calls.append((job.name, due))
            if self.failures.get(job.name, 0) > 0:
                self.failures[job.name] -= 1
                raise JobFailedError(f"{job.name} broke")
        return f"ran {job.name}"


def scheduler(
    tmp_path: Path, clock: Clock, runner: Recorder, **config: float
) -> tuple[Scheduler, SchedulerState]:
    state = SchedulerState(tmp_path / "state.sqlite3")
    settings = SchedulerSettings(**{"retry_seconds": 60, "max_attempts": 3, **config})
    return Scheduler(SCHEDULE, state, runner, settings, clock=clock), state


def step(s: Scheduler) -> None:
    s.tick()
    s.wait_idle(timeout=10)


def test_nothing_from_before_the_first_start_then_each_due_time_once(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    runner = Recorder()
    s, _ = scheduler(tmp_path, clock, runner)
    step(s)
    assert runner.calls == []  # 06:15 and 06:00 were before this scheduler existed
    clock.advance(minutes=15)  # 07:15
    step(s)
    step(s)  # the same due time again: nothing new
    assert runner.calls == [("hourly", dt.datetime(2026, 3, 2, 7, 15, tzinfo=UTC))]
    s.close()


def test_missed_runs_after_downtime_run_once_for_the_latest_due_time(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    runner = Recorder()
    s, _ = scheduler(tmp_path, clock, runner)
    step(s)
    s.close()
    # Down for a day and a half; a new scheduler on the same state.
    clock.advance(hours=36)  # 2026-03-03 19:00
    runner2 = Recorder()
    s2, state = scheduler(tmp_path, clock, runner2)
    step(s2)
    assert sorted(runner2.calls) == [
        ("daily", dt.datetime(2026, 3, 3, 6, 0, tzinfo=UTC)),
        ("hourly", dt.datetime(2026, 3, 3, 18, 15, tzinfo=UTC)),
    ]
    assert [r.status for r in state.runs()] == ["succeeded", "succeeded"]
    s2.close()


def test_a_failing_job_is_retried_with_backoff_and_others_go_on(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 5, 59, tzinfo=UTC))
    runner = Recorder(failures={"daily": 2})
    s, state = scheduler(tmp_path, clock, runner)
    step(s)
    clock.advance(minutes=16)  # 06:15: daily (06:00) and hourly (06:15) are due
    step(s)
    [daily] = state.runs("daily")
    assert daily.status == "retrying" and daily.attempts == 1
    assert daily.next_attempt_at == clock.now + dt.timedelta(seconds=60)
    assert daily.detail == "daily broke"
    assert [r.status for r in state.runs("hourly")] == ["succeeded"]
    clock.advance(seconds=59)
    step(s)
    assert len([c for c in runner.calls if c[0] == "daily"]) == 1  # not yet
    clock.advance(seconds=1)
    step(s)
    [daily] = state.runs("daily")
    assert daily.status == "retrying" and daily.attempts == 2
    assert daily.next_attempt_at == clock.now + dt.timedelta(seconds=240)  # 60 * 4
    clock.advance(seconds=240)
    step(s)
    [daily] = state.runs("daily")
    assert daily.status == "succeeded" and daily.attempts == 3
    # Every attempt asked for the report of the same due time.
    assert {due for name, due in runner.calls if name == "daily"} == {
        dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    }
    s.close()


def test_a_job_that_keeps_failing_ends_failed(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    runner = Recorder(failures={"hourly": 99})
    s, state = scheduler(tmp_path, clock, runner, max_attempts=2, retry_seconds=0)
    step(s)
    clock.advance(minutes=15)
    step(s)
    step(s)
    step(s)
    [run] = state.runs("hourly")
    assert run.status == "failed" and run.attempts == 2 and run.next_attempt_at is None
    assert len(runner.calls) == 2
    s.close()


def test_a_runner_bug_is_a_failed_run_not_a_dead_scheduler(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))

    def broken(job: Job, due: dt.datetime) -> str:
        raise ZeroDivisionError("division by zero")

    state = SchedulerState(tmp_path / "state.sqlite3")
    s = Scheduler(SCHEDULE, state, broken, SchedulerSettings(max_attempts=1), clock=clock)
    step(s)
    clock.advance(minutes=15)
    step(s)
    [run] = state.runs("hourly")
    assert run.status == "failed"
    assert run.detail == "unexpected ZeroDivisionError: division by zero"
    s.close()


def test_two_schedulers_on_one_state_run_a_due_job_once(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    runner = Recorder()
    first, _ = scheduler(tmp_path, clock, runner)
    second, _ = scheduler(tmp_path, clock, runner)
    step(first)
    step(second)
    clock.advance(minutes=15)
    barrier = threading.Barrier(2)

    def tick(s: Scheduler) -> None:
        barrier.wait()
        step(s)

    threads = [threading.Thread(target=tick, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runner.calls == [("hourly", dt.datetime(2026, 3, 2, 7, 15, tzinfo=UTC))]
    first.close()
    second.close()


def test_a_run_interrupted_by_a_stop_is_tried_again(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    state = SchedulerState(tmp_path / "state.sqlite3")
    state.started(clock.now)
    due = dt.datetime(2026, 3, 2, 7, 15, tzinfo=UTC)
    state.add("hourly", due, clock.now)
    [claimed] = state.claim_ready(clock.now, set())
    assert claimed.status == "running"
    assert state.recover(clock.now) == 1
    assert [r.status for r in state.runs()] == ["retrying"]
    state.close()


def test_a_second_scheduler_process_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    with scheduler_lock(settings):
        with pytest.raises(SchedulerError, match="another scheduler is running"):  # noqa: SIM117
            with scheduler_lock(settings):
                pass
        # The CLI says so in one line and exits non-zero.
        done = subprocess.run(
            [str(ANALYTICS), "serve", "scheduler"],
            env=analytics_env(settings.home),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: another scheduler is running")
    assert "Traceback" not in done.stderr


def test_the_cli_scheduler_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import time

    home = tmp_path / "home"
    process = subprocess.Popen(
        [str(ANALYTICS), "serve", "scheduler"],
        env=analytics_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        state = home / "scheduler" / "state.sqlite3"
        while not state.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert state.exists(), process.stderr.read() if process.stderr else ""
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "5 jobs" in stderr and "scheduler stopped" in stderr
