"""How both job stores write a job's values as text: timestamps that sort
like time, and artifacts and the pending event as JSON. One definition, so
a job reads the same from SQLite and from DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from report_service.models import Artifact, PendingEvent


def format_ts(value: datetime) -> str:
    """Fixed-width ISO 8601 UTC text that sorts like time (naive = UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def artifacts_to_json(artifacts: Sequence[Artifact]) -> str:
    return json.dumps([asdict(a) for a in artifacts], separators=(",", ":"))


def artifacts_from_json(text: str | None) -> list[Artifact]:
    return [Artifact(**item) for item in json.loads(text or "[]")]


def pending_to_json(pending: PendingEvent | None) -> str | None:
    return None if pending is None else json.dumps(asdict(pending), separators=(",", ":"))


def pending_from_json(text: str | None) -> PendingEvent | None:
    return None if text is None else PendingEvent(**json.loads(text))
