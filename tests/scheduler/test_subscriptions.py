"""Subscriptions in the schedule file (analytics_core/subscriptions.py): who
gets which report over which channel, checked on load with errors that name
the entry; hostile recipients and parameters are refused there."""

from __future__ import annotations

import pytest
import yaml

from analytics_core.schedules import ScheduleError, check_reports, parse_schedule
from analytics_core.subscriptions import MAX_ADDRESSES, MAX_RECIPIENTS
from report_service.reports import CATALOG

REPORTS = """
reports:
  - name: weekly_executive
    report_type: weekly_executive
    cron: "0 8 * * 1"
    params: {week_start: "{previous_week_start}"}
    formats: [html, pdf]
  - name: daily_sales
    report_type: daily_sales
    cron: "0 6 * * *"
    formats: [html]
"""

GOOD = (
    REPORTS
    + """
subscriptions:
  - name: weekly_to_leadership
    report: weekly_executive
    subject: "Weekly executive summary"
    recipients:
      - name: Leadership
        channel: email
        to: [ceo@example.com, cfo@example.com]
        formats: [pdf]
      - name: Sales channel
        channel: slack
        secret: analytics/slack/sales
        delivery: link
      - name: Leadership team
        channel: teams
        secret: TEAMS_LEADERSHIP_URL
      - name: Finance system
        channel: webhook
        secret: analytics/webhooks/finance
        formats: [html]
  - name: daily_to_emea
    report: daily_sales
    recipients:
      - name: EMEA manager
        channel: email
        to: emea-manager@example.com
"""
)


def schedule_of(text: str):
    return parse_schedule(text)


def test_subscriptions_are_read_with_their_recipients() -> None:
    schedule = schedule_of(GOOD)
    check_reports(schedule, CATALOG)
    weekly, daily = schedule.subscriptions
    assert weekly.report == "weekly_executive" and weekly.subject == "Weekly executive summary"
    email, slack, teams, hook = weekly.recipients
    assert email.to == ("ceo@example.com", "cfo@example.com") and email.formats == ("pdf",)
    assert email.delivery == "attach" and email.secret is None
    assert (slack.channel, slack.secret, slack.delivery) == (
        "slack",
        "analytics/slack/sales",
        "link",
    )
    assert teams.channel == "teams" and hook.formats == ("html",)
    assert daily.recipients[0].to == ("emea-manager@example.com",)


def test_a_schedule_without_subscriptions_has_none() -> None:
    assert schedule_of(REPORTS).subscriptions == ()


def with_recipient(recipient: dict, **subscription: object) -> str:
    entry = {"name": "s", "report": "weekly_executive", "recipients": [recipient], **subscription}
    return REPORTS + yaml.safe_dump({"subscriptions": [entry]})


EMAIL = {"name": "r", "channel": "email", "to": ["a@example.com"]}


@pytest.mark.parametrize(
    ("recipient", "message"),
    [
        # header injection through an address or a display name
        ({**EMAIL, "to": ["a@example.com\nBcc: all@evil.example"]}, "not one plain email address"),
        ({**EMAIL, "to": ["a@example.com\r\nSubject: x"]}, "not one plain email address"),
        ({**EMAIL, "to": ["Boss <boss@example.com>"]}, "not one plain email address"),
        ({**EMAIL, "to": ["a@example.com, b@example.com"]}, "not one plain email address"),
        ({**EMAIL, "to": ["not-an-address"]}, "not one plain email address"),
        ({**EMAIL, "to": ["a@localhost"]}, "not one plain email address"),
        ({**EMAIL, "to": [42]}, "not one plain email address"),
        ({**EMAIL, "to": []}, "to must be a list of email addresses"),
        ({**EMAIL, "to": ["a@example.com", "A@example.com"]}, "an address twice"),
        ({**EMAIL, "to": [f"u{i}@example.com" for i in range(MAX_ADDRESSES + 1)]}, "at most"),
        ({**EMAIL, "name": "x\nBcc: y"}, "one line"),
        ({**EMAIL, "name": "x" * 101}, "at most 100"),
        # channels and secrets
        ({"name": "r", "channel": "pager", "secret": "x"}, "unknown channel 'pager'"),
        ({"name": "r", "channel": "slack"}, "needs secret"),
        (
            {"name": "r", "channel": "slack", "secret": "https://hooks.slack.com/services/T/B/X"},
            "not the URL itself",
        ),
        ({"name": "r", "channel": "webhook", "secret": "a b"}, "needs secret"),
        (
            {"name": "r", "channel": "slack", "secret": "x", "to": ["a@example.com"]},
            "not addresses",
        ),
        ({**EMAIL, "secret": "x"}, "not a secret"),
        # formats, delivery, parameters, keys
        ({**EMAIL, "formats": ["docx"]}, "unknown format 'docx'"),
        ({**EMAIL, "delivery": "carrier pigeon"}, "unknown delivery"),
        ({**EMAIL, "params": {"week_start": ["a", "b"]}}, "must be a text, a number"),
        ({**EMAIL, "params": {"week_start": "2026-06-01\nx"}}, "one line"),
        ({**EMAIL, "cc": ["b@example.com"]}, "unknown key 'cc'"),
        ("just text", "must be a mapping"),
    ],
)
def test_hostile_or_wrong_recipients_are_refused_naming_the_entry(
    recipient: object, message: str
) -> None:
    with pytest.raises(ScheduleError, match=message) as error:
        schedule_of(with_recipient(recipient))  # type: ignore[arg-type]
    assert str(error.value).startswith("subscriptions[0] (s) recipients[0]: ") or (
        "subscriptions[0]" in str(error.value)
    )
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (REPORTS + "subscriptions: {a: 1}\n", "must be a list"),
        (with_recipient(EMAIL, report="monthly_data_quality"), "not a report job of this file"),
        (with_recipient(EMAIL, subject="Hi\r\nBcc: all@evil.example"), "one line"),
        (with_recipient(EMAIL, subject="x" * 201), "at most 200"),
        (with_recipient(EMAIL, when="daily"), "unknown key 'when'"),
        (
            REPORTS + yaml.safe_dump({"subscriptions": [{"name": "Bad Name", "report": "x"}]}),
            "name must",
        ),
        (
            REPORTS
            + yaml.safe_dump(
                {"subscriptions": [{"name": "s", "report": "weekly_executive", "recipients": []}]}
            ),
            "at least one recipient",
        ),
        (
            REPORTS
            + yaml.safe_dump(
                {
                    "subscriptions": [
                        {
                            "name": "s",
                            "report": "weekly_executive",
                            "recipients": [
                                dict(EMAIL, name=f"r{i}") for i in range(MAX_RECIPIENTS + 1)
                            ],
                        }
                    ]
                }
            ),
            f"at most {MAX_RECIPIENTS}",
        ),
        (
            REPORTS
            + yaml.safe_dump(
                {
                    "subscriptions": [
                        {"name": "s", "report": "weekly_executive", "recipients": [EMAIL, EMAIL]}
                    ]
                }
            ),
            "same name",
        ),
        (
            REPORTS
            + yaml.safe_dump(
                {
                    "subscriptions": [
                        {"name": "s", "report": "weekly_executive", "recipients": [EMAIL]},
                        {"name": "s", "report": "daily_sales", "recipients": [EMAIL]},
                    ]
                }
            ),
            "two are named 's'",
        ),
    ],
)
def test_wrong_subscriptions_are_refused(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        schedule_of(text)


def test_a_recipients_formats_and_parameters_are_checked_against_the_report() -> None:
    """Loading knows the channels; the report catalog knows the report's formats
    and parameters (a recipient's own slice, EMEA's manager's region, too)."""
    csv_for_weekly = schedule_of(with_recipient({**EMAIL, "formats": ["csv"]}))
    check_reports(csv_for_weekly, CATALOG)  # any format the report renders
    unknown_param = schedule_of(with_recipient({**EMAIL, "params": {"region": "EMEA"}}))
    with pytest.raises(ScheduleError, match=r"recipients\[0\].*region"):
        check_reports(unknown_param, CATALOG)
    bad_week = schedule_of(with_recipient({**EMAIL, "params": {"week_start": "2026-06-02"}}))
    with pytest.raises(ScheduleError, match=r"recipients\[0\]"):
        check_reports(bad_week, CATALOG)
