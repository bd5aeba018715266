"""Report parameters that name a date take a period phrase too.

``daily_sales.date``, ``weekly_executive.week_start`` and
``monthly_data_quality.month`` accept what they always did (``YYYY-MM-DD``,
a Monday, ``YYYY-MM``) and, besides, a phrase read by
:mod:`analytics_core.periods` against today (UTC): "yesterday", "last week",
"week of June 10", "last month". A phrase naming the wrong kind of period, no
period, several, or one with words besides it, is a 422 that names the
parameter. The expectations are computed here from the calendar, around the
call (so a run across midnight UTC still checks the right day).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from report_service.models import InvalidRequestError
from report_service.reports import get_report
from report_service.service import new_job


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def most_recent(month: int, day: int, today: dt.date) -> dt.date:
    """That day this year if it has come, else last year's."""
    this = dt.date(today.year, month, day)
    return this if this <= today else dt.date(today.year - 1, month, day)


def last_weekday(weekday: int, today: dt.date) -> dt.date:
    """The most recent such weekday strictly before ``today``."""
    back = (today.weekday() - weekday) % 7 or 7
    return today - dt.timedelta(days=back)


Expect = Callable[[dt.date], dt.date]
WEEK = dt.timedelta(days=7)

VALID: list[tuple[str, str, str, Expect]] = [
    # daily_sales.date: one day.
    ("daily_sales", "date", "yesterday", lambda t: t - dt.timedelta(days=1)),
    ("daily_sales", "date", "Yesterday", lambda t: t - dt.timedelta(days=1)),
    ("daily_sales", "date", "today", lambda t: t),
    ("daily_sales", "date", "the day before yesterday", lambda t: t - dt.timedelta(days=2)),
    ("daily_sales", "date", "last Friday", lambda t: last_weekday(4, t)),
    ("daily_sales", "date", "last monday", lambda t: last_weekday(0, t)),
    ("daily_sales", "date", "3 days ago", lambda t: t - dt.timedelta(days=3)),
    ("daily_sales", "date", "on 2026-06-03", lambda t: dt.date(2026, 6, 3)),
    ("daily_sales", "date", "June 3, 2026", lambda t: dt.date(2026, 6, 3)),
    ("daily_sales", "date", "the 3rd of June 2026", lambda t: dt.date(2026, 6, 3)),
    ("daily_sales", "date", "3 June 2026", lambda t: dt.date(2026, 6, 3)),
    ("daily_sales", "date", "25th March 2026", lambda t: dt.date(2026, 3, 25)),
    ("daily_sales", "date", "June 3", lambda t: most_recent(6, 3, t)),
    ("daily_sales", "date", "  yesterday  ", lambda t: t - dt.timedelta(days=1)),
    # weekly_executive.week_start: the Monday of the week named, or of the day's week.
    ("weekly_executive", "week_start", "last week", lambda t: monday(t) - dt.timedelta(days=7)),
    ("weekly_executive", "week_start", "previous week", lambda t: monday(t) - dt.timedelta(7)),
    ("weekly_executive", "week_start", "this week", monday),
    ("weekly_executive", "week_start", "the week before last", lambda t: monday(t) - 2 * WEEK),
    ("weekly_executive", "week_start", "week of 2026-06-10", lambda t: dt.date(2026, 6, 8)),
    ("weekly_executive", "week_start", "the week of June 14, 2026", lambda t: dt.date(2026, 6, 8)),
    ("weekly_executive", "week_start", "w/c 8 June 2026", lambda t: dt.date(2026, 6, 8)),
    ("weekly_executive", "week_start", "week commencing 8 Jun 2026", lambda t: dt.date(2026, 6, 8)),
    ("weekly_executive", "week_start", "week 23 of 2026", lambda t: dt.date(2026, 6, 1)),
    ("weekly_executive", "week_start", "ISO week 1 2026", lambda t: dt.date(2025, 12, 29)),
    ("weekly_executive", "week_start", "2026-W23", lambda t: dt.date(2026, 6, 1)),
    ("weekly_executive", "week_start", "yesterday", lambda t: monday(t - dt.timedelta(days=1))),
    ("weekly_executive", "week_start", "2 weeks ago", lambda t: monday(t) - dt.timedelta(14)),
    # monthly_data_quality.month: the month named, so far, or of the day named.
    ("monthly_data_quality", "month", "last month", previous_month),
    ("monthly_data_quality", "month", "Previous Month", previous_month),
    ("monthly_data_quality", "month", "this month", month_start),
    ("monthly_data_quality", "month", "MTD", month_start),
    ("monthly_data_quality", "month", "month to date", month_start),
    ("monthly_data_quality", "month", "May 2026", lambda t: dt.date(2026, 5, 1)),
    ("monthly_data_quality", "month", "in Sept 2025", lambda t: dt.date(2025, 9, 1)),
    ("monthly_data_quality", "month", "a month ago", previous_month),
    ("monthly_data_quality", "month", "yesterday", lambda t: month_start(t - dt.timedelta(1))),
]


def _validated(report_type: str, name: str, value: Any) -> Any:
    params = get_report(report_type).validate_params({name: value})
    return getattr(params, name)


@pytest.mark.parametrize(("report_type", "name", "phrase", "expect"), VALID)
def test_a_phrase_resolves_against_today(
    report_type: str, name: str, phrase: str, expect: Expect
) -> None:
    before = utc_today()
    got = _validated(report_type, name, phrase)
    after = utc_today()
    assert got in {expect(before), expect(after)}, (phrase, got)
    if name == "week_start":
        assert got.weekday() == 0
    if name == "month":
        assert got.day == 1


@pytest.mark.parametrize(("report_type", "name", "phrase", "expect"), VALID[:3] + VALID[14:16])
def test_a_job_stores_the_resolved_date_not_the_phrase(
    report_type: str, name: str, phrase: str, expect: Expect
) -> None:
    """Queued, retried or re-read on another day, a job renders the same period."""
    before = utc_today()
    job = new_job(report_type, {name: phrase}, ["json"], trigger="api")
    after = utc_today()
    stored = json.loads(json.dumps(job.params))
    assert stored[name] in {expect(before).isoformat(), expect(after).isoformat()}
    # The worker validates the stored value again: the same date, whatever today is then.
    assert _validated(report_type, name, stored[name]).isoformat() == stored[name]


WRONG_KIND = [
    ("daily_sales", "date", "last month", "date: the phrase names last month ("),
    ("daily_sales", "date", "last week", "not a single day"),
    ("daily_sales", "date", "Q1 2026", "date: the phrase names Q1 2026 (2026-01-01 to 2026-03-31)"),
    ("daily_sales", "date", "the last 7 days", "not a single day"),
    ("daily_sales", "date", "between June 3 and June 9 2026", "not a single day"),
    ("daily_sales", "date", "until June 3 2026", "not a single day"),
    ("weekly_executive", "week_start", "last month", "week_start: the phrase names last month"),
    ("weekly_executive", "week_start", "H1 2026", "week_start: the phrase names H1 2026"),
    ("weekly_executive", "week_start", "last 2 weeks", "not a week"),
    ("weekly_executive", "week_start", "2026", "week_start: must be a date string"),
    ("monthly_data_quality", "month", "last week", "month: the phrase names last week"),
    ("monthly_data_quality", "month", "Q2 2026", "not a month"),
    ("monthly_data_quality", "month", "this year", "not a month"),
    ("monthly_data_quality", "month", "last 30 days", "not a month"),
]


@pytest.mark.parametrize(("report_type", "name", "phrase", "message"), WRONG_KIND)
def test_a_phrase_of_the_wrong_kind_is_a_422_naming_the_parameter(
    report_type: str, name: str, phrase: str, message: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        get_report(report_type).validate_params({name: phrase})
    assert info.value.status_code == 422
    assert info.value.message.startswith(f"invalid params for {report_type}: {name}: ")
    assert message in info.value.message


MALFORMED = [
    # Unreadable, several periods, extra words, relative, future, impossible, ambiguous.
    ("daily_sales", "date", "the day the music died", "it names no period"),
    ("daily_sales", "date", "yesterday and today", "it names 2 periods, not one"),
    ("daily_sales", "date", "yesterday in EMEA", "it has words besides the period"),
    ("daily_sales", "date", "the same day last year", "relative to another period"),
    ("daily_sales", "date", "tomorrow", "in the future"),
    ("daily_sales", "date", "next Friday", "in the future"),
    ("daily_sales", "date", "February 30 2026", "is not a calendar date"),
    ("daily_sales", "date", "on 3/4/2026 please", "could be 3 April 2026 (day/month) or 4 March"),
    ("daily_sales", "date", "June 3 1999", "must be between 2000-01-01 and 2100-12-31"),
    ("weekly_executive", "week_start", "week 54 of 2026", "there is no ISO week 54"),
    ("weekly_executive", "week_start", "week 53 of 2025", "2025 has no ISO week 53"),
    ("weekly_executive", "week_start", "next week", "in the future"),
    ("monthly_data_quality", "month", "next month", "in the future"),
    ("monthly_data_quality", "month", "may I have a report", "it names no period"),
    ("monthly_data_quality", "month", "2026-13", "month: must be a month string YYYY-MM"),
    # Machine forms stay strict: digits and separators must be the ISO form itself.
    ("daily_sales", "date", "30/06/2026", "date: must be a date string YYYY-MM-DD"),
    ("daily_sales", "date", "3/4/2026", "date: must be a date string YYYY-MM-DD"),
    ("weekly_executive", "week_start", "2026-06-24", "must be a Monday"),
    ("monthly_data_quality", "month", "2026-06-01", "month: must be a month string YYYY-MM"),
]


@pytest.mark.parametrize(("report_type", "name", "value", "message"), MALFORMED)
def test_malformed_phrases_are_422_with_the_reason(
    report_type: str, name: str, value: str, message: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        get_report(report_type).validate_params({name: value})
    assert info.value.status_code == 422
    assert info.value.message.startswith(f"invalid params for {report_type}: {name}: ")
    assert message in info.value.message


HOSTILE = [
    "'; drop table reporting.rpt_daily_sales; --",
    "1 OR 1=1",
    "{rpt_daily_sales}",
    "<script>alert(1)</script> yesterday",
    "yesterday\x00",
    "\u202eyadretsey",
    "${jndi:ldap://example.invalid/a}",
    "last " * 15,
    "2026-06-" * 10,
    "yesterday" + " " * 70 + "x",
    "\uff59\uff45\uff53\uff54\uff45\uff52\uff44\uff41\uff59; rm -rf /",  # fullwidth
]


@pytest.mark.parametrize("name", ["date", "week_start", "month"])
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_refused_without_echoing_them(name: str, value: str) -> None:
    report_type = {
        "date": "daily_sales",
        "week_start": "weekly_executive",
        "month": "monthly_data_quality",
    }[name]
    with pytest.raises(InvalidRequestError) as info:
        get_report(report_type).validate_params({name: value})
    assert info.value.status_code == 422
    assert info.value.message.startswith(f"invalid params for {report_type}: {name}: must be ")
    for fragment in ("drop table", "<script>", "jndi", "rm -rf", "\x00", "\u202e"):
        assert fragment not in info.value.message


DATE_PARAMETERS = [
    ("daily_sales", "date"),
    ("weekly_executive", "week_start"),
    ("monthly_data_quality", "month"),
]


@pytest.mark.parametrize("size", [81, 1_000, 100_000])
@pytest.mark.parametrize(("report_type", "name"), DATE_PARAMETERS)
def test_oversized_phrases_are_refused_by_length(report_type: str, name: str, size: int) -> None:
    value = ("yesterday " * (size // 10 + 1))[:size]
    with pytest.raises(InvalidRequestError) as info:
        get_report(report_type).validate_params({name: value})
    assert "a period phrase is at most 80 characters" in info.value.message
    assert len(info.value.message) < 300


def test_the_catalog_schema_says_phrases_are_taken() -> None:
    week = get_report("weekly_executive").catalog_entry()["params_schema"]["properties"]
    month = get_report("monthly_data_quality").catalog_entry()["params_schema"]["properties"]
    day = get_report("daily_sales").catalog_entry()["params_schema"]["properties"]
    assert "last week" in week["week_start"]["description"]
    assert week["week_start"]["maxLength"] == 80
    assert "last month" in month["month"]["examples"]
    # The month is no longer held to a YYYY-MM pattern, which a phrase would break.
    assert "pattern" not in month["month"]
    assert "yesterday" in day["date"]["description"]
    assert day["date"]["format"] == "date"  # forms keep their date picker
