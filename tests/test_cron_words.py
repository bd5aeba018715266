"""Crons said in words (analytics_core/cron_words.py), checked against croniter:
whatever is put into words must match the times the cron really runs."""

from __future__ import annotations

import datetime as dt

import pytest
from croniter import croniter

from analytics_core.cron_words import describe_cron
from analytics_core.schedules import load_schedule


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("0 6 * * *", "daily at 06:00 UTC"),
        ("30 5 * * *", "daily at 05:30 UTC"),
        ("0 8 * * 1", "every Monday at 08:00 UTC"),
        ("0 8 * * MON", "every Monday at 08:00 UTC"),
        ("0 8 * * 7", "every Sunday at 08:00 UTC"),
        ("0 7 1 * *", "monthly on the 1st at 07:00 UTC"),
        ("0 7 2,22 * *", "monthly on the 2nd and 22nd at 07:00 UTC"),
        ("15 9 * * 1-5", "on weekdays at 09:15 UTC"),
        ("0 10 * * 6,0", "on weekends at 10:00 UTC"),
        ("0 6,18 * * *", "daily at 06:00 and 18:00 UTC"),
        ("0 9 * * 1,3,5", "every Monday, Wednesday and Friday at 09:00 UTC"),
        ("0 6 1 1 *", "monthly on the 1st in January at 06:00 UTC"),
        ("5 * * * *", "every hour at :05 UTC"),
        ("*/15 * * * *", "every 15 minutes UTC"),
        ("0 */6 * * *", "every 6 hours at :00 UTC"),
        ("0 3 * * 1-5", "on weekdays at 03:00 UTC"),
    ],
)
def test_common_shapes_in_words(cron: str, words: str) -> None:
    assert describe_cron(cron) == words


@pytest.mark.parametrize(
    "cron",
    ["0 6 1 * 1", "0 6 L * *", "0 6 * * 1#2", "1-30/2 * * * *", "nonsense", "", "0 25 * * *"],
)
def test_other_shapes_are_said_as_the_cron(cron: str) -> None:
    said = describe_cron(cron)
    assert said.startswith("cron ") and said.endswith("(UTC)")


def test_every_job_of_the_schedule_file_is_said_in_words() -> None:
    schedule = load_schedule(None)
    for job in [*schedule.builds, *schedule.reports]:
        words = describe_cron(job.cron)
        assert not words.startswith("cron "), (job.name, job.cron)
        runs = croniter(job.cron, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        for _ in range(5):
            run = runs.get_next(dt.datetime)
            said_time = f"{run:%H:%M}" if "daily" in words or "every" not in words else f":{run:%M}"
            assert said_time in words, (job.cron, words, run)
            if words.startswith("every ") and "hour" not in words and "minute" not in words:
                assert f"{run:%A}" in words, (job.cron, words, run)
            if words.startswith("monthly on the "):
                assert words.startswith(f"monthly on the {run.day}"), (job.cron, words, run)
