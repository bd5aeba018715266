"""The DynamoDB job store's table: its schema, and jobs as items and back.

One table shared by every replica; the store (:mod:`report_service.stores.dynamodb`)
reads and writes it.

Table schema (Terraform creates the same; :func:`table_definition` is what
``DynamoJobStore.ensure_table`` creates for tests and local emulators):

- table ``REPORT_SERVICE_DYNAMODB_TABLE`` (default ``analytics-report-jobs``),
  billing mode ``PAY_PER_REQUEST``;
- partition key ``job_id`` (S), no sort key;
- global secondary index ``queue-index``: partition key ``queue`` (S), sort
  key ``queue_at`` (S), projection ``ALL``;
- global secondary index ``recent-index``: partition key ``created_day`` (S),
  sort key ``created_key`` (S), projection ``ALL``. A table created before
  this index needs it added (``update-table --global-secondary-index-updates``;
  ``ensure_table`` adds it too); items written before it lack the two
  attributes and are not listed by ``recent``.

Item attributes:

====================  ====  ====================================================
``job_id``            S     the job id
``report_type``       S
``params``            S     JSON object (a string: DynamoDB numbers are not floats)
``formats``           S     JSON list of strings
``status``            S     ``queued``/``running``/``succeeded``/``failed``
``trigger``           S     ``api``/``external_function``/``schedule``
``created_at``        S     ISO 8601 UTC, fixed width: ``2026-06-30T12:00:00.000000Z``
``started_at``        S     as above; absent until first claimed
``finished_at``       S     as above; absent until finished
``error``             S     absent when none
``artifacts``         S     JSON list of ``{format, key, bytes, sha256, content_type}``
``attempts``          N     claims so far
``lease_owner``       S     ``running`` only
``lease_expires_at``  S     ``running`` only
``not_before``        S     retry back-off of a ``queued`` job; absent when none
``request_hash``      S     absent when none
``idempotency_key``   S     absent when none
``version``           N     +1 on every change (optimistic concurrency)
``queue``             S     ``queued`` or ``running``; ``event`` for a finished
                            job whose terminal event is not written yet;
                            absent otherwise, so finished jobs drop out of the
                            index (sparse GSI)
``queue_at``          S     ``<time>#<job_id>``: when a queued job became
                            claimable (``not_before`` or ``created_at``), a
                            running job's lease expiry, or when a job with a
                            pending event finished
``pending_event``     S     JSON ``{"duration_ms": ...}``: the finished job's
                            terminal event is not written yet (the outbox);
                            absent otherwise
``created_day``       S     ``YYYY-MM-DD``: the UTC day of ``created_at``;
                            written once, never changed
``created_key``       S     ``<created_at>#<job_id>``; written once, never changed
====================  ====  ====================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from report_service.models import Job, PendingEvent
from report_service.stores.codec import (
    artifacts_from_json,
    artifacts_to_json,
    format_ts,
    parse_ts,
    pending_from_json,
    pending_to_json,
)

INDEX_NAME: Final = "queue-index"
#: The ``queue`` of finished jobs whose terminal event is still pending.
EVENT_QUEUE: Final = "event"
RECENT_INDEX_NAME: Final = "recent-index"

Item = dict[str, dict[str, Any]]


def str_attr(value: str) -> dict[str, str]:
    return {"S": value}


def num_attr(value: int) -> dict[str, str]:
    return {"N": str(value)}


def item_to_job(item: Mapping[str, Mapping[str, Any]]) -> Job:
    def s(name: str) -> str | None:
        value = item.get(name)
        return None if value is None else str(value["S"])

    def req(name: str) -> str:
        return str(item[name]["S"])

    created_at = parse_ts(req("created_at"))
    assert created_at is not None  # noqa: S101 - required attribute
    return Job(
        job_id=req("job_id"),
        report_type=req("report_type"),
        params=json.loads(req("params")),
        formats=json.loads(req("formats")),
        status=req("status"),  # type: ignore[arg-type]
        created_at=created_at,
        trigger=req("trigger"),  # type: ignore[arg-type]
        started_at=parse_ts(s("started_at")),
        finished_at=parse_ts(s("finished_at")),
        error=s("error"),
        artifacts=artifacts_from_json(s("artifacts")),
        attempts=int(item["attempts"]["N"]) if "attempts" in item else 0,
        lease_owner=s("lease_owner"),
        lease_expires_at=parse_ts(s("lease_expires_at")),
        not_before=parse_ts(s("not_before")),
        request_hash=s("request_hash"),
        idempotency_key=s("idempotency_key"),
        pending_event=pending_from_json(s("pending_event")),
    )


def queue_at_key(when: datetime, job_id: str) -> str:
    return f"{format_ts(when)}#{job_id}"


def created_day_key(when: datetime) -> str:
    """``YYYY-MM-DD``, the UTC day (``format_ts`` is UTC)."""
    return format_ts(when)[:10]


def job_to_item(job: Job) -> Item:
    item: Item = {
        "job_id": str_attr(job.job_id),
        "report_type": str_attr(job.report_type),
        "params": str_attr(json.dumps(job.params, separators=(",", ":"), sort_keys=True)),
        "formats": str_attr(json.dumps(list(job.formats))),
        "status": str_attr(job.status),
        "trigger": str_attr(job.trigger),
        "created_at": str_attr(format_ts(job.created_at)),
        "artifacts": str_attr(artifacts_to_json(job.artifacts)),
        "attempts": num_attr(job.attempts),
        "version": num_attr(0),
        "created_day": str_attr(created_day_key(job.created_at)),
        "created_key": str_attr(f"{format_ts(job.created_at)}#{job.job_id}"),
    }
    optional: dict[str, str | None] = {
        "started_at": None if job.started_at is None else format_ts(job.started_at),
        "finished_at": None if job.finished_at is None else format_ts(job.finished_at),
        "error": job.error,
        "lease_owner": job.lease_owner,
        "lease_expires_at": (
            None if job.lease_expires_at is None else format_ts(job.lease_expires_at)
        ),
        "not_before": None if job.not_before is None else format_ts(job.not_before),
        "request_hash": job.request_hash,
        "idempotency_key": job.idempotency_key,
    }
    optional["pending_event"] = pending_to_json(job.pending_event)
    for name, value in optional.items():
        if value is not None:
            item[name] = str_attr(value)
    if job.pending_event is not None and job.finished_at is not None:
        item["queue"] = str_attr(EVENT_QUEUE)
        item["queue_at"] = str_attr(queue_at_key(job.finished_at, job.job_id))
    elif job.status == "queued":
        item["queue"] = str_attr("queued")
        item["queue_at"] = str_attr(queue_at_key(job.not_before or job.created_at, job.job_id))
    elif job.status == "running":
        item["queue"] = str_attr("running")
        item["queue_at"] = str_attr(
            queue_at_key(job.lease_expires_at or job.created_at, job.job_id)
        )
    return item


RECENT_ATTRIBUTES: Final = (
    {"AttributeName": "created_day", "AttributeType": "S"},
    {"AttributeName": "created_key", "AttributeType": "S"},
)
RECENT_INDEX: Final = {
    "IndexName": RECENT_INDEX_NAME,
    "KeySchema": [
        {"AttributeName": "created_day", "KeyType": "HASH"},
        {"AttributeName": "created_key", "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "ALL"},
}


def pending_values(pending: PendingEvent, finished_s: str, job_id: str) -> dict[str, Any]:
    """The values of ``:pending``, ``:event`` and ``:eat`` of an update that
    finishes a job: its pending event and its place in the ``event`` queue."""
    return {
        ":pending": str_attr(pending_to_json(pending) or "{}"),
        ":event": str_attr(EVENT_QUEUE),
        ":eat": str_attr(f"{finished_s}#{job_id}"),
    }


def table_definition(table_name: str) -> dict[str, Any]:
    """``CreateTable``'s arguments: the key, both indexes, on-demand billing."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "job_id", "AttributeType": "S"},
            {"AttributeName": "queue", "AttributeType": "S"},
            {"AttributeName": "queue_at", "AttributeType": "S"},
            *RECENT_ATTRIBUTES,
        ],
        "KeySchema": [{"AttributeName": "job_id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": INDEX_NAME,
                "KeySchema": [
                    {"AttributeName": "queue", "KeyType": "HASH"},
                    {"AttributeName": "queue_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            RECENT_INDEX,
        ],
    }
