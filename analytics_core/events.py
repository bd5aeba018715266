"""Report job events: one JSON line per job state change.

The report service writes a :class:`ReportJobEvent` every time a job changes
status (``queued`` -> ``running`` -> ``succeeded`` or ``failed``). The events
land as JSON-lines files:

- locally under ``$ANALYTICS_HOME/events/report_jobs/date=YYYY-MM-DD/``,
  one file per UTC day and writer process (``<host>-<pid>.jsonl``), appended
  one whole line per ``write`` call;
- in AWS under ``s3://bucket/prefix/report_jobs/date=YYYY-MM-DD/``, one small
  object per batch (``<uuid>.jsonl``; S3 cannot append). Snowpipe loads them
  into Snowflake (``dbt_project/macros/monitoring/report_events_ddl.sql``).

dbt reads them into ``monitoring.report_job_events`` / ``report_jobs`` /
``report_jobs_daily``. The event schema is defined once, here; its JSON Schema
is exported to ``analytics_core/schemas/report_job_event.schema.json``
(``python -m analytics_core.events`` rewrites it; a test checks it is current).

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
from typing import Annotated, Any, Final, Literal
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
#: The committed JSON Schema of :class:`ReportJobEvent`.
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "report_job_event.schema.json"
#: Folder (under the events root, local or S3) that holds report job events.
STREAM = "report_jobs"

#: Bounds: no event may make a line (or a warehouse row) unreasonably large.
MAX_JOB_ID_LENGTH = 128
MAX_REPORT_TYPE_LENGTH = 64
MAX_ERROR_LENGTH = 4000
MAX_PARAMS_BYTES = 8192
MAX_PARAMS_DEPTH = 8
MAX_LINE_BYTES = 16384
#: A job never runs for more than a week; a larger duration is a bug upstream.
MAX_DURATION_MS = 7 * 24 * 3600 * 1000

Status = Literal["queued", "running", "succeeded", "failed"]
Trigger = Literal["api", "external_function", "schedule"]
STATUSES: tuple[Status, ...] = ("queued", "running", "succeeded", "failed")
TRIGGERS: tuple[Trigger, ...] = ("api", "external_function", "schedule")

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
    """An event does not match :class:`ReportJobEvent`; nothing was written."""


class ReportJobEvent(BaseModel):
    """One state change of one report job."""

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

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="Version of this event schema."
    )
    event_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Unique per event; a re-delivered event keeps it (de-duplication key).",
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
    at: AwareDatetime = Field(description="When the change happened (UTC, ISO 8601).")
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

    @field_validator("at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

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

    def to_line(self) -> bytes:
        """The event as one JSON line (UTF-8, ending in a newline)."""
        line = self.model_dump_json().encode("utf-8") + b"\n"
        if len(line) > MAX_LINE_BYTES:
            raise InvalidEventError(
                f"event {self.event_id} is {len(line)} bytes as JSON; at most {MAX_LINE_BYTES}"
            )
        return line


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def validate_event(event: ReportJobEvent | Mapping[str, Any]) -> ReportJobEvent:
    """The event validated (again, for instances built without validation)."""
    data = event.model_dump(warnings=False) if isinstance(event, ReportJobEvent) else event
    try:
        return ReportJobEvent.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise InvalidEventError(f"invalid report job event: {problems}") from None


def encode_batch(events: Iterable[ReportJobEvent | Mapping[str, Any]]) -> list[bytes]:
    """Validate every event of a batch and return their lines; raise before
    anything is written if one of them is invalid."""
    return [validate_event(event).to_line() for event in events]


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`ReportJobEvent` (what the committed file holds)."""
    schema = ReportJobEvent.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_json_schema() -> str:
    return json.dumps(event_json_schema(), indent=2, sort_keys=True) + "\n"


def partition(at: datetime) -> str:
    """The folder of a UTC day: ``report_jobs/date=YYYY-MM-DD``."""
    return f"{STREAM}/date={at.astimezone(UTC).date().isoformat()}"


class EventSink(ABC):
    """Where report job events go. ``write`` validates the whole batch first:
    an invalid event raises :class:`InvalidEventError` and nothing is written."""

    def emit(self, event: ReportJobEvent | Mapping[str, Any]) -> None:
        self.write([event])

    def write(self, events: Iterable[ReportJobEvent | Mapping[str, Any]]) -> None:
        batch = [validate_event(event) for event in events]
        lines = [event.to_line() for event in batch]
        if lines:
            self._write(batch, lines)

    @abstractmethod
    def _write(self, events: list[ReportJobEvent], lines: list[bytes]) -> None: ...


class LocalEventSink(EventSink):
    """Appends to ``<root>/report_jobs/date=YYYY-MM-DD/<host>-<pid>.jsonl``.

    Each line goes out in one ``write`` on a descriptor opened with
    ``O_APPEND``, so concurrent writers (other processes have their own file;
    threads share one under a lock) never interleave or leave half a line.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        host = socket.gethostname().split(".")[0] or "host"
        self._writer = "".join(c if c.isalnum() or c in "-_" else "_" for c in host)

    def path_for(self, at: datetime) -> Path:
        return self.root / partition(at) / f"{self._writer}-{os.getpid()}.jsonl"

    def _write(self, events: list[ReportJobEvent], lines: list[bytes]) -> None:
        with self._lock:
            for event, line in zip(events, lines, strict=True):
                self._append(self.path_for(event.at), line)

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
    ``s3://<bucket>/<prefix>/report_jobs/date=YYYY-MM-DD/<uuid>.jsonl``
    (per UTC day of the events in it)."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        if not bucket:
            raise ConfigurationError("an S3 event sink needs a bucket")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3  # type: ignore[import-untyped]

            client = boto3.client("s3")
        self.client = client

    def key_for(self, at: datetime) -> str:
        parts = [self.prefix, partition(at), f"{uuid.uuid4()}.jsonl"]
        return "/".join(p for p in parts if p)

    def _write(self, events: list[ReportJobEvent], lines: list[bytes]) -> None:
        by_day: dict[str, tuple[datetime, list[bytes]]] = {}
        for event, line in zip(events, lines, strict=True):
            by_day.setdefault(partition(event.at), (event.at, []))[1].append(line)
        for at, day_lines in by_day.values():
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key_for(at),
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


def event_sink(settings: Settings | None = None, client: Any = None) -> EventSink:
    """The sink the settings choose (``ANALYTICS_EVENTS_URL``, else the local events folder)."""
    settings = settings or Settings()
    return sink_from_url(settings.events_url, settings.events_dir, client=client)


def main() -> None:
    """``python -m analytics_core.events``: rewrite the committed JSON Schema."""
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(render_json_schema(), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_PATH}\n")


if __name__ == "__main__":
    main()
