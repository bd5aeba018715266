"""Data health from the dbt-built monitoring views (``reporting.rpt_*`` in
``dbt_project/models/reporting/data_health/``), for the Data health page.

The queries are neutral SQL with ``{rpt_x}`` placeholders, run through the
report service's read-only warehouse clients, so the same code reads the
published DuckDB file and Snowflake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from report_service.warehouse import QueryResult


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


def health_sections(warehouse: Warehouse, since: Any, limit: int = 20) -> dict[str, Section]:
    """Every block of the Data health page, keyed by a short name."""
    trend = _rows(warehouse, DAILY_TREND, since=since)

    def section(title: str, result: QueryResult, trend_column: str) -> Section:
        index = trend.columns.index(trend_column)
        date_index = trend.columns.index("date_day")
        return Section(
            title=title,
            columns=result.columns,
            rows=result.rows,
            trend_columns=["date_day", trend_column],
            trend_rows=[(row[date_index], row[index]) for row in trend.rows],
        )

    return {
        "builds": section(
            "Last builds", _rows(warehouse, LAST_BUILDS, limit=limit), "run_seconds_p95"
        ),
        "tests": section(
            "Failing tests and models",
            _rows(warehouse, FAILING_NODES, limit=limit),
            "tests_failing",
        ),
        "freshness": section("Source freshness", _rows(warehouse, FRESHNESS), "freshness_breaches"),
        "quarantine": section(
            "Quarantined rows by rule",
            _rows(warehouse, QUARANTINE_BY_RULE, since=since),
            "rows_quarantined",
        ),
        "volume": section(
            "Volume anomalies",
            _rows(warehouse, VOLUME_ANOMALIES, since=since),
            "volume_anomalies",
        ),
        "reports": section(
            "Report job failures",
            _rows(warehouse, REPORT_FAILURES, since=since),
            "report_job_failures",
        ),
    }
