"""The real chain on a small warehouse, with the clock in the test's hands:
the scheduler fires a report through the report service's external-function
endpoint, the service renders it, the artifact exists, the job events land,
the scheduler's build runs ``analytics build``, and the monitoring models show
the job as succeeded and the scheduler's own runs."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import httpx
import pytest

from analytics_core.events import event_sink
from analytics_core.schedules import check_reports, load_schedule
from analytics_core.settings import SchedulerSettings, Settings
from orchestration.scheduler import (
    JobFailedError,
    Scheduler,
    SchedulerState,
    state_path,
)
from orchestration.scheduler_runner import CommandRunner
from report_service.reports import CATALOG
from tests.report_service import service as svc
from tests.scheduler.test_scheduler import Clock

pytestmark = pytest.mark.slow


def test_a_scheduled_report_reaches_the_monitoring_models(
    small_warehouse: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(small_warehouse.home, home, symlinks=True)
    settings = Settings(home=home)
    schedule = load_schedule()
    check_reports(schedule, CATALOG)
    # The small warehouse's data ends on 2026-06-30: the daily report of
    # 2026-06-30 is due on 2026-07-01 at 06:00.
    clock = Clock(dt.datetime(2026, 7, 1, 5, 59, tzinfo=dt.UTC))
    with svc.running(home) as service:
        config = SchedulerSettings(
            report_service_url=service.url,
            report_service_api_key=svc.API_KEY,
            retry_seconds=0,
        )
        monkeypatch.setenv("ANALYTICS_HOME", str(home))
        monkeypatch.delenv("ANALYTICS_TARGET", raising=False)
        state = SchedulerState(state_path(settings))
        scheduler = Scheduler(
            schedule,
            state,
            CommandRunner(settings, config, svc.API_KEY),
            config,
            clock=clock,
            events=event_sink(settings),
        )
        scheduler.tick()  # the first start: nothing from before it
        clock.advance(minutes=1)  # 06:00: daily_sales is due
        started = scheduler.tick()
        scheduler.wait_idle(timeout=120)
        assert [r.job for r in started] == ["daily_sales"]
        [run] = state.runs("daily_sales")
        assert run.status == "succeeded", run.detail
        job_id = (run.detail or "").split()[2]
        job = service.wait_for_job(job_id)
        assert job["status"] == "succeeded", job
        assert job["params"] == {"date": "2026-06-30"}
        assert sorted(a["format"] for a in job["artifacts"]) == ["csv", "html", "pdf"]
        with service.client(headers=service.headers) as client:
            html = client.get(f"/v1/reports/jobs/{job_id}/artifacts/html")
        assert html.status_code == 200 and b"2026-06-30" in html.content
        # The same due time asked again (a retry, a second scheduler) is the same job.
        again = CommandRunner(settings, config, svc.API_KEY)(
            schedule.job("daily_sales"), run.due_at
        )
        assert job_id in again
        events = list((home / "events" / "report_jobs").rglob("*.jsonl"))
        assert events and job_id in "".join(p.read_text() for p in events)

        clock.advance(minutes=15)  # 06:15: the hourly build is due
        started = scheduler.tick()
        scheduler.wait_idle(timeout=900)
        assert [r.job for r in started] == ["hourly_build"]
        [build] = state.runs("hourly_build")
        assert build.status == "succeeded", build.detail
        assert "nothing new" not in (build.detail or "")
        scheduler.close()
        # Run again with nothing new (the scheduler's own build events are not
        # news): no dbt, and the run's result says so.
        detail = CommandRunner(settings, config, svc.API_KEY)(
            schedule.job("hourly_build"), build.due_at
        )
        assert "analytics build --freshness: nothing new in raw data since the build at" in detail

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select status, triggered_by, report_type from monitoring.report_jobs where job_id = ?",
            [job_id],
        ).fetchall()
        runs = con.execute(
            "select job_name, kind, due_at, status, attempts from monitoring.scheduler_runs"
            " order by due_at"
        ).fetchall()
    assert rows == [("succeeded", "external_function", "daily_sales")]
    # The build loaded the scheduler's events: the report's run had ended; the
    # build's own run was still going (its end is written once the build is done).
    assert runs == [
        ("daily_sales", "report", dt.datetime(2026, 7, 1, 6, 0), "succeeded", 1),
        ("hourly_build", "build", dt.datetime(2026, 7, 1, 6, 15), "running", 1),
    ]
    ended = [
        json.loads(line)
        for path in (home / "events" / "scheduler_runs").rglob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert [(e["job"], e["status"]) for e in ended][-1] == ("hourly_build", "succeeded")


def test_an_unreachable_report_service_is_a_clear_failed_run(tmp_path: Path) -> None:
    schedule = load_schedule()
    config = SchedulerSettings(report_service_url="http://127.0.0.1:9", request_timeout_seconds=2)
    runner = CommandRunner(Settings(home=tmp_path), config, "key")
    with pytest.raises(JobFailedError, match=r"cannot be reached"):
        runner(schedule.job("daily_sales"), dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC))


def test_a_refused_key_is_a_clear_failed_run(small_warehouse: Settings, tmp_path: Path) -> None:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with svc.running(home) as service:
        config = SchedulerSettings(report_service_url=service.url)
        runner = CommandRunner(Settings(home=home), config, "wrong-key")
        with pytest.raises(JobFailedError, match="answered 401") as raised:
            runner(load_schedule().job("daily_sales"), dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC))
        assert "wrong-key" not in str(raised.value)
        assert httpx.get(service.url + "/health").status_code == 200
