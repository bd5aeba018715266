"""The schedule file (``analytics_core/schedules.yml``): what runs when.

Everything that runs on a clock reads it from here: the local scheduler
(``analytics serve scheduler``), the Snowflake tasks (``analytics
snowflake-ddl``) and the report catalog's ``schedule`` field. Loading checks
the structure, the cron expressions (five fields, UTC, parsed by croniter)
and the parameter placeholders; :func:`check_reports` also checks report
types, formats and parameters against the report catalog. Every error names
the entry: ``reports[1] (weekly_executive): cron '0 8 * * 8' is not valid``.

Report parameters may hold placeholders (:data:`PLACEHOLDERS`) that are
worked out from the time a run was *due*, so a run that starts late, or is
retried, asks for the same report. Each placeholder also has its Snowflake
SQL expression, used by the task DDL, so both paths compute the same value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML (a dbt dependency) has no stubs here
from croniter import croniter

from analytics_core.alerts import Alert, parse_alerts
from analytics_core.errors import ConfigurationError
from analytics_core.subscriptions import Subscription, SubscriptionError, parse_subscriptions

#: The schedule: package data of ``analytics_core`` (in the wheel and the
#: images), so every component that runs on a clock or shows when things run
#: reads the same file without depending on another component's folder.
DEFAULT_SCHEDULE_FILE = Path(__file__).resolve().parent / "schedules.yml"

#: A schedule file is a few kilobytes; anything near this is a mistake.
MAX_FILE_BYTES = 1_000_000
#: Job names: they become Snowflake task names and file names.
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class ScheduleError(ConfigurationError):
    """The schedule file is missing or wrong; the message names the entry."""


def _previous_week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday() + 7)


def _previous_month(day: dt.date) -> str:
    first = day.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


@dataclass(frozen=True)
class Placeholder:
    """A value computed from the day a run was due: in Python for the local
    scheduler and as Snowflake SQL (over ``CURRENT_DATE()`` in UTC) for tasks."""

    description: str
    value: Callable[[dt.date], str]
    snowflake_sql: str


#: Today in UTC, whatever the session's TIMEZONE (a task runs with the
#: account's, often America/Los_Angeles, where 06:00 UTC is still yesterday).
#: DATE_TRUNC(WEEK, ...) assumes WEEK_START 0 or 1: weeks start on Monday.
_UTC_TODAY = "TO_DATE(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()))"

#: The placeholders report parameters may use, by name.
PLACEHOLDERS: Mapping[str, Placeholder] = {
    "due_date": Placeholder(
        "the day the run was due",
        lambda day: day.isoformat(),
        f"TO_VARCHAR({_UTC_TODAY}, 'YYYY-MM-DD')",
    ),
    "previous_day": Placeholder(
        "the day before the run was due",
        lambda day: (day - dt.timedelta(days=1)).isoformat(),
        f"TO_VARCHAR(DATEADD(DAY, -1, {_UTC_TODAY}), 'YYYY-MM-DD')",
    ),
    "previous_week_start": Placeholder(
        "the Monday of the ISO week before",
        lambda day: _previous_week_start(day).isoformat(),
        f"TO_VARCHAR(DATEADD(WEEK, -1, DATE_TRUNC(WEEK, {_UTC_TODAY})), 'YYYY-MM-DD')",
    ),
    "previous_month": Placeholder(
        "the month before, YYYY-MM",
        _previous_month,
        f"TO_VARCHAR(DATEADD(MONTH, -1, DATE_TRUNC(MONTH, {_UTC_TODAY})), 'YYYY-MM')",
    ),
}


@dataclass(frozen=True)
class Job:
    """One scheduled entry."""

    name: str
    cron: str
    kind: str  # "build" or "report"

    def next_runs(self, after: dt.datetime, count: int = 1) -> list[dt.datetime]:
        """The next ``count`` times (UTC) strictly after ``after``."""
        runs = croniter(self.cron, _utc(after))
        return [runs.get_next(dt.datetime) for _ in range(count)]

    def previous_run(self, at: dt.datetime) -> dt.datetime:
        """The latest time the job was due at or before ``at`` (UTC)."""
        # croniter's previous time is strictly before its start: start just after ``at``.
        runs = croniter(self.cron, _utc(at) + dt.timedelta(seconds=1))
        previous: dt.datetime = runs.get_prev(dt.datetime)
        return previous


@dataclass(frozen=True)
class BuildJob(Job):
    """``analytics build`` on a clock."""

    full_refresh: bool = False
    freshness: bool = True
    #: Also generate the dbt docs site (``analytics build --docs``).
    docs: bool = False
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def build_args(self) -> list[str]:
        """The arguments of ``analytics build`` that run this job."""
        args = ["--full-refresh"] if self.full_refresh else []
        args += ["--freshness" if self.freshness else "--no-freshness"]
        if self.docs:
            args.append("--docs")
        for selector in self.select:
            args += ["--select", selector]
        for selector in self.exclude:
            args += ["--exclude", selector]
        return args


@dataclass(frozen=True)
class ReportJob(Job):
    """A report the report service renders on a clock."""

    report_type: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    formats: tuple[str, ...] = ("html",)

    def params_for(self, due: dt.datetime) -> dict[str, Any]:
        """The parameters of the run due at ``due``: placeholders filled in."""
        day = _utc(due).date()
        return {key: _fill(value, day) for key, value in self.params.items()}

    def snowflake_params(self) -> list[tuple[str, str | None, Any]]:
        """``(key, SQL expression or None, literal)`` per parameter, for the task DDL:
        a value that is exactly one placeholder is computed in Snowflake."""
        out: list[tuple[str, str | None, Any]] = []
        for key, value in self.params.items():
            match = _PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
            if match:
                out.append((key, PLACEHOLDERS[match.group(1)].snowflake_sql, None))
            elif isinstance(value, str) and _PLACEHOLDER.search(value):
                # Text around a placeholder: only the local scheduler can fill it.
                raise ScheduleError(
                    f"reports ({self.name}): parameter {key!r} mixes text and a placeholder;"
                    " use the placeholder alone"
                )
            else:
                out.append((key, None, value))
        return out


@dataclass(frozen=True)
class Schedule:
    """The whole file: build jobs and report jobs."""

    path: Path
    builds: tuple[BuildJob, ...]
    reports: tuple[ReportJob, ...]
    #: Who receives which report job (analytics_core/subscriptions.py).
    subscriptions: tuple[Subscription, ...] = ()
    #: Conditions on metrics and on data quality (analytics_core/alerts.py).
    alerts: tuple[Alert, ...] = ()

    @property
    def jobs(self) -> tuple[Job, ...]:
        return (*self.builds, *self.reports)

    def job(self, name: str) -> Job:
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(name)

    def alerts_after(self, build_job: str) -> tuple[Alert, ...]:
        """The alerts evaluated once ``build_job`` has published (Alert.runs_after)."""
        return tuple(a for a in self.alerts if a.runs_after(build_job))

    def report_cron(self, report_type: str) -> str | None:
        """The cron of the first job rendering ``report_type`` (the catalog shows it)."""
        return next((j.cron for j in self.reports if j.report_type == report_type), None)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _fill(value: Any, day: dt.date) -> Any:
    if not isinstance(value, str):
        return value
    return _PLACEHOLDER.sub(lambda m: PLACEHOLDERS[m.group(1)].value(day), value)


# --------------------------------------------------------------------------- loading


def _check_cron(where: str, cron: Any) -> str:
    if not isinstance(cron, str) or not cron.strip():
        raise ScheduleError(f"{where}: cron must be a text like '0 6 * * *'")
    cron = " ".join(cron.split())
    if len(cron.split(" ")) != 5:
        raise ScheduleError(
            f"{where}: cron {cron!r} must have five fields"
            " (minute hour day-of-month month day-of-week), in UTC"
        )
    if not croniter.is_valid(cron):
        raise ScheduleError(f"{where}: cron {cron!r} is not a valid cron expression")
    return str(cron)


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ScheduleError(f"{where}: {key} must be a list of texts")
    return tuple(value)


def _bool(where: str, key: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ScheduleError(f"{where}: {key} must be true or false")
    return value


def _entries(data: Mapping[str, Any], section: str) -> Iterator[tuple[str, dict[str, Any]]]:
    entries = data.get(section) or []
    if not isinstance(entries, list):
        raise ScheduleError(f"{section}: must be a list of entries")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ScheduleError(f"{section}[{index}]: must be a mapping with name and cron")
        name = entry.get("name")
        label = f"{section}[{index}]" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ScheduleError(
                f"{label}: name must be lower case letters, digits and _ (at most 63),"
                " starting with a letter"
            )
        yield label, entry


def _unknown_keys(where: str, entry: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ScheduleError(
            f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(sorted(allowed))}"
        )


def _params(where: str, params: Any) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise ScheduleError(f"{where}: params must be a mapping of parameter names to values")
    for key, value in params.items():
        if isinstance(value, str):
            for name in _PLACEHOLDER.findall(value):
                if name not in PLACEHOLDERS:
                    raise ScheduleError(
                        f"{where}: parameter {key!r} uses an unknown placeholder {{{name}}};"
                        f" the placeholders are {', '.join(sorted(PLACEHOLDERS))}"
                    )
    return dict(params)


def parse_schedule(text: str, path: Path = DEFAULT_SCHEDULE_FILE) -> Schedule:
    """The schedule in ``text`` (YAML), checked; :class:`ScheduleError` names a bad entry."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ScheduleError(f"{path.name} is not valid YAML{at}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScheduleError(f"{path.name}: the top level must be a mapping (builds, reports)")
    _unknown_keys(path.name, data, {"builds", "reports", "subscriptions", "alerts"})

    builds = []
    for where, entry in _entries(data, "builds"):
        _unknown_keys(
            where,
            entry,
            {"name", "cron", "full_refresh", "freshness", "docs", "select", "exclude"},
        )
        builds.append(
            BuildJob(
                name=entry["name"],
                cron=_check_cron(where, entry.get("cron")),
                kind="build",
                full_refresh=_bool(where, "full_refresh", entry.get("full_refresh"), False),
                freshness=_bool(where, "freshness", entry.get("freshness"), True),
                docs=_bool(where, "docs", entry.get("docs"), False),
                select=_strings(where, "select", entry.get("select")),
                exclude=_strings(where, "exclude", entry.get("exclude")),
            )
        )
    reports = []
    for where, entry in _entries(data, "reports"):
        _unknown_keys(where, entry, {"name", "cron", "report_type", "params", "formats"})
        report_type = entry.get("report_type")
        if not isinstance(report_type, str) or not report_type:
            raise ScheduleError(f"{where}: report_type is missing")
        formats = _strings(where, "formats", entry.get("formats")) or ("html",)
        job = ReportJob(
            name=entry["name"],
            cron=_check_cron(where, entry.get("cron")),
            kind="report",
            report_type=report_type,
            params=_params(where, entry.get("params")),
            formats=formats,
        )
        job.snowflake_params()  # text around a placeholder is refused here
        reports.append(job)

    seen: set[str] = set()
    for name in [b.name for b in builds] + [r.name for r in reports]:
        if name in seen:
            raise ScheduleError(f"{path.name}: two jobs are named {name!r}")
        seen.add(name)
    try:
        subscriptions = parse_subscriptions(data.get("subscriptions"), [r.name for r in reports])
        alerts = parse_alerts(
            data.get("alerts"), [b.name for b in builds], [s.name for s in subscriptions]
        )
    except SubscriptionError as exc:  # one kind of error for the whole file
        raise ScheduleError(str(exc)) from None
    return Schedule(
        path=path,
        builds=tuple(builds),
        reports=tuple(reports),
        subscriptions=subscriptions,
        alerts=alerts,
    )


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, size: int) -> Schedule:
    return parse_schedule(path.read_text(encoding="utf-8"), path)


def load_schedule(path: Path | None = None) -> Schedule:
    """The schedule file, parsed and checked (cached until the file changes)."""
    path = (path or DEFAULT_SCHEDULE_FILE).resolve()
    try:
        stat = path.stat()
    except OSError:
        raise ScheduleError(f"the schedule file {path} cannot be read") from None
    if stat.st_size > MAX_FILE_BYTES:
        raise ScheduleError(
            f"the schedule file {path} is {stat.st_size:,} bytes; at most {MAX_FILE_BYTES:,}"
        )
    return _load(path, stat.st_mtime_ns, stat.st_size)


def check_reports(schedule: Schedule, catalog: Mapping[str, Any]) -> None:
    """Report types, formats and parameters of every report job against the
    report catalog (``report_type -> ReportDefinition``); parameters are
    checked with placeholders filled in for a sample due time."""
    sample = dt.datetime(2026, 6, 1, 6, 0, tzinfo=dt.UTC)
    for index, job in enumerate(schedule.reports):
        where = f"reports[{index}] ({job.name})"
        definition = catalog.get(job.report_type)
        if definition is None:
            raise ScheduleError(
                f"{where}: unknown report_type {job.report_type!r};"
                f" the report types are {', '.join(sorted(catalog))}"
            )
        bad = [f for f in job.formats if f not in definition.formats]
        if bad:
            raise ScheduleError(
                f"{where}: unknown format {bad[0]!r}; the formats are"
                f" {', '.join(definition.formats)}"
            )
        _validate_params(where, definition, job.params_for(sample))
    jobs = {job.name: job for job in schedule.reports}
    for index, subscription in enumerate(schedule.subscriptions):
        job = jobs[subscription.report]
        definition = catalog[job.report_type]
        for number, recipient in enumerate(subscription.recipients):
            where = f"subscriptions[{index}] ({subscription.name}) recipients[{number}]"
            bad = [f for f in recipient.formats if f not in definition.formats]
            if bad:
                raise ScheduleError(
                    f"{where}: {job.report_type} has no format {bad[0]!r}; its formats are"
                    f" {', '.join(definition.formats)}"
                )
            _validate_params(where, definition, {**job.params_for(sample), **recipient.params})


def _validate_params(where: str, definition: Any, params: Mapping[str, Any]) -> None:
    """The report's own check of ``params``; its message names the parameter."""
    try:
        definition.validate_params(params)
    except ConfigurationError:
        raise
    except Exception as exc:
        raise ScheduleError(f"{where}: {exc}") from None


def describe(jobs: Sequence[Job], now: dt.datetime, count: int = 3) -> list[dict[str, Any]]:
    """Each job with its next ``count`` run times (for ``analytics schedules``)."""
    rows = []
    for job in jobs:
        rows.append(
            {
                "name": job.name,
                "kind": job.kind,
                "cron": job.cron,
                "next": [t.isoformat() for t in job.next_runs(now, count)],
            }
        )
    return rows
