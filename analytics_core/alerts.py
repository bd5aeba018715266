"""Alerts as code: the schedule file's ``alerts`` section (issue 20).

Two kinds, each an entry with recipients (the subscriptions' recipient
form: email addresses, or a chat or webhook secret's name):

- **metric alerts**: a condition on a metric of the semantic layer over its
  latest complete period (``grain``: day, week or month), optionally for
  one slice (``where``: dimension values). The condition is a threshold
  (``above``/``below`` the value) or a change against the previous period or
  the same period a year before (``change: {compare_to, above, below}``,
  as fractions: ``below: -0.2`` is a fall of more than 20%). With
  ``only_when_rows`` (the default) a period without rows alerts nobody.
- **data-quality alerts**: ``checks`` over the monitoring schema (failing
  tests, freshness breaches, volume anomalies, quarantine spikes, failed
  report jobs, failed scheduled runs), each finding routed to the
  recipients whose ``owners`` include the finding's owner (dbt ``meta``),
  or to every recipient without ``owners``.

Both are evaluated after the builds named in ``after`` (default: every
build job), and one finding is sent to a recipient at most once per
``suppress`` interval (default: 6 hours for data quality; a metric alert
sends once per period), so one broken source does not page every hour.

This module declares and checks; evaluation and sending live with the
question engine (metrics), the monitoring reader and the report service.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from analytics_core.subscriptions import (
    MAX_RECIPIENTS,
    Recipient,
    SubscriptionError,
    _recipient,
    _text,
    _unknown,
)

GRAINS = ("day", "week", "month")
COMPARISONS = ("previous_period", "same_period_last_year")
CHECKS = (
    "failing_tests",
    "freshness",
    "volume_anomalies",
    "quarantine_spikes",
    "failed_report_jobs",
    "failed_runs",
)
DEFAULT_DATA_QUALITY_SUPPRESS = timedelta(hours=6)
MAX_SUPPRESS = timedelta(days=30)
MAX_WHERE = 10

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_METRIC = re.compile(r"^[a-z][a-z0-9_]{0,127}$")
#: A dimension as the semantic layer names it: entity__dimension.
_DIMENSION = re.compile(r"^[a-z][a-z0-9_]{0,63}__[a-z][a-z0-9_]{0,63}$")
_DURATION = re.compile(r"^(\d{1,4})([mhd])$")
_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,99}$")


class AlertError(SubscriptionError):
    """An alert is wrong; the message names the entry."""


@dataclass(frozen=True)
class Change:
    """A change against another period, as fractions (0.25 = +25%)."""

    compare_to: str
    above: float | None = None
    below: float | None = None


@dataclass(frozen=True)
class AlertRecipient:
    recipient: Recipient
    #: Data quality: only findings of these owners (empty: every finding).
    owners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alert:
    name: str
    kind: str  # metric or data_quality
    recipients: tuple[AlertRecipient, ...]
    after: tuple[str, ...] = ()
    suppress: timedelta | None = None
    # metric alerts
    metric: str | None = None
    grain: str = "day"
    where: Mapping[str, Any] = field(default_factory=dict)
    above: float | None = None
    below: float | None = None
    change: Change | None = None
    only_when_rows: bool = True
    # data-quality alerts
    checks: tuple[str, ...] = ()

    def runs_after(self, build_job: str) -> bool:
        return not self.after or build_job in self.after


def parse_duration(where: str, value: Any) -> timedelta:
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise _alert_fail(where, "suppress must be a duration like 30m, 6h or 2d")
    amount, unit = int(match.group(1)), match.group(2)
    duration = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(days=amount)
    )
    if not timedelta(minutes=1) <= duration <= MAX_SUPPRESS:
        raise _alert_fail(where, "suppress must be between 1m and 30d")
    return duration


def _alert_fail(where: str, message: str) -> AlertError:
    return AlertError(f"{where}: {message}")


def _number(where: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _alert_fail(where, f"{key} must be a number")
    return float(value)


def _where(where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_WHERE:
        raise _alert_fail(
            where, f"where must map at most {MAX_WHERE} dimensions (entity__name) to values"
        )
    for key, item in value.items():
        if not isinstance(key, str) or not _DIMENSION.match(key):
            raise _alert_fail(
                where, f"where: {str(key)[:80]!r} is not a dimension name like customer__region"
            )
        if isinstance(item, str):
            _text(where, f"where {key}", item, 200)
            if "{" in item or "}" in item:  # the semantic layer's filters are templates
                raise _alert_fail(where, f"where {key}: the value must not hold {{ or }}")
        elif isinstance(item, bool) or not isinstance(item, int | float):
            raise _alert_fail(where, f"where {key}: the value must be a text or a number")
    return dict(value)


def _change(where: str, value: Any) -> Change | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _alert_fail(where, "change must be a mapping with compare_to and above or below")
    _unknown(where, value, {"compare_to", "above", "below"})
    compare_to = value.get("compare_to")
    if compare_to not in COMPARISONS:
        raise _alert_fail(where, f"change: compare_to must be one of {', '.join(COMPARISONS)}")
    above = _number(where, "change above", value.get("above"))
    below = _number(where, "change below", value.get("below"))
    if above is None and below is None:
        raise _alert_fail(where, "change needs above or below (a fraction: 0.2 is 20%)")
    return Change(compare_to=compare_to, above=above, below=below)


def _recipients(where: str, value: Any, owners_allowed: bool) -> tuple[AlertRecipient, ...]:
    if not isinstance(value, list) or not value:
        raise _alert_fail(where, "recipients must be a list of at least one recipient")
    if len(value) > MAX_RECIPIENTS:
        raise _alert_fail(where, f"{len(value)} recipients; at most {MAX_RECIPIENTS}")
    found = []
    for index, entry in enumerate(value):
        at = f"{where} recipients[{index}]"
        if isinstance(entry, dict):
            for key in ("formats", "delivery", "params"):
                if key in entry:
                    raise _alert_fail(at, f"an alert sends a message, not a report: no {key}")
            entry = dict(entry)
            owners = entry.pop("owners", None)
        else:
            owners = None
        recipient = _recipient(at, entry)
        if owners is not None and not owners_allowed:
            raise _alert_fail(at, "owners route data-quality findings; a metric alert has none")
        if owners is not None and (
            not isinstance(owners, list)
            or not owners
            or not all(isinstance(o, str) and _OWNER.match(o) for o in owners)
        ):
            raise _alert_fail(at, "owners must be a list of owner names (as in dbt meta owner)")
        found.append(AlertRecipient(recipient=recipient, owners=tuple(owners or ())))
    names = [r.recipient.name for r in found]
    if len(set(names)) != len(names):
        raise _alert_fail(where, "two recipients have the same name")
    return tuple(found)


def _after(where: str, value: Any, build_jobs: Sequence[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _alert_fail(where, "after must name build jobs")
    for name in value:
        if name not in build_jobs:
            raise _alert_fail(
                where,
                f"after: {str(name)[:80]!r} is not a build job; the build jobs are "
                f"{', '.join(build_jobs) or 'none'}",
            )
    return tuple(value)


def _alert(where: str, entry: dict[str, Any], build_jobs: Sequence[str]) -> Alert:
    name = entry["name"]
    common = {"name", "recipients", "after", "suppress"}
    after = _after(where, entry.get("after"), build_jobs)
    suppress = (
        parse_duration(where, entry["suppress"]) if entry.get("suppress") is not None else None
    )
    if "checks" in entry and "metric" in entry:
        raise _alert_fail(
            where, "an alert has metric (a metric alert) or checks (data quality), not both"
        )
    if "metric" not in entry:
        _unknown(where, entry, common | {"checks"})
        checks = entry.get("checks", list(CHECKS))
        if isinstance(checks, str):
            checks = [checks]
        if not isinstance(checks, list) or not checks:
            raise _alert_fail(where, f"checks must list some of {', '.join(CHECKS)}")
        for check in checks:
            if check not in CHECKS:
                raise _alert_fail(
                    where, f"unknown check {str(check)[:80]!r}; one of {', '.join(CHECKS)}"
                )
        return Alert(
            name=name,
            kind="data_quality",
            recipients=_recipients(where, entry.get("recipients"), owners_allowed=True),
            after=after,
            suppress=suppress or DEFAULT_DATA_QUALITY_SUPPRESS,
            checks=tuple(dict.fromkeys(checks)),
        )
    _unknown(
        where,
        entry,
        common | {"metric", "grain", "where", "above", "below", "change", "only_when_rows"},
    )
    metric = entry.get("metric")
    if not isinstance(metric, str) or not _METRIC.match(metric):
        raise _alert_fail(where, "metric must name a metric of the semantic layer")
    grain = entry.get("grain", "day")
    if grain not in GRAINS:
        raise _alert_fail(where, f"grain must be one of {', '.join(GRAINS)}")
    above = _number(where, "above", entry.get("above"))
    below = _number(where, "below", entry.get("below"))
    change = _change(where, entry.get("change"))
    if above is None and below is None and change is None:
        raise _alert_fail(where, "a metric alert needs a condition: above, below or change")
    if change is not None and (above is not None or below is not None):
        raise _alert_fail(where, "give above/below (the value) or change, not both")
    only = entry.get("only_when_rows", True)
    if not isinstance(only, bool):
        raise _alert_fail(where, "only_when_rows must be true or false")
    return Alert(
        name=name,
        kind="metric",
        recipients=_recipients(where, entry.get("recipients"), owners_allowed=False),
        after=after,
        suppress=suppress,
        metric=metric,
        grain=grain,
        where=_where(where, entry.get("where")),
        above=above,
        below=below,
        change=change,
        only_when_rows=only,
    )


def parse_alerts(
    value: Any, build_jobs: Sequence[str], taken: Sequence[str] = ()
) -> tuple[Alert, ...]:
    """The ``alerts`` section; ``taken``: subscription names (one namespace:
    deliveries are named by their source)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise AlertError("alerts: must be a list of entries")
    found: list[Alert] = []
    for index, entry in enumerate(value):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"alerts[{index}]" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(entry, dict):
            raise _alert_fail(where, "must be a mapping with name, recipients and a condition")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _alert_fail(where, "name must be lower case letters, digits and _ (at most 63)")
        if name in taken:
            raise _alert_fail(where, f"a subscription is named {name!r} too")
        found.append(_alert(where, entry, build_jobs))
    names = [a.name for a in found]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise AlertError(f"alerts: two are named {duplicate!r}")
    return tuple(found)


def check_metrics(
    alerts: Sequence[Alert], metrics: Sequence[str], dimensions: Sequence[str] | None
) -> None:
    """Each metric alert's metric and dimensions exist in the semantic layer
    (dimensions None: the metrics only)."""
    for index, alert in enumerate(alerts):
        if alert.kind != "metric":
            continue
        where = f"alerts[{index}] ({alert.name})"
        if alert.metric not in metrics:
            raise _alert_fail(
                where,
                f"no metric {alert.metric!r} in the semantic layer; "
                f"e.g. {', '.join(sorted(metrics)[:8])}",
            )
        for dimension in alert.where:
            if dimensions is not None and dimension not in dimensions:
                raise _alert_fail(where, f"no dimension {dimension!r} in the semantic layer")
