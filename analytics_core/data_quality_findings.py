"""What a data-quality alert finds, read from the dbt-built monitoring views.

Each check reads one ``reporting.rpt_*`` data-health view (the ones the
Data health page reads) through the shared read-only warehouse clients, so
the same code reads the published DuckDB file and Snowflake:

| check | a finding per | view |
|---|---|---|
| ``failing_tests`` | test or model whose last run failed | ``rpt_node_status`` |
| ``freshness`` | source table past its freshness limit | ``rpt_source_freshness`` |
| ``volume_anomalies`` | raw table whose newest load is an anomaly | ``rpt_raw_volume_daily`` |
| ``quarantine_spikes`` | raw table quarantining far more than usual | ``rpt_quarantine_daily`` |
| ``failed_report_jobs`` | report type, jobs failed since yesterday | ``rpt_report_jobs_daily`` |
| ``failed_runs`` | dbt run, or scheduled run (every attempt | ``rpt_dbt_runs``, |
|                 | failed), that ended in the last day      | ``rpt_scheduler_runs`` |

A finding's ``key`` names what it is about and stays the same while the
problem lasts (a stale source stays ``freshness:shop.orders``), so the
alert's suppression interval holds repeats back. Its owner is the dbt
``meta.owner`` of the node (a test: of what it tests; a raw table: of its
source), read from the published build's ``manifest.json``.

A quarantine spike: the newest day's quarantined rows of a table are at
least :data:`SPIKE_MIN_ROWS` and :data:`SPIKE_FACTOR` times the median of
its previous :data:`SPIKE_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from analytics_core.deliveries import Finding
from analytics_core.formatting import counted, format_utc_minute
from analytics_core.warehouse import QueryResult

SPIKE_FACTOR = 3.0
SPIKE_MIN_ROWS = 10
SPIKE_DAYS = 14
MAX_MESSAGE_CHARS = 300


class Warehouse(Protocol):
    def query(self, sql: str, params: dict[str, Any]) -> QueryResult: ...


class Owners:
    """Owners (dbt ``meta.owner``) of nodes and sources, from a manifest."""

    def __init__(self, manifest: Mapping[str, Any] | None = None) -> None:
        self.nodes: dict[str, str] = {}
        self.depends: dict[str, list[str]] = {}
        self.by_name: dict[str, str] = {}
        for unique_id, node in (manifest or {}).get("nodes", {}).items():
            owner = _owner(node)
            if owner:
                self.nodes[unique_id] = owner
            self.depends[unique_id] = list(node.get("depends_on", {}).get("nodes", []))
        for unique_id, source in (manifest or {}).get("sources", {}).items():
            owner = _owner(source)
            if owner:
                self.nodes[unique_id] = owner
                name, table = source.get("source_name", ""), source.get("name", "")
                self.by_name[f"{name}.{table}"] = owner
                self.by_name[f"{name}_{table}"] = owner

    @classmethod
    def from_file(cls, path: Path | None) -> Owners:
        if path is None:
            return cls()
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return cls()  # no owners known: every finding goes to everyone

    def of_node(self, unique_id: str) -> str | None:
        if unique_id in self.nodes:
            return self.nodes[unique_id]
        for parent in self.depends.get(unique_id, []):
            if parent in self.nodes:
                return self.nodes[parent]
        return None

    def of_table(self, name: str) -> str | None:
        return self.by_name.get(name)


def _owner(node: Mapping[str, Any]) -> str | None:
    meta = node.get("config", {}).get("meta") or node.get("meta") or {}
    owner = meta.get("owner")
    return owner if isinstance(owner, str) and owner else None


def _short(value: Any) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "\u2026"


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


def _rows(warehouse: Warehouse, sql: str, **params: Any) -> list[dict[str, Any]]:
    return warehouse.query(sql, params).records()


def failing_tests(warehouse: Warehouse, owners: Owners, now: dt.datetime) -> list[Finding]:
    rows = _rows(
        warehouse,
        "select unique_id, node_name, resource_type, last_status, last_run_at, last_failures,"
        " last_message from {rpt_node_status} where is_failing order by node_name",
    )
    return [
        Finding(
            key=f"node:{r['unique_id']}",
            title=f"{r['resource_type']} {r['node_name']} is {r['last_status']}",
            lines=tuple(
                line
                for line in (
                    f"Last run {format_utc_minute(r['last_run_at'])}"
                    + (f"; {r['last_failures']} failing rows" if r["last_failures"] else "")
                    + ".",
                    _short(r["last_message"]),
                )
                if line
            ),
            owner=owners.of_node(str(r["unique_id"])),
        )
        for r in rows
    ]


def freshness(warehouse: Warehouse, owners: Owners, now: dt.datetime) -> list[Finding]:
    rows = _rows(
        warehouse,
        "select source_name, table_name, status, max_loaded_at, checked_at, age_seconds"
        " from {rpt_source_freshness} where is_breach order by source_name, table_name",
    )
    found = []
    for r in rows:
        table = f"{r['source_name']}.{r['table_name']}"
        hours = float(r["age_seconds"] or 0) / 3600
        found.append(
            Finding(
                key=f"freshness:{table}",
                title=f"source {table} is stale ({r['status']})",
                lines=(
                    f"Newest row loaded {format_utc_minute(r['max_loaded_at'])}, "
                    f"{hours:.1f} hours before the check at {format_utc_minute(r['checked_at'])}.",
                ),
                owner=owners.of_table(table),
            )
        )
    return found


def volume_anomalies(warehouse: Warehouse, owners: Owners, now: dt.datetime) -> list[Finding]:
    rows = _rows(
        warehouse,
        "select v.source_table, v.load_date, v.rows_loaded, v.trailing_median, v.robust_z_score"
        " from {rpt_raw_volume_daily} v"
        " join (select source_table, max(load_date) as newest from {rpt_raw_volume_daily}"
        " group by source_table) n on v.source_table = n.source_table and v.load_date = n.newest"
        " where v.is_anomaly order by v.source_table",
    )
    return [
        Finding(
            key=f"volume:{r['source_table']}:{_day(r['load_date'])}",
            title=f"{r['source_table']} loaded an unusual number of rows on {_day(r['load_date'])}",
            lines=(
                f"{r['rows_loaded']} rows against a median of {r['trailing_median']} "
                f"(robust z-score {float(r['robust_z_score'] or 0):.1f}).",
            ),
            owner=owners.of_table(str(r["source_table"])),
        )
        for r in rows
    ]


def quarantine_spikes(warehouse: Warehouse, owners: Owners, now: dt.datetime) -> list[Finding]:
    rows = _rows(
        warehouse,
        "select source_table, quarantine_date, sum(rows_quarantined) as quarantined"
        " from {rpt_quarantine_daily} group by source_table, quarantine_date"
        " order by source_table, quarantine_date",
    )
    by_table: dict[str, list[tuple[dt.date, int]]] = {}
    for r in rows:
        day = _day(r["quarantine_date"])
        if day is not None:
            by_table.setdefault(str(r["source_table"]), []).append((day, int(r["quarantined"])))
    found = []
    for table, days in sorted(by_table.items()):
        newest_day, newest = days[-1]
        before = [count for day, count in days[:-1] if (newest_day - day).days <= SPIKE_DAYS]
        usual = statistics.median(before) if before else 0
        if newest >= SPIKE_MIN_ROWS and newest >= SPIKE_FACTOR * max(usual, 1):
            found.append(
                Finding(
                    key=f"quarantine:{table}:{newest_day}",
                    title=f"{table} quarantined {newest} rows on {newest_day}",
                    lines=(
                        f"The median of the {len(before)} days before was {usual:g} "
                        f"(a spike is {SPIKE_FACTOR:g} times the median, at least "
                        f"{SPIKE_MIN_ROWS} rows).",
                    ),
                    owner=owners.of_table(table),
                )
            )
    return found


def failed_report_jobs(warehouse: Warehouse, owners: Owners, now: dt.datetime) -> list[Finding]:
    since = now.date() - dt.timedelta(days=1)
    rows = _rows(
        warehouse,
        "select job_date, report_type, jobs, failed from {rpt_report_jobs_daily}"
        " where failed > 0 and job_date >= :since order by job_date, report_type",
        since=since,
    )
    return [
        Finding(
            key=f"report_jobs:{r['report_type']}:{_day(r['job_date'])}",
            title=f"{r['failed']} of {r['jobs']} {r['report_type']} report jobs failed "
            f"on {_day(r['job_date'])}",
            lines=("The report service's jobs list has each error.",),
        )
        for r in rows
    ]


def failed_runs(warehouse: Warehouse, owners: Owners, now: dt.datetime) -> list[Finding]:
    since = now - dt.timedelta(days=1)
    rows = _rows(
        warehouse,
        "select invocation_id, command, target_name, started_at, status, nodes_failed,"
        " nodes_errored from {rpt_dbt_runs} where status <> 'success' and started_at >= :since"
        " order by started_at",
        since=since.replace(tzinfo=None),
    )
    found = [
        Finding(
            key=f"dbt_run:{r['invocation_id']}",
            title=f"dbt {r['command']} on {r['target_name']} ended {r['status']}",
            lines=(
                f"Started {format_utc_minute(r['started_at'])}: {r['nodes_failed'] or 0} "
                f"failed, {r['nodes_errored'] or 0} errored.",
            ),
        )
        for r in rows
    ]
    # A scheduled run fails when its last attempt does (a retrying one may
    # still succeed). Its key is the job and due time: one finding per run.
    scheduled = _rows(
        warehouse,
        "select job_name, kind, due_at, attempts, finished_at, detail from {rpt_scheduler_runs}"
        " where status = 'failed' and finished_at >= :since order by finished_at, job_name",
        since=since.replace(tzinfo=None),
    )
    found += [
        Finding(
            key=f"scheduled_run:{r['job_name']}:{_iso_minute(r['due_at'])}",
            title=f"Scheduled {r['kind']} {r['job_name']} failed",
            lines=tuple(
                line
                for line in (
                    f"Due {format_utc_minute(r['due_at'])}; "
                    f"{counted(r['attempts'], 'attempt')}, the last ended "
                    f"{format_utc_minute(r['finished_at'])}.",
                    _short(r["detail"]),
                )
                if line
            ),
        )
        for r in scheduled
    ]
    return found


def _iso_minute(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ") if isinstance(moment, dt.datetime) else str(moment)


CHECK_FUNCTIONS: Mapping[str, Callable[[Warehouse, Owners, dt.datetime], list[Finding]]] = {
    "failing_tests": failing_tests,
    "freshness": freshness,
    "volume_anomalies": volume_anomalies,
    "quarantine_spikes": quarantine_spikes,
    "failed_report_jobs": failed_report_jobs,
    "failed_runs": failed_runs,
}


def findings(
    warehouse: Warehouse, checks: Sequence[str], owners: Owners, now: dt.datetime
) -> list[Finding]:
    """Every finding of ``checks``, in the order of the checks."""
    found: list[Finding] = []
    for check in checks:
        found += CHECK_FUNCTIONS[check](warehouse, owners, now)
    return found


def relations() -> Iterable[str]:
    """The views the checks read (the readiness check's list)."""
    return (
        "rpt_node_status",
        "rpt_source_freshness",
        "rpt_raw_volume_daily",
        "rpt_quarantine_daily",
        "rpt_report_jobs_daily",
        "rpt_dbt_runs",
        "rpt_scheduler_runs",
    )
