"""``monthly_data_quality``: a month of tests, quarantine, freshness, runs and volumes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict, cast

from pydantic import BaseModel, Field

from report_service.models import ReportError
from report_service.reports import charts
from report_service.reports.base import (
    PARAMS_CONFIG,
    IsoMonth,
    ReportDefinition,
    ReportQueries,
    utc_today,
)
from report_service.reports.document import (
    Chart,
    Column,
    Kpi,
    ReportDocument,
    Table,
    ratio,
    to_float,
    to_int,
)


class MonthlyDataQualityParams(BaseModel):
    """Parameters of ``monthly_data_quality``."""

    model_config = PARAMS_CONFIG

    month: IsoMonth = Field(
        default=None,
        description=(
            "The month to report (YYYY-MM, or a phrase: 'last month', 'this month', "
            "'May 2026'); default: the last month before the current one with "
            "data-quality records (else the current one)."
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
}

LATEST_MONTH_BEFORE = """
select max(month_start) as month_start
from {rpt_data_quality_monthly}
where month_start < cast(:this_month as date)
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


def _month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _month_before(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


#: A number as the drivers return it (None: no value).
Number = Decimal | float | int | None


# -- rows: what the queries return ------------------------------------------------
#: A row of ``rpt_data_quality_monthly``: every column of :data:`MONTHLY_COLUMNS`
#: (``month_start`` a date, ``slowest_models`` text, the others counts or seconds).
MonthRow = Mapping[str, Any]


class NodeRow(TypedDict):
    node_name: str
    resource_type: str
    last_status: str | None
    is_failing: bool | None
    last_failure_at: dt.datetime | None
    last_failures: Number
    failures_total: Number
    last_message: str | None


class QuarantineRow(TypedDict):
    source_table: str
    quarantine_rule: str
    rows_quarantined: Number


class FreshnessRow(TypedDict):
    source_name: str
    table_name: str
    status: str | None
    is_breach: bool | None
    max_loaded_at: dt.datetime | None
    checked_at: dt.datetime | None
    age_seconds: Number


class RunRow(TypedDict):
    command: str
    status: str | None
    elapsed_seconds: Number


class AnomalyRow(TypedDict):
    source_table: str
    load_date: dt.date
    rows_loaded: Number
    trailing_median: Number
    robust_z_score: Number


class DailyRow(TypedDict):
    date_day: dt.date
    tests_failed: Number
    tests_errored: Number
    rows_quarantined: Number
    freshness_breaches: Number


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


def default_month(q: ReportQueries) -> dt.date:
    """The last month before the current one (UTC) with records, else the latest one."""
    this_month = utc_today().replace(day=1)
    month = q.scalar(LATEST_MONTH_BEFORE, this_month=this_month) or q.scalar(LATEST_MONTH)
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
    )


# -- assembling --------------------------------------------------------------------
def _percentile(values: list[float], fraction: float) -> float | None:
    """Linear-interpolated percentile (as ``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _run_durations(rows: Sequence[RunRow]) -> Table:
    by_command: dict[str, list[RunRow]] = defaultdict(list)
    for row in rows:
        by_command[str(row["command"])].append(row)
    table_rows = []
    for command in sorted(by_command):
        runs = by_command[command]
        seconds = [float(r["elapsed_seconds"]) for r in runs if r["elapsed_seconds"] is not None]
        failed = sum(1 for r in runs if str(r["status"]).lower() not in ("success", "pass"))
        table_rows.append(
            (
                command,
                len(runs),
                failed,
                _percentile(seconds, 0.5),
                _percentile(seconds, 0.95),
                max(seconds) if seconds else None,
            )
        )
    return Table(
        name="run_durations",
        title="dbt run durations",
        columns=(
            Column("command", "Command"),
            Column("runs", "Runs", "int"),
            Column("runs_failed", "Failed", "int"),
            Column("seconds_p50", "Median", "seconds"),
            Column("seconds_p95", "95th percentile", "seconds"),
            Column("seconds_max", "Slowest", "seconds"),
        ),
        rows=tuple(table_rows),
    )


def value(row: MonthRow, column: str) -> int | None:
    return to_int(row.get(column)) if row else None


def kpis(this: MonthRow, before: MonthRow, month_before: dt.date) -> tuple[Kpi, ...]:
    vs = f"{month_before:%Y-%m}"
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
    for name, label in (
        ("tests_failed", "Tests failed"),
        ("tests_errored", "Tests errored"),
        ("rows_quarantined", "Rows quarantined"),
        ("freshness_breaches", "Freshness breaches"),
        ("dbt_runs_failed", "dbt runs failed"),
        ("volume_anomalies", "Volume anomalies"),
        ("report_job_failures", "Report job failures"),
    ):
        kpis.append(
            Kpi.of(
                name,
                label,
                value(this, name),
                "int",
                ((vs, value(before, name)),),
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


def failures_table(records: Sequence[NodeRow]) -> Table:
    return Table(
        name="failures",
        title="Failing now or failed this month",
        columns=(
            Column("node_name", "Node"),
            Column("resource_type", "Type"),
            Column("last_status", "Last status"),
            Column("is_failing", "Failing now", "bool"),
            Column("last_failure_at", "Last failure", "datetime"),
            Column("last_failures", "Failing rows", "int"),
            Column("failures_total", "Failures (all time)", "int"),
            Column("last_message", "Message"),
        ),
        rows=tuple(
            (
                r["node_name"],
                r["resource_type"],
                r["last_status"],
                bool(r["is_failing"]),
                r["last_failure_at"],
                to_int(r["last_failures"]),
                to_int(r["failures_total"]),
                r["last_message"],
            )
            for r in records
        ),
    )


def quarantine_table(records: Sequence[QuarantineRow]) -> Table:
    return Table(
        name="quarantine",
        title="Quarantine by table and rule",
        columns=(
            Column("source_table", "Table"),
            Column("quarantine_rule", "Rule"),
            Column("rows_quarantined", "Rows", "int"),
        ),
        rows=tuple(
            (r["source_table"], r["quarantine_rule"], to_int(r["rows_quarantined"]))
            for r in records
        ),
    )


def freshness_table(records: Sequence[FreshnessRow]) -> Table:
    return Table(
        name="source_freshness",
        title="Source freshness (latest check)",
        columns=(
            Column("source_name", "Source"),
            Column("table_name", "Table"),
            Column("status", "Status"),
            Column("is_breach", "Breach", "bool"),
            Column("max_loaded_at", "Latest data", "datetime"),
            Column("checked_at", "Checked", "datetime"),
            Column("age_hours", "Age (hours)", "number"),
        ),
        rows=tuple(
            (
                r["source_name"],
                r["table_name"],
                r["status"],
                bool(r["is_breach"]),
                r["max_loaded_at"],
                r["checked_at"],
                None if r["age_seconds"] is None else round(float(r["age_seconds"]) / 3600, 2),
            )
            for r in records
        ),
    )


def anomalies_table(records: Sequence[AnomalyRow]) -> Table:
    return Table(
        name="volume_anomalies",
        title="Raw volume anomalies",
        columns=(
            Column("source_table", "Table"),
            Column("load_date", "Day", "date"),
            Column("rows_loaded", "Rows loaded", "int"),
            Column("trailing_median", "Trailing median", "number"),
            Column("robust_z_score", "Robust z-score", "number"),
        ),
        rows=tuple(
            (
                r["source_table"],
                r["load_date"],
                to_int(r["rows_loaded"]),
                to_float(r["trailing_median"]),
                to_float(r["robust_z_score"]),
            )
            for r in records
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
    runs = _run_durations(rows.runs)
    runs = Table(runs.name, runs.title, runs.columns, runs.rows, note=run_note)
    return ReportDocument(
        report_type="monthly_data_quality",
        title="Monthly data quality",
        subtitle=f"{month:%B %Y} ({month.isoformat()} to {last_day.isoformat()})",
        period_start=month,
        period_end=last_day,
        params={"month": f"{month:%Y-%m}"},
        generated_at=generated_at,
        kpis=kpis(this, before, month_before),
        tables=(
            summary_table(month, this, before),
            failures_table(rows.failures),
            quarantine_table(rows.quarantine),
            freshness_table(rows.freshness),
            runs,
            anomalies_table(rows.anomalies),
        ),
        charts=(quarantine_chart(month, rows.daily),),
        notes=(run_note,) if run_note else (),
    )


DEFINITION = ReportDefinition(
    report_type="monthly_data_quality",
    title="Monthly data quality",
    description=(
        "A month of warehouse health: test results and failures, quarantined rows by "
        "rule and table, source freshness, dbt run durations and raw volume anomalies."
    ),
    params_model=MonthlyDataQualityParams,
    relations=RELATIONS,
    fetch=fetch,
    assemble=assemble,
)
