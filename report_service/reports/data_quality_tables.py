"""The rows and tables of ``monthly_data_quality`` (its detail sections).

The report module (:mod:`report_service.reports.monthly_data_quality`) holds
the queries, the headline and the document; this one the row shapes the
queries return and the tables made from them, so the headline can count from
the very rows the tables show.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypedDict

from report_service.reports.document import Column, Table, to_float, to_int

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


class DeliveryRow(TypedDict):
    delivery_id: str
    kind: str
    source: str
    recipient: str
    channel: str
    due_at: dt.datetime
    status: str
    attempts: Number
    detail: str | None


class DailyRow(TypedDict):
    date_day: dt.date
    tests_failed: Number
    tests_errored: Number
    rows_quarantined: Number
    freshness_breaches: Number


def _percentile(values: list[float], fraction: float) -> float | None:
    """Linear-interpolated percentile (as ``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def failed_run(run: RunRow) -> bool:
    return str(run["status"]).lower() not in ("success", "pass")


def sent_delivery(delivery: DeliveryRow) -> bool:
    return delivery["status"] == "sent"


def failed_delivery(delivery: DeliveryRow) -> bool:
    """Failed for good: no attempt left, or a failure retrying cannot mend
    (a delivery still ``retrying`` may yet be sent)."""
    return delivery["status"] == "failed"


def run_durations(rows: Sequence[RunRow]) -> Table:
    by_command: dict[str, list[RunRow]] = defaultdict(list)
    for row in rows:
        by_command[str(row["command"])].append(row)
    table_rows = []
    for command in sorted(by_command):
        runs = by_command[command]
        seconds = [float(r["elapsed_seconds"]) for r in runs if r["elapsed_seconds"] is not None]
        failed = sum(1 for r in runs if failed_run(r))
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


def deliveries_table(records: Sequence[DeliveryRow]) -> Table:
    """The month's deliveries per kind and channel: how many, sent, failed,
    and still pending (queued, or retrying after a failed attempt)."""
    by_group: dict[tuple[str, str], list[DeliveryRow]] = defaultdict(list)
    for row in records:
        by_group[(str(row["kind"]), str(row["channel"]))].append(row)
    table_rows = []
    for kind, channel in sorted(by_group):
        group = by_group[(kind, channel)]
        sent = sum(1 for r in group if sent_delivery(r))
        failed = sum(1 for r in group if failed_delivery(r))
        table_rows.append((kind, channel, len(group), sent, failed, len(group) - sent - failed))
    return Table(
        name="deliveries",
        title="Deliveries by channel",
        columns=(
            Column("kind", "Kind"),
            Column("channel", "Channel"),
            Column("deliveries", "Deliveries", "int"),
            Column("sent", "Sent", "int"),
            Column("failed", "Failed", "int"),
            Column("pending", "Pending", "int"),
        ),
        rows=tuple(table_rows),
    )


def failed_deliveries_table(records: Sequence[DeliveryRow]) -> Table:
    """Every delivery of the month that failed for good, with its last error."""
    return Table(
        name="failed_deliveries",
        title="Failed deliveries",
        columns=(
            Column("source", "Subscription or alert"),
            Column("recipient", "Recipient"),
            Column("channel", "Channel"),
            Column("due_at", "Due", "datetime"),
            Column("attempts", "Attempts", "int"),
            Column("last_error", "Last error"),
        ),
        rows=tuple(
            (
                r["source"],
                r["recipient"],
                r["channel"],
                r["due_at"],
                to_int(r["attempts"]),
                r["detail"],
            )
            for r in records
            if failed_delivery(r)
        ),
    )
