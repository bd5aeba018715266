"""``monthly_data_quality``: a month of tests, quarantine, freshness, runs, volumes
and deliveries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel, Field

from report_service.models import ReportError
from report_service.reports import charts
from report_service.reports.base import (
    PARAMS_CONFIG,
    IsoMonth,
    ReportDefinition,
    ReportQueries,
)
from report_service.reports.data_quality_tables import (
    AnomalyRow,
    DailyRow,
    DeliveryRow,
    FreshnessRow,
    MonthRow,
    NodeRow,
    QuarantineRow,
    RunRow,
    anomalies_table,
    deliveries_table,
    failed_deliveries_table,
    failed_delivery,
    failed_run,
    failures_table,
    freshness_table,
    quarantine_table,
    run_durations,
    sent_delivery,
)
from report_service.reports.document import (
    Chart,
    Column,
    Kpi,
    ReportDocument,
    Table,
    ratio,
    to_int,
)


class MonthlyDataQualityParams(BaseModel):
    """Parameters of ``monthly_data_quality``."""

    model_config = PARAMS_CONFIG

    month: IsoMonth = Field(
        default=None,
        description=(
            "The month to report (YYYY-MM, or a phrase: 'last month', 'this month', "
            "'May 2026'); default: the latest month with activity (tests, dbt runs, "
            "freshness checks or report jobs; the current month included)."
        ),
    )


MONTHLY_COLUMNS = (
    "month_start",
    "tests_run",
    "tests_passed",
    "tests_warned",
    "tests_failed",
    "tests_errored",
    "failing_rows",
    "rows_quarantined",
    "freshness_checks",
    "freshness_breaches",
    "dbt_runs",
    "dbt_runs_failed",
    "run_seconds_p50",
    "run_seconds_p95",
    "slowest_models",
    "volume_anomalies",
    "report_jobs",
    "report_job_failures",
)

RELATIONS: dict[str, tuple[str, ...]] = {
    "rpt_data_quality_monthly": MONTHLY_COLUMNS,
    "rpt_data_quality_daily": (
        "date_day",
        "tests_failed",
        "tests_errored",
        "rows_quarantined",
        "freshness_breaches",
    ),
    "rpt_node_status": (
        "node_name",
        "resource_type",
        "last_status",
        "is_failing",
        "last_failure_at",
        "last_failures",
        "last_message",
        "failures_total",
    ),
    "rpt_quarantine_daily": (
        "quarantine_date",
        "source_table",
        "quarantine_rule",
        "rows_quarantined",
    ),
    "rpt_source_freshness": (
        "source_name",
        "table_name",
        "status",
        "is_breach",
        "max_loaded_at",
        "checked_at",
        "age_seconds",
    ),
    "rpt_dbt_runs": ("command", "started_at", "elapsed_seconds", "status"),
    "rpt_raw_volume_daily": (
        "source_table",
        "load_date",
        "rows_loaded",
        "trailing_median",
        "robust_z_score",
        "is_anomaly",
    ),
    "rpt_deliveries": (
        "delivery_id",
        "kind",
        "source",
        "recipient",
        "channel",
        "due_at",
        "status",
        "attempts",
        "detail",
    ),
}

#: The latest month in which something ran. Quarantined rows and raw volumes
#: are dated by the data (a generated history ends months ago), tests, runs,
#: checks and report jobs by the clock: a month with only the former has no
#: tests or runs to report, so it is not a default.
LATEST_ACTIVE_MONTH = """
select max(month_start) as month_start
from {rpt_data_quality_monthly}
where coalesce(tests_run, 0) > 0
   or coalesce(dbt_runs, 0) > 0
   or coalesce(freshness_checks, 0) > 0
   or coalesce(report_jobs, 0) > 0
"""

LATEST_MONTH = "select max(month_start) as month_start from {rpt_data_quality_monthly}"

MONTHS = (
    "select "
    + ", ".join(MONTHLY_COLUMNS)
    + """
from {rpt_data_quality_monthly}
where month_start in (cast(:month as date), cast(:month_before as date))
"""
)

DAILY = """
select date_day, tests_failed, tests_errored, rows_quarantined, freshness_breaches
from {rpt_data_quality_daily}
where date_day >= cast(:start as date) and date_day < cast(:end as date)
order by date_day
"""

QUARANTINE = """
select source_table, quarantine_rule, sum(rows_quarantined) as rows_quarantined
from {rpt_quarantine_daily}
where quarantine_date >= cast(:start as date) and quarantine_date < cast(:end as date)
group by source_table, quarantine_rule
order by rows_quarantined desc, source_table, quarantine_rule
"""

FAILING_NODES = """
select node_name, resource_type, last_status, is_failing, last_failure_at, last_failures,
       failures_total, last_message
from {rpt_node_status}
where is_failing
   or (last_failure_at >= cast(:start as timestamp) and last_failure_at < cast(:end as timestamp))
order by is_failing desc, last_failure_at desc, node_name
"""

FRESHNESS = """
select source_name, table_name, status, is_breach, max_loaded_at, checked_at, age_seconds
from {rpt_source_freshness}
order by is_breach desc, source_name, table_name
"""

RUNS = """
select command, status, elapsed_seconds
from {rpt_dbt_runs}
where started_at >= cast(:start as timestamp) and started_at < cast(:end as timestamp)
"""

ANOMALIES = """
select source_table, load_date, rows_loaded, trailing_median, robust_z_score
from {rpt_raw_volume_daily}
where is_anomaly
  and load_date >= cast(:start as date) and load_date < cast(:end as date)
order by load_date, source_table
"""

#: The deliveries (subscriptions' reports, alerts) due in the window, one row
#: per delivery with its latest status.
DELIVERIES = """
select delivery_id, kind, source, recipient, channel, due_at, status, attempts, detail
from {rpt_deliveries}
where due_at >= cast(:start as timestamp) and due_at < cast(:end as timestamp)
order by due_at, source, recipient, delivery_id
"""


def _month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _month_before(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class MonthlyDataQualityRows:
    """Everything the report shows, as the warehouse returned it."""

    month: dt.date
    #: The month and the month before (a month without records has no row).
    months: Sequence[MonthRow]
    #: Nodes failing now or that failed in the month.
    failures: Sequence[NodeRow]
    quarantine: Sequence[QuarantineRow]
    #: The latest check of every source (not only the month's).
    freshness: Sequence[FreshnessRow]
    runs: Sequence[RunRow]
    anomalies: Sequence[AnomalyRow]
    #: The month's days that have a record.
    daily: Sequence[DailyRow]
    #: The dbt invocations of the month before (the headline's comparison).
    runs_before: Sequence[RunRow] = ()
    #: The deliveries due in the month, and in the month before (the
    #: headline's comparison).
    deliveries: Sequence[DeliveryRow] = ()
    deliveries_before: Sequence[DeliveryRow] = ()


def default_month(q: ReportQueries) -> dt.date:
    """The latest month with activity (see :data:`LATEST_ACTIVE_MONTH`), else the
    latest month with any record."""
    month = q.scalar(LATEST_ACTIVE_MONTH) or q.scalar(LATEST_MONTH)
    if month is None:
        raise ReportError("there are no data-quality records in the warehouse yet")
    if not isinstance(month, dt.date):
        raise ReportError(f"month_start is not a date in the warehouse: {month!r}")
    return month


def month_window(month: dt.date) -> dict[str, dt.date]:
    """The month as a half-open range: its first day and the next month's."""
    return {"start": month, "end": _month_after(month)}


def fetch(q: ReportQueries, params: Any) -> MonthlyDataQualityRows:
    """The rows of the monthly data quality report for ``params.month``."""
    if not isinstance(params, MonthlyDataQualityParams):
        raise TypeError("monthly_data_quality needs MonthlyDataQualityParams")
    month = params.month or default_month(q)
    window = month_window(month)
    window_before = month_window(_month_before(month))
    months = q.run(MONTHS, month=month, month_before=_month_before(month)).records()
    return MonthlyDataQualityRows(
        month=month,
        months=months,
        failures=cast(list[NodeRow], q.run(FAILING_NODES, **window).records()),
        quarantine=cast(list[QuarantineRow], q.run(QUARANTINE, **window).records()),
        freshness=cast(list[FreshnessRow], q.run(FRESHNESS).records()),
        runs=cast(list[RunRow], q.run(RUNS, **window).records()),
        anomalies=cast(list[AnomalyRow], q.run(ANOMALIES, **window).records()),
        daily=cast(list[DailyRow], q.run(DAILY, **window).records()),
        runs_before=cast(list[RunRow], q.run(RUNS, **window_before).records()),
        deliveries=cast(list[DeliveryRow], q.run(DELIVERIES, **window).records()),
        deliveries_before=cast(list[DeliveryRow], q.run(DELIVERIES, **window_before).records()),
    )


# -- assembling --------------------------------------------------------------------
def value(row: MonthRow, column: str) -> int | None:
    return to_int(row.get(column)) if row else None


def kpis(rows: MonthlyDataQualityRows, this: MonthRow, before: MonthRow) -> tuple[Kpi, ...]:
    """The headline, from the same numbers as the tables below it.

    Tests come from the month's scorecard row (the *Test results* table);
    quarantined rows, volume anomalies and failed dbt runs are the totals of
    their tables (every dbt command, source freshness included, as the runs
    table lists them); sources past freshness are the breaching rows of the
    freshness table, the latest check of each source; deliveries sent and
    failed are the totals of the deliveries table (the failed ones are the
    rows of the failed deliveries table). The comparisons are the same counts
    for the month before.
    """
    vs = f"{_month_before(rows.month):%Y-%m}"
    quarantined = sum(to_int(r["rows_quarantined"]) or 0 for r in rows.quarantine)
    breaching = sum(1 for r in rows.freshness if r["is_breach"])
    runs_failed = sum(1 for r in rows.runs if failed_run(r))
    runs_failed_before = sum(1 for r in rows.runs_before if failed_run(r))
    sent = sum(1 for r in rows.deliveries if sent_delivery(r))
    sent_before = sum(1 for r in rows.deliveries_before if sent_delivery(r))
    failed = sum(1 for r in rows.deliveries if failed_delivery(r))
    failed_before = sum(1 for r in rows.deliveries_before if failed_delivery(r))
    kpis = [
        Kpi.of(
            "tests_run",
            "Tests run",
            value(this, "tests_run"),
            "int",
            ((vs, value(before, "tests_run")),),
        ),
        Kpi.of(
            "test_pass_rate",
            "Test pass rate",
            ratio(value(this, "tests_passed"), value(this, "tests_run")),
            "ratio",
            ((vs, ratio(value(before, "tests_passed"), value(before, "tests_run"))),),
        ),
    ]
    counts: tuple[tuple[str, str, int | None, int | None], ...] = (
        (
            "tests_failed",
            "Tests failed",
            value(this, "tests_failed"),
            value(before, "tests_failed"),
        ),
        (
            "tests_errored",
            "Tests errored",
            value(this, "tests_errored"),
            value(before, "tests_errored"),
        ),
        ("rows_quarantined", "Rows quarantined", quarantined, value(before, "rows_quarantined")),
        ("dbt_runs_failed", "dbt runs failed", runs_failed, runs_failed_before),
        (
            "volume_anomalies",
            "Volume anomalies",
            len(rows.anomalies),
            value(before, "volume_anomalies"),
        ),
        (
            "report_job_failures",
            "Report job failures",
            value(this, "report_job_failures"),
            value(before, "report_job_failures"),
        ),
    )
    for name, label, now, then in counts:
        kpis.append(Kpi.of(name, label, now, "int", ((vs, then),), higher_is_better=False))
    kpis.append(Kpi.of("deliveries_sent", "Deliveries sent", sent, "int", ((vs, sent_before),)))
    kpis.append(
        Kpi.of(
            "deliveries_failed",
            "Deliveries failed",
            failed,
            "int",
            ((vs, failed_before),),
            higher_is_better=False,
        )
    )
    kpis.append(
        Kpi.of(
            "sources_past_freshness",
            "Sources past freshness",
            breaching,
            "int",
            (),
            higher_is_better=False,
        )
    )
    return tuple(kpis)


def summary_table(month: dt.date, this: MonthRow, before: MonthRow) -> Table:
    return Table(
        name="test_results",
        title="Test results",
        columns=(
            Column("month", "Month"),
            Column("tests_run", "Run", "int"),
            Column("tests_passed", "Passed", "int"),
            Column("tests_warned", "Warned", "int"),
            Column("tests_failed", "Failed", "int"),
            Column("tests_errored", "Errored", "int"),
            Column("failing_rows", "Failing rows", "int"),
        ),
        rows=tuple(
            (
                f"{m:%Y-%m}",
                value(row, "tests_run"),
                value(row, "tests_passed"),
                value(row, "tests_warned"),
                value(row, "tests_failed"),
                value(row, "tests_errored"),
                value(row, "failing_rows"),
            )
            for m, row in ((month, this), (_month_before(month), before))
            if row
        ),
    )


def quarantine_chart(month: dt.date, records: Sequence[DailyRow]) -> Chart:
    """Rows quarantined on every day of the month, a day without a record at zero."""
    by_day: dict[dt.date, Mapping[str, Any]] = {r["date_day"]: r for r in records}
    daily = []
    for offset in range((_month_after(month) - month).days):
        day = month + dt.timedelta(days=offset)
        row = by_day.get(day, {})
        daily.append(
            {
                "date_day": day,
                "rows_quarantined": to_int(row.get("rows_quarantined")) or 0,
                "tests_failed": (to_int(row.get("tests_failed")) or 0)
                + (to_int(row.get("tests_errored")) or 0),
            }
        )
    return Chart(
        name="quarantine_per_day",
        title="Rows quarantined per day",
        spec=charts.bar_chart(
            f"Rows quarantined per day, {month:%B %Y}",
            daily,
            x="date_day",
            x_title="Day",
            y="rows_quarantined",
            y_title="Rows",
        ),
    )


def assemble(rows: MonthlyDataQualityRows, generated_at: dt.datetime) -> ReportDocument:
    """The monthly data quality report's document: a pure function of its rows."""
    month, month_before = rows.month, _month_before(rows.month)
    last_day = _month_after(month) - dt.timedelta(days=1)
    months = {r["month_start"]: r for r in rows.months}
    if month not in months:
        raise ReportError(f"there are no data-quality records for {month:%Y-%m}")
    this, before = months[month], months.get(month_before) or {}
    slowest = this.get("slowest_models")
    run_note = f"Slowest models this month: {slowest}" if slowest else None
    runs = run_durations(rows.runs)
    runs = Table(runs.name, runs.title, runs.columns, runs.rows, note=run_note)
    return ReportDocument(
        report_type="monthly_data_quality",
        title="Monthly data quality",
        subtitle=f"{month:%B %Y} ({month.isoformat()} to {last_day.isoformat()})",
        period_start=month,
        period_end=last_day,
        params={"month": f"{month:%Y-%m}"},
        generated_at=generated_at,
        kpis=kpis(rows, this, before),
        tables=(
            summary_table(month, this, before),
            failures_table(rows.failures),
            quarantine_table(rows.quarantine),
            freshness_table(rows.freshness),
            runs,
            anomalies_table(rows.anomalies),
            deliveries_table(rows.deliveries),
            failed_deliveries_table(rows.deliveries),
        ),
        charts=(quarantine_chart(month, rows.daily),),
        notes=(run_note,) if run_note else (),
    )


DEFINITION = ReportDefinition(
    report_type="monthly_data_quality",
    title="Monthly data quality",
    description=(
        "A month of warehouse health: test results and failures, quarantined rows by "
        "rule and table, source freshness, dbt run durations, raw volume anomalies, and "
        "the deliveries of subscriptions and alerts (sent, failed, the failed ones with "
        "their last error)."
    ),
    params_model=MonthlyDataQualityParams,
    relations=RELATIONS,
    fetch=fetch,
    assemble=assemble,
)
