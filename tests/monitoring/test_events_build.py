"""Events through a real build: files -> monitoring_raw -> the models.
Report job events -> report_job_events, report_jobs, report_jobs_daily;
scheduler run events -> scheduler_run_events, scheduler_runs; delivery events
-> delivery_events, deliveries (and the monthly data quality report that
counts them); the rejected lines of each. Plus the Snowflake DDL (stage, file
format, pipes), checked with sqlglot.

One home, a copy of the run's small warehouse (``BASE``, built without
events), gets the events and is built twice (a second build with more events
appends, through a full refresh); a second home builds with no events folder
at all.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from analytics_core.data_quality_findings import Owners, findings
from analytics_core.events import (
    DeliveryChannel,
    DeliveryEvent,
    DeliveryKind,
    DeliveryStatus,
    LocalEventSink,
    ReportJobEvent,
    SchedulerRunEvent,
)
from analytics_core.settings import PROJECT_ROOT, Settings
from analytics_core.warehouse import DuckDBClient
from report_service.reports import get_report
from tests.conftest import VENV_BIN, run_cli
from tests.warehouses import BASE, WarehouseTemplates

pytestmark = [pytest.mark.slow, pytest.mark.minutes(3)]

DAY = datetime(2026, 6, 1, tzinfo=UTC)


def ev(job: str, status: str, seconds: float, **extra: Any) -> ReportJobEvent:
    return ReportJobEvent.model_validate(
        {
            "job_id": job,
            "report_type": extra.pop("report_type", "daily_sales"),
            "status": status,
            "at": (DAY + timedelta(hours=8, seconds=seconds)).isoformat(),
            "trigger": extra.pop("trigger", "api"),
            **extra,
        }
    )


def run(job: str, due_hour: int, attempt: int, status: str, minute: float, **extra: Any) -> Any:
    """A scheduler run event of ``job`` due at ``due_hour``:00 on DAY."""
    due = DAY + timedelta(hours=due_hour)
    return SchedulerRunEvent.model_validate(
        {
            "job": job,
            "kind": extra.pop("kind", "report"),
            "due_at": due.isoformat(),
            "attempt": attempt,
            "status": status,
            "at": (due + timedelta(minutes=minute)).isoformat(),
            **extra,
        }
    )


#: The deliveries of the events below: (kind, source, recipient, channel, due hour).
DELIVERIES: dict[str, tuple[DeliveryKind, str, str, DeliveryChannel, int]] = {
    "d1": ("subscription", "daily_sales_to_leadership", "cfo", "email", 6),
    "d2": ("alert", "revenue_drop", "ops_channel", "slack", 7),
    "d3": ("subscription", "daily_sales_to_leadership", "team_hook", "webhook", 8),
    "d4": ("subscription", "weekly_to_sales", "sales_team", "teams", 8),
    "d5": ("alert", "revenue_drop", "on_call", "email", 9),
    # due the day before DAY, in May: the month before's deliveries
    "d0": ("alert", "revenue_drop", "ops_channel", "slack", -1),
}


def delivery(
    delivery_id: str, attempt: int, status: DeliveryStatus, minute: float, **extra: Any
) -> DeliveryEvent:
    """A delivery event of ``delivery_id`` (see :data:`DELIVERIES`), ``minute``
    minutes after it was due."""
    kind, source, recipient, channel, hour = DELIVERIES[delivery_id]
    due = DAY + timedelta(hours=hour)
    return DeliveryEvent(
        delivery_id=delivery_id,
        kind=kind,
        source=source,
        recipient=recipient,
        channel=channel,
        due_at=due,
        attempt=attempt,
        status=status,
        at=due + timedelta(minutes=minute),
        **extra,
    )


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(
    warehouse_templates: WarehouseTemplates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A home with events (valid, re-delivered, malformed), built once.

    The home is a copy of the run's ``BASE`` warehouse (generated with
    ``SMALL_WAREHOUSE_ARGS`` and built, with no events folder): its event
    landing tables are empty, so the build here loads every event line, as
    a first build would, and runs the event models on them. It saves this
    module a generation and a full parse and build of its own (about 50 s);
    the full-refresh path of the same models is
    ``test_second_build_appends_new_events_only``'s.
    """
    settings = warehouse_templates.copy(BASE, tmp_path_factory.mktemp("report-events") / "home")
    home = settings.home_dir
    assert not settings.events_dir.exists(), "BASE is built without events"
    for table in ("report_job_events", "scheduler_run_events", "delivery_events"):
        assert query(settings, f"select count(*) from monitoring_raw.{table}") == [(0,)], table
    sink = LocalEventSink(settings.events_dir)
    duplicate = ev("j1", "succeeded", 10, duration_ms=9000)
    sink.write(
        [
            ev("j1", "queued", 0),
            ev("j1", "running", 1),
            duplicate,
            ev("j2", "queued", 0, trigger="schedule"),
            ev("j2", "running", 0, trigger="schedule"),  # same `at`: running wins
            ev("j2", "failed", 3, trigger="schedule", duration_ms=3000, error="no data"),
            ev("j3", "queued", 5, trigger="external_function", params={"date": "2026-05-31"}),
            ev("j4", "queued", 0, report_type="weekly_executive"),
            ev("j4", "succeeded", 60, report_type="weekly_executive", duration_ms=60000),
        ]
    )
    sink.emit(duplicate)  # re-delivered: same event_id
    hand = settings.events_dir / "report_jobs" / "date=2026-06-01" / "hand-written.jsonl"
    good = ev("j5", "queued", 7).model_dump(mode="json")
    hand.write_text(
        "\n".join(
            [
                json.dumps(good),
                "this is not json",
                json.dumps({**good, "event_id": str(uuid.uuid4()), "status": "exploded"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "duration_ms": "100"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "at": "2026-06-01T08:00:00"}),
                '{"schema_version": 1, "event_id": "' + str(uuid.uuid4()) + '", "job_id": "tr',
                # Rules only the event class states (its JSON Schema), not the SQL:
                json.dumps({**good, "event_id": str(uuid.uuid4()), "duration_ms": 604800001}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "job_id": "j\u0001x"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "report_type": ""}),
                # schema_version may be left out (the class's default): a valid
                # re-delivery of the first line, kept once.
                json.dumps({k: v for k, v in good.items() if k != "schema_version"}),
            ]
        )
    )
    retry_at = (DAY + timedelta(hours=6, minutes=1)).isoformat()
    redelivered = run("daily_sales", 6, 2, "succeeded", 1.5, duration_ms=4000, detail="job r1")
    sink.write(
        [
            run("daily_sales", 6, 1, "running", 0),
            run(
                "daily_sales",
                6,
                1,
                "retrying",
                0.2,
                duration_ms=200,
                detail="answered 503",
                next_attempt_at=retry_at,
            ),
            run("daily_sales", 6, 2, "running", 1),
            redelivered,
            run("hourly_build", 7, 1, "running", 0, kind="build"),
            run(
                "hourly_build",
                7,
                1,
                "failed",
                2,
                kind="build",
                duration_ms=120000,
                detail="dbt build failed",
            ),
            run("nightly_full_build", 2, 1, "running", 0, kind="build"),
        ]
    )
    sink.emit(redelivered)
    hand = settings.events_dir / "scheduler_runs" / "date=2026-06-01" / "hand-written.jsonl"
    good = run("weekly_executive", 8, 1, "running", 0).model_dump(mode="json")
    hand.write_text(
        "\n".join(
            [
                json.dumps(good),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "kind": "shell"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "attempt": 0}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "due_at": "2026-06-01 08:00"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "job": "Drop Table"}),
                json.dumps({**good, "event_id": "not-a-uuid"}),
                "[1, 2, 3]",
            ]
        )
    )
    sent = delivery("d1", 2, "sent", 6, delivered_as="attach", duration_ms=800, detail="3 files")
    sink.write(
        [
            # Written out of order: the latest is the highest attempt, not the last line.
            delivery(
                "d1",
                1,
                "retrying",
                1,
                detail="SMTP 451: try again later",
                next_attempt_at=DAY + timedelta(hours=6, minutes=5),
                duration_ms=900,
            ),
            delivery("d1", 0, "queued", 0, report_job_id="j1"),
            sent,
            delivery("d2", 0, "queued", 0),
            delivery("d2", 1, "failed", 1, duration_ms=150, detail="webhook answered 404"),
            delivery("d3", 0, "queued", 0),
            delivery("d4", 0, "queued", 0, report_job_id="j4"),
            delivery(
                "d4",
                1,
                "retrying",
                0,
                detail="teams answered 503",
                next_attempt_at=DAY + timedelta(hours=8, minutes=10),
            ),
            delivery("d0", 0, "queued", 0),
            delivery("d0", 1, "failed", 2, detail="slack answered 410"),
        ]
    )
    sink.emit(sent)  # re-delivered: same event_id
    hand = settings.events_dir / "deliveries" / "date=2026-06-01" / "hand-written.jsonl"
    good = delivery("d5", 0, "queued", 0).model_dump(mode="json")
    hand.write_text(
        "\n".join(
            [
                json.dumps(good),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "channel": "pigeon"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "attempt": -1}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "recipient": "a\u0007b"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "source": "Drop Table"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "delivered_as": "inline"}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "kind": "sms"}),
                "x'); drop table monitoring.deliveries; --",
                json.dumps(
                    {k: v for k, v in good.items() if k not in ("event_id", "delivery_id")}
                    | {"event_id": str(uuid.uuid4())}
                ),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "report_job_id": ""}),
                json.dumps({**good, "event_id": str(uuid.uuid4()), "status": "bounced"}),
            ]
        )
    )
    run_cli("build", home=home, check=True)
    yield {"settings": settings, "sink": sink}


def test_report_jobs_latest_status_and_durations(built: dict[str, Any]) -> None:
    rows = query(
        built["settings"],
        """select job_id, report_type, triggered_by, status, queued_at is not null,
                  finished_at is not null, duration_ms, error, events
           from monitoring.report_jobs order by job_id""",
    )
    assert rows == [
        ("j1", "daily_sales", "api", "succeeded", True, True, 9000, None, 3),
        ("j2", "daily_sales", "schedule", "failed", True, True, 3000, "no data", 3),
        ("j3", "daily_sales", "external_function", "queued", True, False, None, None, 1),
        ("j4", "weekly_executive", "api", "succeeded", True, True, 60000, None, 2),
        ("j5", "daily_sales", "api", "queued", True, False, None, None, 1),
    ]


def test_report_jobs_daily_numbers(built: dict[str, Any]) -> None:
    rows = query(
        built["settings"],
        """select job_date, report_type, jobs, succeeded, failed, running_or_queued,
                  failure_rate, duration_ms_p50, duration_ms_p95
           from monitoring.report_jobs_daily order by report_type""",
    )
    day = DAY.date()
    assert rows == [
        (day, "daily_sales", 4, 1, 1, 2, 0.5, 6000.0, 8700.0),
        (day, "weekly_executive", 1, 1, 0, 0, 0.0, 60000.0, 60000.0),
    ]


def test_redelivered_event_is_kept_once_and_malformed_lines_are_visible(
    built: dict[str, Any],
) -> None:
    settings = built["settings"]
    (landed,) = query(settings, "select count(*) from monitoring_raw.report_job_events")
    assert landed == (10 + 10,)
    (events,) = query(settings, "select count(*) from monitoring.report_job_events")
    assert events == (10,)  # 9 distinct events + j5, each duplicate once
    rejected = query(
        settings,
        "select file_row_number, reject_reason from monitoring.report_job_events_rejected "
        "order by file_row_number",
    )
    assert rejected == [
        (2, "not_a_json_object"),
        (3, "bad_status"),
        (4, "bad_duration_ms"),
        (5, "bad_at"),
        (6, "not_a_json_object"),
        (7, "bad_duration_ms"),
        (8, "bad_job_id"),
        (9, "bad_report_type"),
    ]


def test_scheduler_runs_show_how_each_run_ended(built: dict[str, Any]) -> None:
    rows = query(
        built["settings"],
        """select job_name, kind, hour(due_at), status, attempts, failed_attempts,
                  minute(first_started_at), finished_at is not null, last_duration_ms,
                  total_duration_ms, next_attempt_at, detail, events
           from monitoring.scheduler_runs order by due_at""",
    )
    assert rows == [
        ("nightly_full_build", "build", 2, "running", 1, 0, 0, False, None, None, None, None, 1),
        ("daily_sales", "report", 6, "succeeded", 2, 1, 0, True, 4000, 4200, None, "job r1", 4),
        (
            "hourly_build",
            "build",
            7,
            "failed",
            1,
            1,
            0,
            True,
            120000,
            120000,
            None,
            "dbt build failed",
            2,
        ),
        ("weekly_executive", "report", 8, "running", 1, 0, 0, False, None, None, None, None, 1),
    ]


def test_a_failed_scheduled_run_is_a_data_quality_finding(built: dict[str, Any]) -> None:
    """rpt_scheduler_runs is monitoring.scheduler_runs for readers; the
    failed_runs check reports a run whose every attempt failed, for a day."""
    settings = built["settings"]
    columns = "job_name, kind, due_at, status, attempts, failed_attempts, finished_at, detail"
    view = query(settings, f"select {columns} from reporting.rpt_scheduler_runs order by 1, 3")
    table = query(settings, f"select {columns} from monitoring.scheduler_runs order by 1, 3")
    assert view == table and len(view) == 4
    [(finished,)] = query(
        settings,
        "select finished_at from reporting.rpt_scheduler_runs where status = 'failed'",
    )
    client = DuckDBClient(settings.warehouse_path)
    try:
        soon = findings(
            client, ["failed_runs"], Owners(), finished.replace(tzinfo=UTC) + timedelta(hours=1)
        )
        later = findings(
            client, ["failed_runs"], Owners(), finished.replace(tzinfo=UTC) + timedelta(days=2)
        )
    finally:
        client.close()
    scheduled = [f for f in soon if f.key.startswith("scheduled_run:")]
    assert [(f.key, f.title) for f in scheduled] == [
        ("scheduled_run:hourly_build:2026-06-01T07:00Z", "Scheduled build hourly_build failed")
    ]
    assert scheduled[0].lines[0].startswith("Due 2026-06-01 07:00 UTC; 1 attempt, the last ended")
    assert scheduled[0].lines[1] == "dbt build failed"
    # daily_sales failed once, then succeeded: no finding.
    assert not any("daily_sales" in f.key for f in soon)
    assert not [f for f in later if f.key.startswith("scheduled_run:")]


def test_scheduler_events_kept_once_and_bad_lines_visible(built: dict[str, Any]) -> None:
    settings = built["settings"]
    (landed,) = query(settings, "select count(*) from monitoring_raw.scheduler_run_events")
    assert landed == (8 + 7,)
    (events,) = query(settings, "select count(*) from monitoring.scheduler_run_events")
    assert events == (8,)  # 7 written + the hand-written good one; the re-delivery once
    (retry,) = query(
        settings,
        "select next_attempt_at, detail from monitoring.scheduler_run_events "
        "where status = 'retrying'",
    )
    assert retry == (datetime(2026, 6, 1, 6, 1), "answered 503")
    rejected = query(
        settings,
        "select file_row_number, reject_reason from monitoring.scheduler_run_events_rejected "
        "order by file_row_number",
    )
    assert rejected == [
        (2, "bad_kind"),
        (3, "bad_attempt"),
        (4, "bad_due_at"),
        (5, "bad_job"),
        (6, "bad_event_id"),
        (7, "not_a_json_object"),
    ]
    # The report job models do not see the scheduler's lines, nor the reverse.
    (mixed,) = query(
        settings,
        "select count(*) from monitoring.report_job_events_rejected "
        "where file_name like 'scheduler_runs/%'",
    )
    assert mixed == (0,)


def test_deliveries_show_where_each_delivery_stands(built: dict[str, Any]) -> None:
    rows = query(
        built["settings"],
        """select delivery_id, kind, source, recipient, channel, due_at, report_job_id,
                  status, attempts, failed_attempts, queued_at, sent_at, finished_at,
                  delivered_as, detail, next_attempt_at, events
           from monitoring.deliveries order by due_at, delivery_id""",
    )
    at = DAY.replace(tzinfo=None)

    def t(hour: int, minute: int = 0) -> datetime:
        return at + timedelta(hours=hour, minutes=minute)

    assert rows == [
        ("d0", "alert", "revenue_drop", "ops_channel", "slack", t(-1), None, "failed",
         1, 1, t(-1), None, t(-1, 2), None, "slack answered 410", None, 2),
        # queued, retried, sent: the job id of the queued event, the sent event's detail
        ("d1", "subscription", "daily_sales_to_leadership", "cfo", "email", t(6), "j1",
         "sent", 2, 1, t(6), t(6, 6), t(6, 6), "attach", "3 files", None, 3),
        ("d2", "alert", "revenue_drop", "ops_channel", "slack", t(7), None, "failed",
         1, 1, t(7), None, t(7, 1), None, "webhook answered 404", None, 2),
        ("d3", "subscription", "daily_sales_to_leadership", "team_hook", "webhook", t(8),
         None, "queued", 0, 0, t(8), None, None, None, None, None, 1),
        # attempt 1's end wins over the queued event (attempt 0) of the same moment
        ("d4", "subscription", "weekly_to_sales", "sales_team", "teams", t(8), "j4",
         "retrying", 1, 1, t(8), None, t(8), None, "teams answered 503", t(8, 10), 2),
        ("d5", "alert", "revenue_drop", "on_call", "email", t(9), None, "queued",
         0, 0, t(9), None, None, None, None, None, 1),
    ]  # fmt: skip


def test_delivery_events_kept_once_and_bad_lines_visible(built: dict[str, Any]) -> None:
    settings = built["settings"]
    (landed,) = query(settings, "select count(*) from monitoring_raw.delivery_events")
    assert landed == (11 + 11,)
    (events,) = query(settings, "select count(*) from monitoring.delivery_events")
    assert events == (11,)  # 10 written + the hand-written good one; the re-delivery once
    rejected = query(
        settings,
        "select file_row_number, reject_reason from monitoring.delivery_events_rejected "
        "order by file_row_number",
    )
    assert rejected == [
        (2, "bad_channel"),
        (3, "bad_attempt"),
        (4, "bad_recipient"),
        (5, "bad_source"),
        (6, "bad_delivered_as"),
        (7, "bad_kind"),
        (8, "not_a_json_object"),
        (9, "bad_delivery_id"),
        (10, "bad_report_job_id"),
        (11, "bad_status"),
    ]
    # The other streams' models do not see the deliveries' lines, nor the reverse.
    (mixed,) = query(
        settings,
        """select count(*) from (
               select file_name from monitoring.report_job_events_rejected
               union all select file_name from monitoring.scheduler_run_events_rejected
           ) where file_name like 'deliveries/%'""",
    )
    assert mixed == (0,)
    (mixed,) = query(
        settings,
        "select count(*) from monitoring.delivery_events_rejected "
        "where file_name not like 'deliveries/%'",
    )
    assert mixed == (0,)


def test_the_monthly_data_quality_report_counts_the_deliveries(built: dict[str, Any]) -> None:
    """The month's deliveries (by due time) in the report, through the
    reporting view it reads (rpt_deliveries): the headline and the tables
    count the same rows."""
    client = DuckDBClient(built["settings"].warehouse_path)
    try:
        document = get_report("monthly_data_quality").build(client, {"month": "2026-06"})
    finally:
        client.close()
    kpis = {k.name: k for k in document.kpis}
    assert kpis["deliveries_sent"].value == 1
    assert kpis["deliveries_failed"].value == 1
    # May's one delivery failed (d0), none was sent.
    assert kpis["deliveries_failed"].comparisons[0].label == "2026-05"
    assert kpis["deliveries_failed"].comparisons[0].value == 1
    assert kpis["deliveries_sent"].comparisons[0].value == 0
    assert document.table("deliveries").rows == (
        ("alert", "email", 1, 0, 0, 1),
        ("alert", "slack", 1, 0, 1, 0),
        ("subscription", "email", 1, 1, 0, 0),
        ("subscription", "teams", 1, 0, 0, 1),
        ("subscription", "webhook", 1, 0, 0, 1),
    )
    assert document.table("failed_deliveries").rows == (
        (
            "revenue_drop",
            "ops_channel",
            "slack",
            datetime(2026, 6, 1, 7),
            1,
            "webhook answered 404",
        ),
    )
    sent = document.table("deliveries").column_names.index("sent")
    assert kpis["deliveries_sent"].value == sum(r[sent] for r in document.table("deliveries").rows)
    assert kpis["deliveries_failed"].value == len(document.table("failed_deliveries").rows)


def test_second_build_appends_new_events_only(built: dict[str, Any]) -> None:
    settings, sink = built["settings"], built["sink"]
    sink.write([ev("j3", "running", 20), ev("j3", "succeeded", 30, duration_ms=10000)])
    run_cli("build", "--full-refresh", home=settings.home_dir, check=True)
    (events,) = query(settings, "select count(*) from monitoring.report_job_events")
    assert events == (12,)  # history kept through --full-refresh; two new events
    assert query(
        settings, "select status, duration_ms from monitoring.report_jobs where job_id = 'j3'"
    ) == [("succeeded", 10000)]
    assert query(
        settings,
        "select jobs, succeeded, running_or_queued, failure_rate "
        "from monitoring.report_jobs_daily where report_type = 'daily_sales'",
    ) == [(4, 2, 1, 1 / 3)]
    (landed,) = query(settings, "select count(*) from monitoring_raw.report_job_events")
    assert landed == (22,)  # nothing loaded twice
    sink.write(
        [
            run("nightly_full_build", 2, 1, "succeeded", 40, kind="build", duration_ms=2400000),
            delivery("d4", 2, "sent", 10, delivered_as="link", detail="too large: linked"),
        ]
    )
    run_cli(
        "build",
        "--select",
        "+scheduler_runs",
        "--select",
        "+deliveries",
        home=settings.home_dir,
        check=True,
    )
    assert query(
        settings,
        "select status, last_duration_ms, events from monitoring.scheduler_runs "
        "where job_name = 'nightly_full_build'",
    ) == [("succeeded", 2400000, 2)]
    (landed,) = query(settings, "select count(*) from monitoring_raw.scheduler_run_events")
    assert landed == (16,)
    assert query(
        settings,
        "select status, attempts, failed_attempts, sent_at is not null, delivered_as, "
        "next_attempt_at, events from monitoring.deliveries where delivery_id = 'd4'",
    ) == [("sent", 2, 1, True, "link", None, 3)]
    (landed,) = query(settings, "select count(*) from monitoring_raw.delivery_events")
    assert landed == (23,)


def test_build_without_any_events_folder(built: dict[str, Any], tmp_path: Path) -> None:
    home = tmp_path / "no-events"
    shutil.copytree(built["settings"].state_dir, home / "state")
    # dbt's folder too, for its saved parse of the project (a fresh folder
    # costs a full parse, about 15 s; what this test is about is the state).
    shutil.copytree(built["settings"].dbt_dir, home / "dbt", symlinks=True)
    settings = Settings(home=home)
    shutil.rmtree(home / "state" / "build", ignore_errors=True)
    # a fresh warehouse state: raw data only, no report event tables
    with duckdb.connect(str(settings.state_warehouse_path)) as con:
        con.execute("drop schema if exists monitoring_raw cascade")
        con.execute("drop schema if exists monitoring cascade")
    assert not settings.events_dir.exists()
    run_cli(
        "build",
        "--select",
        "+report_jobs_daily",
        "--select",
        "+scheduler_runs",
        "--select",
        "+deliveries",
        home=home,
        check=True,
    )
    assert query(settings, "select count(*) from monitoring.report_job_events") == [(0,)]
    assert query(settings, "select count(*) from monitoring.scheduler_runs") == [(0,)]
    assert query(settings, "select count(*) from monitoring.deliveries") == [(0,)]


# --- Snowflake DDL ---------------------------------------------------------------


@pytest.fixture(scope="module")
def ddl_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dbt's target folder for the module's ``run-operation`` calls: they
    share its saved parse of the project (each would otherwise parse it all,
    about 15 s). Each call keeps its own log folder."""
    return tmp_path_factory.mktemp("ddl-target")


def render_ddl(env: dict[str, str], tmp_path: Path, target: Path, **args: str) -> str:
    import subprocess

    profiles = tmp_path / "profiles"
    profiles.mkdir(exist_ok=True)
    shutil.copy(PROJECT_ROOT / "profiles.yml.example", profiles / "profiles.yml")
    arguments = json.dumps({**args, "dry_run": True})
    proc = subprocess.run(
        [
            str(VENV_BIN / "dbt"),
            "run-operation",
            "create_events_pipes",
            "--target",
            "emulator",
            "--profiles-dir",
            str(profiles),
            "--target-path",
            str(target),
            "--log-path",
            str(tmp_path / "logs"),
            "--quiet",
            "--args",
            arguments,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return proc.stdout + proc.stderr if proc.returncode else proc.stdout


def test_snowflake_ddl_parses_and_grants_nothing(tmp_path: Path, ddl_target: Path) -> None:
    import os

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ANALYTICS_", "SNOWFLAKE_"))},
        "DBT_SCHEMA_PREFIX": "dev_ann",
        "SNOWFLAKE_PORT": "1",
    }
    sql = render_ddl(
        env, tmp_path, ddl_target, storage_integration="events_s3", s3_url="s3://acme-events/prod"
    )
    statements = [s.strip() for s in sql.split(";") if s.strip()]
    assert len(statements) == 9, sql
    assert not re.search(r"\bgrant\b", sql, re.IGNORECASE)
    kinds = []
    for statement in statements[:6]:
        parsed = sqlglot.parse_one(statement, read="snowflake")
        assert isinstance(parsed, exp.Create), statement
        kinds.append(parsed.args["kind"].upper())
    assert kinds == ["SCHEMA", "TABLE", "TABLE", "TABLE", "FILE FORMAT", "STAGE"]
    schema = "analytics_platform.dev_ann_monitoring_raw"
    assert f"{schema}.delivery_events " in statements[1]
    assert f"{schema}.report_job_events " in statements[2]
    assert f"{schema}.scheduler_run_events " in statements[3]
    assert "url = 's3://acme-events/prod/'" in statements[5]
    assert "storage_integration = events_s3" in statements[5]
    # One pipe per stream, each into its own table from its own folder.
    # sqlglot has no CREATE PIPE: check its head, then parse its COPY INTO.
    streams = ["deliveries", "report_jobs", "scheduler_runs"]
    for statement, stream, table in zip(
        statements[6:],
        streams,
        ["delivery_events", "report_job_events", "scheduler_run_events"],
        strict=True,
    ):
        pipe, copy = re.split(r"\bas\s*\n", statement, maxsplit=1)
        assert re.fullmatch(
            rf"create pipe if not exists {re.escape(schema)}\.{table}_pipe"
            r"\s+auto_ingest = true\s+comment = '[^']*'\s*",
            pipe,
        ), pipe
        parsed_copy = sqlglot.parse_one(copy, read="snowflake")
        assert isinstance(parsed_copy, exp.Copy), copy
        target = parsed_copy.this.find(exp.Table)
        assert target is not None and target.sql() == f"{schema}.{table}", copy
        assert "metadata$filename" in copy and f"@{schema}.events_stage" in copy
        [pattern] = re.findall(r"pattern = '([^']*)'", copy)
        assert re.fullmatch(pattern, f"prod/{stream}/date=2026-07-01/a-1.jsonl")
        assert re.fullmatch(pattern, f"{stream}/date=2026-07-01/a-1.jsonl")
        for other in streams:
            if other != stream:
                assert not re.fullmatch(pattern, f"prod/{other}/date=2026-07-01/a-1.jsonl")
        assert not re.fullmatch(pattern, f"prod/x{stream}/date=2026-07-01/a-1.jsonl")


@pytest.mark.parametrize(
    "args",
    [
        {"storage_integration": "x; drop table t", "s3_url": "s3://acme-events/p"},
        {"storage_integration": "ok", "s3_url": "s3://acme-events/p' ; drop stage x; --"},
        {"storage_integration": "ok", "s3_url": "https://acme-events/p"},
    ],
    ids=["integration", "url-injection", "not-s3"],
)
def test_snowflake_ddl_rejects_hostile_arguments(
    tmp_path: Path, ddl_target: Path, args: dict[str, str]
) -> None:
    import os

    env = {**os.environ, "SNOWFLAKE_PORT": "1"}
    output = render_ddl(env, tmp_path, ddl_target, **args)
    assert "create pipe" not in output
    log = (tmp_path / "logs" / "dbt.log").read_text()
    assert re.search(r"(storage_integration|s3_url) must", log), log[-2000:]
