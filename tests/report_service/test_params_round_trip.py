"""Every report parameter round-trips: ``validate(dump(validate(x))) == validate(x)``.

A job stores its validated parameters as JSON and the worker validates them
again; the schedule, external functions, the UI and the CLI all send values
that end up stored and re-read the same way. So for every report of the
catalog and every one of its parameters, each value the parameter accepts
(from a broad sample of days, months, ``date`` objects and ``None``) must
come back as the same value after a JSON dump (and after a Python dump), and
after the path a job really takes (``new_job`` stores it, the worker reads it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from analytics_core.schedules import load_schedule
from report_service.models import InvalidRequestError
from report_service.reports import CATALOG
from report_service.reports.base import MAX_DATE, MIN_DATE, ReportDefinition
from report_service.service import new_job


def _days() -> Iterator[dt.date]:
    """Both ends of the accepted range, and every day of 2025-2026."""
    for start, days in ((MIN_DATE, 40), (dt.date(2025, 1, 1), 730), (MAX_DATE, 1)):
        for offset in range(days):
            yield start + dt.timedelta(days=offset)
    yield MAX_DATE - dt.timedelta(days=30)


#: Period phrases (read against today): each resolves to a date that is stored.
PHRASES = (
    "yesterday",
    "last Friday",
    "June 3 2026",
    "last week",
    "this week",
    "week of 2025-06-11",
    "w/c 8 June 2026",
    "last month",
    "this month",
    "May 2026",
)


def candidates() -> Iterator[Any]:
    """Values of every shape a caller sends: day and month strings, ``date``
    objects (Python callers), period phrases and ``None`` (the default)."""
    yield None
    yield from PHRASES
    months: set[str] = set()
    for day in _days():
        yield day.isoformat()
        yield day
        months.add(f"{day:%Y-%m}")
    yield from sorted(months)


def accepted(definition: ReportDefinition, name: str) -> list[tuple[Any, Any]]:
    """``(value, validated model)`` for every candidate the parameter accepts."""
    found = []
    for value in candidates():
        try:
            found.append((value, definition.validate_params({name: value})))
        except InvalidRequestError:
            continue
    return found


PARAMETERS = [
    (report_type, name)
    for report_type, definition in CATALOG.items()
    for name in definition.params_model.model_fields
]


def test_every_report_has_parameters_to_check() -> None:
    assert {report_type for report_type, _ in PARAMETERS} == set(CATALOG)


@pytest.mark.parametrize(("report_type", "name"), PARAMETERS)
def test_every_parameter_round_trips(report_type: str, name: str) -> None:
    definition = CATALOG[report_type]
    values = accepted(definition, name)
    strings = [value for value, _ in values if isinstance(value, str)]
    assert strings, f"{report_type}.{name} accepts none of the sample strings"
    for value, validated in values:
        as_json = validated.model_dump(mode="json")
        # Stored as JSON text (the job store, events) and read back.
        stored = json.loads(json.dumps(as_json))
        assert definition.validate_params(stored) == validated, (value, stored)
        assert definition.validate_params(validated.model_dump()) == validated, value
        # Set values only: what a job stores.
        assert (
            definition.validate_params(validated.model_dump(mode="json", exclude_unset=True))
            == validated
        ), value
        # The path of a job: the service stores its params, a worker validates
        # them again, a re-sent copy (a retry, "run again") stores the same.
        job = new_job(report_type, {name: value}, ["html"], trigger="api")
        assert definition.validate_params(job.params) == validated, (value, job.params)
        again = new_job(report_type, json.loads(json.dumps(job.params)), ["html"], trigger="api")
        assert again.params == job.params


@pytest.mark.parametrize("report_type", list(CATALOG))
def test_a_string_parameter_is_stored_as_it_was_sent(report_type: str) -> None:
    """The canonical string form of a value is kept as is (``2026-05`` stays
    ``2026-05``): what the API answers, the events and the warehouse show is
    what the caller sent. A period phrase is the exception: it is stored as the
    canonical form of the date it named, so a job never changes meaning."""
    definition = CATALOG[report_type]
    for name in definition.params_model.model_fields:
        for value, validated in accepted(definition, name):
            if isinstance(value, str):
                job = new_job(report_type, {name: value}, ["html"], trigger="api")
                if value in PHRASES:
                    assert job.params == validated.model_dump(mode="json", exclude_unset=True)
                    assert job.params[name] != value
                else:
                    assert job.params == {name: value}


def test_scheduled_parameters_round_trip() -> None:
    """The schedule file's placeholders, filled for a due time in every month
    of two years, give parameters that validate and round-trip."""
    schedule = load_schedule()
    assert schedule.reports
    dues = [
        dt.datetime(2025, 1, 1, 6, tzinfo=dt.UTC) + dt.timedelta(days=n) for n in range(0, 730, 3)
    ]
    for job in schedule.reports:
        definition = CATALOG[job.report_type]
        for due in dues:
            params = job.params_for(due)
            validated = definition.validate_params(params)
            stored = new_job(job.report_type, params, list(job.formats), trigger="schedule")
            assert stored.params == params, (job.name, due)
            assert definition.validate_params(stored.params) == validated
