"""The DynamoDB job store: one table shared by every replica (its schema and
item layout: :mod:`report_service.stores.dynamodb.items`).

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
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from report_service.models import Artifact, ConflictError, Job, PendingEvent, utcnow
from report_service.stores.base import JobStore, stopped_error
from report_service.stores.codec import artifacts_to_json, format_ts
from report_service.stores.dynamodb.items import (
    EVENT_QUEUE,
    INDEX_NAME,
    RECENT_ATTRIBUTES,
    RECENT_INDEX,
    RECENT_INDEX_NAME,
    Item,
    created_day_key,
    item_to_job,
    job_to_item,
    num_attr,
    pending_values,
    queue_at_key,
    str_attr,
    table_definition,
)

if TYPE_CHECKING:
    from analytics_core.settings import ReportServiceSettings

#: Candidates read from the index per page while claiming.
CLAIM_PAGE: Final = 25
#: How many days before today (UTC) ``recent`` looks back.
RECENT_DAYS: Final = 31
#: Items read per page by ``recent`` when it filters by status.
RECENT_PAGE: Final = 100


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
            self.client.create_table(**table_definition(self.table_name))
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
            AttributeDefinitions=list(RECENT_ATTRIBUTES),
            GlobalSecondaryIndexUpdates=[{"Create": RECENT_INDEX}],
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
                Item=job_to_item(job),
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
            TableName=self.table_name, Key={"job_id": str_attr(job_id)}, ConsistentRead=True
        )
        item: Item | None = response.get("Item")
        return item

    def get(self, job_id: str) -> Job | None:
        item = self._get_item(job_id)
        return None if item is None else item_to_job(item)

    def queue_depth(self) -> int:
        total = 0
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": INDEX_NAME,
            "KeyConditionExpression": "#q = :q",
            "ExpressionAttributeNames": {"#q": "queue"},
            "ExpressionAttributeValues": {":q": str_attr("queued")},
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
            values = {":day": str_attr(created_day_key(now - timedelta(days=back)))}
            if status is not None:
                values[":status"] = str_attr(status)
            kwargs["ExpressionAttributeValues"] = values
            kwargs.pop("ExclusiveStartKey", None)
            while len(jobs) < limit:
                wanted = limit - len(jobs)
                # "Limit" counts items read before the filter: read larger pages then.
                kwargs["Limit"] = wanted if status is None else max(wanted, RECENT_PAGE)
                response = self.client.query(**kwargs)
                jobs.extend(item_to_job(item) for item in response.get("Items", []))
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
            "ExpressionAttributeValues": {":q": str_attr(queue), ":before": str_attr(before)},
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
            if int(item.get("attempts", num_attr(0))["N"]) >= max_attempts:
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
            version = item.get("version", num_attr(0))
            status = str(item["status"]["S"])
            try:
                response = self.client.update_item(
                    TableName=self.table_name,
                    Key={"job_id": str_attr(job_id)},
                    UpdateExpression=(
                        "SET #st = :running, lease_owner = :w, lease_expires_at = :exp, "
                        "#q = :running, queue_at = :qat, attempts = attempts + :one, "
                        "started_at = if_not_exists(started_at, :now), version = version + :one"
                    ),
                    ConditionExpression="version = :v AND #st = :seen",
                    ExpressionAttributeNames={"#st": "status", "#q": "queue"},
                    ExpressionAttributeValues={
                        ":running": str_attr("running"),
                        ":seen": str_attr(status),
                        ":w": str_attr(worker_id),
                        ":exp": str_attr(format_ts(expires)),
                        ":qat": str_attr(queue_at_key(expires, job_id)),
                        ":now": str_attr(now_s),
                        ":one": num_attr(1),
                        ":v": version,
                    },
                    ReturnValues="ALL_NEW",
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                continue  # another worker changed it first: try the next one
            return item_to_job(response["Attributes"])
        return None

    def _give_up(self, item: Item, now_s: str) -> Job | None:
        """Fail an expired running job whose worker stopped max_attempts times
        (unless it changed since it was read): the failed job, or ``None``."""
        attempts = int(item.get("attempts", num_attr(0))["N"])
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
                    ":failed": str_attr("failed"),
                    ":running": str_attr("running"),
                    ":err": str_attr(stopped_error(attempts)),
                    ":now": str_attr(now_s),
                    ":one": num_attr(1),
                    ":v": item.get("version", num_attr(0)),
                    **pending_values(PendingEvent(), now_s, str(item["job_id"]["S"])),
                },
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return item_to_job(response["Attributes"])

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
                Key={"job_id": str_attr(job_id)},
                UpdateExpression=update,
                ConditionExpression="#st = :running_now AND lease_owner = :owner",
                ExpressionAttributeNames={"#st": "status", **names},
                ExpressionAttributeValues={
                    ":running_now": str_attr("running"),
                    ":owner": str_attr(worker_id),
                    ":one": num_attr(1),
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
            {":exp": str_attr(format_ts(expires)), ":qat": str_attr(queue_at_key(expires, job_id))},
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
                ":done": str_attr("succeeded"),
                ":artifacts": str_attr(artifacts_to_json(artifacts)),
                ":now": str_attr(format_ts(now)),
                **pending_values(PendingEvent(duration_ms), format_ts(now), job_id),
            },
        )
        return None if item is None else item_to_job(item)

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
                    ":queued": str_attr("queued"),
                    ":err": str_attr(error),
                    ":nb": str_attr(format_ts(retry_at)),
                    ":qat": str_attr(queue_at_key(retry_at, job_id)),
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
                    ":failed": str_attr("failed"),
                    ":err": str_attr(error),
                    ":now": str_attr(format_ts(now)),
                    **pending_values(PendingEvent(duration_ms), format_ts(now), job_id),
                },
            )
        return None if item is None else item_to_job(item)

    def pending_events(self, *, finished_before: datetime, limit: int) -> list[Job]:
        jobs: list[Job] = []
        if limit <= 0:
            return jobs
        for item in self._candidates(EVENT_QUEUE, f"{format_ts(finished_before)}#"):
            if "pending_event" in item:  # the index may lag a moment behind
                jobs.append(item_to_job(item))
            if len(jobs) >= limit:
                break
        return jobs

    def event_written(self, job_id: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"job_id": str_attr(job_id)},
                UpdateExpression="SET version = version + :one REMOVE pending_event, #q, queue_at",
                ConditionExpression="attribute_exists(pending_event)",
                ExpressionAttributeNames={"#q": "queue"},
                ExpressionAttributeValues={":one": num_attr(1)},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return  # already written (another replica), or no such job

    def release(self, job_id: str, worker_id: str, *, now: datetime) -> bool:
        # The queue position (not_before or created_at) is in the item: read it
        # first, then write only if the lease is still the caller's.
        current = self._get_item(job_id)
        if current is None:
            return False
        job = item_to_job(current)
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
                ":queued": str_attr("queued"),
                ":qat": str_attr(queue_at_key(ready, job_id)),
                ":attempts": num_attr(max(job.attempts - 1, 0)),
            },
        )
        return item is not None
