"""The one settings class. Every component reads its configuration from here.

Values come from the environment (prefix ``ANALYTICS_``) and, for Snowflake,
from the variable names Snowflake teams already use (``SNOWFLAKE_*``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The repository root: where ``dbt_project.yml`` lives.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

Target = Literal["local", "snowflake", "emulator", "prod"]

#: A DuckDB memory size: ``2GB``, ``512MB``, ``1.5GiB``.
MEMORY_SIZE_PATTERN = r"^\d+(?:\.\d+)?\s*(?:[KMGTkmgt][Ii]?[Bb]|[Bb])$"

#: What to do about a local report service key file that is not private.
LOCAL_KEY_REMEDY = (
    "delete it and start the report service again, which makes a new key"
    " (then restart the UI and the scheduler, which read it)"
)


class Settings(BaseSettings):
    """Platform settings, read from the environment."""

    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    #: Everything local lives here: the warehouse, its build copy, dbt's
    #: artifacts, job store, report artifacts and events. Default: ``.analytics``
    #: under the current working directory.
    home: Path = Field(default_factory=lambda: Path.cwd() / ".analytics")
    #: dbt target (a name in ``profiles.yml.example``).
    target: Target = "local"
    #: How long a build or generate waits for another one to finish (seconds).
    lock_timeout: float = Field(default=600.0, ge=0)
    #: Where report job events go (``ANALYTICS_EVENTS_URL``): unset -> JSON-lines
    #: files under :attr:`events_dir`; ``s3://bucket/prefix`` -> S3 objects
    #: (see :mod:`analytics_core.events`).
    events_url: str | None = None
    #: dbt threads of a local build (``ANALYTICS_DBT_THREADS``; the build passes
    #: it to the profile's ``threads``). Unset: one per CPU core of this machine.
    dbt_threads: int | None = Field(default=None, ge=1, le=256)

    @property
    def dbt_thread_count(self) -> int:
        """:attr:`dbt_threads`, or the machine's CPU count."""
        import os

        return self.dbt_threads or os.cpu_count() or 1

    @cached_property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def warehouse_path(self) -> Path:
        """The published warehouse: readers open it read-only."""
        return self.home_dir / "warehouse.duckdb"

    @property
    def state_dir(self) -> Path:
        """Private to builds and the generator; readers never open it."""
        return self.home_dir / "state"

    @property
    def state_warehouse_path(self) -> Path:
        """Raw data and incremental state: the input of the next build."""
        return self.state_dir / "warehouse.duckdb"

    @property
    def build_warehouse_path(self) -> Path:
        """The copy of the state warehouse a build works on; it becomes the
        state (and is published) only when the build succeeds.

        Its file name is ``warehouse.duckdb`` too (in its own folder): DuckDB
        names a database after its file, and dbt writes that name into the
        manifest and catalog (``"warehouse"."reporting"."rpt_..."``), which
        must resolve in the published file as well.
        """
        return self.state_dir / "build" / "warehouse.duckdb"

    @property
    def build_inputs_path(self) -> Path:
        """The fingerprint of the inputs of the last complete, successful build
        (see :mod:`orchestration.build_inputs`): a build with the same inputs
        has nothing new to do."""
        return self.state_dir / "build_inputs.json"

    @property
    def incoming_warehouse_path(self) -> Path:
        """Where the generator writes before its output replaces the state."""
        return self.state_dir / "incoming" / "warehouse.duckdb"

    @property
    def lock_path(self) -> Path:
        """The file lock that serialises builds and generator runs."""
        return self.state_dir / "warehouse.lock"

    @property
    def report_service_key_path(self) -> Path:
        """The local report service's API key (mode 0600), made on its first
        start when no key is configured; local clients (UI, scheduler) read it."""
        return self.home_dir / "report_service" / "api_key"

    def local_report_service_key(self) -> str | None:
        """The key in :attr:`report_service_key_path`, or ``None`` before the
        local service first started. A key file that is not private (a link,
        another owner, readable by others) is refused with
        :class:`~analytics_core.private_files.PrivateFileError`."""
        from analytics_core.private_files import read_private

        text = read_private(self.report_service_key_path, remedy=LOCAL_KEY_REMEDY)
        return (text or "").strip() or None

    @property
    def events_dir(self) -> Path:
        """Report job events, one JSON line per job state change (see
        :mod:`analytics_core.events`); dbt reads them into ``monitoring``."""
        return self.home_dir / "events"

    @property
    def dbt_dir(self) -> Path:
        """dbt's profiles, target and logs for this home."""
        return self.home_dir / "dbt"

    @property
    def dbt_profiles_dir(self) -> Path:
        """Where ``profiles.yml`` is written when ``DBT_PROFILES_DIR`` is not set."""
        return self.dbt_dir / "profiles"

    @property
    def dbt_target_path(self) -> Path:
        """dbt's working target directory (manifest, run results, partial parse)."""
        return self.dbt_dir / "target"

    @property
    def dbt_log_path(self) -> Path:
        """dbt's full text log (``dbt.log``)."""
        return self.dbt_dir / "logs"

    @property
    def docs_dir(self) -> Path:
        """The dbt docs site and artifacts that match the *published* warehouse:
        ``manifest.json``, ``semantic_manifest.json``, ``run_results.json``,
        ``sources.json`` of the last successful build, and the site itself
        (``index.html``, ``catalog.json``) from the last time docs were
        generated (``analytics build --docs``, ``analytics docs``)."""
        return self.dbt_dir / "docs"

    def built_artifact(self, name: str) -> Path | None:
        """A dbt artifact (``manifest.json``, ``semantic_manifest.json``) of the
        last successful build (the published docs), else of the last local
        build, else of the newest build on a Snowflake target (those write to
        ``target-<target>/`` and publish nothing), else None."""
        for path in (self.docs_dir / name, self.dbt_target_path / name):
            if path.is_file():
                return path
        others = sorted(
            self.dbt_dir.glob(f"target-*/{name}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        return others[0] if others else None


class SnowflakeSettings(BaseSettings):
    """Connection settings for Snowflake (and the local emulator)."""

    model_config = SettingsConfigDict(env_prefix="SNOWFLAKE_", extra="ignore")

    account: str | None = None
    user: str | None = None
    password: str | None = Field(default=None, repr=False)
    #: The key pair's private key itself (PEM text), for containers that get it
    #: from a secrets store as an environment variable; else a file:
    private_key: str | None = Field(default=None, repr=False)
    private_key_path: str | None = None
    private_key_passphrase: str | None = Field(default=None, repr=False)
    role: str | None = None
    database: str = "analytics_platform"
    warehouse: str = "analytics_wh"
    #: Only for the emulator: where the fakesnow server listens.
    host: str | None = None
    port: int | None = None
    protocol: str = "https"


class ReportServiceSettings(BaseSettings):
    """The report service's settings.

    Names are the ones teams already use where one exists (``AWS_REGION``,
    ``S3_REPORTS_BUCKET``, ``SNOWFLAKE_*`` via :class:`SnowflakeSettings`);
    the rest are ``REPORT_SERVICE_*``. Where data lives locally comes from
    :class:`Settings` (``ANALYTICS_HOME``).
    """

    model_config = SettingsConfigDict(
        env_prefix="REPORT_SERVICE_", extra="ignore", populate_by_name=True
    )

    #: Comma-separated API keys accepted in ``x-api-key`` (never logged).
    api_keys: str = Field(default="", repr=False)
    #: In AWS: a Secrets Manager secret (ARN or name) whose string is the
    #: comma-separated keys (or a JSON list of them); read at start-up and
    #: added to :attr:`api_keys`.
    api_keys_secret: str | None = None
    #: Where reports read from: the published DuckDB warehouse or Snowflake.
    warehouse: Literal["duckdb", "snowflake"] = "duckdb"
    #: The schema holding the ``rpt_*`` views on Snowflake (``reporting`` in
    #: production; a prefixed one on developer and CI targets).
    reporting_schema: str = "reporting"
    #: Statement timeout of every report query (Snowflake's
    #: STATEMENT_TIMEOUT_IN_SECONDS; on DuckDB the query is interrupted) and
    #: Snowflake query tag.
    statement_timeout_seconds: int = Field(default=120, ge=1, le=3600)
    query_tag: str = "analytics_platform:report_service"
    #: DuckDB memory limit of the published warehouse (no spilling to disk):
    #: the reports read small ``rpt_*`` views, 2GB leaves a laptop usable.
    duckdb_memory_limit: str = Field(default="2GB", pattern=MEMORY_SIZE_PATTERN)
    #: Job store: SQLite (WAL) under ANALYTICS_HOME, or a DynamoDB table.
    job_store: Literal["sqlite", "dynamodb"] = "sqlite"
    dynamodb_table: str = "analytics-report-jobs"
    #: With the DynamoDB job store: the deliveries' ledger, a table every
    #: replica shares (with SQLite: ``report_service/deliveries.sqlite3``).
    delivery_table: str = "analytics-report-deliveries"
    #: Artifact bucket (``S3_REPORTS_BUCKET``); unset: the local store.
    s3_bucket: str | None = Field(default=None, validation_alias="S3_REPORTS_BUCKET")
    s3_prefix: str = "reports"
    aws_region: str | None = Field(default=None, validation_alias="AWS_REGION")
    #: Only for tests and local AWS emulators (moto): an endpoint for boto3.
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    #: Downloads of S3 artifacts redirect to presigned URLs valid this long.
    presign_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    #: Rendering workers per replica (0: this replica only takes requests and
    #: leaves rendering to others), and how many jobs may wait before 429.
    workers: int = Field(default=2, ge=0, le=64)
    queue_limit: int = Field(default=200, ge=1)
    #: A worker's claim on a job lasts this long and is renewed while it runs;
    #: a job whose worker died is claimed again once its lease expires.
    lease_seconds: float = Field(default=30.0, gt=0)
    #: A job that fails (or whose worker dies) this many times ends ``failed``.
    max_attempts: int = Field(default=3, ge=1, le=20)
    #: How often an idle worker looks for queued jobs (seconds).
    poll_seconds: float = Field(default=0.5, gt=0)
    #: On SIGTERM, running jobs get this long to finish before their leases
    #: are released for another replica.
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    #: Request bodies larger than this are refused with 413.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    #: External-function batches larger than this are refused with 413.
    max_batch_rows: int = Field(default=5000, ge=1)
    #: JSON nested deeper than this (a job request body, an external-function
    #: row or its params string) is refused with 422 (a row error in a batch).
    max_json_depth: int = Field(default=32, ge=4, le=256)
    #: A request head (request line and headers) larger than this, or with more
    #: headers than ``max_header_count``, is refused with 431; one not complete
    #: within ``header_timeout_seconds`` of its first byte gets 408.
    max_header_bytes: int = Field(default=64 * 1024, ge=4096, le=1024 * 1024)
    max_header_count: int = Field(default=100, ge=10, le=1000)
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    #: Public base URL used in ``status_url``, ``Location`` and artifact links;
    #: unset: the links are relative (``/v1/reports/jobs/<id>``), never built
    #: from the request's ``Host``.
    public_base_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "INFO"

    @property
    def api_key_list(self) -> list[str]:
        return [key.strip() for key in self.api_keys.split(",") if key.strip()]


class QuestionSettings(BaseSettings):
    """How questions in plain language are answered (``QUESTIONS_*``).

    ``engine``: ``local`` (our parser over the semantic layer, offline),
    ``cortex_analyst`` (Snowflake Cortex Analyst; needs the Snowflake target and
    a semantic view or a staged semantic model file), or ``auto``: Cortex
    Analyst when the warehouse is Snowflake and ``cortex_enabled`` is on,
    else local.
    """

    model_config = SettingsConfigDict(env_prefix="QUESTIONS_", extra="ignore")

    engine: Literal["auto", "local", "cortex_analyst"] = "auto"
    warehouse: Literal["duckdb", "snowflake"] = "duckdb"
    cortex_enabled: bool = False
    #: ``DB.SCHEMA.VIEW`` of the semantic view Cortex Analyst reads...
    cortex_semantic_view: str | None = None
    #: ...or the staged semantic model file, ``@DB.SCHEMA.STAGE/path.yaml``.
    cortex_semantic_model_file: str | None = None
    #: Base URL of the account (``https://<account>.snowflakecomputing.com``);
    #: default from ``SNOWFLAKE_ACCOUNT``.
    cortex_base_url: str | None = None
    #: A token for the REST API (programmatic access token, OAuth or key-pair
    #: JWT, see ``cortex_token_type``); never logged.
    cortex_token: str | None = Field(default=None, repr=False)
    cortex_token_type: Literal["PROGRAMMATIC_ACCESS_TOKEN", "OAUTH", "KEYPAIR_JWT"] = (
        "PROGRAMMATIC_ACCESS_TOKEN"  # noqa: S105 - a token kind, not a secret
    )
    cortex_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    #: Rows a question may return (the guard adds this LIMIT).
    max_rows: int = Field(default=1000, ge=1, le=100_000)
    #: Seconds a question's query may run (Snowflake's statement timeout; on
    #: DuckDB the query is interrupted). Questions are interactive and the
    #: semantic layer's queries take well under a second on a laptop's
    #: warehouse, so 30 s only stops runaways.
    statement_timeout_seconds: int = Field(default=30, ge=1, le=3600)
    #: DuckDB memory limit for questions' queries (spilling to disk is off, so
    #: beyond it a query fails with a memory error). 2GB is what a laptop can
    #: spare next to the UI and a browser; a question's aggregates need far less.
    memory_limit: str = Field(default="2GB", pattern=MEMORY_SIZE_PATTERN)
    reporting_schema: str = "reporting"

    @property
    def schema_prefix(self) -> str | None:
        """``dev_alice`` when ``reporting_schema`` is ``dev_alice_reporting``
        (a developer's target); None for ``reporting``."""
        from analytics_core.errors import ConfigurationError

        schema = self.reporting_schema.strip().lower()
        if schema == "reporting":
            return None
        if schema.endswith("_reporting") and len(schema) > len("_reporting"):
            return schema[: -len("_reporting")]
        raise ConfigurationError(
            f"QUESTIONS_REPORTING_SCHEMA is {self.reporting_schema!r}; expected reporting or "
            "<prefix>_reporting"
        )

    @property
    def schema_name_prefix(self) -> str:
        """What comes before each schema's name: ``dev_alice_`` (a developer's
        target), else nothing."""
        prefix = self.schema_prefix
        return f"{prefix}_" if prefix else ""


class UISettings(BaseSettings):
    """The Streamlit UI (``UI_*``); the report service it talks to comes from
    ``REPORT_SERVICE_URL`` and ``REPORT_SERVICE_API_KEY`` (locally: the key
    file the service writes under ``$ANALYTICS_HOME/report_service``)."""

    model_config = SettingsConfigDict(env_prefix="UI_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8501, ge=0, le=65535)
    report_service_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="REPORT_SERVICE_URL"
    )
    report_service_api_key: str | None = Field(
        default=None, repr=False, validation_alias="REPORT_SERVICE_API_KEY"
    )
    #: Where the monitoring views are read: the published DuckDB file or Snowflake.
    warehouse: Literal["duckdb", "snowflake"] = "duckdb"
    #: On Snowflake: the schema of the ``rpt_*`` views, the statement timeout
    #: of the page's queries (STATEMENT_TIMEOUT_IN_SECONDS) and the query tag.
    #: The defaults are the report service's (``REPORT_SERVICE_*``), which the
    #: UI read until it had its own.
    reporting_schema: str = "reporting"
    statement_timeout_seconds: int = Field(default=120, ge=1, le=3600)
    query_tag: str = "analytics_platform:ui"
    #: Days of history on the Data health page.
    health_days: int = Field(default=30, ge=1, le=3660)


class SchedulerSettings(BaseSettings):
    """The local scheduler (``SCHEDULER_*``): ``analytics serve scheduler``. It
    calls the report service at ``REPORT_SERVICE_URL`` with
    ``REPORT_SERVICE_API_KEY`` (locally: the key file the service writes)."""

    model_config = SettingsConfigDict(
        env_prefix="SCHEDULER_", extra="ignore", populate_by_name=True
    )

    #: The schedule file (default: ``analytics_core/schedules.yml``, package data).
    schedule_file: Path | None = None
    report_service_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="REPORT_SERVICE_URL"
    )
    report_service_api_key: str | None = Field(
        default=None, repr=False, validation_alias="REPORT_SERVICE_API_KEY"
    )
    #: Attempts per due run before it is recorded as failed.
    max_attempts: int = Field(default=3, ge=1, le=20)
    #: The first retry waits this long; each next one four times longer.
    retry_seconds: float = Field(default=60.0, ge=0)
    #: A build that runs longer than this is stopped and counts as failed.
    build_timeout_seconds: float = Field(default=3 * 3600, gt=0)
    #: Seconds to wait for the report service to take a report job.
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    #: Jobs that may run at once (builds still run one at a time: the warehouse lock).
    workers: int = Field(default=2, ge=1, le=16)


class DeliverySettings(BaseSettings):
    """How the report service sends subscriptions and alerts (``DELIVERY_*``).

    Mail goes through an SMTP relay (``smtp``, any provider, SES's SMTP
    interface included) or, in AWS, the SES API with the task's role
    (``ses``: no long-lived credentials). Chat and webhook URLs are secrets
    named in the schedule file and read here: from the environment
    (``DELIVERY_SECRET_<NAME>``, the name upper-cased with every other
    character ``_``) or from Secrets Manager (``<secrets_prefix><name>``).
    """

    model_config = SettingsConfigDict(env_prefix="DELIVERY_", extra="ignore", populate_by_name=True)

    #: ``outbox`` (the embedded default: a laptop has no mail relay or chat
    #: secrets): every message is written to ``$ANALYTICS_HOME/outbox/``
    #: (mail as ``.eml``, chat and webhook calls as ``.json``) instead of
    #: leaving the machine, and recorded like a send. ``send``: sent for real
    #: (the AWS task sets it).
    mode: Literal["send", "outbox"] = "outbox"
    email_transport: Literal["smtp", "ses"] = "smtp"
    mail_from: str = "reports@analytics.invalid"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    #: starttls (port 587), ssl (implicit TLS, port 465) or none (a local relay only).
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    #: Where a secret named in the schedule file is read.
    secrets_source: Literal["env", "secretsmanager"] = "env"
    #: Secrets Manager names are this prefix plus the secret's name.
    secrets_prefix: str = "analytics/delivery/"
    #: Attachments of one message above this many bytes go as links instead
    #: (10 MiB: under the common mail limits once base64 adds a third; Slack,
    #: Teams and webhooks always get links).
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=0, le=30 * 1024 * 1024)
    #: Attempts per delivery; the first retry waits ``retry_seconds``, each
    #: next one four times longer.
    max_attempts: int = Field(default=5, ge=1, le=20)
    retry_seconds: float = Field(default=30.0, ge=0)
    #: Seconds to wait for a chat service or webhook to answer.
    http_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    #: Where people open the UI: alert messages link to its Ask page there.
    ui_url: str = "http://127.0.0.1:8501"
    #: Sends at once (0: this replica sends nothing; it still queues).
    workers: int = Field(default=2, ge=0, le=16)
    #: How long a sender holds a delivery before another may take it over
    #: (a sender that died); longer than the slowest send.
    lease_seconds: float = Field(default=120.0, gt=0, le=3600)
