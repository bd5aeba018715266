"""An alert's findings turned into deliveries: routed, suppressed, made once.

An evaluator (``analytics alerts``, after a build) reports what an alert
found; this module decides who gets which finding:

- **routing**: a data-quality finding goes to the recipients whose
  ``owners`` include its owner, and to every recipient without ``owners``;
  a finding without an owner goes to every recipient;
- **suppression**: a recipient gets one message about one finding (its
  ``key``) per ``suppress`` interval. The delivery's id is derived from the
  alert, the recipient, the key and the interval window, so two evaluators
  reporting the same finding at once make one delivery; a message sent in
  the window before, less than ``suppress`` ago, suppresses it too (the
  ledger is read). A metric alert's key names its period, so it is sent
  once per period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analytics_core.alerts import Alert
from analytics_core.deliveries import Finding, alert_delivery_id, suppression_window
from report_service.delivery.ledger import DeliveryRecord, NewDelivery

#: Ledger rows read per alert for the suppression check.
RECENT_FOR_SUPPRESSION = 500


@dataclass(frozen=True)
class AlertPlan:
    deliveries: list[NewDelivery]
    #: (recipient, key) pairs held back: sent less than ``suppress`` ago.
    suppressed: list[tuple[str, str]]


def routed(alert: Alert, finding: Finding) -> list[Any]:
    """The recipients (AlertRecipient) a finding goes to."""
    return [
        r
        for r in alert.recipients
        if not r.owners or finding.owner is None or finding.owner in r.owners
    ]


def plan_alert(
    alert: Alert,
    findings: Sequence[Finding],
    now: dt.datetime,
    recent: Sequence[DeliveryRecord],
) -> AlertPlan:
    """The deliveries of ``findings`` for ``now``; ``recent``: the alert's
    latest deliveries in the ledger (for the suppression check)."""
    window = suppression_window(now, alert.suppress)
    last_sent: dict[tuple[str, str], dt.datetime] = {}
    for record in recent:
        if record.status == "failed":
            continue  # a failed message suppresses nothing: try again
        pair = (record.recipient, str(record.spec.get("key")))
        last_sent[pair] = max(last_sent.get(pair, record.created_at), record.created_at)
    planned: list[NewDelivery] = []
    suppressed: list[tuple[str, str]] = []
    for finding in findings:
        for target in routed(alert, finding):
            recipient = target.recipient
            pair = (recipient.name, finding.key)
            delivery_id = alert_delivery_id(alert.name, recipient.name, finding.key, window)
            previous = last_sent.get(pair)
            recent_enough = (
                previous is not None
                and alert.suppress is not None
                and now - previous < alert.suppress
            )
            if recent_enough and not any(r.delivery_id == delivery_id for r in recent):
                suppressed.append(pair)
                continue
            planned.append(
                NewDelivery(
                    delivery_id=delivery_id,
                    kind="alert",
                    source=alert.name,
                    recipient=recipient.name,
                    channel=recipient.channel,
                    due_at=now,
                    report_job_id=None,
                    spec={
                        "recipient": {
                            "name": recipient.name,
                            "channel": recipient.channel,
                            "to": list(recipient.to),
                            "secret": recipient.secret,
                            "delivery": "link",
                        },
                        "key": finding.key,
                        "title": finding.title,
                        "lines": list(finding.lines),
                        "link": list(finding.link) if finding.link else None,
                        "owner": finding.owner,
                    },
                )
            )
    return AlertPlan(deliveries=planned, suppressed=suppressed)
