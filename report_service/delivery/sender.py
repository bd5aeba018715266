"""Queueing and sending deliveries, inside the report service.

:meth:`Deliveries.queue` takes planned deliveries
(:func:`analytics_core.deliveries.plan`), makes their report jobs (shared by
recipients who get the same report) and their ledger rows, each only once.

A thread then works the ledger: a delivery whose report job succeeded is
claimed for one attempt, its message written and sent over its channel in a
small pool of threads; one whose report failed fails with the report's
error; one whose report is still rendering waits without using an attempt.
A failed attempt that may succeed later is retried after
``DELIVERY_RETRY_SECONDS``, four times longer each time (or later, when the
receiver said so with Retry-After), until ``DELIVERY_MAX_ATTEMPTS``; then,
or at once when retrying cannot help, the delivery ends ``failed`` with its
error. Deliveries a dead sender held are recovered (see the ledger).

With ``DELIVERY_MODE=outbox`` (the embedded default) nothing leaves the
machine: each message is written under ``$ANALYTICS_HOME/outbox/`` instead,
and recorded like a send.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from analytics_core.deliveries import PlannedDelivery
from analytics_core.events import EventSink
from analytics_core.settings import DeliverySettings
from report_service.artifacts import ArtifactStore
from report_service.delivery import channels
from report_service.delivery.errors import PermanentSendError, SendError
from report_service.delivery.ledger import DeliveryLedger, DeliveryRecord, NewDelivery
from report_service.delivery.secrets import SecretResolver
from report_service.models import Job
from report_service.stores.base import JobStore

log = logging.getLogger("report_service.delivery")

#: How long a delivery waits before looking at its report job again.
WAIT_FOR_REPORT_SECONDS = 2.0
MAX_DETAIL_CHARS = 2000


def default_subject(title: str, params: dict[str, Any]) -> str:
    period = ", ".join(f"{k} {v}" for k, v in sorted(params.items()))
    return f"{title}: {period}" if period else title


def fill_subject(template: str | None, title: str, params: dict[str, Any], due: dt.datetime) -> str:
    """The subject line: the subscription's, with ``{report}`` and
    ``{due_date}`` filled, else the report's title and parameters. Plain
    replacement (no format mini-language), one line, at most 200 characters."""
    if not template:
        text = default_subject(title, params)
    else:
        text = template.replace("{report}", title).replace("{due_date}", due.date().isoformat())
    return " ".join(text.split())[:200]


def spec_of(planned: PlannedDelivery) -> dict[str, Any]:
    """What the ledger keeps of a planned delivery to send it later."""
    r = planned.recipient
    return {
        "recipient": {
            "name": r.name,
            "channel": r.channel,
            "to": list(r.to),
            "secret": r.secret,
            "delivery": r.delivery,
        },
        "report_type": planned.report_type,
        "params": planned.params,
        "formats": list(planned.formats),
        "subject": planned.subject,
    }


class Deliveries:
    """The ledger, the sending thread and its pool."""

    def __init__(
        self,
        *,
        ledger: DeliveryLedger,
        store: JobStore,
        artifacts: ArtifactStore,
        settings: DeliverySettings,
        outbox_dir: Path,
        link_base: str,
        make_jobs: Callable[[Sequence[PlannedDelivery]], Sequence[Job]],
        events: EventSink | None = None,
        resolver: SecretResolver | None = None,
        ses_client: Any = None,
        titles: Callable[[str], str] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        lease_seconds: float = 120.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.artifacts = artifacts
        self.settings = settings
        self.outbox_dir = outbox_dir
        self.link_base = link_base.rstrip("/")
        self.make_jobs = make_jobs
        self.events = events
        self.resolver = resolver or SecretResolver(settings)
        self.ses_client = ses_client
        self.titles = titles or (lambda report_type: report_type.replace("_", " ").capitalize())
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, settings.workers), thread_name_prefix="delivery"
        )
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()
        self._flush_lock = threading.Lock()

    # -- queueing ------------------------------------------------------------

    def queue(self, planned: Sequence[PlannedDelivery]) -> list[tuple[DeliveryRecord, bool]]:
        """Make the report jobs, then the deliveries (each once). A crash in
        between is mended by the next request: both steps are idempotent."""
        self.make_jobs(planned)
        now = self.clock()
        results = self.ledger.add(
            [
                NewDelivery(
                    delivery_id=p.delivery_id,
                    kind=p.kind,
                    source=p.source,
                    recipient=p.recipient.name,
                    channel=p.channel,
                    due_at=p.due_at,
                    report_job_id=p.report_job_id,
                    spec=spec_of(p),
                )
                for p in planned
            ],
            now,
        )
        self.flush_events()
        self._wake.set()
        return results

    def add(self, deliveries: Sequence[NewDelivery]) -> list[tuple[DeliveryRecord, bool]]:
        """Make deliveries that send no report (an alert's messages), each once."""
        results = self.ledger.add(list(deliveries), self.clock())
        self.flush_events()
        self._wake.set()
        return results

    # -- the loop ------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="deliveries", daemon=True)
        self._thread.start()

    def stop(self, grace: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=grace)
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.flush_events()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("the delivery loop failed; trying again")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def tick(self, wait: bool = False) -> int:
        """Recover stalled deliveries, then start what is ready; returns how
        many attempts started. ``wait``: run them here, one after another."""
        now = self.clock()
        for record in self.ledger.stalled(now):
            with self._busy_lock:
                if record.delivery_id in self._busy:
                    continue  # this process is still sending it: slow, not dead
            recovered = self.ledger.recover(record, now, resend=record.channel == "webhook")
            if recovered is not None:
                log.warning(
                    "delivery %s (%s to %s) was held by a sender that stopped: %s",
                    record.delivery_id,
                    record.source,
                    record.recipient,
                    recovered.status,
                )
        started = 0
        for record in self.ledger.ready(now, limit=50):
            with self._busy_lock:
                if record.delivery_id in self._busy or len(self._busy) >= self.settings.workers + 2:
                    continue
            claimed = self._claim_if_report_ready(record, now)
            if claimed is None:
                continue
            started += 1
            if wait:
                self.attempt(claimed)
            else:
                with self._busy_lock:
                    self._busy.add(claimed.delivery_id)
                self._pool.submit(self._attempt_in_pool, claimed)
        self.flush_events()
        return started

    def _attempt_in_pool(self, record: DeliveryRecord) -> None:
        try:
            self.attempt(record)
        except Exception:
            log.exception("delivery %s: the attempt failed unexpectedly", record.delivery_id)
        finally:
            with self._busy_lock:
                self._busy.discard(record.delivery_id)
            self.flush_events()

    def _claim_if_report_ready(
        self, record: DeliveryRecord, now: dt.datetime
    ) -> DeliveryRecord | None:
        job = self.store.get(record.report_job_id) if record.report_job_id else None
        if record.report_job_id and job is None:
            self.ledger.finish(
                record.delivery_id,
                None,
                now,
                status="failed",
                detail=f"its report job {record.report_job_id} does not exist",
            )
            return None
        if job is not None and job.status in ("queued", "running"):
            self.ledger.defer(
                record.delivery_id, now + dt.timedelta(seconds=WAIT_FOR_REPORT_SECONDS), now
            )
            return None
        if job is not None and job.status == "failed":
            self.ledger.finish(
                record.delivery_id,
                None,
                now,
                status="failed",
                detail=f"the report failed: {(job.error or 'no reason given')[:MAX_DETAIL_CHARS]}",
            )
            return None
        return self.ledger.claim(record.delivery_id, self.owner, now, self.lease_seconds)

    # -- one attempt ---------------------------------------------------------

    def attempt(self, record: DeliveryRecord) -> DeliveryRecord | None:
        """Write and send a claimed delivery's message once; record the outcome."""
        started = time.monotonic()
        spec = record.spec
        recipient = spec["recipient"]
        try:
            message = self.message(record)
            detail = self._send(record, message, recipient)
        except SendError as exc:
            return self._failed(record, exc, started)
        except Exception as exc:  # a bug must not leave the delivery held
            log.exception("delivery %s failed unexpectedly", record.delivery_id)
            return self._failed(
                record, PermanentSendError(f"unexpected {type(exc).__name__}: {exc}"[:500]), started
            )
        finished = self.ledger.finish(
            record.delivery_id,
            self.owner,
            self.clock(),
            status="sent",
            detail=detail,
            delivered_as="attach" if message.attach else "link",
            duration_ms=_ms(started),
        )
        log.info(
            "delivery %s (%s to %s): %s",
            record.delivery_id,
            record.source,
            record.recipient,
            detail,
        )
        return finished

    def _failed(
        self, record: DeliveryRecord, exc: SendError, started: float
    ) -> DeliveryRecord | None:
        now = self.clock()
        retry_at = None
        if exc.retryable and record.attempts < self.settings.max_attempts:
            delay = self.settings.retry_seconds * 4 ** max(0, record.attempts - 1)
            delay = max(delay, exc.retry_after or 0.0)
            retry_at = now + dt.timedelta(seconds=delay)
        status = "retrying" if retry_at else "failed"
        detail = exc.message[:MAX_DETAIL_CHARS]
        log.warning(
            "delivery %s (%s to %s) attempt %d: %s (%s)",
            record.delivery_id,
            record.source,
            record.recipient,
            record.attempts,
            detail,
            status,
        )
        return self.ledger.finish(
            record.delivery_id,
            self.owner,
            now,
            status=status,
            detail=detail,
            retry_at=retry_at,
            duration_ms=_ms(started),
        )

    def message(self, record: DeliveryRecord) -> channels.Message:
        spec = record.spec
        if record.kind == "alert":
            link = spec.get("link")
            return channels.Message(
                delivery_id=record.delivery_id,
                source=record.source,
                recipient=record.recipient,
                report_type="",
                title=spec["title"],
                subject=" ".join(f"Alert {record.source}: {spec['title']}".split())[:200],
                due_at=record.due_at,
                params={},
                files=(),
                attach=False,
                kind="alert",
                lines=tuple(spec.get("lines") or ()),
                link=(str(link[0]), str(link[1])) if link else None,
                key=spec.get("key"),
            )
        recipient = spec["recipient"]
        job = self.store.get(record.report_job_id) if record.report_job_id else None
        if job is None or job.status != "succeeded":
            raise PermanentSendError("its report is not ready")
        files = []
        wanted = spec.get("formats") or [a.format for a in job.artifacts]
        by_format = {a.format: a for a in job.artifacts}
        for fmt in wanted:
            artifact = by_format.get(fmt)
            if artifact is None:
                raise PermanentSendError(f"the report has no {fmt} file")
            url = self.artifacts.presigned_url(artifact) or (
                f"{self.link_base}/v1/reports/jobs/{job.job_id}/artifacts/{fmt}"
            )
            files.append(
                channels.ReportFile(
                    format=fmt,
                    filename=f"{job.report_type}-{record.due_at:%Y-%m-%d}.{fmt}",
                    content_type=artifact.content_type,
                    size=artifact.bytes,
                    sha256=artifact.sha256,
                    url=url,
                )
            )
        total = sum(f.size for f in files)
        attach = (
            recipient["channel"] == "email"
            and recipient.get("delivery", "attach") == "attach"
            and total <= self.settings.max_attachment_bytes
        )
        if attach:
            by_name = {a.format: a for a in job.artifacts}
            files = [
                channels.ReportFile(
                    **{**f.__dict__, "data": b"".join(self.artifacts.open(by_name[f.format]))}
                )
                for f in files
            ]
        title = self.titles(job.report_type)
        params = dict(spec.get("params") or {})
        return channels.Message(
            delivery_id=record.delivery_id,
            source=record.source,
            recipient=record.recipient,
            report_type=job.report_type,
            title=title,
            subject=fill_subject(spec.get("subject"), title, params, record.due_at),
            due_at=record.due_at,
            params=params,
            files=tuple(files),
            attach=attach,
        )

    def _transmit(self, record: DeliveryRecord) -> Callable[[], None]:
        def transmit() -> None:
            if not self.ledger.transmitting(
                record.delivery_id, self.owner, self.clock(), self.lease_seconds
            ):
                raise PermanentSendError("another sender took this delivery over; not sent here")

        return transmit

    def _send(
        self, record: DeliveryRecord, message: channels.Message, recipient: dict[str, Any]
    ) -> str:
        channel = recipient["channel"]
        transmit = self._transmit(record)
        if channel == "email":
            to = tuple(recipient["to"])
            mail = channels.compose_email(message, self.settings.mail_from, to)
            if self.settings.mode == "outbox":
                return self._to_outbox(record, "eml", mail.as_bytes(), transmit)
            if self.settings.email_transport == "ses":
                return channels.send_ses(self._ses(), mail, to, self.settings.mail_from, transmit)
            return channels.send_smtp(self.settings, mail, to, transmit)
        payload = {
            "slack": channels.slack_payload,
            "teams": channels.teams_payload,
            "webhook": channels.webhook_payload,
        }[channel](message)
        if self.settings.mode == "outbox":
            body = {"channel": channel, "secret": recipient["secret"], "payload": payload}
            return self._to_outbox(record, "json", json.dumps(body, indent=2).encode(), transmit)
        target = self.resolver.target(recipient["secret"], channel)
        return channels.post_json(
            target.url,
            payload,
            timeout=self.settings.http_timeout_seconds,
            transmit=transmit,
            what=f"the {channel} receiver of secret {recipient['secret']}",
            signing_key=target.signing_secret if channel == "webhook" else None,
            message_id=channels.webhook_message_id(record.delivery_id),
        )

    def _to_outbox(
        self, record: DeliveryRecord, suffix: str, data: bytes, transmit: Callable[[], None]
    ) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", record.recipient.lower()).strip("-")[:40] or "recipient"
        folder = self.outbox_dir / record.due_at.strftime("%Y-%m-%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{record.source}--{slug}--{record.delivery_id[:8]}.{suffix}"
        transmit()
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
        return f"written to the outbox: {path.relative_to(self.outbox_dir.parent)}"

    def _ses(self) -> Any:
        if self.ses_client is None:
            import boto3  # type: ignore[import-untyped]

            self.ses_client = boto3.client("sesv2")
        return self.ses_client

    # -- events --------------------------------------------------------------

    def flush_events(self) -> int:
        """Copy the ledger's pending events to the event stream. One flush at
        a time in this process (the loop and the pool's threads both flush),
        so it writes no event twice; flushes of other processes or replicas
        may, and a repeat is the same event (its ``event_id``), which the
        warehouse keeps once."""
        with self._flush_lock:
            return self._flush_events()

    def _flush_events(self) -> int:
        written = 0
        while True:
            pending = self.ledger.pending_events(limit=100)
            if not pending:
                return written
            try:
                if self.events is not None:
                    self.events.write([event for _, event in pending])
            except Exception as exc:
                log.warning(
                    "delivery events could not be written (%s); kept for later", type(exc).__name__
                )
                return written
            self.ledger.events_written([event_id for event_id, _ in pending])
            written += len(pending)


def _ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))
