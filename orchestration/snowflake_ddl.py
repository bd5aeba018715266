"""The Snowflake side of the platform, rendered from the schedule file and
settings: ``analytics snowflake-ddl``.

1. the API integration to the report service behind AWS API Gateway;
2. the external functions ``generate_report_via_ecs(report_type, params)`` and
   ``check_ecs_job_status(job_id)`` (the service's ``/v1/external/*``
   endpoints), and ``generate_sales_report_ecs(report_date)``, a SQL function
   over the first for the daily sales report;
3. one serverless task per report job of the schedule file (``USING CRON ...
   UTC``), each calling ``generate_report_via_ecs`` with its parameters
   computed in Snowflake from the placeholders' SQL and, for each
   subscription of the job, ``deliver_subscription_via_ecs(name, due_at)``
   with the run's originally scheduled time (the service renders and
   delivers; a retried run names the same deliveries, sent once);
4. the grants a deploying role and an operating role need.

Idempotent: run it twice and nothing changes. The API integration is created
only if missing and then altered, because replacing one gives it a new
external id and breaks the IAM role's trust policy; functions are
``CREATE OR REPLACE`` (same signature, nothing depends on their identity);
tasks are ``CREATE OR ALTER`` and resumed.

The values Terraform knows (the gateway's URL, the role Snowflake assumes)
are inputs: options, or ``--terraform-outputs`` pointing at ``terraform output
-json``. The API key is read from an environment variable and appears in the
output only in the integration's ``API_KEY``; without it the statement has
no key and a warning says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics_core.errors import ConfigurationError
from analytics_core.schedules import ReportJob, Schedule

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_GATEWAY_URL = re.compile(
    r"^https://[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[A-Za-z0-9_-]+/?$"
)
#: Terraform output names (issue 8's outputs.tf) -> inputs.
TERRAFORM_OUTPUTS = {
    "api_gateway_url": "gateway_url",
    "snowflake_api_role_arn": "role_arn",
}


@dataclass(frozen=True)
class DeployInputs:
    """What the DDL needs from outside the repository."""

    gateway_url: str
    role_arn: str
    database: str
    schema: str = "reporting"
    integration: str = "analytics_report_service"
    #: The role that owns and runs the tasks and may call the functions.
    operator_role: str = "analytics_operator"
    #: Rows per external-function request (the service accepts up to 1,000).
    max_batch_rows: int = 100
    api_key: str | None = None

    def checked(self) -> DeployInputs:
        """These inputs, or :class:`ConfigurationError` naming the bad one."""
        if not _GATEWAY_URL.match(self.gateway_url):
            raise ConfigurationError(
                f"gateway URL {self.gateway_url[:200]!r} is not an API Gateway stage URL"
                " (https://<id>.execute-api.<region>.amazonaws.com/<stage>)"
            )
        if not _ROLE_ARN.match(self.role_arn):
            raise ConfigurationError(f"role ARN {self.role_arn[:200]!r} is not an IAM role ARN")
        for name in ("database", "schema", "integration", "operator_role"):
            value = getattr(self, name)
            if not _IDENTIFIER.match(value):
                raise ConfigurationError(
                    f"{name} {value[:100]!r} must be a plain Snowflake identifier"
                    " (letters, digits, _ and $, starting with a letter or _)"
                )
        if not 1 <= self.max_batch_rows <= 1000:
            raise ConfigurationError("max batch rows must be between 1 and 1,000")
        if self.api_key is not None and not re.fullmatch(r"[\x21-\x7e]{8,256}", self.api_key):
            raise ConfigurationError("the API key must be 8-256 printable characters, no spaces")
        return self


def terraform_output_json(root: Path) -> str:
    """``terraform -chdir=<root> output -json``: the outputs of a root module's
    state (no providers needed)."""
    import shutil
    import subprocess

    terraform = shutil.which("terraform")
    if terraform is None:
        raise ConfigurationError(
            f"terraform is not on PATH: cannot read the outputs of {root};"
            " give the file `terraform output -json` wrote instead"
        )
    try:
        done = subprocess.run(  # noqa: S603 - terraform from PATH, a directory argument
            [terraform, f"-chdir={root}", "output", "-json", "-no-color"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigurationError(f"terraform output in {root} could not run: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip(" │╷╵")]
        reason = lines[-1].strip(" │") if lines else f"exit {done.returncode}"
        raise ConfigurationError(f"terraform output in {root} failed: {reason}")
    return done.stdout


def inputs_from_terraform(path: Path, **overrides: Any) -> DeployInputs:
    """Inputs from ``terraform output -json`` (``{"name": {"value": ...}}``):
    a file it wrote, or the root module's directory (terraform is run there)."""
    try:
        text = terraform_output_json(path) if path.is_dir() else path.read_text(encoding="utf-8")
        outputs = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read Terraform outputs from {path}: {exc}") from None
    values: dict[str, Any] = {}
    for output, field in TERRAFORM_OUTPUTS.items():
        entry = outputs.get(output) if isinstance(outputs, dict) else None
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, str):
            values[field] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    missing = [f for f in ("gateway_url", "role_arn", "database") if f not in values]
    if missing:
        raise ConfigurationError(
            f"missing {', '.join(missing)} (Terraform outputs "
            f"{', '.join(TERRAFORM_OUTPUTS)} or the options)"
        )
    return DeployInputs(**values).checked()


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _value_sql(value: Any) -> str:
    """A JSON value as a Snowflake expression (parameters are small JSON)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _literal(value)
    return f"PARSE_JSON({_literal(json.dumps(value, sort_keys=True))})"


def task_name(job: ReportJob) -> str:
    return f"report_{job.name}"


def _params_sql(job: ReportJob) -> str:
    parts: list[str] = []
    for key, expression, literal in job.snowflake_params():
        parts += [_literal(key), expression if expression is not None else _value_sql(literal)]
    formats = ", ".join(_literal(f) for f in job.formats)
    parts += ["'formats'", f"ARRAY_CONSTRUCT({formats})"]
    return "OBJECT_CONSTRUCT(" + ", ".join(parts) + ")"


#: The time the task run was scheduled for (UTC, ISO 8601): the same for the
#: run's retries, so the service makes each delivery once.
_DUE_SQL = (
    "TO_VARCHAR(CONVERT_TIMEZONE('UTC', SYSTEM$TASK_RUNTIME_INFO("
    "'CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP')::TIMESTAMP_TZ), "
    '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\')'
)


def _deliveries_sql(schedule: Schedule, job: ReportJob, schema: str) -> str:
    """The task's other columns: one delivery call per subscription of the job."""
    return "".join(
        f",\n    {schema}.deliver_subscription_via_ecs({_literal(entry.name)}, {_DUE_SQL})"
        f" AS {entry.name}"
        for entry in schedule.subscriptions
        if entry.report == job.name
    )


def render_statements(schedule: Schedule, inputs: DeployInputs) -> list[str]:
    """Every statement, in the order to run them (no trailing semicolons)."""
    i = inputs.checked()
    base = i.gateway_url.rstrip("/")
    schema = f"{i.database}.{i.schema}"
    key = f"\n    API_KEY = {_literal(i.api_key)}" if i.api_key else ""
    statements = [
        f"CREATE API INTEGRATION IF NOT EXISTS {i.integration}\n"
        "    API_PROVIDER = aws_api_gateway\n"
        f"    API_AWS_ROLE_ARN = {_literal(i.role_arn)}{key}\n"
        f"    API_ALLOWED_PREFIXES = ({_literal(base + '/')})\n"
        "    ENABLED = TRUE\n"
        "    COMMENT = 'analytics platform: the report service'",
        f"ALTER API INTEGRATION {i.integration} SET\n"
        f"    API_AWS_ROLE_ARN = {_literal(i.role_arn)}{key}\n"
        f"    API_ALLOWED_PREFIXES = ({_literal(base + '/')})\n"
        "    ENABLED = TRUE",
        f"CREATE SCHEMA IF NOT EXISTS {schema}",
        f"CREATE OR REPLACE EXTERNAL FUNCTION {schema}.generate_report_via_ecs("
        "report_type VARCHAR, params VARIANT)\n"
        "    RETURNS VARIANT\n"
        "    NOT NULL\n"
        "    VOLATILE\n"
        "    COMMENT = 'Queue a report job; returns {job_id, status, status_url}'\n"
        f"    API_INTEGRATION = {i.integration}\n"
        f"    MAX_BATCH_ROWS = {i.max_batch_rows}\n"
        f"    AS {_literal(base + '/v1/external/generate_report')}",
        f"CREATE OR REPLACE EXTERNAL FUNCTION {schema}.check_ecs_job_status(job_id VARCHAR)\n"
        "    RETURNS VARIANT\n"
        "    NOT NULL\n"
        "    VOLATILE\n"
        "    COMMENT = 'A report job: status, times, error and artifact links'\n"
        f"    API_INTEGRATION = {i.integration}\n"
        f"    MAX_BATCH_ROWS = {i.max_batch_rows}\n"
        f"    AS {_literal(base + '/v1/external/job_status')}",
        f"CREATE OR REPLACE EXTERNAL FUNCTION {schema}.deliver_subscription_via_ecs("
        "subscription VARCHAR, due_at VARCHAR)\n"
        "    RETURNS VARIANT\n"
        "    NOT NULL\n"
        "    VOLATILE\n"
        "    COMMENT = 'Queue a subscription''s deliveries for a due time (each sent once)'\n"
        f"    API_INTEGRATION = {i.integration}\n"
        f"    MAX_BATCH_ROWS = {i.max_batch_rows}\n"
        f"    AS {_literal(base + '/v1/external/deliver_subscription')}",
        f"CREATE OR REPLACE FUNCTION {schema}.generate_sales_report_ecs(report_date DATE)\n"
        "    RETURNS VARIANT\n"
        "    COMMENT = 'Queue the daily sales report of one day (html)'\n"
        "    AS $$\n"
        f"        {schema}.generate_report_via_ecs(\n"
        "            'daily_sales',\n"
        "            OBJECT_CONSTRUCT('date', TO_VARCHAR(report_date, 'YYYY-MM-DD'))\n"
        "        )\n"
        "    $$",
    ]
    for job in schedule.reports:
        name = f"{schema}.{task_name(job)}"
        statements.append(
            f"CREATE OR ALTER TASK {name}\n"
            "    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'\n"
            f"    SCHEDULE = 'USING CRON {job.cron} UTC'\n"
            "    USER_TASK_TIMEOUT_MS = 600000\n"
            f"    COMMENT = {_literal(f'schedule file job {job.name}')}\n"
            "AS\n"
            f"SELECT {schema}.generate_report_via_ecs({_literal(job.report_type)},"
            f" {_params_sql(job)}) AS report_job{_deliveries_sql(schedule, job, schema)}"
        )
        statements.append(f"ALTER TASK {name} RESUME")
    role = i.operator_role
    statements += [
        f"GRANT USAGE ON INTEGRATION {i.integration} TO ROLE {role}",
        f"GRANT USAGE ON DATABASE {i.database} TO ROLE {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO ROLE {role}",
        f"GRANT USAGE ON FUNCTION {schema}.generate_report_via_ecs(VARCHAR, VARIANT)"
        f" TO ROLE {role}",
        f"GRANT USAGE ON FUNCTION {schema}.check_ecs_job_status(VARCHAR) TO ROLE {role}",
        f"GRANT USAGE ON FUNCTION {schema}.deliver_subscription_via_ecs(VARCHAR, VARCHAR)"
        f" TO ROLE {role}",
        f"GRANT USAGE ON FUNCTION {schema}.generate_sales_report_ecs(DATE) TO ROLE {role}",
        f"GRANT EXECUTE TASK ON ACCOUNT TO ROLE {role}",
        f"GRANT EXECUTE MANAGED TASK ON ACCOUNT TO ROLE {role}",
    ]
    for job in schedule.reports:
        statements.append(
            f"GRANT MONITOR, OPERATE ON TASK {schema}.{task_name(job)} TO ROLE {role}"
        )
    return statements


def render_script(statements: Sequence[str], header: Mapping[str, str]) -> str:
    """The statements as one script, with a header saying where it came from."""
    lines = ["-- Snowflake DDL of the analytics platform (analytics snowflake-ddl)."]
    lines += [f"-- {k}: {v}" for k, v in header.items()]
    lines.append("-- Idempotent: running it again changes nothing.")
    return "\n".join(lines) + "\n\n" + ";\n\n".join(statements) + ";\n"


def render_checks(schedule: Schedule, inputs: DeployInputs) -> list[str]:
    """The statements a person runs after deploying, to see it work: each
    function called, a job's status read back, the tasks and their history.
    Expected results are in the comments of :func:`render_script`'s output."""
    i = inputs.checked()
    schema = f"{i.database}.{i.schema}"
    tasks = ", ".join(_literal(task_name(job).upper()) for job in schedule.reports)
    return [
        # 1. a JSON report of the latest day: {job_id, status: queued, status_url}
        f"SELECT {schema}.generate_report_via_ecs('daily_sales',"
        " OBJECT_CONSTRUCT('formats', ARRAY_CONSTRUCT('json'))) AS created",
        # 2. its status, read back through the second function (queued/running/succeeded)
        f"SELECT {schema}.check_ecs_job_status(created:job_id::VARCHAR) AS job"  # noqa: S608 - checked identifiers
        " FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))",
        # 3. the daily sales report of a given day
        f"SELECT {schema}.generate_sales_report_ecs(DATEADD(DAY, -1, CURRENT_DATE())) AS created",
        # 4. a bad request answers an error object, not a failed query
        f"SELECT {schema}.generate_report_via_ecs('no_such_report', OBJECT_CONSTRUCT()) AS refused",
        # 5. the tasks, started
        f"SHOW TASKS IN SCHEMA {schema}",
        # 6. what the tasks did lately
        "SELECT name, state, scheduled_time, completed_time, error_message"  # noqa: S608 - checked identifiers
        f" FROM TABLE({i.database}.INFORMATION_SCHEMA.TASK_HISTORY("
        "SCHEDULED_TIME_RANGE_START => DATEADD(DAY, -7, CURRENT_TIMESTAMP())))"
        f" WHERE name IN ({tasks}) ORDER BY scheduled_time DESC",
    ]


def apply_with_dbt(statements: Sequence[str], settings: Any, target: str) -> int:
    """Run ``statements`` with ``dbt run-operation apply_statements`` on ``target``.
    Returns how many ran; :class:`ConfigurationError` with dbt's reason on failure."""
    from orchestration.build import dbt_env
    from orchestration.dbt_runner import DbtInvocation, profiles_dir, run_dbt

    invocation = DbtInvocation(
        target=target,
        profiles_dir=profiles_dir(settings),
        target_path=settings.dbt_dir / f"target-{target}",
        log_path=settings.dbt_log_path,
        env={**dbt_env(settings), "ANALYTICS_DDL_STATEMENTS": json.dumps(list(statements))},
    )
    # No file log for this run: a statement may hold the API key.
    result = run_dbt(invocation, ["run-operation", "apply_statements", "--log-level-file", "none"])
    if not result.ok:
        raise ConfigurationError(
            f"dbt run-operation apply_statements failed: {result.failure_message()}"
        )
    return len(statements)
