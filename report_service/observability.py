"""Structured JSON logs and Prometheus metrics for the report service.

Every log line is one JSON object with ``time``, ``level``, ``logger``,
``message``, the ``request_id`` of the HTTP request and the ``job_id`` of the
job it concerns (when there is one), plus any ``extra`` fields. Secrets never
reach a log: the API key is not logged anywhere, and the formatter drops any
extra field whose name suggests a secret.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
job_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)

#: Record attributes that are not extra fields (uvicorn's ``color_message`` is
#: its message with terminal colour codes).
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
_SECRET_WORDS = ("key", "secret", "password", "token", "authorization")


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    token = job_id_var.set(job_id)
    try:
        yield
    finally:
        job_id_var.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
            "job_id": getattr(record, "job_id", None) or job_id_var.get(),
        }
        for name, value in record.__dict__.items():
            if name in _STANDARD or name in entry or name.startswith("_"):
                continue
            if any(word in name.lower() for word in _SECRET_WORDS):
                continue
            entry[name] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the service's loggers and uvicorn's error log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("report_service", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    # One access line per request comes from our middleware instead.
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """The service's Prometheus metrics, in a registry of its own."""

    def __init__(self, queue_depth: Callable[[], float], running: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "report_service_request_duration_seconds",
            "HTTP request latency by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.job_seconds = Histogram(
            "report_service_job_duration_seconds",
            "Report job run time by report type and outcome.",
            ["report_type", "outcome"],
            registry=self.registry,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
        )
        self.jobs = Counter(
            "report_service_job_runs",
            "Report job runs finished, by report type and outcome (succeeded, failed, retry).",
            ["report_type", "outcome"],
            registry=self.registry,
        )
        self.jobs_created = Counter(
            "report_service_jobs_submitted",
            "Report jobs created, by report type and trigger.",
            ["report_type", "trigger"],
            registry=self.registry,
        )
        queue = Gauge(
            "report_service_queue_depth",
            "Jobs queued in the shared job store.",
            registry=self.registry,
        )
        queue.set_function(queue_depth)
        running_gauge = Gauge(
            "report_service_running_jobs",
            "Jobs this replica is rendering now.",
            registry=self.registry,
        )
        running_gauge.set_function(running)

    def job_finished(self, report_type: str, outcome: str, seconds: float) -> None:
        self.jobs.labels(report_type, outcome).inc()
        self.job_seconds.labels(report_type, outcome).observe(seconds)
