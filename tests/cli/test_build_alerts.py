"""Alerts after a build: ``analytics build --alerts-after JOB`` (how AWS's
scheduled build tasks run them) and the local scheduler's runner, both on a
real home (the shared first build), real dbt, and a real report service
process in outbox mode that routes, makes and sends what the alerts find."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_core.events import LocalEventSink
from analytics_core.formatting import counted
from analytics_core.schedules import load_schedule
from analytics_core.settings import SchedulerSettings, Settings
from orchestration import build_inputs
from orchestration.scheduler_runner import CommandRunner
from tests.cli.test_build_session import FIRST_BUILD, report_event
from tests.conftest import analytics_env, run_cli
from tests.report_service import service as svc
from tests.warehouses import WarehouseTemplates, copy_home

pytestmark = [pytest.mark.slow, pytest.mark.minutes(4)]

SCHEDULE = """
builds:
  - name: hourly_build
    cron: "15 * * * *"
  - name: nightly_full_build
    cron: "30 2 * * *"
reports: []
alerts:
  - name: data_quality
    checks: [freshness, failing_tests, failed_runs]
    after: nightly_full_build
    recipients:
      - {name: Data engineering, channel: slack, secret: slack_data}
  - name: hourly_revenue
    metric: revenue
    above: 0
    after: hourly_build
    recipients:
      - {name: Sales lead, channel: email, to: [lead@example.com]}
"""
#: One view: a build that publishes in seconds.
QUICK = ("--force", "--no-freshness", "--select", "rpt_deliveries")
BUILT = "dbt build on local:"


@pytest.fixture
def home(warehouse_templates: WarehouseTemplates, tmp_path: Path) -> Path:
    template = warehouse_templates.get(FIRST_BUILD)
    home = tmp_path / "home"
    copy_home(template.home, home)
    return home


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "schedules.yml").write_text(SCHEDULE)
    return {
        "SCHEDULER_SCHEDULE_FILE": str(tmp_path / "schedules.yml"),
        "DELIVERY_MODE": "outbox",
        "DELIVERY_SECRET_SLACK_DATA": "https://hooks.slack.example/services/T0/B0/x",
    }


@pytest.fixture
def service(home: Path, env: dict[str, str]) -> Iterator[svc.RunningService]:
    with svc.running(home, env) as running:
        yield running


def _deliveries(home: Path, env: dict[str, str]) -> list[dict[str, object]]:
    listed = run_cli("deliver", "--recent", "--json", home=home, env=env)
    assert listed.returncode == 0, listed.stderr
    found: list[dict[str, object]] = json.loads(listed.stdout)["deliveries"]
    return found


def test_a_typo_in_the_build_job_fails_before_building(home: Path, env: dict[str, str]) -> None:
    before = build_inputs.load(Settings(home=home))
    done = run_cli("build", *QUICK, "--alerts-after", "nightly", home=home, env=env)
    assert done.returncode == 1
    assert "'nightly' is not a build job; the build jobs are hourly_build, nightly_full_build" in (
        done.stderr
    )
    assert BUILT not in done.stdout and "Traceback" not in done.stderr
    after = build_inputs.load(Settings(home=home))
    assert before is not None and after is not None and after.built_at == before.built_at


def test_a_build_then_its_alerts(
    home: Path, env: dict[str, str], service: svc.RunningService
) -> None:
    cli_env = {**env, "REPORT_SERVICE_URL": service.url, "REPORT_SERVICE_API_KEY": svc.API_KEY}
    done = run_cli("build", *QUICK, "--alerts-after", "nightly_full_build", home=home, env=cli_env)
    assert done.returncode == 0, done.stderr
    assert BUILT in done.stdout
    # Only the alert that follows this build: the hourly one is not evaluated.
    assert "hourly_revenue" not in done.stdout
    line = next(x for x in done.stdout.splitlines() if x.startswith("data_quality: "))
    found = int(line.split(": ")[1].split()[0])
    assert found > 0, "the template's sources are stale: freshness finds them"
    assert f"{counted(found, 'message')} queued" in line
    sent = [d for d in _deliveries(home, cli_env) if d["source"] == "data_quality"]
    assert len(sent) == found and {d["kind"] for d in sent} == {"alert"}

    # The report service is gone: the build is published, the command says the
    # alerts were not sent and fails (a task's exit code is its health).
    service.process.terminate()
    service.process.wait(timeout=30)
    published = Settings(home=home).warehouse_path
    before = published.stat().st_mtime_ns
    failed = run_cli(
        "build", *QUICK, "--alerts-after", "nightly_full_build", home=home, env=cli_env
    )
    assert failed.returncode == 1
    assert BUILT in failed.stdout
    assert "the build succeeded and was published; the alerts after nightly_full_build" in (
        failed.stderr
    )
    assert "cannot be reached" in failed.stderr and "Traceback" not in failed.stderr
    assert published.stat().st_mtime_ns > before


def test_the_scheduler_evaluates_the_alerts_after_its_builds(
    home: Path, env: dict[str, str], service: svc.RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in analytics_env(home, env).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REPORT_SERVICE_URL", service.url)
    monkeypatch.setenv("REPORT_SERVICE_API_KEY", svc.API_KEY)
    settings = Settings(home=home)
    schedule = load_schedule(Path(env["SCHEDULER_SCHEDULE_FILE"]))
    runner = CommandRunner(settings, SchedulerSettings(), svc.API_KEY, schedule)
    nightly = dataclasses.replace(
        schedule.job("nightly_full_build"), freshness=False, select=("rpt_deliveries",)
    )

    # Something new (an event): the build runs, then its alerts.
    def news(job: str) -> None:
        LocalEventSink(settings.events_dir).emit(report_event(job))

    news("news-1")
    detail = runner(nightly, dt.datetime.now(dt.UTC))
    assert detail.endswith("; alerts evaluated"), detail
    cli_env = {**env, "REPORT_SERVICE_URL": service.url, "REPORT_SERVICE_API_KEY": svc.API_KEY}
    made = _deliveries(home, cli_env)
    assert any(d["source"] == "data_quality" for d in made)
    # The hourly build's alert (a metric alert) is not the nightly's.
    assert not any(d["source"] == "hourly_revenue" for d in made)
