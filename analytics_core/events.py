"""Operational events: one JSON line per state change, in one stream per kind.

Three kinds of event, each with its own stream (folder):

- ``report_jobs``: the report service writes a :class:`ReportJobEvent` every
  time a job changes status (``queued`` -> ``running`` -> ``succeeded`` or
  ``failed``);
- ``scheduler_runs``: the local scheduler writes a :class:`SchedulerRunEvent`
  when an attempt of a scheduled job starts and when it ends (``running`` ->
  ``succeeded``, ``retrying`` or ``failed``);
- ``deliveries``: the report service writes a :class:`DeliveryEvent` when a
  delivery (a subscription's report or an alert, to one recipient, for one
  due time) is queued and when each attempt to send it ends (``sent``,
  ``retrying`` or ``failed``).

The events land as JSON-lines files:

- locally under ``$ANALYTICS_HOME/events/<stream>/date=YYYY-MM-DD/``,
  one file per UTC day and writer process (``<host>-<pid>.jsonl``), appended
  one whole line per ``write`` call;
- in AWS under ``s3://bucket/prefix/<stream>/date=YYYY-MM-DD/``, one small
  object per batch (``<uuid>.jsonl``; S3 cannot append). Snowpipe loads them
  into Snowflake (``dbt_project/macros/monitoring/report_events_ddl.sql``).

dbt reads them into ``monitoring.report_job_events`` / ``report_jobs`` /
``report_jobs_daily`` and ``monitoring.scheduler_run_events`` /
``scheduler_runs``. Each event schema is defined once, here; its JSON Schema
is exported to ``analytics_core/schemas/<stream singular>_event.schema.json``
(``python -m analytics_core.events`` rewrites them; a test checks they are
current).

``event_id`` is unique per event (not per delivery): a retried write of the same
event keeps its ``event_id``, and dbt keeps one row per ``event_id``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Final, Literal
from urllib.parse import urlparse

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
)

from analytics_core.errors import AnalyticsError, ConfigurationError
from analytics_core.settings import Settings

#: Bumped when the event's shape changes incompatibly; readers branch on it.
SCHEMA_VERSION: Final = 1
#: Where the committed JSON Schemas of the events are.
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
#: The committed JSON Schema of :class:`ReportJobEvent`.
SCHEMA_PATH = SCHEMAS_DIR / "report_job_event.schema.json"
#: Folder (under the events root, local or S3) that holds report job events.
STREAM = "report_jobs"
#: Folder that holds scheduler run events.
SCHEDULER_STREAM = "scheduler_runs"
#: Folder that holds delivery events (subscriptions and alerts sent).
DELIVERY_STREAM = "deliveries"

#: Bounds: no event may make a line (or a warehouse row) unreasonably large.
MAX_JOB_ID_LENGTH = 128
MAX_REPORT_TYPE_LENGTH = 64
MAX_ERROR_LENGTH = 4000
MAX_PARAMS_BYTES = 8192
MAX_PARAMS_DEPTH = 8
MAX_LINE_BYTES = 16384
#: A job never runs for more than a week; a larger duration is a bug upstream.
MAX_DURATION_MS = 7 * 24 * 3600 * 1000
MAX_JOB_NAME_LENGTH = 64
MAX_DETAIL_LENGTH = 4000
#: More attempts than this is a misconfiguration (SCHEDULER_MAX_ATTEMPTS is at most 10).
MAX_ATTEMPT = 100

Status = Literal["queued", "running", "succeeded", "failed"]
Trigger = Literal["api", "external_function", "schedule"]
STATUSES: tuple[Status, ...] = ("queued", "running", "succeeded", "failed")
TRIGGERS: tuple[Trigger, ...] = ("api", "external_function", "schedule")
RunStatus = Literal["running", "succeeded", "retrying", "failed"]
RunKind = Literal["build", "report"]
RUN_STATUSES: tuple[RunStatus, ...] = ("running", "succeeded", "retrying", "failed")
RUN_KINDS: tuple[RunKind, ...] = ("build", "report")
DeliveryStatus = Literal["queued", "sent", "retrying", "failed"]
DeliveryKind = Literal["subscription", "alert"]
DeliveryChannel = Literal["email", "slack", "teams", "webhook"]
DELIVERY_STATUSES: tuple[DeliveryStatus, ...] = ("queued", "sent", "retrying", "failed")
MAX_RECIPIENT_LENGTH = 100

#: Printable text: no control characters (a newline would split a JSON line
#: only if it were not escaped, but it has no business in an id either).
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"

JobId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_JOB_ID_LENGTH, pattern=_PRINTABLE),
]
ReportType = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=MAX_REPORT_TYPE_LENGTH,
        pattern=r"^[a-z][a-z0-9_]*$",
    ),
]


class InvalidEventError(AnalyticsError, ValueError):
    """An event does not match its schema; nothing was written."""


class Event(BaseModel):
    """What every event has: a version, a unique id, a UTC time and a stream."""

    #: The folder (under the events root) this kind of event goes to.
    stream: ClassVar[str]
    #: The committed JSON Schema file of this kind of event.
    schema_path: ClassVar[Path]

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="Version of this event schema."
    )
    event_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Unique per event; a re-delivered event keeps it (de-duplication key).",
    )
    at: AwareDatetime = Field(description="When the change happened (UTC, ISO 8601).")

    @field_validator("at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def to_line(self) -> bytes:
        """The event as one JSON line (UTF-8, ending in a newline)."""
        line = self.model_dump_json().encode("utf-8") + b"\n"
        if len(line) > MAX_LINE_BYTES:
            raise InvalidEventError(
                f"event {self.event_id} is {len(line)} bytes as JSON; at most {MAX_LINE_BYTES}"
            )
        return line


class ReportJobEvent(Event):
    """One state change of one report job."""

    stream: ClassVar[str] = STREAM
    schema_path: ClassVar[Path] = SCHEMA_PATH

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="ReportJobEvent",
        json_schema_extra={
            "$id": "https://analytics-platform/schemas/report_job_event.schema.json",
            "description": (
                "One state change of one report job, written by the report service "
                "as one JSON line. Defined by analytics_core.events.ReportJobEvent."
            ),
        },
    )

    job_id: JobId = Field(description="The report job (as in the report service API).")
    report_type: ReportType = Field(description="Report type, e.g. daily_sales.")
    params: dict[str, JsonValue] = Field(
        default_factory=dict,
        description=(
            f"The job's report parameters: a JSON object of at most {MAX_PARAMS_BYTES} "
            f"bytes, nested at most {MAX_PARAMS_DEPTH} deep."
        ),
    )
    status: Status = Field(description="The job's status after this change.")
    duration_ms: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_DURATION_MS,
        description="Run time in milliseconds once the job finished, else null.",
    )
    error: Annotated[str, StringConstraints(max_length=MAX_ERROR_LENGTH)] | None = Field(
        default=None, description="Why the job failed (status failed), else null."
    )
    trigger: Trigger = Field(description="What started the job.")

    @field_validator("params")
    @classmethod
    def _bounded_params(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        size = len(encoded.encode("utf-8"))
        if size > MAX_PARAMS_BYTES:
            raise ValueError(f"params are {size} bytes as JSON; at most {MAX_PARAMS_BYTES}")
        depth = _depth(value)
        if depth > MAX_PARAMS_DEPTH:
            raise ValueError(f"params are nested {depth} deep; at most {MAX_PARAMS_DEPTH}")
        return value


class SchedulerRunEvent(Event):
    """One attempt of one scheduled job starting or ending (the local scheduler)."""

    stream: ClassVar[str] = SCHEDULER_STREAM
    schema_path: ClassVar[Path] = SCHEMAS_DIR / "scheduler_run_event.schema.json"

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="SchedulerRunEvent",
        json_schema_extra={
            "$id": "https://analytics-platform/schemas/scheduler_run_event.schema.json",
            "description": (
                "One attempt of one scheduled job starting or ending, written by the "
                "scheduler as one JSON line. Defined by analytics_core.events.SchedulerRunEvent."
            ),
        },
    )

    job: Annotated[
        str,
        StringConstraints(
            min_length=1, max_length=MAX_JOB_NAME_LENGTH, pattern=r"^[a-z][a-z0-9_]*$"
        ),
    ] = Field(description="The job's name in analytics_core/schedules.yml.")
    kind: RunKind = Field(description="build (analytics build) or report (a report job).")
    due_at: AwareDatetime = Field(
        description="The time the run was due (UTC); a run is one (job, due_at)."
    )
    attempt: StrictInt = Field(ge=1, le=MAX_ATTEMPT, description="The attempt, from 1.")
    status: RunStatus = Field(
        description=(
            "running when the attempt starts; succeeded, retrying (failed, another "
            "attempt is planned) or failed (no attempt left) when it ends."
        )
    )
    duration_ms: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_DURATION_MS,
        description="How long the attempt ran in milliseconds once it ended, else null.",
    )
    detail: Annotated[str, StringConstraints(max_length=MAX_DETAIL_LENGTH)] | None = Field(
        default=None,
        description="What the attempt did (e.g. the report job id) or why it failed, else null.",
    )
    next_attempt_at: AwareDatetime | None = Field(
        default=None, description="When the next attempt is planned (status retrying), else null."
    )

    @field_validator("due_at", "next_attempt_at")
    @classmethod
    def _times_in_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)


class DeliveryEvent(Event):
    """One delivery (a subscription's or an alert's message to one recipient for
    one due time) made, or one attempt to send it ending (the report service)."""

    stream: ClassVar[str] = DELIVERY_STREAM
    schema_path: ClassVar[Path] = SCHEMAS_DIR / "delivery_event.schema.json"

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="DeliveryEvent",
        json_schema_extra={
            "$id": "https://analytics-platform/schemas/delivery_event.schema.json",
            "description": (
                "One delivery queued, or one attempt to send it ending, written by the "
                "report service as one JSON line. Defined by analytics_core.events.DeliveryEvent."
            ),
        },
    )

    delivery_id: JobId = Field(
        description="The delivery: one (subscription or alert, recipient, due time)."
    )
    kind: DeliveryKind = Field(description="subscription (a scheduled report) or alert.")
    source: Annotated[
        str,
        StringConstraints(
            min_length=1, max_length=MAX_JOB_NAME_LENGTH, pattern=r"^[a-z][a-z0-9_]*$"
        ),
    ] = Field(description="The subscription's or alert's name in the schedule file.")
    recipient: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_RECIPIENT_LENGTH, pattern=_PRINTABLE),
    ] = Field(description="The recipient's name in its subscription or alert.")
    channel: DeliveryChannel = Field(description="email, slack, teams or webhook.")
    due_at: AwareDatetime = Field(description="The time the delivery was due (UTC).")
    attempt: StrictInt = Field(
        ge=0, le=MAX_ATTEMPT, description="The attempt, from 1; 0 when the delivery is queued."
    )
    status: DeliveryStatus = Field(
        description=(
            "queued when the delivery is made; sent, retrying (failed, another attempt "
            "is planned) or failed (no attempt left, or a failure retrying cannot mend) "
            "when an attempt ends."
        )
    )
    report_job_id: JobId | None = Field(
        default=None, description="The report job whose files the delivery sends, if any."
    )
    delivered_as: Literal["attach", "link"] | None = Field(
        default=None,
        description="How the report went (status sent): attached, or linked (too large).",
    )
    duration_ms: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_DURATION_MS,
        description="How long the attempt took in milliseconds once it ended, else null.",
    )
    detail: Annotated[str, StringConstraints(max_length=MAX_DETAIL_LENGTH)] | None = Field(
        default=None,
        description="What was sent (status sent) or why the attempt failed, else null.",
    )
    next_attempt_at: AwareDatetime | None = Field(
        default=None, description="When the next attempt is planned (status retrying), else null."
    )

    @field_validator("due_at", "next_attempt_at")
    @classmethod
    def _times_in_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)


#: Every kind of event, by stream.
EVENT_TYPES: dict[str, type[Event]] = {
    STREAM: ReportJobEvent,
    SCHEDULER_STREAM: SchedulerRunEvent,
    DELIVERY_STREAM: DeliveryEvent,
}
#: Each stream's landing table in the warehouse (schema ``monitoring_raw``),
#: one row per line as text: Snowpipe fills them on Snowflake, a local build
#: (``orchestration.local_events``) on DuckDB. dbt gets this mapping as the
#: generated macro ``event_streams()``.
LANDING_TABLES: dict[str, str] = {
    STREAM: "report_job_events",
    SCHEDULER_STREAM: "scheduler_run_events",
    DELIVERY_STREAM: "delivery_events",
}


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def validate_event(event: Event | Mapping[str, Any], kind: type[Event] = ReportJobEvent) -> Event:
    """The event validated (again, for instances built without validation).
    An :class:`Event` is checked against its own class; a mapping against
    ``kind`` (a report job event unless said otherwise)."""
    model = type(event) if isinstance(event, Event) else kind
    data = event.model_dump(warnings=False) if isinstance(event, Event) else event
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        noun = model.__name__.removesuffix("Event")
        words = "".join(f" {c.lower()}" if c.isupper() else c for c in noun).strip()
        raise InvalidEventError(f"invalid {words} event: {problems}") from None


def encode_batch(
    events: Iterable[Event | Mapping[str, Any]], kind: type[Event] = ReportJobEvent
) -> list[bytes]:
    """Validate every event of a batch and return their lines; raise before
    anything is written if one of them is invalid."""
    return [validate_event(event, kind).to_line() for event in events]


def event_json_schema(kind: type[Event] = ReportJobEvent) -> dict[str, Any]:
    """The JSON Schema of an event class (what its committed file holds)."""
    schema = kind.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_json_schema(kind: type[Event] = ReportJobEvent) -> str:
    return json.dumps(event_json_schema(kind), indent=2, sort_keys=True) + "\n"


def partition(at: datetime, stream: str = STREAM) -> str:
    """The folder of a stream's UTC day, e.g. ``report_jobs/date=YYYY-MM-DD``."""
    return f"{stream}/date={at.astimezone(UTC).date().isoformat()}"


class EventSink(ABC):
    """Where events go, each to its stream's folder. ``write`` validates the
    whole batch first: an invalid event raises :class:`InvalidEventError` and
    nothing is written. A mapping is read as a report job event."""

    def emit(self, event: Event | Mapping[str, Any]) -> None:
        self.write([event])

    def write(self, events: Iterable[Event | Mapping[str, Any]]) -> None:
        batch = [validate_event(event) for event in events]
        lines = [event.to_line() for event in batch]
        if lines:
            self._write(batch, lines)

    @abstractmethod
    def _write(self, events: list[Event], lines: list[bytes]) -> None: ...


class LocalEventSink(EventSink):
    """Appends to ``<root>/<stream>/date=YYYY-MM-DD/<host>-<pid>.jsonl``.

    Each line goes out in one ``write`` on a descriptor opened with
    ``O_APPEND``, so concurrent writers (other processes have their own file;
    threads share one under a lock) never interleave or leave half a line.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        host = socket.gethostname().split(".")[0] or "host"
        self._writer = "".join(c if c.isalnum() or c in "-_" else "_" for c in host)

    def path_for(self, at: datetime, stream: str = STREAM) -> Path:
        return self.root / partition(at, stream) / f"{self._writer}-{os.getpid()}.jsonl"

    def _write(self, events: list[Event], lines: list[bytes]) -> None:
        with self._lock:
            for event, line in zip(events, lines, strict=True):
                self._append(self.path_for(event.at, event.stream), line)

    @staticmethod
    def _append(path: Path, line: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                # A process that died mid-line left a fragment: end it, so it
                # is one rejected line and does not swallow this event.
                line = b"\n" + line
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"short write to {path}: {written} of {len(line)} bytes")
        finally:
            os.close(fd)


class S3EventSink(EventSink):
    """Puts each batch as one object
    ``s3://<bucket>/<prefix>/<stream>/date=YYYY-MM-DD/<uuid>.jsonl``
    (per stream and UTC day of the events in it)."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        if not bucket:
            raise ConfigurationError("an S3 event sink needs a bucket")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3  # type: ignore[import-untyped]

            client = boto3.client("s3")
        self.client = client

    def key_for(self, at: datetime, stream: str = STREAM) -> str:
        parts = [self.prefix, partition(at, stream), f"{uuid.uuid4()}.jsonl"]
        return "/".join(p for p in parts if p)

    def _write(self, events: list[Event], lines: list[bytes]) -> None:
        by_day: dict[str, tuple[datetime, str, list[bytes]]] = {}
        for event, line in zip(events, lines, strict=True):
            folder = partition(event.at, event.stream)
            by_day.setdefault(folder, (event.at, event.stream, []))[2].append(line)
        for at, stream, day_lines in by_day.values():
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key_for(at, stream),
                Body=b"".join(day_lines),
                ContentType="application/x-ndjson",
            )


def sink_from_url(url: str | None, local_root: Path, client: Any = None) -> EventSink:
    """``None`` -> local files under ``local_root``; ``s3://bucket/prefix`` -> S3."""
    if not url:
        return LocalEventSink(local_root)
    parsed = urlparse(url)
    if parsed.scheme == "s3" and parsed.netloc:
        return S3EventSink(parsed.netloc, parsed.path, client=client)
    if parsed.scheme == "file":
        return LocalEventSink(Path(parsed.path))
    raise ConfigurationError(
        f"ANALYTICS_EVENTS_URL must be s3://bucket/prefix or file:///path, not {url!r}"
    )


def event_sink(settings: Settings, client: Any = None) -> EventSink:
    """The sink the settings choose (``ANALYTICS_EVENTS_URL``, else the local events folder)."""
    return sink_from_url(settings.events_url, settings.events_dir, client=client)


#: The dbt project's copy of the schemas (dbt cannot read a file: the schemas
#: reach its SQL as a macro). In a source checkout only.
DBT_SCHEMAS_MACRO = (
    Path(__file__).resolve().parent.parent / "dbt_project/macros/monitoring/event_schemas.sql"
)


def render_dbt_schemas() -> str:
    """The macro file ``event_json_schema(stream)``: each stream's JSON Schema,
    for the staging models that check landed lines against it."""
    parts = [
        "{#- Written by `uv run python -m analytics_core.events` from the event classes of",
        "    analytics_core/events.py (the JSON Schemas of analytics_core/schemas/). Do not",
        "    edit: a test fails when this file and the classes disagree. -#}",
        "{# The event streams (folders under the events root) and their landing tables. #}",
        "{% macro event_streams() %}",
        "    {{ return(" + json.dumps(dict(sorted(LANDING_TABLES.items()))) + ") }}",
        "{% endmacro %}",
        "",
        "{# A stream's JSON Schema, as a mapping. #}",
        "{% macro event_json_schema(stream) %}",
        "{%- set schemas = {} -%}",
    ]
    for stream, kind in sorted(EVENT_TYPES.items()):
        text = json.dumps(event_json_schema(kind), sort_keys=True, separators=(",", ":"))
        parts += [
            "{%- set text -%}{% raw %}" + text + "{% endraw %}{%- endset -%}",
            "{%- do schemas.update({'" + stream + "': fromjson(text)}) -%}",
        ]
    parts += [
        "{%- if stream not in schemas -%}",
        "    {{ exceptions.raise_compiler_error('no event schema for stream ' ~ stream"
        " ~ '; streams: ' ~ (schemas.keys() | sort | join(', '))) }}",
        "{%- endif -%}",
        "{{ return(schemas[stream]) }}",
        "{% endmacro %}",
    ]
    return "\n".join(parts) + "\n"


def main() -> None:
    """``python -m analytics_core.events``: rewrite the committed JSON Schemas
    and, in a source checkout, the dbt project's copy of them."""
    for kind in EVENT_TYPES.values():
        kind.schema_path.parent.mkdir(parents=True, exist_ok=True)
        kind.schema_path.write_text(render_json_schema(kind), encoding="utf-8")
        sys.stdout.write(f"wrote {kind.schema_path}\n")
    if DBT_SCHEMAS_MACRO.parent.is_dir():
        DBT_SCHEMAS_MACRO.write_text(render_dbt_schemas(), encoding="utf-8")
        sys.stdout.write(f"wrote {DBT_SCHEMAS_MACRO}\n")


if __name__ == "__main__":
    main()
