"""The delivery ledger in a DynamoDB table (:class:`DynamoDeliveryLedger`):
one ledger every replica of the report service shares, so a delivery is
sent once however many replicas run (the rules: :mod:`~report_service.delivery.ledger`).

The table's layout: :mod:`~report_service.delivery.ledger_dynamodb_items`.
Why it is so:

- Every change is one conditional write of one item, its condition the
  SQLite ledger's ``where`` clause: ``add`` is a ``PutItem`` on
  ``attribute_not_exists(delivery_id)``; ``defer``, ``claim``,
  ``transmitting``, ``finish`` and ``recover`` are ``UpdateItem`` conditional
  on ``status``, ``lease_owner``, ``lease_until`` and ``next_attempt_at``
  exactly as the SQL (``next_attempt_at is null`` is ``attribute_not_exists``).
  DynamoDB applies one item's condition and update atomically, so of eight
  replicas claiming one delivery one wins, as with SQLite's transaction.
- The event of a change is written by the same ``UpdateItem`` (or
  ``PutItem``), into the item's ``outbox`` map: the change and its event are
  one atomic write, with no second table and no transaction (which would
  double the write cost). An event is computed in Python before the write,
  so a change that makes one (``finish``) reads the item first and adds
  ``attempts = <read>`` to its condition (the one field of the event a
  concurrent change could alter; the others are fixed at ``add``); if that
  fails it reads again and re-applies the rule, as SQLite would have.
  ``recover`` needs no read: the stalled record it is given names the lease,
  and the lease fixes ``attempts``. ``claim``, ``transmitting`` and
  ``defer`` make no event.
- ``ready`` and ``stalled`` query the sparse ``queue-index`` (never a
  ``Scan``): ``queue = open AND wake_at <= now`` and ``queue = sending AND
  wake_at < now``; sent and failed deliveries leave it. ``ready`` reads at
  most :data:`READY_READ_MAX` ready items (earliest ready first) and orders
  them oldest due first, as SQLite does; with a larger backlog the oldest due
  among those is first, not necessarily the oldest due of all. A delivery
  never deferred is ready from ``created_at`` (SQLite: at once), so a replica
  whose clock is behind the one that made it sees it that much later.
- ``recent`` for one source queries ``source-index`` newest due first; for
  all sources ``recent-index``, whose partition key is the constant
  ``listing = all``: one query, newest first, no ``Scan`` of the table. The
  trade-off is one index partition taking every delivery's writes (about a
  thousand writes a second at most; deliveries are a few a minute); a
  partition value's size is not limited in a GSI (the 10 GB item collection
  limit is local indexes'). Ties in ``due_at`` are read
  whole and ordered as SQLite does (newest made first, then recipient).
- ``pending_events`` queries the sparse ``outbox-index`` (oldest change
  first); its keys are ``<delivery_id>/<event_id>`` so that
  ``events_written`` knows the item: it removes those map entries
  (``attribute_exists(outbox)``), then removes ``pending`` only on
  ``size(outbox) = 0``, so an event added in between keeps the item listed.
  The map holds a delivery's unwritten events (one for being made, one per
  attempt's end): far below the 400 KB item limit.
- ``add`` of several deliveries writes one item after another (not one
  transaction): each is idempotent, so a retried request completes a batch
  a crash cut short, as the job store's ``create_many`` does.
- The indexes are eventually consistent: ``ready`` or ``stalled`` may list a
  delivery that changed a moment ago; the conditional write then refuses
  (``claim`` and ``recover`` return None), so a stale listing costs a
  request, never a second send. ``get`` reads consistently.
- Each sender polls (``ready``, ``stalled``, ``pending_events``: three
  queries a second per replica when idle), which on-demand billing prices
  at a few cents a day.

The task role needs ``dynamodb:GetItem``, ``PutItem``, ``UpdateItem`` and
``Query`` on the table and its indexes (``ensure_table`` runs in tests only).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from analytics_core.events import DeliveryEvent
from report_service.delivery.ledger import (
    OPEN,
    DeliveryLedger,
    DeliveryRecord,
    NewDelivery,
    check_ending,
    event_for,
    parse_time,
    queued_record,
    recovery,
)
from report_service.delivery.ledger_dynamodb_items import (
    LISTING,
    OUTBOX_INDEX,
    PENDING,
    QUEUE_INDEX,
    RECENT_INDEX,
    SOURCE_INDEX,
    Item,
    Write,
    at,
    item_of,
    record_of,
    state_fields,
    table_definition,
    text_of,
)

if TYPE_CHECKING:
    from analytics_core.settings import ReportServiceSettings

#: The most ready items ``ready`` reads to order them by due time.
READY_READ_MAX: Final = 1000
#: How often ``finish`` reads again after a concurrent change.
FINISH_TRIES: Final = 5
#: Map entries ``events_written`` removes per request.
REMOVE_BATCH: Final = 50
_KEY_SEP: Final = "/"


class DynamoDeliveryLedger(DeliveryLedger):
    """The ledger in one DynamoDB table (the module doc: its layout and why).

    ``client`` is a boto3 DynamoDB *client* (thread-safe; shared by the
    sending threads)."""

    def __init__(self, table_name: str, client: Any, *, owns_client: bool = False) -> None:
        self.table_name = table_name
        self.client = client
        self._owns_client = owns_client

    @classmethod
    def from_settings(cls, service: ReportServiceSettings) -> DynamoDeliveryLedger:
        """``REPORT_SERVICE_DELIVERY_TABLE`` in the job store's region and endpoint."""
        import boto3  # type: ignore[import-untyped]

        client = boto3.client(
            "dynamodb", region_name=service.aws_region, endpoint_url=service.aws_endpoint_url
        )
        return cls(service.delivery_table, client, owns_client=True)

    def ensure_table(self, *, wait_seconds: float = 60) -> None:
        """Create the table and its indexes (tests, local emulators) unless it exists."""
        with contextlib.suppress(self.client.exceptions.ResourceInUseException):
            self.client.create_table(**table_definition(self.table_name))
        self.client.get_waiter("table_exists").wait(
            TableName=self.table_name,
            WaiterConfig={"Delay": 1, "MaxAttempts": max(1, int(wait_seconds))},
        )

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    # -- requests ------------------------------------------------------------

    def _update(self, delivery_id: str, write: Write, condition: str) -> Item | None:
        """Apply ``write`` if ``condition`` holds: the new item, or None."""
        # DynamoDB refuses an empty ExpressionAttributeValues (events_written's removal).
        values = {"ExpressionAttributeValues": write.values} if write.values else {}
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"delivery_id": {"S": delivery_id}},
                UpdateExpression=write.update_expression(),
                ConditionExpression=condition,
                ExpressionAttributeNames=write.names,
                ReturnValues="ALL_NEW",
                **values,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        item: Item = response["Attributes"]
        return item

    def _query(
        self, index: str, key: tuple[str, str], sort: str = "", **kwargs: Any
    ) -> Iterator[Item]:
        """Items of ``index`` whose partition is ``key`` (and ``sort``: a
        condition on the sort key, ``#s`` and ``:s``), page by page."""
        names = {"#k": key[0], **kwargs.pop("names", {})}
        values = {":k": {"S": key[1]}, **kwargs.pop("values", {})}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index,
            "KeyConditionExpression": "#k = :k" + (f" AND {sort}" if sort else ""),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            **kwargs,
        }
        while True:
            response = self.client.query(**request)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    # -- reads ---------------------------------------------------------------

    def get(self, delivery_id: str) -> DeliveryRecord | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key={"delivery_id": {"S": delivery_id}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return None if item is None else record_of(item)

    def recent(self, limit: int = 50, source: str | None = None) -> list[DeliveryRecord]:
        if limit <= 0:
            return []
        index, key = (
            (SOURCE_INDEX, ("source", source)) if source else (RECENT_INDEX, ("listing", LISTING))
        )
        items: list[Item] = []
        for item in self._query(index, key, ScanIndexForward=False, Limit=limit + 1):
            # Past ``limit``, read on only while the due time ties the last one kept.
            if len(items) >= limit and item["due_at"]["S"] != items[limit - 1]["due_at"]["S"]:
                break
            items.append(item)
        records = sorted((record_of(item) for item in items), key=lambda r: r.recipient)
        records.sort(key=lambda r: (r.due_at, r.created_at), reverse=True)  # stable
        return records[:limit]

    def ready(self, now: dt.datetime, limit: int = 20) -> list[DeliveryRecord]:
        found: list[DeliveryRecord] = []
        for item in self._query(
            QUEUE_INDEX,
            ("queue", "open"),
            "#s <= :s",
            names={"#s": "wake_at"},
            values={":s": {"S": at(now)}},
        ):
            record = record_of(item)
            if record.status in OPEN and (
                record.next_attempt_at is None or record.next_attempt_at <= now
            ):
                found.append(record)
            if len(found) >= max(limit, READY_READ_MAX):
                break
        found.sort(key=lambda r: (r.due_at, r.created_at, r.delivery_id))
        return found[:limit]

    def stalled(self, now: dt.datetime) -> list[DeliveryRecord]:
        records = (
            record_of(item)
            for item in self._query(
                QUEUE_INDEX,
                ("queue", "sending"),
                "#s < :s",
                names={"#s": "wake_at"},
                values={":s": {"S": at(now)}},
            )
        )
        return [
            r
            for r in records
            if r.status == "sending" and r.lease_until is not None and r.lease_until < now
        ]

    def next_attempt(self) -> dt.datetime | None:
        for item in self._query(QUEUE_INDEX, ("queue", "open"), Limit=1):
            return parse_time(text_of(item, "wake_at"))
        return None

    # -- changes -------------------------------------------------------------

    def add(
        self, deliveries: Sequence[NewDelivery], now: dt.datetime
    ) -> list[tuple[DeliveryRecord, bool]]:
        results: list[tuple[DeliveryRecord, bool]] = []
        for new in deliveries:
            record = queued_record(new, now)
            item = item_of(record, event_for(record, now))
            try:
                self.client.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(delivery_id)",
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                existing = self.get(new.delivery_id)
                if existing is None:  # pragma: no cover - deliveries are never deleted
                    raise
                results.append((existing, False))
                continue
            results.append((record_of(item), True))
        return results

    def defer(self, delivery_id: str, until: dt.datetime, now: dt.datetime) -> None:
        write = Write().put(
            {
                "next_attempt_at": at(until),
                "updated_at": at(now),
                "queue": "open",
                "wake_at": at(until),
            }
        )
        self._update(delivery_id, write, write.is_open())

    def claim(
        self, delivery_id: str, owner: str, now: dt.datetime, lease_seconds: float
    ) -> DeliveryRecord | None:
        until = at(now + dt.timedelta(seconds=lease_seconds))
        write = Write().put(
            {
                "status": "sending",
                "phase": "prepare",
                "lease_owner": owner,
                "lease_until": until,
                "updated_at": at(now),
                "queue": "sending",
                "wake_at": until,
            }
        )
        write.sets.append(f"{write.n('attempts')} = {write.n('attempts')} + {write.v(1)}")
        due = write.n("next_attempt_at")
        ready = f"(attribute_not_exists({due}) OR {due} <= {write.v(at(now))})"
        condition = f"{write.is_open()} AND {ready}"
        item = self._update(delivery_id, write, condition)
        return None if item is None else record_of(item)

    def transmitting(
        self, delivery_id: str, owner: str, now: dt.datetime, lease_seconds: float
    ) -> bool:
        until = at(now + dt.timedelta(seconds=lease_seconds))
        write = Write().put(
            {"phase": "transmit", "lease_until": until, "updated_at": at(now), "wake_at": until}
        )
        return self._update(delivery_id, write, write.held_by(owner)) is not None

    def finish(
        self,
        delivery_id: str,
        owner: str | None,
        now: dt.datetime,
        *,
        status: str,
        detail: str | None,
        delivered_as: str | None = None,
        retry_at: dt.datetime | None = None,
        duration_ms: int | None = None,
    ) -> DeliveryRecord | None:
        check_ending(status)
        for _ in range(FINISH_TRIES):
            current = self.get(delivery_id)
            if current is None:
                return None
            held = (
                current.status == "sending" and current.lease_owner == owner
                if owner is not None
                else current.status in OPEN
            )
            if not held:
                return None
            ended = replace(
                current,
                status=status,
                phase=None,
                lease_owner=None,
                lease_until=None,
                next_attempt_at=retry_at,
                updated_at=now,
                detail=detail,
                delivered_as=delivered_as,
                sent_at=now if status == "sent" else current.sent_at,
            )
            write = Write().put(state_fields(ended))
            write.event(event_for(ended, now, duration_ms=duration_ms))
            condition = write.held_by(owner) if owner is not None else write.is_open()
            condition += f" AND {write.is_('attempts', current.attempts)}"
            item = self._update(delivery_id, write, condition)
            if item is not None:
                return record_of(item)
        return None

    def recover(
        self, record: DeliveryRecord, now: dt.datetime, *, resend: bool
    ) -> DeliveryRecord | None:
        if record.lease_until is None:
            return None  # SQL's ``lease_until = null`` holds for no row
        status, detail = recovery(record, resend)
        recovered = replace(
            record,
            status=status,
            phase=None,
            lease_owner=None,
            lease_until=None,
            next_attempt_at=now if status == "retrying" else None,
            updated_at=now,
            detail=detail,
        )
        fields = state_fields(recovered)
        # What recover leaves as it was (the SQL sets none of these).
        for unchanged in ("sent_at", "delivered_as"):
            fields.pop(unchanged)
        write = Write().put(fields)
        write.event(event_for(recovered, now))
        condition = " AND ".join(
            (
                write.is_("status", "sending"),
                write.is_("lease_owner", record.lease_owner),
                write.is_("lease_until", at(record.lease_until)),
                write.is_("attempts", record.attempts),
            )
        )
        item = self._update(record.delivery_id, write, condition)
        return None if item is None else record_of(item)

    # -- the events outbox ---------------------------------------------------

    def pending_events(self, limit: int = 100) -> list[tuple[str, DeliveryEvent]]:
        """Outbox keys are ``<delivery_id>/<event_id>``."""
        found: list[tuple[str, DeliveryEvent]] = []
        if limit <= 0:
            return found
        for item in self._query(OUTBOX_INDEX, ("pending", PENDING)):
            delivery_id = str(item["delivery_id"]["S"])
            entries = item.get("outbox", {}).get("M", {})
            events = sorted(
                (DeliveryEvent.model_validate_json(line["S"]) for line in entries.values()),
                key=lambda event: (event.at, str(event.event_id)),
            )
            found += [(f"{delivery_id}{_KEY_SEP}{event.event_id}", event) for event in events]
            if len(found) >= limit:
                break
        return found[:limit]

    def events_written(self, keys: Sequence[str]) -> None:
        by_delivery: dict[str, list[str]] = {}
        for key in keys:
            delivery_id, _, event_id = key.rpartition(_KEY_SEP)
            if delivery_id and event_id:  # else no key of this ledger's: nothing to drop
                by_delivery.setdefault(delivery_id, []).append(event_id)
        for delivery_id, event_ids in by_delivery.items():
            item: Item | None = None
            for start in range(0, len(event_ids), REMOVE_BATCH):
                write = Write()
                outbox = write.n("outbox")
                for number, event_id in enumerate(event_ids[start : start + REMOVE_BATCH]):
                    write.names[f"#e{number}"] = event_id
                    write.removes.append(f"{outbox}.#e{number}")
                item = self._update(delivery_id, write, f"attribute_exists({outbox})")
            if item is None or item.get("outbox", {}).get("M") or "pending" not in item:
                continue
            # Unlisted only while nothing new arrived: an event added since stays pending.
            write = Write().put({"pending": None})
            empty = f"size({write.n('outbox')}) = {write.v(0)}"
            self._update(delivery_id, write, f"{empty} AND attribute_exists({write.n('pending')})")
