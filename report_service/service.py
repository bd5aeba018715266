"""The service object the routes share, and how a request becomes a job.

:class:`ReportService` holds settings, the job store, the artifact store,
the warehouse client, the worker pool and the metrics; the routes reach it
through the dependencies of :mod:`report_service.routes.deps`. Workers start
with the app and stop with it (SIGTERM: stop claiming, finish or release
running jobs within ``shutdown_grace_seconds``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics_core.errors import ConfigurationError
from analytics_core.events import EventSink, event_sink
from analytics_core.settings import (
    DeliverySettings,
    ReportServiceSettings,
    Settings,
    SnowflakeSettings,
)
from analytics_core.warehouse import WarehouseClient
from report_service.artifacts import ArtifactStore, open_artifact_store
from report_service.models import (
    FORMATS,
    InvalidRequestError,
    Job,
    QueueFullError,
    Trigger,
    utcnow,
)
from report_service.observability import Metrics
from report_service.stores.base import JobStore
from report_service.stores.factory import open_job_store
from report_service.worker import WorkerPool, job_event

if TYPE_CHECKING:
    from analytics_core.deliveries import PlannedDelivery
    from report_service.delivery.ledger import DeliveryLedger
    from report_service.delivery.sender import Deliveries

log = logging.getLogger("report_service.api")

#: Namespace of the deterministic job ids (uuid5) of idempotent requests.
JOB_NAMESPACE = uuid.UUID("0f3a8c52-6d1e-4c9a-9a57-3f1f6c2d8b10")
MAX_PARAMS_BYTES = 8192
QUEUE_DEPTH_CACHE_SECONDS = 0.5


class ReportService:
    """Everything the routes share. Tests and the CLI build it from settings."""

    def __init__(
        self,
        service: ReportServiceSettings,
        settings: Settings,
        *,
        snowflake: SnowflakeSettings | None = None,
        store: JobStore | None = None,
        artifacts: ArtifactStore | None = None,
        events: EventSink | None = None,
        start_workers: bool = True,
        delivery: DeliverySettings | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        #: The account the warehouse client reads when ``service.warehouse`` is
        #: ``snowflake`` (the entry point reads it from the environment).
        self.snowflake = snowflake
        self.api_keys = [key.encode() for key in load_api_keys(self.service)]
        self.store = store or open_job_store(self.service, self.settings)
        self.artifacts = artifacts or open_artifact_store(self.service, self.settings)
        self.events = events if events is not None else event_sink(self.settings)
        self.start_workers = start_workers
        from report_service.stores.sqlite import SQLiteJobStore

        #: Reads from a local SQLite file are fast enough to run on the event loop.
        self.local_store = isinstance(self.store, SQLiteJobStore)
        self._client: WarehouseClient | None = None
        self._client_lock = threading.Lock()
        self._depth = (0.0, 0)
        self.metrics = Metrics(self.queue_depth_now, lambda: self.pool.running_jobs)
        self.pool = WorkerPool(
            store=self.store,
            artifacts=self.artifacts,
            renderer=self.render,
            events=self.events,
            workers=self.service.workers,
            lease_seconds=self.service.lease_seconds,
            max_attempts=self.service.max_attempts,
            poll_seconds=self.service.poll_seconds,
            on_finished=lambda job, outcome, seconds: self.metrics.job_finished(
                job.report_type, outcome, seconds
            ),
        )
        self.delivery_settings = delivery or DeliverySettings()
        self._deliveries: Deliveries | None = None
        self._deliveries_lock = threading.Lock()

    # deliveries --------------------------------------------------------------
    @property
    def deliveries(self) -> Deliveries:
        """The delivery ledger and sender (``report_service.delivery``), made on first use."""
        with self._deliveries_lock:
            if self._deliveries is None:
                self._deliveries = self._open_deliveries()
            return self._deliveries

    def _open_ledger(self) -> DeliveryLedger:
        """The ledger beside the job store: every replica shares the DynamoDB
        table (one ledger per replica would send once per replica); locally a
        SQLite file under ``ANALYTICS_HOME``."""
        if self.service.job_store == "dynamodb":
            from report_service.delivery.ledger_dynamodb import DynamoDeliveryLedger

            return DynamoDeliveryLedger.from_settings(self.service)
        from report_service.delivery.ledger_sqlite import SQLiteDeliveryLedger

        return SQLiteDeliveryLedger(
            self.settings.home_dir / "report_service" / "deliveries.sqlite3"
        )

    def _open_deliveries(self) -> Deliveries:
        from report_service.delivery.secrets import SecretResolver
        from report_service.delivery.sender import Deliveries
        from report_service.reports import get_report

        link_base = self.service.public_base_url or (
            f"http://{self.service.host}:{self.service.port}"
        )
        return Deliveries(
            ledger=self._open_ledger(),
            store=self.store,
            artifacts=self.artifacts,
            settings=self.delivery_settings,
            outbox_dir=self.settings.home_dir / "outbox",
            link_base=link_base,
            make_jobs=self.delivery_jobs,
            events=self.events,
            resolver=SecretResolver(
                self.delivery_settings,
                region=self.service.aws_region,
                endpoint_url=self.service.aws_endpoint_url,
            ),
            titles=lambda report_type: get_report(report_type).title,
            lease_seconds=self.delivery_settings.lease_seconds,
        )

    def delivery_jobs(self, planned: Sequence[PlannedDelivery]) -> list[Job]:
        """The report jobs planned deliveries send, made once each (recipients
        who get the same report share one)."""
        jobs: dict[str, Job] = {}
        for item in planned:
            if item.report_job_id in jobs:
                continue
            jobs[item.report_job_id] = new_job(
                item.report_type,
                dict(item.params),
                list(item.formats),
                trigger="schedule",
                job_id=item.report_job_id,
                request_hash=canonical_hash(
                    ["delivery", item.report_type, item.params, sorted(item.formats)]
                ),
            )
        fresh = [job for job in jobs.values() if self.store.get(job.job_id) is None]
        if fresh:
            self.admit(len(fresh))
            self.enqueue(fresh)
        return list(jobs.values())

    # warehouse ---------------------------------------------------------------
    def warehouse(self) -> WarehouseClient:
        """The shared warehouse client, opened on first use."""
        with self._client_lock:
            if self._client is None:
                from report_service.warehouse import open_warehouse_client

                self._client = open_warehouse_client(self.service, self.settings, self.snowflake)
            return self._client

    def render(self, job: Job, out_dir: Path) -> dict[str, Path]:
        from report_service.reports import render_report

        return render_report(job.report_type, job.params, job.formats, self.warehouse(), out_dir)

    # queue -------------------------------------------------------------------
    def queue_depth_now(self) -> float:
        try:
            return float(self.store.queue_depth())
        except Exception:
            return float("nan")

    def queue_depth(self) -> int:
        """The store's queue depth, cached for half a second (checked on every POST)."""
        at, depth = self._depth
        now = time.monotonic()
        if now - at > QUEUE_DEPTH_CACHE_SECONDS:
            depth = self.store.queue_depth()
            self._depth = (now, depth)
        return depth

    def admit(self, jobs: int) -> None:
        depth = self.queue_depth()
        if depth + jobs > self.service.queue_limit:
            raise QueueFullError(
                f"the report queue is full ({depth} jobs waiting, limit "
                f"{self.service.queue_limit}); retry later"
            )

    def enqueue(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        results = self.store.create_many(jobs)
        created = [job for job, was_created in results if was_created]
        if created:
            at, depth = self._depth
            self._depth = (at, depth + len(created))
            for job in created:
                self.metrics.jobs_created.labels(job.report_type, job.trigger).inc()
            if self.events is not None:
                try:
                    self.events.write([job_event(job, "queued") for job in created])
                except Exception:
                    log.exception("writing job events failed")
            self.pool.wake()
        return results

    # auth --------------------------------------------------------------------
    def key_is_valid(self, presented: str | None) -> bool:
        if not presented or not self.api_keys:
            return False
        candidate = presented.encode("utf-8", "replace")
        valid = False
        for key in self.api_keys:  # compare with every key: constant time overall
            valid |= hmac.compare_digest(candidate, key)
        return valid

    # lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        if self.start_workers:
            self.pool.start()
            if self.delivery_settings.workers > 0:
                self.deliveries.start()

    def stop(self) -> None:
        if self.start_workers:
            self.pool.stop(self.service.shutdown_grace_seconds)
        if self._deliveries is not None:
            self._deliveries.stop(self.service.shutdown_grace_seconds)
            self._deliveries.ledger.close()
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        self.store.close()


def ready_reasons(open_warehouse: Callable[[], WarehouseClient], store: JobStore) -> list[str]:
    """Why the service cannot serve the catalog yet (empty: ready): the warehouse
    (opened by ``open_warehouse``) lacks a relation or column the catalog reads,
    or the job store does not answer."""
    from report_service.reports import CATALOG
    from report_service.warehouse import check_ready

    reasons: list[str] = []
    try:
        reasons.extend(check_ready(open_warehouse(), CATALOG))
    except Exception as exc:
        reasons.append(f"warehouse: {exc}")
    try:
        store.queue_depth()
    except Exception as exc:
        reasons.append(f"job store: {type(exc).__name__}: {exc}")
    return reasons


def load_api_keys(service: ReportServiceSettings) -> list[str]:
    """Keys from ``REPORT_SERVICE_API_KEYS`` plus, in AWS, the Secrets Manager
    secret ``REPORT_SERVICE_API_KEYS_SECRET`` (comma-separated or a JSON list)."""
    keys = service.api_key_list
    if service.api_keys_secret:
        import boto3  # type: ignore[import-untyped]

        client = boto3.client(
            "secretsmanager",
            region_name=service.aws_region,
            endpoint_url=service.aws_endpoint_url,
        )
        try:
            value = client.get_secret_value(SecretId=service.api_keys_secret)["SecretString"]
        except Exception as exc:
            raise ConfigurationError(
                f"cannot read the API keys secret {service.api_keys_secret!r}: {type(exc).__name__}"
            ) from exc
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value.split(",")
        if isinstance(parsed, dict):
            parsed = parsed.get("api_keys", [])
        if isinstance(parsed, str):
            parsed = parsed.split(",")
        keys += [str(key).strip() for key in parsed if str(key).strip()]
    return keys


def local_api_key(settings: Settings) -> str:
    """The local default: a random key kept in ``$ANALYTICS_HOME/report_service/api_key``
    (mode 0600), created on first use, so a local service is never open.

    The file is written atomically with mode 0600 whatever the umask or a
    stale temporary file (:func:`~analytics_core.private_files.write_private`);
    an existing key file that others can read, a link or another user's file
    is refused (:class:`~analytics_core.private_files.PrivateFileError`), not used."""
    from analytics_core.private_files import write_private

    path = settings.report_service_key_path
    key = settings.local_report_service_key()
    if key:
        return key
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created only if absent, so two first starts agree on one key (the loser
    # reads the winner's). Deciding to replace from `path.exists()` raced: a
    # start that saw no key replaced the key another start had just linked.
    # Only an empty file (left by an old version) is replaced, after the read.
    token = secrets.token_urlsafe(32) + "\n"
    write_private(path, token, replace=False)
    key = settings.local_report_service_key()
    if not key:
        write_private(path, token, replace=True)
        key = settings.local_report_service_key()
    if not key:
        raise ConfigurationError(f"the report service key file {path} could not be written")
    return key


def canonical_hash(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def new_job(
    report_type: str,
    params: dict[str, Any],
    formats: list[str],
    *,
    trigger: Trigger,
    job_id: str | None = None,
    request_hash: str | None = None,
    idempotency_key: str | None = None,
) -> Job:
    """Validate a request against the catalog and make its queued job."""
    from report_service.reports import get_report

    definition = get_report(report_type)
    validated = definition.validate_params(params)
    clean_params = validated.model_dump(mode="json", exclude_unset=True)
    if len(json.dumps(clean_params)) > MAX_PARAMS_BYTES:
        raise InvalidRequestError(f"params are larger than {MAX_PARAMS_BYTES} bytes")
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise InvalidRequestError(
            f"unknown format {unknown[0]!r}; formats are {', '.join(FORMATS)}",
            code="unknown_format",
        )
    unique_formats = list(dict.fromkeys(formats))
    return Job(
        job_id=job_id or str(uuid.uuid4()),
        report_type=report_type,
        params=clean_params,
        formats=unique_formats,
        status="queued",
        created_at=utcnow(),
        trigger=trigger,
        request_hash=request_hash,
        idempotency_key=idempotency_key,
    )
