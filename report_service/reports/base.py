"""What a report is: its parameters, the relations it reads and its queries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)

from analytics_core.periods import MAX_PHRASE_CHARS, Period, PeriodError, resolve_phrase
from analytics_core.warehouse import QueryResult, WarehouseClient, bind_names
from report_service.models import FORMATS, InvalidRequestError, ReportError
from report_service.reports.document import ReportDocument

#: Dates a report may be asked about.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
#: Strings of digits and date punctuation only are machine forms: they must be
#: ``YYYY-MM-DD`` (or ``YYYY-MM``) exactly, as they always had to be, so
#: "30/06/2026" is still refused rather than guessed. Any other string is a
#: period phrase ("last week", "June 3"), read by :mod:`analytics_core.periods`
#: against today (UTC).
_MACHINE_FORM = re.compile(r"^[\d\s\-/.:T+Z]*$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")


def _in_range(day: dt.date) -> dt.date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}")
    return day


def _phrase(value: str, wanted: str, examples: str) -> Period:
    """The period a phrase names, or a ValueError that says what was wanted."""
    try:
        return resolve_phrase(value, utc_today())
    except PeriodError as exc:
        raise ValueError(f"{wanted} or a period phrase such as {examples}: {exc}") from None


def _described(period: Period) -> str:
    if period.start is not None and period.end is not None:
        return f"{period.label} ({period.start.isoformat()} to {period.end.isoformat()})"
    return period.label


_DAY_WANTED = "must be a date string YYYY-MM-DD"
_DAY_EXAMPLES = "'yesterday', 'last Friday' or 'June 3'"


def _phrase_day(value: str) -> dt.date:
    """The one day a phrase names ("yesterday", "last Friday", "3 June 2026")."""
    period = _phrase(value, _DAY_WANTED, _DAY_EXAMPLES)
    if period.start is None or period.start != period.end:
        raise ValueError(f"the phrase names {_described(period)}, not a single day")
    return _in_range(period.start)


def _parse_date(value: Any) -> dt.date | None:
    """``YYYY-MM-DD`` strings (or ``date`` objects from Python callers), or a
    phrase naming one day; ``None`` means "the default"."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a timestamp")
    if isinstance(value, dt.date):
        return _in_range(value)
    if isinstance(value, str) and not _MACHINE_FORM.match(value):
        return _phrase_day(value)
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(_DAY_WANTED)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None
    return _in_range(day)


_MONTH_WANTED = "must be a month string YYYY-MM"


def _phrase_month(value: str) -> dt.date:
    """The first day of the month a phrase names: a month ("last month", "May
    2026"), the month so far ("this month", "MTD") or any day in it."""
    period = _phrase(value, _MONTH_WANTED, "'last month', 'this month' or 'May 2026'")
    start, end = period.start, period.end
    if start is None or end is None or (start.year, start.month) != (end.year, end.month):
        raise ValueError(f"the phrase names {_described(period)}, not a month")
    if period.kind not in {"month", "day"} and not (
        period.kind == "to_date" and period.unit == "month"
    ):
        raise ValueError(f"the phrase names {_described(period)}, not a month")
    return _in_range(start.replace(day=1))


def _parse_month(value: Any) -> dt.date | None:
    """``YYYY-MM`` strings, as the first day of the month (or, from Python
    callers, the ``date`` of a month's first day), or a phrase naming a month;
    ``None`` is the default."""
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if value.day != 1:
            raise ValueError("must be a month (YYYY-MM), or the date of a month's first day")
        return _in_range(value)
    if isinstance(value, str) and not _MACHINE_FORM.match(value):
        return _phrase_month(value)
    if not isinstance(value, str) or not _ISO_MONTH.match(value):
        raise ValueError("must be a month string YYYY-MM")
    year, month = int(value[:4]), int(value[5:])
    if not 1 <= month <= 12:
        raise ValueError("must be a month string YYYY-MM with a month from 01 to 12")
    return _in_range(dt.date(year, month, 1))


def _month_text(value: dt.date | None) -> str | None:
    """A month as JSON: ``YYYY-MM``, the form it is validated from."""
    return None if value is None else f"{value.year:04d}-{value.month:02d}"


def _monday(day: dt.date | None) -> dt.date | None:
    if day is not None and day.weekday() != 0:
        raise ValueError(
            f"must be a Monday (ISO week start); {day.isoformat()} is a {day:%A}"
            f" (for the week holding it, write 'week of {day.isoformat()}')"
        )
    return day


def _parse_week_start(value: Any) -> dt.date | None:
    """An ISO date that must be a Monday (checked after), or a phrase naming a
    week ("last week", "this week", "week of June 10", "w/c 8 June", "week 23")
    or any day in one ("yesterday", "last Friday"): that week's Monday."""
    if not isinstance(value, str) or _MACHINE_FORM.match(value):
        return _parse_date(value)
    period = _phrase(value, _DAY_WANTED + " (a Monday)", "'last week' or 'week of June 10'")
    start, end = period.start, period.end
    whole_week = period.kind == "week" or (period.kind == "to_date" and period.unit == "week")
    if start is None or end is None or not (whole_week or start == end):
        raise ValueError(f"the phrase names {_described(period)}, not a week")
    return _in_range(start - dt.timedelta(days=start.weekday()))


# ``format`` is an annotation in JSON Schema 2020-12, so a date field still
# takes a phrase; forms show a date picker for it.
_DATE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date",
    "formatMinimum": MIN_DATE.isoformat(),
    "formatMaximum": MAX_DATE.isoformat(),
    "maxLength": MAX_PHRASE_CHARS,
}

# Every parameter type round-trips: ``validate(dump(validate(x))) == validate(x)``
# for a JSON dump (what a job stores and a worker validates again) and a
# Python one. A date dumps as ``YYYY-MM-DD``; a month needs its serializer.

#: An optional calendar day given as ``"YYYY-MM-DD"``.
IsoDate = Annotated[dt.date | None, BeforeValidator(_parse_date), WithJsonSchema(_DATE_SCHEMA)]
#: An optional Monday given as ``"YYYY-MM-DD"``, or a phrase naming its week.
IsoMonday = Annotated[
    dt.date | None,
    BeforeValidator(_parse_week_start),
    AfterValidator(_monday),
    WithJsonSchema({**_DATE_SCHEMA, "description": "a Monday (ISO week start)"}),
]
#: An optional month given as ``"YYYY-MM"`` or a phrase naming it, held as
#: its first day; dumped to JSON as ``"YYYY-MM"`` again (so a job stores the
#: month a phrase named on the day it was asked, not the phrase).
IsoMonth = Annotated[
    dt.date | None,
    BeforeValidator(_parse_month),
    PlainSerializer(_month_text, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_PHRASE_CHARS,
            "examples": ["2026-05", "last month"],
        }
    ),
]


def describe_validation_error(report_type: str, exc: ValidationError, allowed: list[str]) -> str:
    """One message naming every bad field."""
    problems: list[str] = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]) or "params"
        if error["type"] == "extra_forbidden":
            known = ", ".join(allowed) if allowed else "none"
            problems.append(f"{location}: unknown parameter (allowed: {known})")
            continue
        message = str(error["msg"])
        message = message.removeprefix("Value error, ")
        problems.append(f"{location}: {message}")
    return f"invalid params for {report_type}: " + "; ".join(problems)


class ReportQueries:
    """Runs a report's neutral queries, only on the relations the report declares."""

    def __init__(self, client: WarehouseClient, relations: Mapping[str, tuple[str, ...]]):
        self.client = client
        self.relations = relations

    def run(self, sql: str, **params: Any) -> QueryResult:
        undeclared = set(_PLACEHOLDER.findall(sql)) - set(self.relations)
        if undeclared:
            raise ReportError(f"query reads undeclared relations: {sorted(undeclared)}")
        unused = set(params) - bind_names(sql)
        if unused:
            raise ReportError(f"query does not use parameters: {sorted(unused)}")
        return self.client.query(sql, params)

    def scalar(self, sql: str, **params: Any) -> Any:
        return self.run(sql, **params).scalar()


#: A report's fetching: its typed queries, run for validated parameters; what
#: they return (the report's rows, with the parameters they resolved, such as
#: a default day) is all :data:`Assemble` needs.
Fetch = Callable[[ReportQueries, Any], Any]
#: A report's layout: the document as a pure function of its rows and the
#: time it is generated; no warehouse, so it is tested with literal rows.
Assemble = Callable[[Any, dt.datetime], ReportDocument]


@dataclass(frozen=True)
class ReportDefinition:
    """A report, declared once: parameters, relations read, how its rows are
    fetched and how its document is assembled from them (when it runs is in
    the schedule file, ``analytics_core/schedules.yml``)."""

    report_type: str
    title: str
    description: str
    params_model: type[BaseModel]
    #: Relation -> the columns the report reads from it (checked by /ready;
    #: mirrored by the dbt exposure of the same name).
    relations: Mapping[str, tuple[str, ...]]
    fetch: Fetch
    assemble: Assemble
    formats: tuple[str, ...] = FORMATS

    def validate_params(self, params: Any) -> BaseModel:
        """The validated parameters, or :class:`InvalidRequestError` naming the bad
        fields (anything but a mapping or ``None`` is refused as a whole)."""
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise InvalidRequestError(
                f"invalid params for {self.report_type}: params must be a JSON object",
                code="invalid_params",
            )
        try:
            return self.params_model.model_validate(dict(params))
        except ValidationError as exc:
            allowed = list(self.params_model.model_fields)
            raise InvalidRequestError(
                describe_validation_error(self.report_type, exc, allowed), code="invalid_params"
            ) from None

    @property
    def schedule(self) -> str | None:
        """When the report runs (cron, UTC) per the schedule file; ``None`` when
        only on demand."""
        from analytics_core.schedules import load_schedule

        return load_schedule().report_cron(self.report_type)

    def catalog_entry(self) -> dict[str, Any]:
        """The entry of ``GET /v1/reports``."""
        return {
            "type": self.report_type,
            "title": self.title,
            "description": self.description,
            "params_schema": self.params_model.model_json_schema(),
            "formats": list(self.formats),
            "schedule": self.schedule,
        }

    def build(
        self, client: WarehouseClient, params: BaseModel | Mapping[str, Any]
    ) -> ReportDocument:
        """Query the warehouse and assemble the report's document."""
        if not isinstance(params, self.params_model):
            params = self.validate_params(params)
        rows = self.fetch(ReportQueries(client, self.relations), params)
        return self.assemble(rows, utc_now())


#: The pydantic configuration every params model shares.
PARAMS_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True)


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
