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

from analytics_core.warehouse import QueryResult, WarehouseClient, bind_names
from report_service.models import FORMATS, InvalidRequestError, ReportError
from report_service.reports.document import ReportDocument

#: Dates a report may be asked about.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")


def _in_range(day: dt.date) -> dt.date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}")
    return day


def _parse_date(value: Any) -> dt.date | None:
    """Only ``YYYY-MM-DD`` strings (or ``date`` objects from Python callers);
    ``None`` means "the default"."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a timestamp")
    if isinstance(value, dt.date):
        return _in_range(value)
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date string YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None
    return _in_range(day)


def _parse_month(value: Any) -> dt.date | None:
    """``YYYY-MM`` strings, as the first day of the month (or, from Python
    callers, the ``date`` of a month's first day); ``None`` is the default."""
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if value.day != 1:
            raise ValueError("must be a month (YYYY-MM), or the date of a month's first day")
        return _in_range(value)
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
        raise ValueError(f"must be a Monday (ISO week start); {day.isoformat()} is a {day:%A}")
    return day


_DATE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date",
    "formatMinimum": MIN_DATE.isoformat(),
    "formatMaximum": MAX_DATE.isoformat(),
}

# Every parameter type round-trips: ``validate(dump(validate(x))) == validate(x)``
# for a JSON dump (what a job stores and a worker validates again) and a
# Python one. A date dumps as ``YYYY-MM-DD``; a month needs its serializer.

#: An optional calendar day given as ``"YYYY-MM-DD"``.
IsoDate = Annotated[dt.date | None, BeforeValidator(_parse_date), WithJsonSchema(_DATE_SCHEMA)]
#: An optional Monday given as ``"YYYY-MM-DD"``.
IsoMonday = Annotated[
    dt.date | None,
    BeforeValidator(_parse_date),
    AfterValidator(_monday),
    WithJsonSchema({**_DATE_SCHEMA, "description": "a Monday (ISO week start)"}),
]
#: An optional month given as ``"YYYY-MM"``, held as its first day; dumped
#: to JSON as ``"YYYY-MM"`` again.
IsoMonth = Annotated[
    dt.date | None,
    BeforeValidator(_parse_month),
    PlainSerializer(_month_text, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "examples": ["2026-05"]}
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
