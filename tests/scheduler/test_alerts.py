"""Alerts in the schedule file (analytics_core/alerts.py): metric conditions
and data-quality checks, checked on load with errors that name the entry;
hostile and malformed entries are refused there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml

from analytics_core.alerts import CHECKS, AlertError, check_metrics
from analytics_core.schedules import ScheduleError, parse_schedule

BASE = """
builds:
  - name: hourly_build
    cron: "15 * * * *"
  - name: nightly_full_build
    cron: "30 2 * * *"
reports:
  - name: daily_sales
    report_type: daily_sales
    cron: "0 6 * * *"
subscriptions:
  - name: daily_to_sales
    report: daily_sales
    recipients:
      - {name: Lead, channel: email, to: [lead@example.com]}
"""

GOOD = (
    BASE
    + """
alerts:
  - name: emea_revenue_fell
    metric: revenue
    grain: week
    where: {customer__region: EMEA}
    change: {compare_to: previous_period, below: -0.2}
    after: hourly_build
    recipients:
      - {name: EMEA manager, channel: email, to: [emea@example.com]}
  - name: daily_revenue_low
    metric: revenue
    below: 1000
    only_when_rows: false
    suppress: 12h
    recipients:
      - {name: Sales channel, channel: slack, secret: slack_sales}
  - name: data_quality
    checks: [failing_tests, freshness]
    recipients:
      - {name: Data engineering, channel: slack, secret: slack_data, owners: [data_engineering]}
      - {name: On call, channel: webhook, secret: pager}
  - name: everything_broken
    recipients:
      - {name: Data lead, channel: email, to: [data-lead@example.com]}
"""
)


def with_alerts(alerts: list[dict[str, Any]]) -> str:
    return BASE + yaml.safe_dump({"alerts": alerts})


def test_alerts_are_read_with_their_defaults() -> None:
    schedule = parse_schedule(GOOD)
    emea, low, dq, everything = schedule.alerts
    assert (
        emea.kind == "metric"
        and emea.grain == "week"
        and emea.where == {"customer__region": "EMEA"}
    )
    assert emea.change is not None and emea.change.compare_to == "previous_period"
    assert emea.change.below == -0.2 and emea.change.above is None
    assert emea.after == ("hourly_build",) and emea.runs_after("hourly_build")
    assert not emea.runs_after("nightly_full_build")
    assert emea.suppress is None and emea.only_when_rows
    assert low.grain == "day" and low.below == 1000 and not low.only_when_rows
    assert low.suppress == timedelta(hours=12) and low.runs_after("nightly_full_build")
    assert dq.kind == "data_quality" and dq.checks == ("failing_tests", "freshness")
    assert dq.suppress == timedelta(hours=6)
    assert [r.owners for r in dq.recipients] == [("data_engineering",), ()]
    assert everything.checks == CHECKS


RECIPIENT = {"name": "x", "channel": "email", "to": ["x@example.com"]}


@pytest.mark.parametrize(
    ("alert", "says"),
    [
        ({"metric": "revenue", "recipients": [RECIPIENT]}, "needs a condition"),
        (
            {"metric": "revenue", "below": "1000", "recipients": [RECIPIENT]},
            "below must be a number",
        ),
        (
            {"metric": "revenue", "below": float("nan"), "recipients": [RECIPIENT]},
            "below must be a number",
        ),
        ({"metric": "revenue", "below": True, "recipients": [RECIPIENT]}, "below must be a number"),
        (
            {"metric": "revenue", "above": 1, "grain": "hour", "recipients": [RECIPIENT]},
            "grain must be one of",
        ),
        (
            {"metric": "Revenue; drop table", "above": 1, "recipients": [RECIPIENT]},
            "metric must name",
        ),
        (
            {
                "metric": "revenue",
                "change": {"compare_to": "yesterday", "below": -0.1},
                "recipients": [RECIPIENT],
            },
            "compare_to must be one of",
        ),
        (
            {
                "metric": "revenue",
                "change": {"compare_to": "previous_period"},
                "recipients": [RECIPIENT],
            },
            "needs above or below",
        ),
        (
            {
                "metric": "revenue",
                "above": 5,
                "change": {"compare_to": "previous_period", "above": 1},
                "recipients": [RECIPIENT],
            },
            "not both",
        ),
        (
            {
                "metric": "revenue",
                "above": 1,
                "where": {"region'; --": "EMEA"},
                "recipients": [RECIPIENT],
            },
            "not a dimension name",
        ),
        (
            {
                "metric": "revenue",
                "above": 1,
                "where": {"customer__region": "EMEA\n' or 1=1"},
                "recipients": [RECIPIENT],
            },
            "one line",
        ),
        (
            {
                "metric": "revenue",
                "above": 1,
                "where": {"customer__region": ["a"]},
                "recipients": [RECIPIENT],
            },
            "a text or a number",
        ),
        (
            {"metric": "revenue", "above": 1, "after": "weekly_build", "recipients": [RECIPIENT]},
            "is not a build job",
        ),
        (
            {"metric": "revenue", "above": 1, "after": "daily_sales", "recipients": [RECIPIENT]},
            "is not a build job",
        ),
        (
            {"metric": "revenue", "above": 1, "suppress": "6 hours", "recipients": [RECIPIENT]},
            "a duration like",
        ),
        (
            {"metric": "revenue", "above": 1, "suppress": "90d", "recipients": [RECIPIENT]},
            "between 1m and 30d",
        ),
        ({"metric": "revenue", "above": 1, "recipients": []}, "at least one recipient"),
        ({"metric": "revenue", "above": 1, "recipients": [RECIPIENT] * 51}, "at most 50"),
        (
            {"metric": "revenue", "above": 1, "recipients": [{**RECIPIENT, "formats": ["pdf"]}]},
            "not a report: no formats",
        ),
        (
            {"metric": "revenue", "above": 1, "recipients": [{**RECIPIENT, "owners": ["x"]}]},
            "a metric alert has none",
        ),
        (
            {
                "metric": "revenue",
                "above": 1,
                "recipients": [
                    {"name": "x", "channel": "email", "to": ["a@b.com\r\nBcc: c@d.com"]}
                ],
            },
            "not one plain email address",
        ),
        (
            {
                "metric": "revenue",
                "above": 1,
                "recipients": [{"name": "x", "channel": "sms", "secret": "s"}],
            },
            "unknown channel",
        ),
        (
            {
                "metric": "revenue",
                "above": 1,
                "recipients": [
                    {"name": "x", "channel": "slack", "secret": "https://hooks.slack.com/x"}
                ],
            },
            "not the URL itself",
        ),
        (
            {"metric": "revenue", "above": 1, "only_when_rows": "yes", "recipients": [RECIPIENT]},
            "true or false",
        ),
        (
            {"metric": "revenue", "above": 1, "owner": "x", "recipients": [RECIPIENT]},
            "unknown key 'owner'",
        ),
        (
            {"checks": ["failing_tests", "vibes"], "recipients": [RECIPIENT]},
            "unknown check 'vibes'",
        ),
        ({"checks": [], "recipients": [RECIPIENT]}, "checks must list"),
        ({"checks": ["freshness"], "metric": "revenue", "recipients": [RECIPIENT]}, "not both"),
        (
            {"checks": ["freshness"], "recipients": [{**RECIPIENT, "owners": "data"}]},
            "owners must be a list",
        ),
        (
            {"checks": ["freshness"], "recipients": [{**RECIPIENT, "owners": ["a\nb"]}]},
            "owners must be a list",
        ),
        ({"checks": ["freshness"], "recipients": [RECIPIENT, RECIPIENT]}, "same name"),
    ],
)
def test_bad_alerts_are_refused_naming_the_entry(alert: dict[str, Any], says: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(with_alerts([{"name": "bad_one", **alert}]))
    assert "alerts[0] (bad_one)" in str(caught.value) or "alerts[0]" in str(caught.value)
    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("alerts", "says"),
    [
        ("not a list", "alerts: must be a list"),
        ([["a"]], "must be a mapping"),
        (
            [{"name": "Bad Name", "checks": ["freshness"], "recipients": [RECIPIENT]}],
            "name must be lower case",
        ),
        (
            [{"name": "daily_to_sales", "checks": ["freshness"], "recipients": [RECIPIENT]}],
            "a subscription is named",
        ),
        (
            [{"name": "twice", "checks": ["freshness"], "recipients": [RECIPIENT]}] * 2,
            "two are named 'twice'",
        ),
    ],
)
def test_bad_alert_sections_are_refused(alerts: Any, says: str) -> None:
    with pytest.raises(ScheduleError, match=says.replace("(", r"\(")):
        parse_schedule(BASE + yaml.safe_dump({"alerts": alerts}))


def test_metrics_and_dimensions_are_checked_against_the_semantic_layer() -> None:
    schedule = parse_schedule(GOOD)
    check_metrics(schedule.alerts, ["revenue", "orders"], ["customer__region"])
    with pytest.raises(AlertError, match="no metric 'revenue'"):
        check_metrics(schedule.alerts, ["orders"], ["customer__region"])
    with pytest.raises(AlertError, match="no dimension 'customer__region'"):
        check_metrics(schedule.alerts, ["revenue"], [])
