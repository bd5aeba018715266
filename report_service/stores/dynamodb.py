"""The DynamoDB job store: one table shared by every replica.

Table schema (Terraform creates the same; :meth:`DynamoJobStore.ensure_table`
creates it for tests and local emulators):

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

Every state change is a conditional write: ``claim`` first fails the expired
running jobs that already had ``max_attempts`` claims, then reads candidates
from the index (oldest ``queue_at`` first: queued whose time has come,
running whose lease expired) and updates one only if its ``version`` is still the one
read; on ``ConditionalCheckFailedException`` it tries the next. ``renew``,
``complete``, ``fail`` and ``release`` require ``status = running`` and
``lease_owner = worker``: like the SQLite store, a worker whose lease expired
may still finish a job that nobody else has claimed yet.

The update that finishes a job (``complete``, a final ``fail``, ``claim``
giving up) also sets ``pending_event`` and moves the job to the ``event``
partition of ``queue-index``: ``pending_events`` queries that partition
(oldest first), ``event_written`` removes the attribute and the index keys.

``create_many`` creates one item after another (not atomically): a retried
batch finds the jobs already created and returns them.

``recent`` never scans the table: it queries ``recent-index`` one day at a
time, newest first (``ScanIndexForward=False``), from today (UTC) back
:data:`RECENT_DAYS` days, until it has ``limit`` jobs; a status filter is a
``FilterExpression``, so a rare status reads (and pays for) up to that many
days of jobs. The index is eventually consistent: a job created a moment ago
may be missing from the list.
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from report_service.models import Artifact, ConflictError, Job, PendingEvent, utcnow
from report_service.stores.base import JobStore, stopped_error
from report_service.stores.codec import (
    artifacts_from_json,
    artifacts_to_json,
    format_ts,
    parse_ts,
    pending_from_json,
    pending_to_json,
)

if TYPE_CHECKING:
    from analytics_core.settings import ReportServiceSettings

INDEX_NAME: Final = "queue-index"
#: The ``queue`` of finished jobs whose terminal event is still pending.
EVENT_QUEUE: Final = "event"
RECENT_INDEX_NAME: Final = "recent-index"
#: Candidates read from the index per page while claiming.
CLAIM_PAGE: Final = 25
#: How many days before today (UTC) ``recent`` looks back.
RECENT_DAYS: Final = 31
#: Items read per page by ``recent`` when it filters by status.
RECENT_PAGE: Final = 100

Item = dict[str, dict[str, Any]]


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _item_to_job(item: Mapping[str, Mapping[str, Any]]) -> Job:
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


def _queue_at(when: datetime, job_id: str) -> str:
    return f"{format_ts(when)}#{job_id}"


def _created_day(when: datetime) -> str:
    """``YYYY-MM-DD``, the UTC day (``format_ts`` is UTC)."""
    return format_ts(when)[:10]


def _job_to_item(job: Job) -> Item:
    item: Item = {
        "job_id": _s(job.job_id),
        "report_type": _s(job.report_type),
        "params": _s(json.dumps(job.params, separators=(",", ":"), sort_keys=True)),
        "formats": _s(json.dumps(list(job.formats))),
        "status": _s(job.status),
        "trigger": _s(job.trigger),
        "created_at": _s(format_ts(job.created_at)),
        "artifacts": _s(artifacts_to_json(job.artifacts)),
        "attempts": _n(job.attempts),
        "version": _n(0),
        "created_day": _s(_created_day(job.created_at)),
        "created_key": _s(f"{format_ts(job.created_at)}#{job.job_id}"),
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
            item[name] = _s(value)
    if job.pending_event is not None and job.finished_at is not None:
        item["queue"] = _s(EVENT_QUEUE)
        item["queue_at"] = _s(_queue_at(job.finished_at, job.job_id))
    elif job.status == "queued":
        item["queue"] = _s("queued")
        item["queue_at"] = _s(_queue_at(job.not_before or job.created_at, job.job_id))
    elif job.status == "running":
        item["queue"] = _s("running")
        item["queue_at"] = _s(_queue_at(job.lease_expires_at or job.created_at, job.job_id))
    return item


_RECENT_ATTRIBUTES: Final = (
    {"AttributeName": "created_day", "AttributeType": "S"},
    {"AttributeName": "created_key", "AttributeType": "S"},
)
_RECENT_INDEX: Final = {
    "IndexName": RECENT_INDEX_NAME,
    "KeySchema": [
        {"AttributeName": "created_day", "KeyType": "HASH"},
        {"AttributeName": "created_key", "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "ALL"},
}


def _pending_values(pending: PendingEvent, finished_s: str, job_id: str) -> dict[str, Any]:
    """The values of ``:pending``, ``:event`` and ``:eat`` of an update that
    finishes a job: its pending event and its place in the ``event`` queue."""
    return {
        ":pending": _s(pending_to_json(pending) or "{}"),
        ":event": _s(EVENT_QUEUE),
        ":eat": _s(f"{finished_s}#{job_id}"),
    }


class DynamoJobStore(JobStore):
    """A :class:`JobStore` in a DynamoDB table (see the module doc for its schema).

    ``client`` is a boto3 DynamoDB *client* (thread-safe; shared by workers).
    """

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self.client = client

    @classmethod
    def from_settings(cls, service: ReportServiceSettings) -> DynamoJobStore:
        import boto3  # type: ignore[import-untyped]

        client = boto3.client(
            "dynamodb",
            region_name=service.aws_region,
            endpoint_url=service.aws_endpoint_url,
        )
        return cls(service.dynamodb_table, client)

    def ensure_table(self, *, wait_seconds: float = 60) -> None:
        """Create the table and its indexes (on-demand billing) unless it exists;
        add ``recent-index`` to a table that lacks it."""
        created = True
        try:
            self.client.create_table(
                TableName=self.table_name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "job_id", "AttributeType": "S"},
                    {"AttributeName": "queue", "AttributeType": "S"},
                    {"AttributeName": "queue_at", "AttributeType": "S"},
                    *_RECENT_ATTRIBUTES,
                ],
                KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": INDEX_NAME,
                        "KeySchema": [
                            {"AttributeName": "queue", "KeyType": "HASH"},
                            {"AttributeName": "queue_at", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    },
                    _RECENT_INDEX,
                ],
            )
        except self.client.exceptions.ResourceInUseException:
            created = False
        delay = 1
        attempts = max(1, int(wait_seconds / delay))
        self.client.get_waiter("table_exists").wait(
            TableName=self.table_name,
            WaiterConfig={"Delay": delay, "MaxAttempts": attempts},
        )
        if created:
            return
        table = self.client.describe_table(TableName=self.table_name)["Table"]
        indexes = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
        if RECENT_INDEX_NAME in indexes:
            return
        self.client.update_table(
            TableName=self.table_name,
            AttributeDefinitions=list(_RECENT_ATTRIBUTES),
            GlobalSecondaryIndexUpdates=[{"Create": _RECENT_INDEX}],
        )
        for _ in range(attempts):
            table = self.client.describe_table(TableName=self.table_name)["Table"]
            statuses = [
                index.get("IndexStatus")
                for index in table.get("GlobalSecondaryIndexes", [])
                if index["IndexName"] == RECENT_INDEX_NAME
            ]
            if statuses == ["ACTIVE"]:
                return
            time.sleep(delay)
        raise TimeoutError(f"index {RECENT_INDEX_NAME} of {self.table_name} is not active yet")

    # -- create and read -----------------------------------------------------

    def create(self, job: Job) -> tuple[Job, bool]:
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=_job_to_item(job),
                ConditionExpression="attribute_not_exists(job_id)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            existing = self.get(job.job_id)
            if existing is None:  # pragma: no cover - jobs are never deleted
                raise
            if existing.request_hash != job.request_hash:
                raise ConflictError(
                    f"job {job.job_id} exists with a different request; "
                    "an Idempotency-Key may be reused only with the same body"
                ) from None
            return existing, False
        return job, True

    def create_many(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        return [self.create(job) for job in jobs]

    def _get_item(self, job_id: str) -> Item | None:
        response = self.client.get_item(
            TableName=self.table_name, Key={"job_id": _s(job_id)}, ConsistentRead=True
        )
        item: Item | None = response.get("Item")
        return item

    def get(self, job_id: str) -> Job | None:
        item = self._get_item(job_id)
        return None if item is None else _item_to_job(item)

    def queue_depth(self) -> int:
        total = 0
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": INDEX_NAME,
            "KeyConditionExpression": "#q = :q",
            "ExpressionAttributeNames": {"#q": "queue"},
            "ExpressionAttributeValues": {":q": _s("queued")},
            "Select": "COUNT",
        }
        while True:
            response = self.client.query(**kwargs)
            total += int(response["Count"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return total
            kwargs["ExclusiveStartKey"] = last

    def recent(self, limit: int, status: str | None = None) -> list[Job]:
        jobs: list[Job] = []
        now = utcnow()
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": RECENT_INDEX_NAME,
            "KeyConditionExpression": "created_day = :day",
            "ExpressionAttributeValues": {},
            "ScanIndexForward": False,
        }
        if status is not None:
            kwargs["FilterExpression"] = "#st = :status"
            kwargs["ExpressionAttributeNames"] = {"#st": "status"}
        for back in range(RECENT_DAYS + 1):
            if len(jobs) >= limit:
                break
            values = {":day": _s(_created_day(now - timedelta(days=back)))}
            if status is not None:
                values[":status"] = _s(status)
            kwargs["ExpressionAttributeValues"] = values
            kwargs.pop("ExclusiveStartKey", None)
            while len(jobs) < limit:
                wanted = limit - len(jobs)
                # "Limit" counts items read before the filter: read larger pages then.
                kwargs["Limit"] = wanted if status is None else max(wanted, RECENT_PAGE)
                response = self.client.query(**kwargs)
                jobs.extend(_item_to_job(item) for item in response.get("Items", []))
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                kwargs["ExclusiveStartKey"] = last
        return jobs[:limit]

    # -- the lease -----------------------------------------------------------

    def _candidates(self, queue: str, before: str) -> Iterator[Item]:
        """Items of ``queue`` with ``queue_at < before``, oldest first, page by page."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": INDEX_NAME,
            "KeyConditionExpression": "#q = :q AND queue_at < :before",
            "ExpressionAttributeNames": {"#q": "queue"},
            "ExpressionAttributeValues": {":q": _s(queue), ":before": _s(before)},
            "Limit": CLAIM_PAGE,
        }
        while True:
            response = self.client.query(**kwargs)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def claim(
        self,
        worker_id: str,
        *,
        lease_seconds: float,
        max_attempts: int,
        now: datetime,
        on_failed: Callable[[Job], None] | None = None,
    ) -> Job | None:
        now_s = format_ts(now)
        expires = now + timedelta(seconds=lease_seconds)
        # "<time>#<id>": "$" sorts right after "#", so "< now$" keeps every
        # queued job claimable at ``now``; "< now#" keeps leases expired before it.
        # Running jobs are few (one per worker): read the expired ones, end
        # those whose worker stopped max_attempts times, keep the rest.
        running: list[Item] = []
        for item in self._candidates("running", f"{now_s}#"):
            if int(item.get("attempts", _n(0))["N"]) >= max_attempts:
                failed = self._give_up(item, now_s)
                if failed is not None and on_failed is not None:
                    on_failed(failed)
            else:
                running.append(item)
        candidates = heapq.merge(
            running,
            self._candidates("queued", f"{now_s}$"),
            key=lambda item: str(item["queue_at"]["S"]),
        )
        for item in candidates:
            job_id = str(item["job_id"]["S"])
            version = item.get("version", _n(0))
            status = str(item["status"]["S"])
            try:
                response = self.client.update_item(
                    TableName=self.table_name,
                    Key={"job_id": _s(job_id)},
                    UpdateExpression=(
                        "SET #st = :running, lease_owner = :w, lease_expires_at = :exp, "
                        "#q = :running, queue_at = :qat, attempts = attempts + :one, "
                        "started_at = if_not_exists(started_at, :now), version = version + :one"
                    ),
                    ConditionExpression="version = :v AND #st = :seen",
                    ExpressionAttributeNames={"#st": "status", "#q": "queue"},
                    ExpressionAttributeValues={
                        ":running": _s("running"),
                        ":seen": _s(status),
                        ":w": _s(worker_id),
                        ":exp": _s(format_ts(expires)),
                        ":qat": _s(_queue_at(expires, job_id)),
                        ":now": _s(now_s),
                        ":one": _n(1),
                        ":v": version,
                    },
                    ReturnValues="ALL_NEW",
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                continue  # another worker changed it first: try the next one
            return _item_to_job(response["Attributes"])
        return None

    def _give_up(self, item: Item, now_s: str) -> Job | None:
        """Fail an expired running job whose worker stopped max_attempts times
        (unless it changed since it was read): the failed job, or ``None``."""
        attempts = int(item.get("attempts", _n(0))["N"])
        # A conditional failure: renewed, finished or given up by another worker.
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"job_id": item["job_id"]},
                UpdateExpression=(
                    "SET #st = :failed, #err = :err, finished_at = :now, "
                    "pending_event = :pending, #q = :event, queue_at = :eat, "
                    "version = version + :one "
                    "REMOVE lease_owner, lease_expires_at"
                ),
                ConditionExpression="version = :v AND #st = :running",
                ExpressionAttributeNames={"#st": "status", "#err": "error", "#q": "queue"},
                ExpressionAttributeValues={
                    ":failed": _s("failed"),
                    ":running": _s("running"),
                    ":err": _s(stopped_error(attempts)),
                    ":now": _s(now_s),
                    ":one": _n(1),
                    ":v": item.get("version", _n(0)),
                    **_pending_values(PendingEvent(), now_s, str(item["job_id"]["S"])),
                },
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return _item_to_job(response["Attributes"])

    def _update_leased(
        self,
        job_id: str,
        worker_id: str,
        update: str,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> Item | None:
        """Apply ``update`` if ``worker_id`` holds the running job; the new item or ``None``."""
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"job_id": _s(job_id)},
                UpdateExpression=update,
                ConditionExpression="#st = :running_now AND lease_owner = :owner",
                ExpressionAttributeNames={"#st": "status", **names},
                ExpressionAttributeValues={
                    ":running_now": _s("running"),
                    ":owner": _s(worker_id),
                    ":one": _n(1),
                    **values,
                },
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        item: Item = response["Attributes"]
        return item

    def renew(self, job_id: str, worker_id: str, *, lease_seconds: float, now: datetime) -> bool:
        expires = now + timedelta(seconds=lease_seconds)
        item = self._update_leased(
            job_id,
            worker_id,
            "SET lease_expires_at = :exp, queue_at = :qat, version = version + :one",
            {},
            {":exp": _s(format_ts(expires)), ":qat": _s(_queue_at(expires, job_id))},
        )
        return item is not None

    def complete(
        self,
        job_id: str,
        worker_id: str,
        artifacts: Sequence[Artifact],
        *,
        now: datetime,
        duration_ms: int | None = None,
    ) -> Job | None:
        item = self._update_leased(
            job_id,
            worker_id,
            "SET #st = :done, artifacts = :artifacts, finished_at = :now, "
            "pending_event = :pending, #q = :event, queue_at = :eat, "
            "version = version + :one "
            "REMOVE #err, lease_owner, lease_expires_at",
            {"#err": "error", "#q": "queue"},
            {
                ":done": _s("succeeded"),
                ":artifacts": _s(artifacts_to_json(artifacts)),
                ":now": _s(format_ts(now)),
                **_pending_values(PendingEvent(duration_ms), format_ts(now), job_id),
            },
        )
        return None if item is None else _item_to_job(item)

    def fail(
        self,
        job_id: str,
        worker_id: str,
        error: str,
        *,
        now: datetime,
        retry_at: datetime | None = None,
        duration_ms: int | None = None,
    ) -> Job | None:
        if retry_at is not None:
            item = self._update_leased(
                job_id,
                worker_id,
                "SET #st = :queued, #err = :err, not_before = :nb, #q = :queued, "
                "queue_at = :qat, version = version + :one "
                "REMOVE lease_owner, lease_expires_at",
                {"#err": "error", "#q": "queue"},
                {
                    ":queued": _s("queued"),
                    ":err": _s(error),
                    ":nb": _s(format_ts(retry_at)),
                    ":qat": _s(_queue_at(retry_at, job_id)),
                },
            )
        else:
            item = self._update_leased(
                job_id,
                worker_id,
                "SET #st = :failed, #err = :err, finished_at = :now, "
                "pending_event = :pending, #q = :event, queue_at = :eat, "
                "version = version + :one "
                "REMOVE lease_owner, lease_expires_at",
                {"#err": "error", "#q": "queue"},
                {
                    ":failed": _s("failed"),
                    ":err": _s(error),
                    ":now": _s(format_ts(now)),
                    **_pending_values(PendingEvent(duration_ms), format_ts(now), job_id),
                },
            )
        return None if item is None else _item_to_job(item)

    def pending_events(self, *, finished_before: datetime, limit: int) -> list[Job]:
        jobs: list[Job] = []
        if limit <= 0:
            return jobs
        for item in self._candidates(EVENT_QUEUE, f"{format_ts(finished_before)}#"):
            if "pending_event" in item:  # the index may lag a moment behind
                jobs.append(_item_to_job(item))
            if len(jobs) >= limit:
                break
        return jobs

    def event_written(self, job_id: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"job_id": _s(job_id)},
                UpdateExpression="SET version = version + :one REMOVE pending_event, #q, queue_at",
                ConditionExpression="attribute_exists(pending_event)",
                ExpressionAttributeNames={"#q": "queue"},
                ExpressionAttributeValues={":one": _n(1)},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return  # already written (another replica), or no such job

    def release(self, job_id: str, worker_id: str, *, now: datetime) -> bool:
        # The queue position (not_before or created_at) is in the item: read it
        # first, then write only if the lease is still the caller's.
        current = self._get_item(job_id)
        if current is None:
            return False
        job = _item_to_job(current)
        if job.status != "running" or job.lease_owner != worker_id:
            return False
        ready = job.not_before or job.created_at
        item = self._update_leased(
            job_id,
            worker_id,
            "SET #st = :queued, #q = :queued, queue_at = :qat, attempts = :attempts, "
            "version = version + :one REMOVE lease_owner, lease_expires_at",
            {"#q": "queue"},
            {
                ":queued": _s("queued"),
                ":qat": _s(_queue_at(ready, job_id)),
                ":attempts": _n(max(job.attempts - 1, 0)),
            },
        )
        return item is not None
