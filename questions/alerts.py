"""Metric alerts evaluated over the semantic layer (analytics_core/alerts.py).

The metric comes from the semantic layer (MetricFlow compiles it, as for a
question), grouped by ``metric_time`` at the alert's grain, over the data's
latest **complete** period: the last day with data, the last whole ISO week
(Monday to Sunday) or calendar month ending on or before it. The comparison
period is the one before, or the same period a year before (the day a year
before; the ISO week 52 weeks before, so weekdays line up; the month a
year before).

A finding names the metric, the period, the value, the comparison and the
condition it crossed, with a link to the question that reproduces the
number (the UI's Ask page with ``?q=``). Its key names the period, so the
alert is sent once per period, whatever the number of builds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from analytics_core.alerts import Alert
from analytics_core.deliveries import Finding
from analytics_core.errors import AnalyticsError
from analytics_core.formatting import format_number
from questions.data_range import DataRange, Runner
from questions.semantic import Dialect, SemanticLayer

#: How far back the comparison may reach (a year, and a period of slack).
HISTORY_DAYS = 400


class AlertEvaluationError(AnalyticsError):
    """An alert cannot be evaluated here; the message says why."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def label(self, grain: str) -> str:
        if grain == "day":
            return self.start.isoformat()
        if grain == "week":
            return f"the week of {self.start.isoformat()}"
        return self.start.strftime("%B %Y")


def latest_complete(grain: str, last_day: dt.date) -> Period:
    if grain == "day":
        return Period(last_day, last_day)
    if grain == "week":
        end = last_day - dt.timedelta(days=(last_day.weekday() + 1) % 7)  # the Sunday on/before
        return Period(end - dt.timedelta(days=6), end)
    if last_day.month != (last_day + dt.timedelta(days=1)).month:
        end = last_day  # the month ends with the data
    else:
        end = last_day.replace(day=1) - dt.timedelta(days=1)
    return Period(end.replace(day=1), end)


def compared_period(grain: str, current: Period, compare_to: str) -> Period:
    if compare_to == "previous_period":
        if grain == "day":
            day = current.start - dt.timedelta(days=1)
            return Period(day, day)
        if grain == "week":
            return Period(current.start - dt.timedelta(days=7), current.end - dt.timedelta(days=7))
        end = current.start - dt.timedelta(days=1)
        return Period(end.replace(day=1), end)
    if grain == "day":
        try:
            day = current.start.replace(year=current.start.year - 1)
        except ValueError:  # 29 February
            day = current.start.replace(year=current.start.year - 1, day=28)
        return Period(day, day)
    if grain == "week":
        return Period(current.start - dt.timedelta(weeks=52), current.end - dt.timedelta(weeks=52))
    start = current.start.replace(year=current.start.year - 1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(start, following - dt.timedelta(days=1))


def _filters(alert: Alert) -> list[str]:
    filters = []
    for dimension, value in sorted(alert.where.items()):
        literal = (
            "'" + str(value).replace("'", "''") + "'" if isinstance(value, str) else repr(value)
        )
        filters.append(f"{{{{ Dimension('{dimension}') }}}} = {literal}")
    return filters


def _values(rows: Sequence[Sequence[Any]]) -> dict[dt.date, float | None]:
    found: dict[dt.date, float | None] = {}
    for period, value in rows:
        day = period.date() if isinstance(period, dt.datetime) else period
        if isinstance(day, str):
            day = dt.date.fromisoformat(day[:10])
        found[day] = None if value is None else float(value)
    return found


def question_for(alert: Alert, metric_label: str, current: Period, compared: Period | None) -> str:
    """A question the Ask page answers with the alert's numbers."""
    where = "".join(f" in {value}" for value in alert.where.values())
    if alert.grain == "day":
        text = f"{metric_label}{where} on {current.start.isoformat()}"
    else:
        text = (
            f"{metric_label}{where} from {current.start.isoformat()} to {current.end.isoformat()}"
        )
    if compared is not None and alert.change is not None:
        text += (
            " compared with the previous period"
            if alert.change.compare_to == "previous_period"
            else " compared with the same period last year"
        )
    return text


def evaluate_metric_alert(
    alert: Alert,
    layer: SemanticLayer,
    runner: Runner,
    data: DataRange | None,
    *,
    dialect: Dialect = "duckdb",
    ask_url: str | None = None,
    label: str | None = None,
) -> list[Finding]:
    """The alert's finding for the latest complete period, or none."""
    if data is None or alert.metric is None:
        return []
    grain = alert.grain
    current = latest_complete(grain, data.last)
    compared = compared_period(grain, current, alert.change.compare_to) if alert.change else None
    start = (compared or current).start
    sql = layer.compile(
        [alert.metric],
        group_by=[f"metric_time__{grain}"],
        where=_filters(alert),
        start=start,
        end=current.end,
        dialect=dialect,
    )
    _, rows = runner(sql)
    values = _values(rows)
    value = values.get(current.start)
    metric_label = label or alert.metric.replace("_", " ")
    where = "".join(f", {k.split('__')[1]} {v}" for k, v in sorted(alert.where.items()))
    if value is None:
        if alert.only_when_rows:
            return []
        return [
            Finding(
                key=f"{alert.metric}:{grain}:{current.start}:no_rows",
                title=f"No {metric_label}{where} for {current.label(grain)}",
                lines=(f"The data runs through {data.last.isoformat()}.",),
            )
        ]
    lines: list[str] = []
    crossed = None
    if alert.change is not None and compared is not None:
        before = values.get(compared.start)
        if before is None or before == 0:
            return []  # no change to measure
        change = value / before - 1
        if alert.change.below is not None and change < alert.change.below:
            crossed = f"fell {abs(change):.1%} (the alert's line: {alert.change.below:+.0%})"
        elif alert.change.above is not None and change > alert.change.above:
            crossed = f"rose {change:.1%} (the alert's line: {alert.change.above:+.0%})"
        lines.append(
            f"{format_number(value)} against {format_number(before)} for "
            f"{compared.label(grain)}: a change of {change:+.1%}."
        )
    else:
        if alert.below is not None and value < alert.below:
            crossed = f"is below {format_number(alert.below)}"
        elif alert.above is not None and value > alert.above:
            crossed = f"is above {format_number(alert.above)}"
        lines.append(f"{format_number(value)} for {current.label(grain)}.")
    if crossed is None:
        return []
    question = question_for(alert, metric_label, current, compared)
    link = (f"Ask: {question}", f"{ask_url.rstrip('/')}/?q={quote(question)}") if ask_url else None
    return [
        Finding(
            key=f"{alert.metric}:{grain}:{current.start}",
            title=f"{metric_label.capitalize()}{where} {crossed} for {current.label(grain)}",
            lines=(*lines, f"The data runs through {data.last.isoformat()}."),
            link=link,
        )
    ]


def evaluate_alerts(
    alerts: Sequence[Alert],
    *,
    engine: Any,
    warehouse: Any,
    owners: Any,
    now: dt.datetime,
    ask_url: str | None,
) -> dict[str, list[Finding]]:
    """Each alert's findings: metric alerts through ``engine`` (a local
    question engine: its semantic layer, runner, data range and dialect;
    checked against its metrics and dimensions first), data-quality alerts
    through ``warehouse`` (the monitoring views) with ``owners``."""
    from analytics_core.alerts import check_metrics
    from analytics_core.data_quality_findings import findings

    found: dict[str, list[Finding]] = {}
    metric_alerts = [a for a in alerts if a.kind == "metric"]
    if metric_alerts:
        layer = getattr(engine, "layer", None)
        runner = getattr(engine, "runner", None)
        if layer is None or runner is None:
            raise AlertEvaluationError(
                "metric alerts need the local question engine (the semantic layer and a "
                "warehouse); this one has none"
            )
        metrics = layer.metrics()
        check_metrics(
            metric_alerts, [m.name for m in metrics], [d.name for d in layer.dimensions()]
        )
        labels = {m.name: m.label for m in metrics}
        for alert in metric_alerts:
            found[alert.name] = evaluate_metric_alert(
                alert,
                layer,
                runner,
                engine.data_range,
                dialect=engine.dialect,
                ask_url=ask_url,
                label=labels.get(alert.metric or ""),
            )
    for alert in alerts:
        if alert.kind == "data_quality":
            found[alert.name] = findings(warehouse, alert.checks, owners, now)
    return found
