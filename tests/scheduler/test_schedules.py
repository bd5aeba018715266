"""The schedule file: the project's own, placeholders in Python and in
Snowflake SQL, and every kind of bad file named clearly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from analytics_core.schedules import (
    DEFAULT_SCHEDULE_FILE,
    MAX_FILE_BYTES,
    PLACEHOLDERS,
    BuildJob,
    ReportJob,
    ScheduleError,
    check_reports,
    load_schedule,
    parse_schedule,
)
from report_service.reports import CATALOG
from tests.conftest import emulator_connection

UTC = dt.UTC


def test_the_project_schedule_is_valid_and_keeps_the_promised_times() -> None:
    schedule = load_schedule()
    check_reports(schedule, CATALOG)
    # docs/interfaces.md: daily 06:00, Monday 08:00, 1st of the month 07:00 UTC.
    assert {j.report_type: j.cron for j in schedule.reports} == {
        "daily_sales": "0 6 * * *",
        "weekly_executive": "0 8 * * 1",
        "monthly_data_quality": "0 7 1 * *",
    }
    assert {j.name for j in schedule.builds} == {"hourly_build", "nightly_full_build"}
    nightly = schedule.job("nightly_full_build")
    assert isinstance(nightly, BuildJob)
    assert nightly.build_args() == ["--full-refresh", "--freshness", "--docs"]
    hourly = schedule.job("hourly_build")
    assert isinstance(hourly, BuildJob)
    # Docs only at night: the hourly build publishes the catalog it was last made with.
    assert hourly.build_args() == ["--freshness"]
    # The catalog shows the same times.
    assert {t: d.catalog_entry()["schedule"] for t, d in CATALOG.items()} == {
        j.report_type: j.cron for j in schedule.reports
    }


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (
            dt.datetime(2026, 3, 1, 6, 0, tzinfo=UTC),
            {"daily_sales": {"date": "2026-02-28"}},
        ),
        (
            dt.datetime(2026, 1, 5, 8, 0, tzinfo=UTC),  # a Monday
            {"weekly_executive": {"week_start": "2025-12-29"}},
        ),
        (
            dt.datetime(2026, 1, 1, 7, 0, tzinfo=UTC),
            {"monthly_data_quality": {"month": "2025-12"}},
        ),
    ],
)
def test_parameters_come_from_the_due_time(due: dt.datetime, expected: dict[str, Any]) -> None:
    schedule = load_schedule()
    for name, params in expected.items():
        job = schedule.job(name)
        assert isinstance(job, ReportJob)
        assert job.params_for(due) == params
        # Late by hours (after downtime): still the report of the due time.
        assert job.params_for(job.previous_run(due + dt.timedelta(hours=5))) == params


def test_due_times() -> None:
    job = load_schedule().job("weekly_executive")
    thursday = dt.datetime(2026, 11, 26, 7, 59, tzinfo=UTC)
    assert job.previous_run(thursday) == dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert job.next_runs(thursday, 2) == [
        dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
    ]
    monday = dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert job.previous_run(monday) == monday  # due exactly now
    assert job.previous_run(monday.replace(tzinfo=None)) == monday  # naive is UTC


def test_placeholders_agree_with_their_snowflake_sql(fakesnow_server: tuple[str, int]) -> None:
    """The tasks compute parameters in Snowflake; the emulator runs each
    expression for today and it must equal the Python value for today."""
    host, port = fakesnow_server
    connection = emulator_connection({"SNOWFLAKE_HOST": host, "SNOWFLAKE_PORT": str(port)}, "ci")
    try:
        cursor = connection.cursor()
        for name, placeholder in PLACEHOLDERS.items():
            cursor.execute(f"select {placeholder.snowflake_sql}")
            [value] = cursor.fetchone()
            assert value == placeholder.value(dt.datetime.now(UTC).date()), name
    finally:
        connection.close()


GOOD_REPORT = "  - {name: r, report_type: daily_sales, cron: '0 6 * * *'}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("builds: [", "is not valid YAML at line"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("jobs: []\n", "unknown key 'jobs'"),
        ("builds: {name: x}\n", "builds: must be a list of entries"),
        ("builds:\n  - hourly\n", "builds[0]: must be a mapping"),
        ("builds:\n  - {name: Hourly, cron: '0 * * * *'}\n", "builds[0] (Hourly): name must be"),
        ("builds:\n  - {name: h}\n", "builds[0] (h): cron must be a text"),
        ("builds:\n  - {name: h, cron: '0 * * *'}\n", "builds[0] (h): cron '0 * * *' must have"),
        (
            "builds:\n  - {name: h, cron: '0 0 * * * *'}\n",
            "builds[0] (h): cron '0 0 * * * *' must have five fields",
        ),
        (
            "builds:\n  - {name: h, cron: '61 * * * *'}\n",
            "builds[0] (h): cron '61 * * * *' is not a valid cron expression",
        ),
        (
            "builds:\n  - {name: h, cron: '0 8 * * mon-zzz'}\n",
            "is not a valid cron expression",
        ),
        ("builds:\n  - {name: h, cron: '@hourly; rm -rf /'}\n", "builds[0] (h): cron"),
        (
            "builds:\n  - {name: h, cron: '0 * * * *', full_refresh: 'yes'}\n",
            "builds[0] (h): full_refresh must be true or false",
        ),
        (
            "builds:\n  - {name: h, cron: '0 * * * *', docs: 'nightly'}\n",
            "builds[0] (h): docs must be true or false",
        ),
        (
            "builds:\n  - {name: h, cron: '0 * * * *', select: [1]}\n",
            "builds[0] (h): select must be a list of texts",
        ),
        (
            "builds:\n  - {name: h, cron: '0 * * * *', command: 'rm -rf /'}\n",
            "builds[0] (h): unknown key 'command'",
        ),
        ("reports:\n  - {name: r, cron: '0 6 * * *'}\n", "reports[0] (r): report_type is missing"),
        (
            "reports:\n  - {name: r, report_type: daily_sales, cron: '0 6 * * *',"
            " params: {date: '{tomorrow}'}}\n",
            "reports[0] (r): parameter 'date' uses an unknown placeholder {tomorrow}",
        ),
        (
            "reports:\n  - {name: r, report_type: daily_sales, cron: '0 6 * * *',"
            " params: {date: 'day {previous_day}'}}\n",
            "parameter 'date' mixes text and a placeholder",
        ),
        (
            "reports:\n  - {name: r, report_type: daily_sales, cron: '0 6 * * *', params: [1]}\n",
            "reports[0] (r): params must be a mapping",
        ),
        ("reports:\n" + GOOD_REPORT + GOOD_REPORT, "two jobs are named 'r'"),
    ],
)
def test_a_bad_file_names_the_bad_entry(text: str, message: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text, Path("schedules.yml"))
    assert message in str(raised.value)
    assert "Traceback" not in str(raised.value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{name: r, report_type: yearly, cron: '0 6 * * *'}", "unknown report_type 'yearly'"),
        (
            "{name: r, report_type: daily_sales, cron: '0 6 * * *', formats: [docx]}",
            "reports[0] (r): unknown format 'docx'",
        ),
        (
            # A period phrase of the wrong kind (a month for a day); "yesterday" is valid.
            "{name: r, report_type: daily_sales, cron: '0 6 * * *', params: {date: last month}}",
            "reports[0] (r): invalid params for daily_sales",
        ),
        (
            "{name: r, report_type: daily_sales, cron: '0 6 * * *', params: {day: '2026-01-01'}}",
            "reports[0] (r): invalid params for daily_sales",
        ),
        (
            "{name: r, report_type: weekly_executive, cron: '0 8 * * 1',"
            " params: {week_start: '{previous_day}'}}",
            "reports[0] (r): invalid params for weekly_executive",
        ),
    ],
)
def test_reports_are_checked_against_the_catalog(entry: str, message: str) -> None:
    schedule = parse_schedule(f"reports:\n  - {entry}\n", Path("schedules.yml"))
    with pytest.raises(ScheduleError) as raised:
        check_reports(schedule, CATALOG)
    assert message in str(raised.value)


def test_missing_empty_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="cannot be read"):
        load_schedule(tmp_path / "nowhere.yml")
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    assert load_schedule(empty).jobs == ()
    big = tmp_path / "big.yml"
    big.write_text("# " + "x" * MAX_FILE_BYTES)
    with pytest.raises(ScheduleError, match="at most 1,000,000"):
        load_schedule(big)


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "schedules.yml"
    path.write_text("builds:\n  - {name: a, cron: '0 * * * *'}\n")
    assert [j.name for j in load_schedule(path).jobs] == ["a"]
    path.write_text("builds:\n  - {name: b, cron: '30 * * * *'}\n")
    assert [j.name for j in load_schedule(path).jobs] == ["b"]
    assert DEFAULT_SCHEDULE_FILE.is_file()


def test_the_schedule_is_package_data_of_analytics_core() -> None:
    """One home that every reader finds as package data (the wheel ships
    every file inside its packages), not a file of another component."""
    from importlib.resources import files

    packaged = files("analytics_core").joinpath("schedules.yml")
    assert packaged.is_file()
    assert Path(str(packaged)).resolve() == DEFAULT_SCHEDULE_FILE
    assert load_schedule().path == DEFAULT_SCHEDULE_FILE
    assert {"hourly_build", "daily_sales"} <= {j.name for j in load_schedule().jobs}
