"""The DynamoDB delivery ledger's table: its schema, and records as items
and back (the ledger: :mod:`~report_service.delivery.ledger_dynamodb`, which
says why the layout is so).

Table (Terraform creates the same,
``infra/terraform/aws/modules/storage/delivery_table.tf``;
:func:`table_definition` is what ``DynamoDeliveryLedger.ensure_table``
creates for tests and local emulators): ``REPORT_SERVICE_DELIVERY_TABLE``
(default ``analytics-report-deliveries``), on-demand billing, partition key
``delivery_id`` (S), no sort key. One item per delivery:

====================  ====  ====================================================
``delivery_id``       S     the id (:func:`analytics_core.deliveries.delivery_id`)
``kind`` ``source``   S     as the record; never changed after ``add``
``recipient``         S
``channel``           S
``due_at``            S     fixed-width UTC text, ``2026-06-15T06:00:00.000000Z``
                            (every time is: the text sorts as the moments do)
``report_job_id``     S     absent when none
``status``            S     ``queued``/``sending``/``sent``/``retrying``/``failed``
``phase``             S     ``prepare``/``transmit`` while sending; else absent
``attempts``          N
``next_attempt_at``   S     absent when unset (SQL's null)
``lease_owner``       S     while sending; else absent
``lease_until``       S     while sending; else absent
``created_at``        S
``updated_at``        S
``sent_at``           S     absent until sent
``delivered_as``      S     absent when none
``detail``            S     absent when none
``spec``              S     JSON (a string: DynamoDB numbers are not floats)
``queue``             S     ``open`` (queued, retrying) or ``sending``; absent
                            once sent or failed (sparse: ``queue-index``)
``wake_at``           S     open: ``next_attempt_at``, else ``created_at``;
                            sending: ``lease_until``
``listing``           S     always ``all`` (``recent-index``)
``outbox``            M     event id -> the event's JSON line, not yet written
                            to the event stream; always present (a nested
                            ``SET`` needs the map), empty when all are written
``pending``           S     ``events`` while ``outbox`` has an entry; else
                            absent (sparse: ``outbox-index``)
====================  ====  ====================================================

Global secondary indexes: ``queue-index`` (``queue``, ``wake_at``; ALL),
``source-index`` (``source``, ``due_at``; ALL), ``recent-index``
(``listing``, ``due_at``; ALL), ``outbox-index`` (``pending``,
``updated_at``; INCLUDE ``outbox``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Final

from analytics_core.events import DeliveryEvent
from report_service.delivery.ledger import OPEN, DeliveryRecord, format_time, parse_time

Item = dict[str, dict[str, Any]]

QUEUE_INDEX: Final = "queue-index"
SOURCE_INDEX: Final = "source-index"
RECENT_INDEX: Final = "recent-index"
OUTBOX_INDEX: Final = "outbox-index"
#: ``listing`` of every item: the one partition of ``recent-index``.
LISTING: Final = "all"
#: ``pending`` of an item with unwritten events.
PENDING: Final = "events"


def at(moment: dt.datetime) -> str:
    text = format_time(moment)
    assert text is not None  # noqa: S101 - a moment has a text
    return text


def text_of(item: Mapping[str, Mapping[str, Any]], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def _time(item: Mapping[str, Mapping[str, Any]], name: str) -> dt.datetime:
    parsed = parse_time(text_of(item, name))
    if parsed is None:
        raise ValueError(f"delivery item without {name}")
    return parsed


def record_of(item: Mapping[str, Mapping[str, Any]]) -> DeliveryRecord:
    def req(name: str) -> str:
        return str(item[name]["S"])

    return DeliveryRecord(
        delivery_id=req("delivery_id"),
        kind=req("kind"),
        source=req("source"),
        recipient=req("recipient"),
        channel=req("channel"),
        due_at=_time(item, "due_at"),
        report_job_id=text_of(item, "report_job_id"),
        status=req("status"),
        phase=text_of(item, "phase"),
        attempts=int(item["attempts"]["N"]),
        next_attempt_at=parse_time(text_of(item, "next_attempt_at")),
        lease_owner=text_of(item, "lease_owner"),
        lease_until=parse_time(text_of(item, "lease_until")),
        created_at=_time(item, "created_at"),
        updated_at=_time(item, "updated_at"),
        sent_at=parse_time(text_of(item, "sent_at")),
        delivered_as=text_of(item, "delivered_as"),
        detail=text_of(item, "detail"),
        spec=json.loads(req("spec")),
    )


def index_fields(record: DeliveryRecord) -> dict[str, str | None]:
    """``queue`` and ``wake_at`` of a record in this state (None: absent)."""
    if record.status in OPEN:
        return {
            "queue": "open",
            "wake_at": format_time(record.next_attempt_at or record.created_at),
        }
    if record.status == "sending":
        return {"queue": "sending", "wake_at": format_time(record.lease_until)}
    return {"queue": None, "wake_at": None}


def state_fields(record: DeliveryRecord) -> dict[str, str | None]:
    """The attributes a change may alter (all but ``attempts``), and the index keys."""
    return {
        "status": record.status,
        "phase": record.phase,
        "next_attempt_at": format_time(record.next_attempt_at),
        "lease_owner": record.lease_owner,
        "lease_until": format_time(record.lease_until),
        "updated_at": format_time(record.updated_at),
        "sent_at": format_time(record.sent_at),
        "delivered_as": record.delivered_as,
        "detail": record.detail,
        **index_fields(record),
    }


def _attr(value: str | int) -> dict[str, str]:
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def item_of(record: DeliveryRecord, event: DeliveryEvent) -> Item:
    """The item ``add`` puts: the record, its index keys and its first event."""
    fields: dict[str, str | int | None] = {
        "delivery_id": record.delivery_id,
        "kind": record.kind,
        "source": record.source,
        "recipient": record.recipient,
        "channel": record.channel,
        "due_at": format_time(record.due_at),
        "report_job_id": record.report_job_id,
        "attempts": record.attempts,
        "created_at": format_time(record.created_at),
        "spec": json.dumps(record.spec, sort_keys=True),
        "listing": LISTING,
        "pending": PENDING,
        **state_fields(record),
    }
    item: Item = {name: _attr(value) for name, value in fields.items() if value is not None}
    item["outbox"] = {"M": {str(event.event_id): {"S": event.model_dump_json()}}}
    return item


class Write:
    """One ``UpdateItem``'s expressions: attribute names as ``#name``, values as ``:vN``."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, dict[str, Any]] = {}
        self.sets: list[str] = []
        self.removes: list[str] = []

    def n(self, attribute: str) -> str:
        alias = f"#{attribute}"
        self.names[alias] = attribute
        return alias

    def v(self, value: str | int) -> str:
        alias = f":v{len(self.values)}"
        self.values[alias] = _attr(value)
        return alias

    def put(self, fields: Mapping[str, str | int | None]) -> Write:
        """SET each field, or REMOVE it where the value is None."""
        for attribute, value in fields.items():
            if value is None:
                self.removes.append(self.n(attribute))
            else:
                self.sets.append(f"{self.n(attribute)} = {self.v(value)}")
        return self

    def event(self, event: DeliveryEvent) -> Write:
        """Record ``event`` in the outbox (kept if already there) and list the item."""
        entry = f"{self.n('outbox')}.#event"
        self.names["#event"] = str(event.event_id)
        self.sets.append(f"{entry} = if_not_exists({entry}, {self.v(event.model_dump_json())})")
        return self.put({"pending": PENDING})

    def is_(self, attribute: str, value: str | int | None) -> str:
        """SQL's ``attribute is value`` (null-safe)."""
        if value is None:
            return f"attribute_not_exists({self.n(attribute)})"
        return f"{self.n(attribute)} = {self.v(value)}"

    def is_open(self) -> str:
        return f"{self.n('status')} IN ({self.v(OPEN[0])}, {self.v(OPEN[1])})"

    def held_by(self, owner: str) -> str:
        return f"{self.is_('status', 'sending')} AND {self.is_('lease_owner', owner)}"

    def update_expression(self) -> str:
        parts = []
        if self.sets:
            parts.append("SET " + ", ".join(self.sets))
        if self.removes:
            parts.append("REMOVE " + ", ".join(self.removes))
        return " ".join(parts)


def table_definition(table_name: str) -> dict[str, Any]:
    """``CreateTable``'s arguments: the key, the four indexes, on-demand billing."""

    def index(name: str, hash_key: str, range_key: str, **projection: Any) -> dict[str, Any]:
        return {
            "IndexName": name,
            "KeySchema": [
                {"AttributeName": hash_key, "KeyType": "HASH"},
                {"AttributeName": range_key, "KeyType": "RANGE"},
            ],
            "Projection": projection or {"ProjectionType": "ALL"},
        }

    keys = (
        "delivery_id",
        "queue",
        "wake_at",
        "source",
        "due_at",
        "listing",
        "pending",
        "updated_at",
    )
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in keys],
        "KeySchema": [{"AttributeName": "delivery_id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            index(QUEUE_INDEX, "queue", "wake_at"),
            index(SOURCE_INDEX, "source", "due_at"),
            index(RECENT_INDEX, "listing", "due_at"),
            index(
                OUTBOX_INDEX,
                "pending",
                "updated_at",
                ProjectionType="INCLUDE",
                NonKeyAttributes=["outbox"],
            ),
        ],
    }
