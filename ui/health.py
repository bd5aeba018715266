"""Data health from the dbt-built monitoring views (``reporting.rpt_*`` in
``dbt_project/models/reporting/data_health/``), for the Data health page.

The queries are neutral SQL with ``{rpt_x}`` placeholders, run through the
shared read-only warehouse clients (``analytics_core.warehouse``), so the same code reads the
published DuckDB file and Snowflake.

Two calendars meet here. Builds, tests, freshness checks and report jobs are
dated when they *ran*; quarantined rows and load volumes are dated by the
*data* (the day a row was loaded). On live data the two agree; on generated
or late data they do not, so each section has its own window: the last
``days`` days to today for run-dated sections, the last ``days`` days to the
newest loaded day for data-dated ones. Each section says which window it shows.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Protocol

from analytics_core.formatting import format_utc_minute
from analytics_core.warehouse import QueryResult


class Warehouse(Protocol):
    def query(self, sql: str, params: dict[str, Any]) -> QueryResult: ...


@dataclass(frozen=True)
class Section:
    """One block of the page: a title, a table and the trend behind it."""

    title: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    trend_columns: list[str]
    trend_rows: list[tuple[Any, ...]]
    #: The first and last day the section covers (inclusive).
    since: datetime.date
    until: datetime.date
    #: "run" (dated when it ran) or "data" (dated by the day data was loaded).
    calendar: str


LAST_BUILDS = """
select started_at, finished_at, elapsed_seconds, status, command, target_name,
       nodes_total, nodes_failed, nodes_errored, nodes_skipped
from {rpt_dbt_runs}
order by started_at desc
limit :limit
"""

FAILING_NODES = """
select node_name, resource_type, last_status, last_run_at, last_failures, last_message
from {rpt_node_status}
where is_failing
order by last_run_at desc, node_name
limit :limit
"""

FRESHNESS = """
select source_name, table_name, status, is_breach, max_loaded_at, checked_at, age_seconds
from {rpt_source_freshness}
order by is_breach desc, source_name, table_name
"""

QUARANTINE_BY_RULE = """
select source_table, quarantine_rule, sum(rows_quarantined) as rows_quarantined
from {rpt_quarantine_daily}
where quarantine_date >= :since
group by source_table, quarantine_rule
order by rows_quarantined desc
"""

VOLUME_ANOMALIES = """
select source_table, load_date, rows_loaded, trailing_median, robust_z_score
from {rpt_raw_volume_daily}
where is_anomaly and load_date >= :since
order by load_date desc, source_table
"""

REPORT_FAILURES = """
select job_date, report_type, jobs, failed, failure_rate, duration_ms_p95
from {rpt_report_jobs_daily}
where failed > 0 and job_date >= :since
order by job_date desc, report_type
"""

NEWEST_LOAD_DAY = """
select max(load_date) as newest from {rpt_raw_volume_daily}
"""

DAILY_TREND = """
select date_day, tests_failed + tests_errored as tests_failing, rows_quarantined,
       freshness_breaches, dbt_runs_failed, run_seconds_p95, volume_anomalies,
       report_job_failures
from {rpt_data_quality_daily}
where date_day >= :since
order by date_day
"""


def _rows(warehouse: Warehouse, sql: str, **params: Any) -> QueryResult:
    return warehouse.query(sql, params)


def _day(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        return datetime.date.fromisoformat(value[:10])
    return None


def _every_day(
    since: datetime.date,
    until: datetime.date,
    values: dict[datetime.date | None, Any],
    missing: Any,
) -> list[tuple[Any, ...]]:
    """One row per day of the window (the daily view has rows only for days
    with activity), so a trend shows quiet days as quiet."""
    count = (until - since).days + 1
    days = [since + datetime.timedelta(days=n) for n in range(count)]
    return [(day, values.get(day, missing)) for day in days]


def health_sections(
    warehouse: Warehouse,
    days: int = 30,
    today: datetime.date | None = None,
    limit: int = 20,
) -> dict[str, Section]:
    """Every block of the Data health page, keyed by a short name."""
    today = today or datetime.datetime.now(datetime.UTC).date()
    newest = _rows(warehouse, NEWEST_LOAD_DAY).rows
    data_until = (_day(newest[0][0]) if newest else None) or today
    windows = {
        "run": (today - datetime.timedelta(days=days - 1), today),
        "data": (data_until - datetime.timedelta(days=days - 1), data_until),
    }
    trend = _rows(warehouse, DAILY_TREND, since=min(w[0] for w in windows.values()))
    date_index = trend.columns.index("date_day")

    def section(title: str, result: QueryResult, trend_column: str, calendar: str) -> Section:
        since, until = windows[calendar]
        index = trend.columns.index(trend_column)
        return Section(
            title=title,
            columns=result.columns,
            rows=result.rows,
            trend_columns=["date_day", trend_column],
            trend_rows=_every_day(
                since,
                until,
                {_day(row[date_index]): row[index] for row in trend.rows},
                # A day with no run has no duration; a day with nothing counted has 0.
                missing=None if trend_column == "run_seconds_p95" else 0,
            ),
            since=since,
            until=until,
            calendar=calendar,
        )

    run_since, data_since = windows["run"][0], windows["data"][0]
    return {
        "builds": section(
            "Last builds", _rows(warehouse, LAST_BUILDS, limit=limit), "run_seconds_p95", "run"
        ),
        "tests": section(
            "Failing tests and models",
            _rows(warehouse, FAILING_NODES, limit=limit),
            "tests_failing",
            "run",
        ),
        "freshness": section(
            "Source freshness", _rows(warehouse, FRESHNESS), "freshness_breaches", "run"
        ),
        "quarantine": section(
            "Quarantined rows by rule",
            _rows(warehouse, QUARANTINE_BY_RULE, since=data_since),
            "rows_quarantined",
            "data",
        ),
        "volume": section(
            "Volume anomalies",
            _rows(warehouse, VOLUME_ANOMALIES, since=data_since),
            "volume_anomalies",
            "data",
        ),
        "reports": section(
            "Report job failures",
            _rows(warehouse, REPORT_FAILURES, since=run_since),
            "report_job_failures",
            "run",
        ),
    }


def last_build(builds: Section) -> dict[str, Any] | None:
    """The newest ``dbt build`` of the builds section (freshness checks and
    other commands are runs too, but not builds), or ``None``."""
    for row in builds.rows:
        run = dict(zip(builds.columns, row, strict=True))
        if run["command"] == "build":
            return run
    return None


@dataclass(frozen=True)
class Headline:
    """The top of the page: the last build and whether its sources are fresh."""

    #: The newest build's status ("success", "error", ...), None before any build.
    build_status: str | None
    #: Source tables whose latest freshness check breached, of all checked.
    sources_past_freshness: int
    sources_checked: int
    #: "success" (all well), "warning" (built, but stale or failing sources) or
    #: "error" (the build failed); the page colours the message with it.
    level: str
    message: str


def headline(sections: dict[str, Section]) -> Headline:
    """What the page says first: a build that succeeded over sources past their
    freshness thresholds is not "all well" (its reports show old data)."""
    build = last_build(sections["builds"])
    fresh = sections["freshness"]
    checks = [dict(zip(fresh.columns, row, strict=True)) for row in fresh.rows]
    breaching = [c for c in checks if c["is_breach"]]
    errors = [c for c in breaching if c["status"] in ("error", "runtime error")]
    status = None if build is None else str(build["status"])
    if build is None:
        level, message = "warning", "No build has been recorded yet."
    elif status != "success":
        level, message = "error", f"The last build ended with status {status}."
    else:
        level, message = "success", "The last build succeeded and every source is fresh."
    if breaching:
        newest = max((_day(c["max_loaded_at"]) for c in breaching), default=None, key=_orderable)
        threshold = "error" if errors else "warning"
        stale = (
            f"{len(breaching)} of {len(checks)} source tables are past their freshness "
            f"{threshold} threshold"
            + (f" (the newest data among them is from {newest:%d %b %Y})" if newest else "")
            + ": reports and answers show data that old."
        )
        if level == "success":
            level, message = "warning", f"The last build succeeded, but {stale}"
        else:
            message = f"{message} {stale[0].upper()}{stale[1:]}"
    return Headline(status, len(breaching), len(checks), level, message)


#: Characters of a message shown in a table cell (the whole is in the warehouse).
MESSAGE_CHARS = 160


def display_rows(section: Section) -> list[dict[str, Any]]:
    """The section's rows as the page shows them, narrow enough to fit beside
    nothing: times to the minute in UTC, durations and ages rounded, flags as
    yes/no, long messages cut, and no "None" cells."""

    def cell(column: str, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            return format_utc_minute(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, bool):
            return "yes" if value else "no"
        if column == "age_seconds":
            return _age(float(value))
        if column.endswith("_seconds") or column in ("failure_rate", "robust_z_score"):
            return round(float(value), 2 if column != "elapsed_seconds" else 1)
        if isinstance(value, str) and len(value) > MESSAGE_CHARS:
            return value[: MESSAGE_CHARS - 1] + "…"
        return value

    rows = []
    for row in section.rows:
        named = dict(zip(section.columns, row, strict=False))
        if "nodes_total" in named:
            named = _nodes_in_one(named)
        rows.append({_heading(c): cell(c, v) for c, v in named.items()})
    return rows


#: A build's node counts, said in one cell (its table then fits the page).
_NODE_COUNTS = ("nodes_failed", "nodes_errored", "nodes_skipped")


def _nodes_in_one(run: dict[str, Any]) -> dict[str, Any]:
    counts = [f"{run[c]} {c.removeprefix('nodes_')}" for c in _NODE_COUNTS if run.get(c)]
    said = f"{run['nodes_total'] or 0}" + (f" ({', '.join(counts)})" if counts else "")
    kept = {c: v for c, v in run.items() if c not in (*_NODE_COUNTS, "nodes_total", "finished_at")}
    return {**kept, "nodes": said}


def _heading(column: str) -> str:
    if column == "age_seconds":
        return "Age"
    if column == "elapsed_seconds":
        return "Seconds"
    return column.replace("_", " ").capitalize()


def _age(seconds: float) -> str:
    """An age as people say it: 45 min, 5.2 h, 158 days."""
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def _orderable(day: datetime.date | None) -> datetime.date:
    return day or datetime.date.min


def relations() -> set[str]:
    """The reporting views this module reads (the UI's dbt exposure lists them)."""
    texts = [v for k, v in globals().items() if k.isupper() and isinstance(v, str)]
    return {name for text in texts for name in re.findall(r"\{(rpt_\w+)\}", text)}
